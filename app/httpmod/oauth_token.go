package httpmod

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/value"
)

// tokenTimeout bounds one token request (the module's own timeout may be longer).
const tokenTimeout = 30 * time.Second

// tokenResponse is a successful token endpoint answer (RFC 6749 §5.1).
type tokenResponse struct {
	access   string
	typ      string
	refresh  string
	lifetime time.Duration // zero: not given
}

// fetchToken asks the token endpoint for an access token with the connection's grant.
// With no fixed client authentication it tries HTTP Basic first (RFC 6749 §2.3.1: every
// server must support it) and the form body when the endpoint refuses that, and
// remembers what worked. The token request uses the module request's TLS settings (an
// own CA usually covers the organisation's identity server too).
func (cl *client) fetchToken(ctx context.Context, o *oauthConn, e *tokenEntry, api *request, at string, now time.Time) (*tokenResponse, error) {
	style := o.clientAuth
	if style == "" {
		style = e.style
	}
	try := []string{style}
	if style == "" {
		try = []string{"header", "body"}
	}
	var err error
	for i, s := range try {
		var tr *tokenResponse
		var status int
		tr, status, err = cl.tokenRequest(ctx, o, e.refresh, s, api, at, now)
		if err == nil {
			e.style = s
			return tr, nil
		}
		// Only a refusal of the client's authentication is worth the other style.
		if i == 0 && len(try) > 1 && (status == 401 || isOAuthCode(err, "invalid_client")) {
			continue
		}
		break
	}
	return nil, err
}

func isOAuthCode(err error, code string) bool {
	var e *weft.Error
	return errors.As(err, &e) && e.Details != nil && e.Details["error"] == code
}

// tokenRequest makes one token request; it returns the HTTP status (0 without one).
func (cl *client) tokenRequest(ctx context.Context, o *oauthConn, refresh, style string, api *request, at string, now time.Time) (*tokenResponse, int, error) {
	form := url.Values{}
	var what string
	if o.grant() == "refresh_token" {
		form.Set("grant_type", "refresh_token")
		form.Set("refresh_token", refresh)
		what = "the refresh token"
	} else {
		form.Set("grant_type", "client_credentials")
		what = "the client credentials"
	}
	if o.scope != "" {
		form.Set("scope", o.scope)
	}
	if o.audience != "" {
		form.Set("audience", o.audience)
	}
	u, _ := requestURL(o.tokenURL, false) // checked by parseOAuthConn
	r := &request{method: "POST", url: u, header: http.Header{}, timeout: tokenTimeout,
		follow: func(string) bool { return false }, compressed: true,
		tls: api.tls, tlsKey: api.tlsKey,
		secrets: []string{refresh, o.clientSecret}}
	if api.timeout < r.timeout {
		r.timeout = api.timeout
	}
	r.header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.header.Set("Accept", "application/json")
	if o.clientID != "" {
		if style == "body" {
			form.Set("client_id", o.clientID)
			if o.clientSecret != "" {
				form.Set("client_secret", o.clientSecret)
			}
		} else {
			// RFC 6749 §2.3.1: both parts form-encoded before the Basic encoding.
			tok := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(o.clientID) + ":" + url.QueryEscape(o.clientSecret)))
			r.header.Set("Authorization", "Basic "+tok)
			r.secrets = append(r.secrets, tok)
		}
	}
	r.body = []byte(form.Encode())

	resp, err := cl.do(ctx, r)
	if err != nil {
		e := weft.AsError(err)
		return nil, 0, &weft.Error{Type: e.Type, RetryAfter: e.RetryAfter, Details: e.Details, Err: err,
			Message: fmt.Sprintf("%s: cannot reach the token endpoint: %s", at, e.Message)}
	}
	body, _ := tokenBody(resp)
	code, desc := value.Text(body["error"]), value.Text(body["error_description"])
	access := value.Text(body["access_token"])
	if resp.status < 300 && code == "" && access != "" {
		tr := &tokenResponse{access: access, typ: tokenType(value.Text(body["token_type"])),
			refresh: value.Text(body["refresh_token"])}
		if n, ok := value.Number(body["expires_in"]); ok && n > 0 {
			tr.lifetime = time.Duration(n * float64(time.Second))
		}
		return tr, resp.status, nil
	}
	return nil, resp.status, tokenError(at, what, resp, code, desc, r, now)
}

// tokenBody reads a token endpoint answer: JSON, or a form (GitHub's default).
func tokenBody(resp *response) (map[string]any, error) {
	typ, _ := mediaType(resp.header)
	if typ == "application/x-www-form-urlencoded" || typ == "text/plain" && !sniffJSON(resp.body) {
		q, err := url.ParseQuery(string(resp.body))
		if err != nil {
			return map[string]any{}, err
		}
		m := map[string]any{}
		for k := range q {
			m[k] = q.Get(k)
		}
		return m, nil
	}
	v, err := value.DecodeJSON(resp.body)
	if m, ok := v.(map[string]any); ok && err == nil {
		return m, nil
	}
	return map[string]any{}, err
}

// tokenType is the Authorization scheme for a token_type: Bearer unless the server
// names another scheme.
func tokenType(t string) string {
	if t == "" || strings.EqualFold(t, "bearer") {
		return "Bearer"
	}
	return t
}

// tokenError types a refused token request. invalid_grant (refresh token expired or
// revoked) and invalid_client (client secret changed) need a person to reconnect:
// InvalidAccessTokenError, as any other 400/401; a grant, scope or request the server
// does not accept is the connection's configuration; a token URL that is not a token
// endpoint (404…) too. Other statuses follow the status table (429 rate limit, 502-504
// connection errors).
func tokenError(at, what string, resp *response, code, desc string, r *request, now time.Time) *weft.Error {
	var typ weft.ErrorType
	switch {
	case code == "invalid_scope", code == "unauthorized_client", code == "unsupported_grant_type", code == "invalid_request":
		typ = weft.InvalidConfigurationError
	case code != "", resp.status == 400, resp.status == 401:
		typ = weft.InvalidAccessTokenError
	case resp.status < 300:
		typ = weft.UnexpectedError // a success without an access token
	case resp.status < 400, resp.status == 404, resp.status == 405, resp.status == 410:
		typ = weft.InvalidConfigurationError
	default:
		typ = ErrorTypeForStatus(resp.status)
	}
	reason := code
	if desc != "" {
		reason += ": " + desc
	}
	if reason == "" {
		reason = excerpt(resp.body, messageExcerpt)
	}
	if reason == "" {
		reason = "no reason given"
	}
	msg := fmt.Sprintf("%s: the token endpoint refused %s [%d %s]: %s", at, what, resp.status, statusText(resp.status), reason)
	if resp.status < 300 {
		msg = fmt.Sprintf("%s: the token endpoint answered without an access token: %s", at, reason)
	}
	e := &weft.Error{Type: typ, Message: r.redact(msg), Details: map[string]any{
		"statusCode": float64(resp.status), "url": r.redact(r.url.String()), "error": code}}
	if typ == weft.RateLimitError || typ == weft.ConnectionError {
		e.RetryAfter = RetryAfter(resp.header.Get("Retry-After"), now)
	}
	return e
}
