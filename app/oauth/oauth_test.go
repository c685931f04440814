package oauth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/oauth"
	"github.com/weftworks/weft/app/oauth/oauthtest"
)

var start = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// clock is an execution with a settable time that saves connections.
type clock struct {
	mu    sync.Mutex
	now   time.Time
	saved []weft.Bundle
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) SaveConnection(_ context.Context, _ any, data weft.Bundle) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.saved = append(c.saved, data)
	return nil
}

func wantType(t *testing.T, err error, typ weft.ErrorType, msg string) *weft.Error {
	t.Helper()
	var e *weft.Error
	if !errors.As(err, &e) || e.Type != typ || !strings.Contains(e.Message, msg) {
		t.Fatalf("error %v, want %s containing %q", err, typ, msg)
	}
	return e
}

// custom is a connection to the stand-in with custom endpoints.
func custom(s *oauthtest.Server) weft.Bundle {
	return weft.Bundle{"authorizeUrl": s.AuthURL(), "tokenUrl": s.TokenURL(), "clientId": s.ClientID,
		"clientSecret": s.ClientSecret, "scope": []any{"read", "write"}}
}

// consent plays the person: opens the authorization URL, approves, and returns the
// callback URL the stand-in redirects to.
func consent(t *testing.T, authURL string, approve bool) *url.URL {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("consent page: %d", resp.StatusCode)
	}
	form := u.Query()
	form.Set("decision", "deny")
	if approve {
		form.Set("decision", "approve")
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noFollow.PostForm(u.Scheme+"://"+u.Host+u.Path, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("consent answered %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return back
}

func TestAuthCodeURLPKCEAndProviderParams(t *testing.T) {
	verifier := oauth.NewVerifier()
	c, err := oauth.ParseAuthorizable(weft.Bundle{"provider": "google", "clientId": "cid", "clientSecret": "x"}, "connection 1")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(oauth.AuthCodeURL(c, "https://weft.example/oauth/callback", "st4te", verifier))
	q := u.Query()
	sum := sha256.Sum256([]byte(verifier))
	want := map[string]string{"client_id": "cid", "response_type": "code", "state": "st4te",
		"redirect_uri": "https://weft.example/oauth/callback", "code_challenge_method": "S256",
		"code_challenge": base64.RawURLEncoding.EncodeToString(sum[:]), "access_type": "offline", "prompt": "consent",
		"scope": "https://www.googleapis.com/auth/spreadsheets https://www.googleapis.com/auth/drive https://www.googleapis.com/auth/documents " +
			"https://www.googleapis.com/auth/calendar https://www.googleapis.com/auth/gmail.modify https://www.googleapis.com/auth/forms.responses.readonly " +
			"https://www.googleapis.com/auth/youtube.readonly https://www.googleapis.com/auth/userinfo.email"}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if u.Host != "accounts.google.com" || len(verifier) < 43 {
		t.Errorf("host %s, verifier %q", u.Host, verifier)
	}

	// Slack: comma-separated scopes, user scopes in user_scope; the connection's own
	// scope and parameters win over the provider's.
	c, _ = oauth.ParseAuthorizable(weft.Bundle{"provider": "slack", "clientId": "cid", "scope": "chat:write channels:read",
		"userScope": []any{"search:read", "users:read"}, "authParams": map[string]any{"team": "T1"}}, "connection 2")
	q = mustURL(t, oauth.AuthCodeURL(c, "https://w/cb", "s", verifier)).Query()
	if q.Get("scope") != "chat:write,channels:read" || q.Get("user_scope") != "search:read,users:read" || q.Get("team") != "T1" {
		t.Errorf("slack query %v", q)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestParseAuthorizableProblems(t *testing.T) {
	for _, tt := range []struct {
		data weft.Bundle
		msg  string
	}{
		{weft.Bundle{"tokenUrl": "https://x/token", "clientId": "a"}, "names no provider (airtable, discord, google, hubspot, linkedin, meta, microsoft, notion, pinterest, slack, x) or authorizeUrl"},
		{weft.Bundle{"provider": "google"}, "no OAuth client is registered for google: weft oauth-clients set google"},
		{weft.Bundle{"provider": "orkut"}, `provider "orkut" is not one weft knows`},
		{weft.Bundle{"authorizeUrl": "javascript:alert(1)", "tokenUrl": "https://x", "clientId": "a"}, `authorizeUrl "javascript:alert(1)" is not an http(s) URL`},
		{weft.Bundle{"authorizeUrl": "https://x/a", "clientId": "a"}, "tokenUrl is required"},
		{weft.Bundle{"provider": "google", "clientId": "a", "authParams": "x"}, "authParams must be a collection"},
	} {
		_, err := oauth.ParseAuthorizable(tt.data, "connection 9")
		wantType(t, err, weft.InvalidConfigurationError, "connection 9: "+tt.msg)
	}
	// Authorizable but never connected: a person must connect it.
	_, err := oauth.Parse(weft.Bundle{"provider": "google", "clientId": "a"}, "connection 9")
	wantType(t, err, weft.InvalidAccessTokenError, "connection 9 is not connected: a person must connect (authorize) it")
}

// The whole grant against the stand-in: consent, exchange with the PKCE verifier,
// tokens used and refreshed (rotated, saved), revoked → InvalidAccessTokenError.
func TestExchangeRefreshRevoke(t *testing.T) {
	s := oauthtest.New(t)
	s.Set(true, 3600)
	c, err := oauth.ParseAuthorizable(custom(s), "connection 1")
	if err != nil {
		t.Fatal(err)
	}
	verifier, redirect := oauth.NewVerifier(), "http://127.0.0.1:1/oauth/callback"
	back := consent(t, oauth.AuthCodeURL(c, redirect, "state-1", verifier), true)
	if back.Query().Get("state") != "state-1" || back.Query().Get("code") == "" {
		t.Fatalf("callback %s", back)
	}
	if got := s.LastAuthorization().Get("scope"); got != "read write" {
		t.Errorf("scope asked %q", got)
	}
	// A wrong verifier is refused (the code is then spent, as real servers do).
	_, err = oauth.Exchange(t.Context(), nil, c, redirect, back.Query().Get("code"), oauth.NewVerifier(), start)
	wantType(t, err, weft.InvalidAccessTokenError, "invalid_grant: code_verifier does not match the code_challenge")

	back = consent(t, oauth.AuthCodeURL(c, redirect, "state-2", verifier), true)
	data, err := oauth.Exchange(t.Context(), nil, c, redirect, back.Query().Get("code"), verifier, start)
	if err != nil {
		t.Fatal(err)
	}
	if data["expiresAt"] != "2026-03-01T11:00:00.000Z" || data["connectedAt"] != "2026-03-01T10:00:00.000Z" ||
		data["grantedScope"] != "read write" || data["refreshToken"] == nil || data["clientId"] != s.ClientID {
		t.Fatalf("stored data %v", data)
	}
	// The code is single use.
	_, err = oauth.Exchange(t.Context(), nil, c, redirect, back.Query().Get("code"), verifier, start)
	wantType(t, err, weft.InvalidAccessTokenError, "unknown or spent code")

	tokens := oauth.NewTokens(oauth.Options{})
	exec := &clock{now: start.Add(time.Minute)}
	get := func() (oauth.Token, error) {
		return tokens.Get(t.Context(), exec, oauth.Request{Ref: 1.0, Data: data, At: "connection 1"})
	}
	tok, err := get()
	if err != nil || tok.Access != data["accessToken"] || tok.Type != "Bearer" {
		t.Fatalf("token %v, %v", tok, err)
	}
	// 59 minutes later the token is renewed (a minute before it expires); the rotated
	// refresh token is saved.
	exec.now = start.Add(59 * time.Minute)
	tok2, err := get()
	if err != nil || tok2.Access == tok.Access {
		t.Fatalf("renewed %v, %v", tok2, err)
	}
	if len(exec.saved) != 1 || exec.saved[0]["refreshToken"] == data["refreshToken"] ||
		exec.saved[0]["expiresAt"] != "2026-03-01T11:59:00.000Z" {
		t.Fatalf("saved %v", exec.saved)
	}
	if got := s.TokenRequests(); strings.Join(got, ",") != "authorization_code basic,authorization_code basic,authorization_code basic,refresh_token basic" {
		t.Errorf("token requests %v", got)
	}

	// The person revokes the app: the next refresh is refused with invalid_grant.
	s.RevokeAll()
	exec.now = start.Add(3 * time.Hour)
	_, err = get()
	e := wantType(t, err, weft.InvalidAccessTokenError, "connection 1: the token endpoint refused the refresh token [400 Bad Request]: invalid_grant: refresh token expired or revoked")
	if strings.Contains(e.Message, s.ClientSecret) {
		t.Errorf("secret in %q", e.Message)
	}
}

func TestDeniedConsentHasNoCode(t *testing.T) {
	s := oauthtest.New(t)
	c, _ := oauth.ParseAuthorizable(custom(s), "connection 1")
	back := consent(t, oauth.AuthCodeURL(c, "http://127.0.0.1:1/cb", "st", oauth.NewVerifier()), false)
	if back.Query().Get("error") != "access_denied" || back.Query().Get("code") != "" {
		t.Fatalf("denied callback %s", back)
	}
}

// Slack answers 200 with the user token under authed_user (user scopes only) and
// "bot"/"user" token types; errors come as 200 {"ok": false}.
func TestSlackTokenAnswers(t *testing.T) {
	answer := `{"ok":true,"app_id":"A1","authed_user":{"id":"U1","scope":"search:read","access_token":"xoxp-1","token_type":"user"},"team":{"id":"T1"}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(answer))
	}))
	defer srv.Close()
	c, _ := oauth.ParseAuthorizable(weft.Bundle{"provider": "slack", "authorizeUrl": srv.URL + "/a", "tokenUrl": srv.URL + "/t",
		"clientId": "c", "clientSecret": "slack-secret"}, "connection 3")
	data, err := oauth.Exchange(t.Context(), nil, c, "https://w/cb", "c0de-XYZ", "verifier-123", start)
	if err != nil {
		t.Fatal(err)
	}
	if data["accessToken"] != "xoxp-1" || data["grantedScope"] != "search:read" || data["tokenType"] != nil {
		t.Fatalf("data %v", data)
	}
	answer = `{"ok":false,"error":"invalid_code"}`
	_, err = oauth.Exchange(t.Context(), nil, c, "https://w/cb", "c0de-XYZ", "verifier-123", start)
	wantType(t, err, weft.InvalidAccessTokenError, "[200 OK]: invalid_code")
}

// A connection holding an access token alone: when a person replaces the token, the
// next call uses the new one, not the one cached from before.
func TestPastedAccessTokenReplaced(t *testing.T) {
	tokens := oauth.NewTokens(oauth.Options{})
	exec := &clock{now: start}
	get := func(access string) string {
		tok, err := tokens.Get(t.Context(), exec, oauth.Request{Ref: "1", At: "connection 1",
			Data: weft.Bundle{"provider": "google", "accessToken": access}})
		if err != nil {
			t.Fatal(err)
		}
		return tok.Access
	}
	if got := get("ya29.first"); got != "ya29.first" {
		t.Fatalf("token %q", got)
	}
	if got := get("ya29.second"); got != "ya29.second" {
		t.Fatalf("after the person pasted a new token: %q, want ya29.second", got)
	}
}
