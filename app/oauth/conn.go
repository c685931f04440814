package oauth

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/value"
)

// The OAuth 2 connection data (one format for the HTTP app and declarative apps):
//
//	provider:           "google" | "slack" | … (endpoints, scope syntax and the operator's
//	                    client come from the provider; weft oauth-clients set)
//	custom endpoints:   "authorizeUrl", "tokenUrl", "clientId", "clientSecret"
//	scope, userScope:   text (separated by spaces or commas) or an array; the provider's
//	                    scopes when absent
//	authParams:         extra authorization URL parameters (a collection of texts)
//	audience:           sent with client credentials
//	clientAuth:         "header" | "body" (how the client authenticates to the token URL)
//	tokens:             "accessToken", "refreshToken", "expiresAt" (ISO 8601 or epoch ms),
//	                    "grantedScope", "connectedAt" (set by weft when a person connects)
//
// A connection without a provider or authorizeUrl but with clientId and clientSecret
// uses the client credentials grant; one holding only an access token uses it until it
// expires.

// Conn is a parsed OAuth 2 connection.
type Conn struct {
	// Data is the connection as read, for saving renewed tokens.
	Data         weft.Bundle
	Provider     *Provider // nil: custom endpoints
	AuthURL      string
	TokenURL     string
	ClientID     string
	ClientSecret string
	Scopes       []string
	UserScopes   []string
	AuthParams   map[string]string
	Audience     string
	RefreshToken string
	AccessToken  string
	ExpiresAt    time.Time // zero: unknown
	ClientAuth   string    // "", "header" or "body"
}

// Grant is the grant the connection gets new access tokens with: "refresh_token",
// "client_credentials", or "" (an access token alone, used until it expires).
func (c *Conn) Grant() string {
	switch {
	case c.RefreshToken != "":
		return "refresh_token"
	case c.Provider == nil && c.AuthURL == "" && c.ClientID != "" && c.ClientSecret != "":
		return "client_credentials"
	}
	return ""
}

// Authorizable reports whether a person can connect the account in a browser (the
// authorization code grant): the connection names a provider or an authorizeUrl.
func (c *Conn) Authorizable() bool { return c.AuthURL != "" }

// fingerprint identifies what tokens obtained for the connection depend on: when a
// person changes any of it, cached tokens are dropped.
func (c *Conn) fingerprint() string {
	h := sha256.New()
	for _, s := range []string{c.TokenURL, c.ClientID, c.ClientSecret, strings.Join(c.Scopes, " "), c.Audience} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// configError is an InvalidConfigurationError about a connection: a person must fix it.
func configError(at, format string, args ...any) *weft.Error {
	return &weft.Error{Type: weft.InvalidConfigurationError, Message: at + ": " + fmt.Sprintf(format, args...)}
}

// scopeList reads a scope value: an array, or text separated by spaces or commas.
func scopeList(v any) []string {
	var parts []string
	if a, ok := v.([]any); ok {
		for _, s := range a {
			if t := strings.TrimSpace(value.Text(s)); t != "" {
				parts = append(parts, t)
			}
		}
		return parts
	}
	return strings.FieldsFunc(value.Text(v), func(r rune) bool { return r == ' ' || r == ',' || r == '\n' || r == '\t' })
}

// Parse reads connection data. at names the connection in messages ("parameters.
// oAuthKeychain: connection 7"). Problems a person must fix are
// InvalidConfigurationErrors; a connection with nothing to authenticate with is an
// InvalidAccessTokenError (a person must connect the account).
func Parse(data weft.Bundle, at string) (*Conn, error) {
	c, err := parse(data, at)
	if err != nil {
		return nil, err
	}
	if c.Grant() == "" && c.AccessToken == "" {
		msg := at + " holds no refresh token, client credentials (clientId, clientSecret) or access token"
		if c.Authorizable() {
			msg = at + " is not connected: a person must connect (authorize) it"
		}
		return nil, &weft.Error{Type: weft.InvalidAccessTokenError, Message: msg}
	}
	if c.Grant() != "" && c.TokenURL == "" {
		return nil, configError(at, "tokenUrl is required to get access tokens")
	}
	return c, nil
}

// ParseAuthorizable reads connection data a person is about to connect: it needs an
// authorization URL, a token URL and a client id; tokens are not needed.
func ParseAuthorizable(data weft.Bundle, at string) (*Conn, error) {
	c, err := parse(data, at)
	if err != nil {
		return nil, err
	}
	switch {
	case !c.Authorizable():
		return nil, configError(at, "names no provider (%s) or authorizeUrl, so it cannot be connected in a browser", ProviderNames())
	case c.TokenURL == "":
		return nil, configError(at, "tokenUrl is required")
	case c.ClientID == "":
		if c.Provider != nil {
			return nil, configError(at, "no OAuth client is registered for %s: weft oauth-clients set %s --client-id … --client-secret …",
				c.Provider.Name, c.Provider.Name)
		}
		return nil, configError(at, "clientId is required")
	}
	return c, nil
}

func parse(data weft.Bundle, at string) (*Conn, error) {
	text := func(k string) string { return strings.TrimSpace(value.Text(data[k])) }
	c := &Conn{Data: data,
		AuthURL:      text("authorizeUrl"),
		TokenURL:     text("tokenUrl"),
		ClientID:     text("clientId"),
		ClientSecret: value.Text(data["clientSecret"]),
		Audience:     text("audience"),
		RefreshToken: text("refreshToken"),
		AccessToken:  text("accessToken"),
		ClientAuth:   strings.ToLower(text("clientAuth")),
		Scopes:       scopeList(data["scope"]),
		UserScopes:   scopeList(data["userScope"]),
	}
	if name := text("provider"); name != "" {
		p, ok := Lookup(name)
		if !ok {
			return nil, configError(at, "provider %q is not one weft knows (%s); give authorizeUrl and tokenUrl instead", name, ProviderNames())
		}
		c.Provider = p
		if c.AuthURL == "" {
			c.AuthURL = p.AuthURL
		}
		if c.TokenURL == "" {
			c.TokenURL = p.TokenURL
		}
		if c.ClientAuth == "" {
			c.ClientAuth = p.ClientAuth
		}
		if _, given := data["scope"]; !given {
			c.Scopes = append([]string(nil), p.Scopes...)
		}
	}
	if v := data["authParams"]; !value.IsEmpty(v) {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, configError(at, "authParams must be a collection of texts")
		}
		c.AuthParams = map[string]string{}
		for k, x := range m {
			c.AuthParams[k] = value.Text(x)
		}
	}
	if v := data["expiresAt"]; !value.IsEmpty(v) {
		t, ok := value.Date(v, time.UTC)
		if !ok {
			return nil, configError(at, "expiresAt %q is not a date", value.Text(v))
		}
		c.ExpiresAt = t
	}
	switch c.ClientAuth {
	case "", "header", "body":
	default:
		return nil, configError(at, "clientAuth %q is not header or body", c.ClientAuth)
	}
	for _, u := range []struct{ name, v string }{{"authorizeUrl", c.AuthURL}, {"tokenUrl", c.TokenURL}} {
		if u.v == "" {
			continue
		}
		p, err := url.Parse(u.v)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return nil, configError(at, "%s %q is not an http(s) URL", u.name, u.v)
		}
	}
	return c, nil
}

// scopeParam joins scopes the provider's way.
func (c *Conn) scopeParam(scopes []string) string {
	return strings.Join(scopes, c.Provider.separator())
}

// sortedKeys returns m's keys in order (stable URLs).
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
