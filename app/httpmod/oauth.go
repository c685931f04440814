package httpmod

import (
	"context"
	"fmt"
	"net/http"

	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/oauth"
	"github.com/weftworks/weft/value"
)

// OAuth 2 connections (v4 parameters.oAuthKeychain, v3 http:ActionSendDataOAuth
// parameters.account) are package oauth's format: a provider's or custom endpoints, the
// client credentials grant, a refresh token, or an access token alone
// (docs/connections.md). Tokens are cached per connection by the process's
// oauth.Tokens, which the modules share through the client.

// ConnectionSaver is implemented by an app.Execution that can store a connection's
// credentials (oauth.ConnectionSaver; kept under this name for SDK users).
type ConnectionSaver = oauth.ConnectionSaver

// newTokens is the process's token cache; token endpoint failures are typed with the
// HTTP app's tables.
func newTokens() *oauth.Tokens {
	return oauth.NewTokens(oauth.Options{Classify: ClassifyTransportError, StatusType: ErrorTypeForStatus})
}

// oauthAuth authenticates a module's requests with the OAuth 2 connection its
// parameter param names.
type oauthAuth struct {
	ref   any
	param string
}

// authorize sets the Authorization header of r with a valid access token, getting a
// new one when the cached one expires soon or is stale (the token a service just
// answered 401 to). It returns the token used.
func (a *oauthAuth) authorize(ctx context.Context, cl *client, exec app.Execution, r *request, stale string) (string, error) {
	if value.IsEmpty(a.ref) {
		return "", configError("parameters."+a.param, "an OAuth 2 connection is required")
	}
	raw, err := exec.Connection(a.ref)
	if err != nil {
		return "", connError(a.param, err)
	}
	timeout := oauth.DefaultTimeout
	if r.timeout < timeout {
		timeout = r.timeout
	}
	tok, err := cl.tokens.Get(ctx, exec, oauth.Request{Ref: a.ref, Data: raw, Stale: stale, Timeout: timeout,
		At:     fmt.Sprintf("parameters.%s: connection %s", a.param, value.Text(a.ref)),
		Client: cl.tokenClient(r)})
	if err != nil {
		return "", err
	}
	r.header.Set("Authorization", tok.Header())
	r.secrets = append(r.secrets, tok.Access)
	return tok.Access, nil
}

// tokenClient sends token requests with the module request's TLS settings (an own CA
// usually covers the organisation's identity server too), the shared pool, no
// redirects, and weft's User-Agent.
func (cl *client) tokenClient(r *request) *http.Client {
	return &http.Client{Transport: userAgent{base: cl.transportFor(r.tls, r.tlsKey), ua: cl.opts.UserAgent},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// userAgent sets the User-Agent of requests that have none.
type userAgent struct {
	base http.RoundTripper
	ua   string
}

func (u userAgent) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("User-Agent") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("User-Agent", u.ua)
	}
	return u.base.RoundTrip(r)
}
