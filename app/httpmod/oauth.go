package httpmod

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/datetime"
	"github.com/weftworks/weft/value"
)

// The OAuth 2 connection bundle (v4 parameters.oAuthKeychain, v3
// http:ActionSendDataOAuth parameters.account), one of:
//
//	client credentials: {"tokenUrl", "clientId", "clientSecret", "scope"?, "audience"?}
//	refresh token:      {"tokenUrl", "clientId", "clientSecret"?, "refreshToken",
//	                     "accessToken"?, "expiresAt"?, "scope"?}
//	access token only:  {"accessToken", "expiresAt"?} (used until it expires)
//
// plus "clientAuth": "header" | "body" to fix how the client authenticates to the token
// endpoint (default: HTTP Basic, then the form body if the endpoint refuses that).
// expiresAt is an ISO 8601 date or milliseconds since the epoch; scope is text (space
// separated) or an array.

// ConnectionSaver is implemented by an app.Execution that can store a connection's
// credentials. The HTTP app calls it when a token endpoint rotates the refresh token:
// the old one is then dead, so the new one must outlive the process. data is the whole
// connection bundle as read, with refreshToken, accessToken and expiresAt (ISO 8601,
// or absent when the server gave no lifetime) replaced. Without it, or while saving
// fails, the rotated token lives in the process's token cache only (and saving is tried
// again at the connection's next use).
type ConnectionSaver interface {
	SaveConnection(ctx context.Context, ref any, data weft.Bundle) error
}

// oauthConn is a parsed OAuth 2 connection.
type oauthConn struct {
	data         weft.Bundle // as read, for saving
	tokenURL     string
	clientID     string
	clientSecret string
	scope        string
	audience     string
	refreshToken string
	accessToken  string
	expiresAt    time.Time // zero: unknown
	clientAuth   string    // "", "header" or "body"
}

// grant is the grant type the connection can use to get a new access token ("" when
// it has none: an access token alone).
func (o *oauthConn) grant() string {
	switch {
	case o.refreshToken != "":
		return "refresh_token"
	case o.clientID != "" && o.clientSecret != "":
		return "client_credentials"
	}
	return ""
}

// fingerprint identifies what tokens obtained for the connection depend on: when a
// person changes any of it, cached tokens are dropped.
func (o *oauthConn) fingerprint() string {
	h := sha256.New()
	for _, s := range []string{o.tokenURL, o.clientID, o.clientSecret, o.scope, o.audience} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func parseOAuthConn(conn weft.Bundle, at string) (*oauthConn, error) {
	o := &oauthConn{data: conn,
		tokenURL:     strings.TrimSpace(value.Text(conn["tokenUrl"])),
		clientID:     strings.TrimSpace(value.Text(conn["clientId"])),
		clientSecret: value.Text(conn["clientSecret"]),
		audience:     strings.TrimSpace(value.Text(conn["audience"])),
		refreshToken: strings.TrimSpace(value.Text(conn["refreshToken"])),
		accessToken:  strings.TrimSpace(value.Text(conn["accessToken"])),
		clientAuth:   strings.ToLower(strings.TrimSpace(value.Text(conn["clientAuth"]))),
	}
	if a, ok := conn["scope"].([]any); ok {
		parts := make([]string, 0, len(a))
		for _, s := range a {
			if t := strings.TrimSpace(value.Text(s)); t != "" {
				parts = append(parts, t)
			}
		}
		o.scope = strings.Join(parts, " ")
	} else {
		o.scope = strings.Join(strings.Fields(value.Text(conn["scope"])), " ")
	}
	if v := conn["expiresAt"]; !value.IsEmpty(v) {
		t, ok := value.Date(v, time.UTC)
		if !ok {
			return nil, configError(at, "expiresAt %q is not a date", value.Text(v))
		}
		o.expiresAt = t
	}
	switch o.clientAuth {
	case "", "header", "body":
	default:
		return nil, configError(at, "clientAuth %q is not header or body", o.clientAuth)
	}
	if o.grant() == "" {
		if o.accessToken != "" {
			return o, nil
		}
		// Nothing to authenticate with: a person must connect the account.
		return nil, &weft.Error{Type: weft.InvalidAccessTokenError,
			Message: at + " holds no refresh token, client credentials (clientId, clientSecret) or access token"}
	}
	if o.tokenURL == "" {
		return nil, configError(at, "tokenUrl is required to get access tokens")
	}
	if _, err := requestURL(o.tokenURL, false); err != nil {
		return nil, configError(at, "tokenUrl %q is not an http(s) URL", o.tokenURL)
	}
	return o, nil
}

// tokenCache holds the access tokens of the process, per connection. Tokens are
// credentials too, but short-lived ones: keeping them in memory (never in the store,
// unless the refresh token rotates) is what saves a token request per module call.
type tokenCache struct {
	mu      sync.Mutex
	entries map[string]*tokenEntry // by connection reference
}

func newTokenCache() *tokenCache { return &tokenCache{entries: map[string]*tokenEntry{}} }

// tokenEntry is one connection's token state. lock admits one holder at a time, so
// concurrent runs wait for one refresh instead of each spending the refresh token
// (with rotation, all but the first would fail). It is a channel so waiting honours
// the run's context.
type tokenEntry struct {
	lock       chan struct{}
	tokenState // guarded by lock
}

type tokenState struct {
	config    string          // fingerprint of the connection the tokens belong to
	known     map[string]bool // refresh tokens this entry stands for (stored and rotated)
	refresh   string          // the newest refresh token
	access    string
	typ       string    // token type for the Authorization header
	refreshAt time.Time // get a new token from then on; zero: no known expiry
	unsaved   weft.Bundle
	style     string // client authentication that worked: "header" or "body"
}

func (c *tokenCache) entry(key string) *tokenEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		e = &tokenEntry{lock: make(chan struct{}, 1)}
		c.entries[key] = e
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

// sync makes the entry stand for conn: it is reset when the connection's settings
// changed or it holds a refresh token the entry does not know (a person reconnected).
func (e *tokenEntry) sync(o *oauthConn) {
	fp := o.fingerprint()
	if e.config == fp && (o.refreshToken == "" || e.known[o.refreshToken]) {
		return
	}
	e.tokenState = tokenState{config: fp, known: map[string]bool{}, refresh: o.refreshToken}
	if o.refreshToken != "" {
		e.known[o.refreshToken] = true
	}
	if o.accessToken != "" {
		e.access, e.typ = o.accessToken, "Bearer"
		if !o.expiresAt.IsZero() {
			e.refreshAt = o.expiresAt.Add(-refreshMargin(0))
		}
	}
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
	at := fmt.Sprintf("parameters.%s: connection %s", a.param, value.Text(a.ref))
	o, err := parseOAuthConn(raw, at)
	if err != nil {
		return "", err
	}
	e := cl.tokens.entry(value.Text(a.ref))
	select {
	case e.lock <- struct{}{}:
	case <-ctx.Done():
		return "", ClassifyTransportError(ctx.Err())
	}
	defer func() { <-e.lock }()

	e.sync(o)
	now := exec.Now()
	if e.unsaved != nil {
		a.save(ctx, exec, e) // a rotated refresh token from an earlier call
	}
	fresh := e.access != "" && e.access != stale && (e.refreshAt.IsZero() || now.Before(e.refreshAt))
	if !fresh {
		if o.grant() == "" {
			if e.access == stale {
				// Nothing to renew it with: the service's 401 stands.
				return stale, nil
			}
			return "", &weft.Error{Type: weft.InvalidAccessTokenError,
				Message: fmt.Sprintf("%s: the access token expired at %s and the connection holds no refresh token or client credentials to get a new one",
					at, datetime.ISO(o.expiresAt))}
		}
		tr, err := cl.fetchToken(ctx, o, e, r, at, now)
		if err != nil {
			return "", err
		}
		e.access, e.typ, e.refreshAt = tr.access, tr.typ, time.Time{}
		if tr.lifetime > 0 {
			e.refreshAt = now.Add(tr.lifetime - refreshMargin(tr.lifetime))
		}
		if tr.refresh != "" && tr.refresh != e.refresh {
			e.refresh = tr.refresh
			e.known[tr.refresh] = true
			e.unsaved = rotated(o.data, tr, now)
			a.save(ctx, exec, e)
		}
	}
	r.header.Set("Authorization", e.typ+" "+e.access)
	r.secrets = append(r.secrets, e.access)
	return e.access, nil
}

// rotated is the connection data to store after the server rotated the refresh token.
func rotated(data weft.Bundle, tr *tokenResponse, now time.Time) weft.Bundle {
	out := make(weft.Bundle, len(data)+3)
	for k, v := range data {
		out[k] = v
	}
	out["refreshToken"] = tr.refresh
	out["accessToken"] = tr.access
	delete(out, "expiresAt")
	if tr.lifetime > 0 {
		out["expiresAt"] = datetime.ISO(now.Add(tr.lifetime))
	}
	return out
}

// save stores the entry's unsaved connection data when the execution can. A failure
// keeps it unsaved (tried again at the next use); the call itself goes on: the new
// refresh token is valid and the old one is already spent, so failing would not help.
func (a *oauthAuth) save(ctx context.Context, exec app.Execution, e *tokenEntry) {
	s, ok := exec.(ConnectionSaver)
	if !ok {
		return
	}
	if err := s.SaveConnection(ctx, a.ref, e.unsaved); err == nil {
		e.unsaved = nil
	}
}
