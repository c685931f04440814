package httpmod

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/oauth"
	"github.com/weftworks/weft/netpolicy"
)

// Options configure the HTTP app for a process. The zero value is ready to use.
type Options struct {
	// MaxBodySize caps a response body (after decompression) so one response cannot
	// exhaust memory; a larger one is a MaxFileSizeExceededError. Defaults to 100 MB.
	MaxBodySize int64
	// MaxRedirects bounds a redirect chain; a longer one is an UnexpectedError.
	// Defaults to 10.
	MaxRedirects int
	// Resolver looks up host names. Defaults to the system resolver.
	Resolver *net.Resolver
	// UserAgent is sent when the module sets no User-Agent header. Defaults to "weft".
	UserAgent string
	// Proxy chooses a proxy per request. Defaults to http.ProxyFromEnvironment
	// (HTTPS_PROXY, HTTP_PROXY, NO_PROXY).
	Proxy func(*http.Request) (*url.URL, error)
	// Net is the outbound network policy: every connection (redirects, OAuth token
	// requests and proxied targets included) is checked against it, and a refusal is an
	// InvalidConfigurationError naming the rule. Defaults to nil: everything allowed.
	Net *netpolicy.Policy
}

// DefaultMaxBodySize is Options.MaxBodySize's default.
const DefaultMaxBodySize = 100 << 20

func (o Options) withDefaults() Options {
	if o.MaxBodySize <= 0 {
		o.MaxBodySize = DefaultMaxBodySize
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = 10
	}
	if o.UserAgent == "" {
		o.UserAgent = "weft"
	}
	if o.Proxy == nil {
		o.Proxy = http.ProxyFromEnvironment
	}
	return o
}

// client is the part shared by every HTTP module of a process: one connection pool.
type client struct {
	opts      Options
	transport *http.Transport
	tokens    *oauth.Tokens // OAuth 2 access tokens per connection

	mu       sync.Mutex
	tlsPools map[string]*http.Transport // by tlsSettings.fingerprint
}

func newClient(o Options) *client {
	o = o.withDefaults()
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Resolver: o.Resolver}
	tr := &http.Transport{
		Proxy:             o.Proxy,
		ForceAttemptHTTP2: true,
		// Many runs call the same API at once: keep their connections for reuse rather
		// than closing all but a few after each call (which leaves thousands of sockets
		// in TIME_WAIT under load).
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		// The module decides about compression itself (requestCompressedContent, gzip)
		// and keeps the Content-Encoding header in its output, as Make does.
		DisableCompression: true,
	}
	// The dial is checked against the policy; the TLS pools are clones and keep it.
	o.Net.Guard(tr, dialer)
	return &client{opts: o, transport: tr, tokens: newTokens(), tlsPools: map[string]*http.Transport{}}
}

// request is one HTTP call as the modules describe it.
type request struct {
	method  string // upper case
	url     *url.URL
	header  http.Header
	body    []byte
	timeout time.Duration
	// follow reports whether a redirect answering a request with this method is
	// followed.
	follow     func(method string) bool
	compressed bool        // ask for and decode gzip/deflate
	tls        *tls.Config // nil: the shared default
	tlsKey     string      // the fingerprint of the settings tls was built from
	jar        http.CookieJar
	secrets    []string // values removed from URLs in messages (API keys in the query)
}

// response is what came back, the body read in full (within the cap) and decoded.
type response struct {
	status int
	header http.Header
	body   []byte
	url    *url.URL // after redirects
}

// target names the request in messages: method and URL without secrets.
func (r *request) target() string { return r.method + " " + r.redact(r.url.String()) }

func (r *request) redact(s string) string {
	for _, sec := range r.secrets {
		if sec == "" {
			continue
		}
		s = strings.ReplaceAll(s, sec, "***")
		s = strings.ReplaceAll(s, url.QueryEscape(sec), "***")
	}
	return s
}

// do sends the request within its timeout and reads the response. Failures are typed
// *weft.Errors; HTTP error statuses are not failures here (the caller decides).
func (c *client) do(ctx context.Context, r *request) (*response, error) {
	tctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	resp, unknown, err := c.send(tctx, r)
	if err == nil {
		return resp, nil
	}
	we := c.failure(ctx, tctx, r, err)
	we.Endpoint = Endpoint(r.url)
	if unknown {
		// The request was written but no answer came: the service may have acted on it.
		// A retry would send it again, so it is retried automatically only when the
		// service can deduplicate it by its Idempotency-Key.
		we.OutcomeUnknown = true
		we.Idempotent = r.header.Get("Idempotency-Key") != ""
		we.Message += " (the request was sent; whether the service acted on it is unknown)"
	}
	return nil, we
}

// Endpoint is the host and port a URL reaches (the circuit breaker's key,
// weft.Error.Endpoint).
func Endpoint(u *url.URL) string {
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "80"
		if strings.EqualFold(u.Scheme, "https") {
			port = "443"
		}
	}
	return net.JoinHostPort(strings.ToLower(host), port)
}

// SafeMethod: a request of this method changes nothing, so a lost answer is no unknown
// outcome.
func SafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions || m == http.MethodTrace
}

// OutcomeTracker notes a request that was written in full but never answered (each
// hop of a redirect chain on its own, so an answered POST redirected to a failing GET
// is not unknown). Use one per call: wrap the client's transport, send, then ask
// Unknown after a failure.
type OutcomeTracker struct {
	rt      http.RoundTripper
	unknown atomic.Bool
}

// NewOutcomeTracker wraps rt (nil: http.DefaultTransport).
func NewOutcomeTracker(rt http.RoundTripper) *OutcomeTracker {
	if rt == nil {
		rt = http.DefaultTransport
	}
	return &OutcomeTracker{rt: rt}
}

// Unknown reports whether a request that changes something was written but got no
// answer.
func (t *OutcomeTracker) Unknown() bool { return t.unknown.Load() }

func (t *OutcomeTracker) RoundTrip(req *http.Request) (*http.Response, error) {
	if SafeMethod(req.Method) {
		return t.rt.RoundTrip(req)
	}
	var wrote atomic.Bool
	ctx := httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err == nil {
				wrote.Store(true)
			}
		}})
	resp, err := t.rt.RoundTrip(req.WithContext(ctx))
	if err != nil && wrote.Load() {
		t.unknown.Store(true)
	}
	return resp, err
}

// failure types an error of send.
func (c *client) failure(ctx, tctx context.Context, r *request, err error) *weft.Error {
	if ctx.Err() == nil && errors.Is(tctx.Err(), context.DeadlineExceeded) {
		return &weft.Error{Type: weft.ModuleTimeoutError,
			Message: fmt.Sprintf("%s: no complete response within the %s timeout", r.target(), r.timeout),
			Details: map[string]any{"method": r.method, "url": r.redact(r.url.String())},
			Err:     err}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = r.redact(ue.URL)
	}
	var denied *netpolicy.DeniedError
	if errors.As(err, &denied) {
		msg := r.target() + ": " + denied.Error()
		if ue != nil && ue.URL != r.redact(r.url.String()) {
			msg = r.target() + ": redirected to " + ue.URL + ": " + denied.Error()
		}
		return &weft.Error{Type: weft.InvalidConfigurationError, Message: msg, Err: err,
			Details: map[string]any{"method": r.method, "url": r.redact(r.url.String()), "rule": denied.Rule}}
	}
	e := ClassifyTransportError(err)
	if e.Details == nil {
		e.Details = map[string]any{"method": r.method, "url": r.redact(r.url.String())}
	}
	return e
}

// send reports unknown when a request that changes something was written but its
// answer never came (or broke off in its body).
func (c *client) send(ctx context.Context, r *request) (resp *response, unknown bool, err error) {
	var body io.Reader
	if len(r.body) > 0 {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url.String(), body)
	if err != nil {
		return nil, false, dataError("url", "cannot build the request: %v", err)
	}
	for name, vals := range r.header {
		req.Header[name] = vals
	}
	if h := req.Header.Get("Host"); h != "" {
		req.Host = h // Go sends req.Host, never a Host header
		req.Header.Del("Host")
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", c.opts.UserAgent)
	}
	if r.compressed && req.Header.Get("Accept-Encoding") == "" {
		req.Header.Set("Accept-Encoding", "gzip, deflate")
	}
	rt := NewOutcomeTracker(c.opts.Net.RoundTripper(c.transportFor(r.tls, r.tlsKey)))
	hc := &http.Client{Transport: rt, Jar: r.jar, CheckRedirect: func(next *http.Request, via []*http.Request) error {
		if !r.follow(via[0].Method) {
			return http.ErrUseLastResponse
		}
		if len(via) > c.opts.MaxRedirects {
			return fmt.Errorf("%w: stopped after %d", errTooManyRedirects, c.opts.MaxRedirects)
		}
		// The next hop is dialled through the policy like the first request.
		DropCredentialsOnRedirect(next, via, r.secrets)
		return nil
	}}
	res, err := hc.Do(req)
	if err != nil {
		return nil, rt.unknown.Load(), err
	}
	defer res.Body.Close()
	data, err := c.readBody(res, r.compressed)
	if err != nil {
		// The service answered but its answer broke off: a write may have happened, and
		// what it returned is lost.
		// (A body over the cap or one that cannot be decoded is a known answer.)
		var we *weft.Error
		cut := !errors.As(err, &we) && !SafeMethod(res.Request.Method)
		return nil, cut, err
	}
	return &response{status: res.StatusCode, header: res.Header, body: data, url: res.Request.URL}, false, nil
}

// readBody reads the body within the cap; with compressed, a gzip or deflate body is
// decoded, the cap applying to the decoded size (a small bomb cannot expand past it).
func (c *client) readBody(res *http.Response, compressed bool) ([]byte, error) {
	max := c.opts.MaxBodySize
	if res.ContentLength > max {
		return nil, tooLarge(res.ContentLength, max)
	}
	raw, err := readCapped(res.Body, max)
	if err != nil {
		return nil, err
	}
	if !compressed || len(raw) == 0 {
		return raw, nil
	}
	var dec io.ReadCloser
	switch enc := strings.ToLower(strings.TrimSpace(res.Header.Get("Content-Encoding"))); enc {
	case "gzip", "x-gzip":
		dec, err = gzip.NewReader(bytes.NewReader(raw))
	case "deflate":
		// Servers send zlib-wrapped or raw deflate under this name; try zlib first.
		dec, err = zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			dec, err = flate.NewReader(bytes.NewReader(raw)), nil
		}
	default:
		return raw, nil
	}
	if err != nil {
		return nil, unexpected("cannot decode the %s response body: %v", res.Header.Get("Content-Encoding"), err)
	}
	defer dec.Close()
	out, err := readCapped(dec, max)
	if err != nil {
		var we *weft.Error
		if errors.As(err, &we) {
			return nil, err
		}
		return nil, unexpected("cannot decode the %s response body: %v", res.Header.Get("Content-Encoding"), err)
	}
	return out, nil
}

func readCapped(rd io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(rd, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, tooLarge(-1, max)
	}
	return data, nil
}

func tooLarge(size, max int64) error {
	msg := fmt.Sprintf("response body exceeds the %d-byte limit", max)
	if size >= 0 {
		msg = fmt.Sprintf("response body of %d bytes exceeds the %d-byte limit", size, max)
	}
	return &weft.Error{Type: weft.MaxFileSizeExceededError, Message: msg, Err: errBodyTooLarge}
}

func unexpected(format string, args ...any) *weft.Error {
	return &weft.Error{Type: weft.UnexpectedError, Message: fmt.Sprintf(format, args...)}
}
