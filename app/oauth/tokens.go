package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/datetime"
	"github.com/weftworks/weft/value"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Execution is what Tokens needs of a module's execution (app.Execution has it).
type Execution interface {
	Now() time.Time
}

// ConnectionSaver is implemented by an execution that can store a connection's
// credentials (the engine's, through engine.Options.SaveConnection). Tokens calls it
// when a token endpoint rotates the refresh token: the old one is then dead, so the new
// one must outlive the process. data is the whole connection as read, with
// refreshToken, accessToken and expiresAt (ISO 8601, or absent when the server gave no
// lifetime) replaced. Without it, or while saving fails, the rotated token lives in the
// process's cache only (and saving is tried again at the connection's next use).
type ConnectionSaver interface {
	SaveConnection(ctx context.Context, ref any, data weft.Bundle) error
}

// Options configure Tokens. The zero value works; apps pass their HTTP error tables so
// that a token endpoint's failure reads like their own.
type Options struct {
	// Classify types a failure without a response (refused, reset, DNS…). Defaults to
	// ConnectionError for every transport failure.
	Classify func(err error) *weft.Error
	// StatusType types a token endpoint's error status that carries no OAuth error code
	// (429, 503…). Defaults to a small table: 429 RateLimitError, 502-504
	// ConnectionError, other 5xx RuntimeError.
	StatusType func(status int) weft.ErrorType
}

// DefaultTimeout bounds one token request when Request.Timeout is not set.
const DefaultTimeout = 30 * time.Second

// Tokens holds a process's access tokens, per connection. Tokens are credentials too,
// but short-lived ones: keeping them in memory (never in the store, unless the refresh
// token rotates) is what saves a token request per module call.
type Tokens struct {
	opts    Options
	mu      sync.Mutex
	entries map[string]*entry // by connection reference
}

// NewTokens returns an empty cache.
func NewTokens(o Options) *Tokens {
	return &Tokens{opts: o, entries: map[string]*entry{}}
}

// entry is one connection's token state. lock admits one holder at a time, so
// concurrent runs wait for one refresh instead of each spending the refresh token
// (with rotation, all but the first would fail). It is a channel so waiting honours
// the run's context.
type entry struct {
	lock  chan struct{}
	state // guarded by lock
}

type state struct {
	config    string          // fingerprint of the connection the tokens belong to
	known     map[string]bool // refresh tokens this entry stands for (stored and rotated)
	refresh   string          // the newest refresh token
	access    string
	typ       string    // token type for the Authorization header
	refreshAt time.Time // get a new token from then on; zero: no known expiry
	unsaved   weft.Bundle
	style     string // client authentication that worked: "header" or "body"
}

func (t *Tokens) entry(key string) *entry {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entries[key]
	if !ok {
		e = &entry{lock: make(chan struct{}, 1)}
		t.entries[key] = e
	}
	return e
}

// refreshMargin is how long before its expiry a token is replaced, so a request
// started with it does not reach the service after it died: a minute, or half the
// token's lifetime for very short-lived tokens.
func refreshMargin(lifetime time.Duration) time.Duration {
	if lifetime > 0 && lifetime/2 < time.Minute {
		return lifetime / 2
	}
	return time.Minute
}

// sync makes the entry stand for c: it is reset when the connection's settings
// changed or it holds a refresh token the entry does not know (a person reconnected).
func (e *entry) sync(c *Conn) {
	fp := c.fingerprint()
	// An access token a person pasted in place of the one held (no grant renews it)
	// replaces it too.
	pasted := c.Grant() == "" && c.AccessToken != "" && c.AccessToken != e.access
	if e.config == fp && (c.RefreshToken == "" || e.known[c.RefreshToken]) && !pasted {
		return
	}
	e.state = state{config: fp, known: map[string]bool{}, refresh: c.RefreshToken}
	if c.RefreshToken != "" {
		e.known[c.RefreshToken] = true
	}
	if c.AccessToken != "" {
		e.access, e.typ = c.AccessToken, c.tokenType(strings.TrimSpace(value.Text(c.Data["tokenType"])))
		if !c.ExpiresAt.IsZero() {
			e.refreshAt = c.ExpiresAt.Add(-refreshMargin(0))
		}
	}
}

// Request is one module call's need for a token.
type Request struct {
	// Ref is the connection reference (the module parameter's value): the cache key
	// and what a rotated token is saved under.
	Ref any
	// Data is the connection as Execution.Connection returned it.
	Data weft.Bundle
	// At names the connection in messages ("parameters.oAuthKeychain: connection 7").
	At string
	// Stale is the access token a service just refused (HTTP 401): a new one is
	// fetched instead of returning it again. Empty on a first attempt.
	Stale string
	// Client sends token requests (the app's transport, its TLS settings, the
	// outbound policy). Defaults to http.DefaultClient.
	Client *http.Client
	// Timeout bounds one token request. Defaults to DefaultTimeout.
	Timeout time.Duration
}

// Token is an access token ready for the Authorization header: Type + " " + Access.
type Token struct {
	Type   string
	Access string
}

// Header is the Authorization header's value.
func (t Token) Header() string { return t.Type + " " + t.Access }

// Get returns a valid access token for the connection, getting a new one when the
// cached one expires within a minute or is Stale. exec is the module's execution: its
// clock decides expiry, and a rotated refresh token is saved through it when it is a
// ConnectionSaver.
func (t *Tokens) Get(ctx context.Context, exec Execution, rq Request) (Token, error) {
	c, err := Parse(rq.Data, rq.At)
	if err != nil {
		return Token{}, err
	}
	e := t.entry(value.Text(rq.Ref))
	select {
	case e.lock <- struct{}{}:
	case <-ctx.Done():
		return Token{}, t.classify(ctx.Err())
	}
	defer func() { <-e.lock }()

	e.sync(c)
	now := exec.Now()
	if e.unsaved != nil {
		save(ctx, exec, rq.Ref, e) // a rotated refresh token from an earlier call
	}
	fresh := e.access != "" && e.access != rq.Stale && (e.refreshAt.IsZero() || now.Before(e.refreshAt))
	if !fresh {
		if c.Grant() == "" {
			if e.access == rq.Stale {
				// Nothing to renew it with: the service's 401 stands.
				return Token{Type: e.typ, Access: e.access}, nil
			}
			return Token{}, &weft.Error{Type: weft.InvalidAccessTokenError,
				Message: fmt.Sprintf("%s: the access token expired at %s and the connection holds no refresh token or client credentials to get a new one",
					rq.At, datetime.ISO(c.ExpiresAt))}
		}
		tok, err := t.fetch(ctx, c, e, rq, now)
		if err != nil {
			return Token{}, err
		}
		life := lifetime(tok)
		e.access, e.typ, e.refreshAt = tok.AccessToken, c.tokenType(tok.TokenType), time.Time{}
		if life > 0 {
			e.refreshAt = now.Add(life - refreshMargin(life))
		}
		if tok.RefreshToken != "" && tok.RefreshToken != e.refresh {
			e.refresh = tok.RefreshToken
			e.known[tok.RefreshToken] = true
			e.unsaved = rotated(c.Data, tok, life, now)
			save(ctx, exec, rq.Ref, e)
		}
	}
	return Token{Type: e.typ, Access: e.access}, nil
}

// tokenType is the Authorization scheme for a token_type: Bearer unless the server
// names another scheme (and the provider does not always want Bearer).
func (c *Conn) tokenType(t string) string {
	if t == "" || strings.EqualFold(t, "bearer") || (c.Provider != nil && c.Provider.BearerAlways) {
		return "Bearer"
	}
	return t
}

// lifetime is the token's expires_in (zero: not given). x/oauth2 computes Expiry from
// the wall clock; the lifetime is applied to the execution's clock instead.
func lifetime(tok *oauth2.Token) time.Duration {
	if tok.ExpiresIn > 0 {
		return time.Duration(tok.ExpiresIn) * time.Second
	}
	if n, ok := value.Number(tok.Extra("expires_in")); ok && n > 0 {
		return time.Duration(n * float64(time.Second))
	}
	return 0
}

// rotated is the connection data to store after the server rotated the refresh token.
func rotated(data weft.Bundle, tok *oauth2.Token, life time.Duration, now time.Time) weft.Bundle {
	out := make(weft.Bundle, len(data)+3)
	for k, v := range data {
		out[k] = v
	}
	out["refreshToken"] = tok.RefreshToken
	out["accessToken"] = tok.AccessToken
	delete(out, "expiresAt")
	if life > 0 {
		out["expiresAt"] = datetime.ISO(now.Add(life))
	}
	return out
}

// save stores the entry's unsaved connection data when the execution can. A failure
// keeps it unsaved (tried again at the next use); the call itself goes on: the new
// refresh token is valid and the old one is already spent, so failing would not help.
func save(ctx context.Context, exec Execution, ref any, e *entry) {
	s, ok := exec.(ConnectionSaver)
	if !ok {
		return
	}
	if err := s.SaveConnection(ctx, ref, e.unsaved); err == nil {
		e.unsaved = nil
	}
}

// fetch asks the token endpoint for an access token with the connection's grant.
// With no fixed client authentication it tries HTTP Basic first (RFC 6749 §2.3.1: every
// server must support it) and the form body when the endpoint refuses that, and
// remembers what worked.
func (t *Tokens) fetch(ctx context.Context, c *Conn, e *entry, rq Request, now time.Time) (*oauth2.Token, error) {
	style := c.ClientAuth
	if style == "" {
		style = e.style
	}
	var used string
	tok, err := t.withStyles(style, func(s string) (*oauth2.Token, error) {
		used = s
		return t.request(ctx, c, e.refresh, s, rq, now)
	})
	if err == nil {
		e.style = used
	}
	return tok, err
}

// withStyles calls try with the client authentication style, or with "header" and
// then "body" when none is fixed and the endpoint refused the client's Basic
// authentication (401 or invalid_client; any other failure is the answer).
func (t *Tokens) withStyles(style string, try func(style string) (*oauth2.Token, error)) (*oauth2.Token, error) {
	styles := []string{style}
	if style == "" {
		styles = []string{"header", "body"}
	}
	var err error
	for i, s := range styles {
		var tok *oauth2.Token
		if tok, err = try(s); err == nil {
			return tok, nil
		}
		var we *weft.Error
		refused := errors.As(err, &we) && we.Details != nil &&
			(we.Details["statusCode"] == float64(401) || we.Details["error"] == "invalid_client")
		if i == 0 && len(styles) > 1 && refused {
			continue
		}
		break
	}
	return nil, err
}

func authStyle(style string) oauth2.AuthStyle {
	if style == "body" {
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleInHeader
}

// request makes one token request with the refresh token or the client credentials.
func (t *Tokens) request(ctx context.Context, c *Conn, refresh, style string, rq Request, now time.Time) (*oauth2.Token, error) {
	timeout := rq.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	tctx, cancel := context.WithTimeout(clientContext(ctx, rq.Client, c), timeout)
	defer cancel()
	var tok *oauth2.Token
	var err error
	what := "the client credentials"
	if c.Grant() == "refresh_token" {
		what = "the refresh token"
		cfg := oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret,
			Endpoint: oauth2.Endpoint{TokenURL: c.TokenURL, AuthStyle: authStyle(style)}}
		tok, err = cfg.TokenSource(tctx, &oauth2.Token{RefreshToken: refresh}).Token()
	} else {
		cc := clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: c.TokenURL,
			Scopes: c.Scopes, AuthStyle: authStyle(style)}
		if c.Audience != "" {
			cc.EndpointParams = url.Values{"audience": {c.Audience}}
		}
		tok, err = cc.Token(tctx)
	}
	if err != nil {
		return nil, t.tokenError(ctx, err, c, rq.At, what, timeout, []string{refresh, c.ClientSecret}, now)
	}
	return tok, nil
}

// clientContext carries the HTTP client x/oauth2 sends with, wrapped for the
// provider's quirks.
func clientContext(ctx context.Context, hc *http.Client, c *Conn) context.Context {
	if hc == nil {
		hc = &http.Client{}
	}
	if c.Provider != nil && c.Provider.UserToken {
		cp := *hc
		cp.Transport = userTokenTransport{base: hc.Transport}
		hc = &cp
	}
	return context.WithValue(ctx, oauth2.HTTPClient, hc)
}

func (t *Tokens) classify(err error) *weft.Error {
	if t != nil && t.opts.Classify != nil {
		return t.opts.Classify(err)
	}
	var we *weft.Error
	if errors.As(err, &we) {
		return we
	}
	typ := weft.ConnectionError
	if errors.Is(err, context.DeadlineExceeded) {
		typ = weft.ModuleTimeoutError
	}
	return &weft.Error{Type: typ, Message: err.Error(), Err: err}
}

func (t *Tokens) statusType(status int) weft.ErrorType {
	if t != nil && t.opts.StatusType != nil {
		if typ := t.opts.StatusType(status); typ != "" {
			return typ
		}
	}
	switch {
	case status == 429:
		return weft.RateLimitError
	case status == 502, status == 503, status == 504:
		return weft.ConnectionError
	case status == 401:
		return weft.InvalidAccessTokenError
	case status < 500:
		return weft.DataError
	}
	return weft.RuntimeError
}

// tokenError types a failed token request. invalid_grant (refresh token expired or
// revoked) and invalid_client (client secret changed) need a person to reconnect:
// InvalidAccessTokenError, as any other 400/401; a grant, scope or request the server
// does not accept is the connection's configuration; a token URL that is not a token
// endpoint (404…) too. Other statuses follow the status table (429 rate limit, 502-504
// connection errors).
func (t *Tokens) tokenError(ctx context.Context, err error, c *Conn, at, what string, timeout time.Duration, secrets []string, now time.Time) *weft.Error {
	redact := func(s string) string {
		for _, sec := range secrets {
			if len(sec) >= 4 { // shorter ones would garble the message and hide nothing
				s = strings.ReplaceAll(s, sec, "***")
				s = strings.ReplaceAll(s, url.QueryEscape(sec), "***")
			}
		}
		return s
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		switch {
		case ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded):
			return &weft.Error{Type: weft.ModuleTimeoutError, Err: err,
				Message: fmt.Sprintf("%s: no answer from the token endpoint within %s", at, timeout)}
		case strings.HasPrefix(err.Error(), "oauth2: "):
			// A success status without a readable token (no access_token, not JSON).
			return &weft.Error{Type: weft.UnexpectedError, Err: err,
				Message: redact(fmt.Sprintf("%s: the token endpoint answered without an access token: %s", at, strings.TrimPrefix(err.Error(), "oauth2: ")))}
		}
		e := t.classify(err)
		return &weft.Error{Type: e.Type, RetryAfter: e.RetryAfter, Details: e.Details, Err: err,
			Message: redact(fmt.Sprintf("%s: cannot reach the token endpoint: %s", at, e.Message))}
	}
	status := 0
	var header http.Header
	if re.Response != nil {
		status, header = re.Response.StatusCode, re.Response.Header
	}
	code, desc := re.ErrorCode, re.ErrorDescription
	var typ weft.ErrorType
	switch {
	case code == "invalid_scope", code == "unauthorized_client", code == "unsupported_grant_type", code == "invalid_request",
		code == "redirect_uri_mismatch", code == "bad_redirect_uri":
		typ = weft.InvalidConfigurationError
	case code != "", status == 400, status == 401:
		typ = weft.InvalidAccessTokenError
	case status < 300:
		typ = weft.UnexpectedError
	case status < 400, status == 404, status == 405, status == 410:
		typ = weft.InvalidConfigurationError
	default:
		typ = t.statusType(status)
	}
	reason := code
	if desc != "" {
		reason += ": " + desc
	}
	if reason == "" {
		reason = excerpt(re.Body, 200)
	}
	if reason == "" {
		reason = "no reason given"
	}
	msg := fmt.Sprintf("%s: the token endpoint refused %s [%d %s]: %s", at, what, status, http.StatusText(status), reason)
	e := &weft.Error{Type: typ, Message: redact(msg), Err: err, Details: map[string]any{
		"statusCode": float64(status), "url": redact(c.TokenURL), "error": code}}
	if typ == weft.RateLimitError || typ == weft.ConnectionError {
		e.RetryAfter = retryAfter(header.Get("Retry-After"), now)
	}
	return e
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// excerpt is a body as one short line for a message.
func excerpt(body []byte, max int) string {
	s := strings.ToValidUTF8(string(body), "\uFFFD")
	cut := false
	if len(s) > max {
		s, cut = strings.ToValidUTF8(s[:max], ""), true
	}
	s = strings.Join(strings.Fields(s), " ")
	s = strings.NewReplacer(`"`, "'", `\`, "").Replace(s)
	if cut {
		s += "…"
	}
	return s
}
