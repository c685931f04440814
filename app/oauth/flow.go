package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/datetime"
	"github.com/weftworks/weft/value"
	"golang.org/x/oauth2"
)

// The authorization code grant (RFC 6749 §4.1) with PKCE (RFC 7636, S256): package
// service makes the state and the verifier, stores them, sends the person to
// AuthCodeURL, and calls Exchange with the code the callback brings back.

// NewVerifier returns a PKCE code verifier (32 random bytes, base64url).
func NewVerifier() string { return oauth2.GenerateVerifier() }

// config is the x/oauth2 configuration of a connection.
func (c *Conn) config(redirect, style string) *oauth2.Config {
	cfg := &oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: redirect,
		Endpoint: oauth2.Endpoint{AuthURL: c.AuthURL, TokenURL: c.TokenURL, AuthStyle: authStyle(style)}}
	if len(c.Scopes) > 0 {
		// x/oauth2 joins scopes with spaces; a provider with another separator gets
		// them joined already.
		cfg.Scopes = []string{c.scopeParam(c.Scopes)}
	}
	return cfg
}

// AuthCodeURL is where the person consents: the provider's authorization URL with the
// client, the scopes, the redirect back to weft, the state and the PKCE challenge.
func AuthCodeURL(c *Conn, redirect, state, verifier string) string {
	var opts []oauth2.AuthCodeOption
	if c.Provider == nil || !c.Provider.NoPKCE {
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	params := map[string]string{}
	if c.Provider != nil {
		for k, v := range c.Provider.AuthParams {
			params[k] = v
		}
		if c.Provider.UserScopeParam != "" && len(c.UserScopes) > 0 {
			params[c.Provider.UserScopeParam] = c.scopeParam(c.UserScopes)
		}
	}
	for k, v := range c.AuthParams {
		params[k] = v // the connection's own win
	}
	for _, k := range sortedKeys(params) {
		opts = append(opts, oauth2.SetAuthURLParam(k, params[k]))
	}
	return c.config(redirect, "").AuthCodeURL(state, opts...)
}

// Exchange trades the callback's code for tokens and returns the connection data to
// store: c.Data with accessToken, refreshToken, expiresAt, grantedScope and connectedAt
// replaced (tokens the server did not send are removed, so an old refresh token never
// outlives a reconnection). client sends the request (the outbound policy applies).
func Exchange(ctx context.Context, client *http.Client, c *Conn, redirect, code, verifier string, now time.Time) (weft.Bundle, error) {
	var t *Tokens // default classification
	tok, err := t.withStyles(c.ClientAuth, func(style string) (*oauth2.Token, error) {
		tctx, cancel := context.WithTimeout(clientContext(ctx, client, c), DefaultTimeout)
		defer cancel()
		var opts []oauth2.AuthCodeOption
		if c.Provider == nil || !c.Provider.NoPKCE {
			opts = append(opts, oauth2.VerifierOption(verifier))
		}
		tok, err := c.config(redirect, style).Exchange(tctx, code, opts...)
		if err != nil {
			return nil, t.tokenError(ctx, err, c, "connection", "the authorization code", DefaultTimeout,
				[]string{code, verifier, c.ClientSecret}, now)
		}
		return tok, nil
	})
	if err != nil {
		return nil, err
	}
	out := make(weft.Bundle, len(c.Data)+5)
	for k, v := range c.Data {
		out[k] = v
	}
	for _, k := range []string{"accessToken", "refreshToken", "expiresAt", "grantedScope", "tokenType"} {
		delete(out, k)
	}
	out["accessToken"] = tok.AccessToken
	if tok.RefreshToken != "" {
		out["refreshToken"] = tok.RefreshToken
	}
	if life := lifetime(tok); life > 0 {
		out["expiresAt"] = datetime.ISO(now.Add(life))
	}
	if s := strings.TrimSpace(value.Text(tok.Extra("scope"))); s != "" {
		out["grantedScope"] = s
	}
	if tt := strings.TrimSpace(tok.TokenType); tt != "" && !strings.EqualFold(tt, "bearer") && (c.Provider == nil || !c.Provider.BearerAlways) {
		out["tokenType"] = tt
	}
	out["connectedAt"] = datetime.ISO(now)
	return out, nil
}

// userTokenTransport lifts a user's token to the top of a token answer that has none
// of its own (Slack's oauth.v2.access puts the user token under authed_user when only
// user scopes were asked), so x/oauth2 reads it.
type userTokenTransport struct{ base http.RoundTripper }

func (u userTokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	base := u.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if json.Unmarshal(body, &m) == nil && value.IsEmpty(m["access_token"]) {
		if user, ok := m["authed_user"].(map[string]any); ok && !value.IsEmpty(user["access_token"]) {
			for _, k := range []string{"access_token", "token_type", "scope", "refresh_token", "expires_in"} {
				if v, ok := user[k]; ok {
					m[k] = v
				}
			}
			if b, err := json.Marshal(m); err == nil {
				body = b
				resp.Header.Del("Content-Length")
				resp.ContentLength = int64(len(body))
			}
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}
