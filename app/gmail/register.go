// Package gmail is the Gmail app (Make's google-email): sending, replying to and
// reading emails through the Gmail API (https://developers.google.com/gmail/api), on
// an OAuth 2 connection of the google provider. Messages are built as MIME by the
// email app (email.Compose) and sent whole (messages.send with raw).
package gmail

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/httpmod"
	"github.com/weftworks/weft/app/oauth"
	"github.com/weftworks/weft/netpolicy"
)

// DefaultBaseURL is the Gmail API's root.
const DefaultBaseURL = "https://gmail.googleapis.com"

// EnvBaseURL overrides the base URL (tests, a proxy), as WEFT_APP_BASEURL_<APP> does
// for the declarative apps.
const EnvBaseURL = "WEFT_APP_BASEURL_GOOGLE_EMAIL"

// MaxMessageSize is Gmail's limit for one message sent (messages.send accepts 35 MB).
const MaxMessageSize = 35 << 20

// Options configure the Gmail app for a process. The zero value is ready to use.
type Options struct {
	// BaseURL replaces DefaultBaseURL (an absolute http(s) URL). It wins over the
	// environment variable EnvBaseURL.
	BaseURL string
	// Getenv reads EnvBaseURL. Defaults to os.Getenv.
	Getenv func(string) string
	// Client sends the requests. Defaults to one client per Register honouring
	// HTTPS_PROXY/HTTP_PROXY/NO_PROXY and Net.
	Client *http.Client
	// Net is the outbound network policy of the default client: a refusal is an
	// InvalidConfigurationError naming the rule. Defaults to nil: everything allowed.
	Net *netpolicy.Policy
	// MaxBodySize caps a response body (an attachment's data); a larger one is a
	// MaxFileSizeExceededError. Defaults to httpmod.DefaultMaxBodySize.
	MaxBodySize int64
	// NewID returns the unique left part of a Message-ID. Defaults to random bits.
	NewID func() string
	// UserAgent is sent with every request. Defaults to "weft".
	UserAgent string
}

func (o Options) withDefaults() (Options, error) {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.BaseURL == "" {
		o.BaseURL = o.Getenv(EnvBaseURL)
	}
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	if !strings.HasPrefix(o.BaseURL, "http://") && !strings.HasPrefix(o.BaseURL, "https://") {
		return o, fmt.Errorf("gmail app: base URL %q is not an absolute http(s) URL", o.BaseURL)
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	if o.Client == nil {
		dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
		tr := &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   10,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
		o.Net.Guard(tr, dialer)
		o.Client = &http.Client{Transport: o.Net.RoundTripper(tr)}
	}
	if o.MaxBodySize <= 0 {
		o.MaxBodySize = httpmod.DefaultMaxBodySize
	}
	if o.UserAgent == "" {
		o.UserAgent = "weft"
	}
	return o, nil
}

// Specs returns the Gmail app's module types, sharing one client and token cache.
func Specs(o Options) ([]app.Spec, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	a := &api{base: o.BaseURL, client: o.Client, maxBody: o.MaxBodySize, userAgent: o.UserAgent, newID: o.NewID,
		tokens: oauth.NewTokens(oauth.Options{Classify: httpmod.ClassifyTransportError, StatusType: httpmod.ErrorTypeForStatus})}
	return []app.Spec{sendAnEmailSpec(a), actionSendEmailSpec(a), replyToAnEmailSpec(a), listEmailAttachmentsSpec(a), watchEmailsSpec(a), legacyWatchSpec(a),
		createADraftSpec(a), updateEmailLabelsSpec(a)}, nil
}

// Register registers the Gmail app's module types with default Options.
func Register(r *app.Registry) error { return RegisterOptions(r, Options{}) }

// RegisterOptions registers the Gmail app's module types configured by o.
func RegisterOptions(r *app.Registry, o Options) error {
	specs, err := Specs(o)
	if err != nil {
		return err
	}
	for _, s := range specs {
		if err := r.Register(s); err != nil {
			return fmt.Errorf("gmail app: %w", err)
		}
	}
	return nil
}
