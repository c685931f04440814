package httpmod

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

func TestOAuthClientCredentials(t *testing.T) {
	p := newIDP(t)
	call := callAPI(t, p, "http:MakeRequest")
	exec := execWith(p.clientCredentials())
	for i := 0; i < 3; i++ {
		out, err := call(exec)
		if err != nil {
			t.Fatal(err)
		}
		deepEqual(t, "data", out["data"], map[string]any{"ok": true})
	}
	// One token request for three calls: the token is cached per connection.
	deepEqual(t, "token requests", p.requests(), []string{"client_credentials basic"})
	deepEqual(t, "API saw", p.apiSaw(), []string{"Bearer at-1", "Bearer at-1", "Bearer at-1"})
	p.mu.Lock()
	g := p.grants[0]
	p.mu.Unlock()
	if g.Get("scope") != "read write" || g.Get("audience") != "https://api" || g.Get("client_id") != "" {
		t.Errorf("token request form %v", g)
	}
}

// Tokens are renewed a minute before they expire, by the execution's clock.
func TestOAuthRenewsBeforeExpiry(t *testing.T) {
	p := newIDP(t)
	call := callAPI(t, p, "http:MakeRequest")
	exec := execWith(p.clientCredentials())
	start := exec.Clock
	steps := []struct {
		at    time.Duration
		token string
	}{
		{0, "Bearer at-1"},
		{3540*time.Second - time.Millisecond, "Bearer at-1"}, // 59 min: still fresh
		{3540 * time.Second, "Bearer at-2"},                  // one minute left: renewed
		{3540*time.Second + 3539*time.Second, "Bearer at-2"},
		{3540*time.Second + 3540*time.Second, "Bearer at-3"},
	}
	for _, s := range steps {
		exec.Clock = start.Add(s.at)
		if _, err := call(exec); err != nil {
			t.Fatal(err)
		}
		if saw := p.apiSaw(); saw[len(saw)-1] != s.token {
			t.Errorf("at +%s the API saw %q, want %q", s.at, saw[len(saw)-1], s.token)
		}
	}
	if n := len(p.requests()); n != 3 {
		t.Errorf("%d token requests, want 3", n)
	}

	// A token without expires_in is kept until the service refuses it.
	q := newIDP(t)
	q.lifetime = 0
	call = callAPI(t, q, "http:MakeRequest")
	exec = execWith(q.clientCredentials())
	for _, d := range []time.Duration{0, 24 * time.Hour, 365 * 24 * time.Hour} {
		exec.Clock = start.Add(d)
		if _, err := call(exec); err != nil {
			t.Fatal(err)
		}
	}
	deepEqual(t, "token requests without a lifetime", q.requests(), []string{"client_credentials basic"})
}

// A rotated refresh token is saved through ConnectionSaver and used from then on.
func TestOAuthRefreshTokenRotation(t *testing.T) {
	p := newIDP(t)
	p.rotate = true
	call := callAPI(t, p, "http:MakeRequest")
	exec := &savingExec{Exec: execWith(p.refreshConn())}
	if _, err := call(exec); err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "saved", exec.saved, []weft.Bundle{{
		"tokenUrl": p.token.URL + "/token", "clientId": testClientID, "clientSecret": testClientSecret,
		"refreshToken": "r2", "accessToken": "at-1", "expiresAt": "2026-01-02T04:04:05.000Z"}})

	exec.Clock = exec.Clock.Add(2 * time.Hour)
	if _, err := call(exec); err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "token requests", p.requests(), []string{"refresh_token basic r1", "refresh_token basic r2"})
	if len(exec.saved) != 2 || exec.saved[1]["refreshToken"] != "r3" {
		t.Errorf("second rotation saved %v", exec.saved)
	}

	// A new process (an empty cache) starts from the saved connection: its access token
	// is still valid, so no token request at all.
	fresh := callAPI(t, p, "http:MakeRequest")
	if _, err := fresh(exec); err != nil {
		t.Fatal(err)
	}
	if n := len(p.requests()); n != 2 {
		t.Errorf("a restarted process asked for a token although the saved one is valid (%d requests)", n)
	}
}

// When saving fails the rotated token stays in the cache (the call succeeds) and is
// saved at the connection's next use.
func TestOAuthRotationSaveRetried(t *testing.T) {
	p := newIDP(t)
	p.rotate = true
	call := callAPI(t, p, "http:MakeRequest")
	exec := &savingExec{Exec: execWith(p.refreshConn()), fail: errStoreDown}
	if _, err := call(exec); err != nil {
		t.Fatalf("a failed save must not fail the call: %v", err)
	}
	if len(exec.saved) != 0 {
		t.Fatalf("saved %v", exec.saved)
	}
	exec.fail = nil
	if _, err := call(exec); err != nil {
		t.Fatal(err)
	}
	if len(exec.saved) != 1 || exec.saved[0]["refreshToken"] != "r2" {
		t.Fatalf("saved at the next use: %v", exec.saved)
	}
	// Without a saver the rotated token still serves this process.
	q := newIDP(t)
	q.rotate = true
	call = callAPI(t, q, "http:MakeRequest")
	plain := execWith(q.refreshConn())
	for i := 0; i < 2; i++ {
		plain.Clock = plain.Clock.Add(2 * time.Hour)
		if _, err := call(plain); err != nil {
			t.Fatal(err)
		}
	}
	deepEqual(t, "token requests", q.requests(), []string{"refresh_token basic r1", "refresh_token basic r2"})
}

// A 401 gets one more attempt with a new token; a second 401 is the error.
func TestOAuthRetriesOnceOn401(t *testing.T) {
	p := newIDP(t)
	call := callAPI(t, p, "http:MakeRequest")
	exec := execWith(p.clientCredentials())
	if _, err := call(exec); err != nil {
		t.Fatal(err)
	}
	p.revoke() // the service revoked at-1 before its expiry
	if _, err := call(exec); err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "API saw", p.apiSaw(), []string{"Bearer at-1", "Bearer at-1", "Bearer at-2"})

	// The API refuses every token: one retry, then the 401's error.
	p.set(func(p *idp) { p.refuseAll = true })
	_, err := call(exec)
	e := wantError(t, err, weft.InvalidAccessTokenError, "[401 Unauthorized] GET "+p.api.URL+"/v1/me")
	if strings.Contains(e.Message, "at-") {
		t.Errorf("the access token leaked into %q", e.Message)
	}
	saw := p.apiSaw()
	deepEqual(t, "last attempts", saw[len(saw)-2:], []string{"Bearer at-2", "Bearer at-3"})
	if n := len(p.requests()); n != 3 {
		t.Errorf("%d token requests, want 3", n)
	}
}

// Concurrent runs wait for one refresh: with rotation a second refresh with the spent
// token would be refused.
func TestOAuthOneRefreshAtATime(t *testing.T) {
	p := newIDP(t)
	p.rotate = true
	call := callAPI(t, p, "http:MakeRequest")
	conn := p.refreshConn()
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = call(execWith(conn))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("run %d: %v", i, err)
		}
	}
	deepEqual(t, "token requests", p.requests(), []string{"refresh_token basic r1"})
}

func TestOAuthClientAuthFallsBackToBody(t *testing.T) {
	p := newIDP(t)
	p.onlyBody = true
	call := callAPI(t, p, "http:MakeRequest")
	exec := execWith(p.clientCredentials())
	for i := 0; i < 2; i++ {
		if _, err := call(exec); err != nil {
			t.Fatal(err)
		}
		exec.Clock = exec.Clock.Add(2 * time.Hour)
	}
	// Basic refused once; the body style is remembered for the next token.
	deepEqual(t, "token requests", p.requests(),
		[]string{"client_credentials basic", "client_credentials body", "client_credentials body"})

	// A connection that fixes the style sends nothing else.
	q := newIDP(t)
	conn := q.clientCredentials()
	conn["clientAuth"] = "body"
	if _, err := callAPI(t, q, "http:MakeRequest")(execWith(conn)); err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "fixed style", q.requests(), []string{"client_credentials body"})
}

func TestOAuthTokenEndpointFailures(t *testing.T) {
	refused := func(status int, code string) func(w http.ResponseWriter) bool {
		return func(w http.ResponseWriter) bool { oauthError(w, status, code); return true }
	}
	raw := func(status int, body string, hdr ...string) func(w http.ResponseWriter) bool {
		return func(w http.ResponseWriter) bool {
			for i := 0; i+1 < len(hdr); i += 2 {
				w.Header().Set(hdr[i], hdr[i+1])
			}
			w.WriteHeader(status)
			w.Write([]byte(body))
			return true
		}
	}
	tests := []struct {
		name string
		fail func(w http.ResponseWriter) bool
		conn func(p *idp) weft.Bundle
		typ  weft.ErrorType
		msg  string
	}{
		{"revoked refresh token", refused(400, "invalid_grant"), (*idp).refreshConn, weft.InvalidAccessTokenError,
			"parameters.oAuthKeychain: connection 7: the token endpoint refused the refresh token [400 Bad Request]: invalid_grant: refused by the stand-in"},
		{"client secret changed", refused(401, "invalid_client"), (*idp).clientCredentials, weft.InvalidAccessTokenError,
			"the token endpoint refused the client credentials [401 Unauthorized]: invalid_client"},
		{"bad scope", refused(400, "invalid_scope"), (*idp).clientCredentials, weft.InvalidConfigurationError,
			"[400 Bad Request]: invalid_scope"},
		{"not a token endpoint", raw(404, "no such page"), (*idp).clientCredentials, weft.InvalidConfigurationError,
			"[404 Not Found]: no such page"},
		{"token endpoint down", raw(503, "maintenance", "Retry-After", "120"), (*idp).clientCredentials, weft.ConnectionError,
			"[503 Service Unavailable]: maintenance"},
		{"rate limited", raw(429, ""), (*idp).clientCredentials, weft.RateLimitError, "[429 Too Many Requests]: no reason given"},
		{"success without a token", raw(200, `{"token_type":"bearer"}`, "Content-Type", "application/json"), (*idp).clientCredentials,
			weft.UnexpectedError, "the token endpoint answered without an access token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newIDP(t)
			p.failWith = tt.fail
			_, err := callAPI(t, p, "http:MakeRequest")(execWith(tt.conn(p)))
			e := wantError(t, err, tt.typ, tt.msg)
			for _, secret := range []string{testClientSecret, "r1"} {
				if strings.Contains(e.Message, secret) {
					t.Errorf("message %q holds a secret", e.Message)
				}
			}
			if tt.typ == weft.ConnectionError && e.RetryAfter != 2*time.Minute {
				t.Errorf("RetryAfter %s", e.RetryAfter)
			}
			if len(p.apiSaw()) != 0 {
				t.Errorf("the API was called without a token")
			}
		})
	}

	// Unreachable token endpoint.
	p := newIDP(t)
	conn := p.clientCredentials()
	conn["tokenUrl"] = "http://" + closedPort(t) + "/token"
	_, err := callAPI(t, p, "http:MakeRequest")(execWith(conn))
	wantError(t, err, weft.ConnectionError, "parameters.oAuthKeychain: connection 7: cannot reach the token endpoint: connection refused")
}

func TestOAuthConnectionProblems(t *testing.T) {
	p := newIDP(t)
	base := p.clientCredentials()
	with := func(k string, v any) weft.Bundle {
		c := weft.Bundle{}
		for key, val := range base {
			c[key] = val
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	tests := []struct {
		conn weft.Bundle
		typ  weft.ErrorType
		msg  string
	}{
		{weft.Bundle{"tokenUrl": "https://idp/token"}, weft.InvalidAccessTokenError,
			"parameters.oAuthKeychain: connection 7 holds no refresh token, client credentials (clientId, clientSecret) or access token"},
		{with("tokenUrl", nil), weft.InvalidConfigurationError, "connection 7: tokenUrl is required"},
		{with("tokenUrl", "ftp://idp/token"), weft.InvalidConfigurationError, `tokenUrl "ftp://idp/token" is not an http(s) URL`},
		{with("clientAuth", "jwt"), weft.InvalidConfigurationError, `clientAuth "jwt" is not header or body`},
		{with("expiresAt", "soon"), weft.InvalidConfigurationError, `expiresAt "soon" is not a date`},
	}
	for _, tt := range tests {
		_, err := callAPI(t, p, "http:MakeRequest")(execWith(tt.conn))
		wantError(t, err, tt.typ, tt.msg)
	}
	// A missing connection keeps the execution's type.
	_, err := callAPI(t, p, "http:MakeRequest")(apptest.NewExec())
	wantError(t, err, weft.InvalidConfigurationError, `parameters.oAuthKeychain: connection "7" not found`)
	if len(p.requests()) != 0 {
		t.Errorf("token requests %v", p.requests())
	}
}

// A connection holding only an access token uses it until it expires.
func TestOAuthAccessTokenOnly(t *testing.T) {
	p := newIDP(t)
	p.valid["given"] = true
	call := callAPI(t, p, "http:MakeRequest")
	exec := execWith(weft.Bundle{"accessToken": "given", "expiresAt": "2026-01-02T05:00:00Z"})
	if _, err := call(exec); err != nil {
		t.Fatal(err)
	}
	exec.Clock = time.Date(2026, 1, 2, 5, 0, 0, 0, time.UTC)
	_, err := call(exec)
	wantError(t, err, weft.InvalidAccessTokenError,
		"the access token expired at 2026-01-02T05:00:00.000Z and the connection holds no refresh token or client credentials")
	// Refused by the service: nothing to renew it with, the 401 stands (one attempt).
	p.revoke()
	exec.Clock = time.Date(2026, 1, 2, 4, 0, 0, 0, time.UTC)
	before := len(p.apiSaw())
	_, err = call(exec)
	wantError(t, err, weft.InvalidAccessTokenError, "[401 Unauthorized]")
	if n := len(p.apiSaw()) - before; n != 1 {
		t.Errorf("%d API calls, want 1", n)
	}
}

// A person updating the connection (a new secret, a new refresh token) drops the
// cached tokens.
func TestOAuthConnectionChangeDropsCache(t *testing.T) {
	p := newIDP(t)
	call := callAPI(t, p, "http:MakeRequest")
	exec := execWith(p.refreshConn())
	if _, err := call(exec); err != nil {
		t.Fatal(err)
	}
	p.set(func(p *idp) { p.refresh = "reconnected" })
	conn := p.refreshConn()
	conn["refreshToken"] = "reconnected"
	exec.Connections["7"] = conn
	if _, err := call(exec); err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "token requests", p.requests(), []string{"refresh_token basic r1", "refresh_token basic reconnected"})
}

// http:ActionSendDataOAuth as blueprint 035 configures it.
func TestSendDataOAuth(t *testing.T) {
	p := newIDP(t)
	exec := execWith(p.clientCredentials())
	spec := specOf(t, "http:ActionSendDataOAuth", Options{})
	out, err := apptest.Run(context.Background(), spec, weft.Bundle{"account": 33477.0, "handleErrors": false},
		weft.Bundle{"ca": "", "qs": []any{map[string]any{"name": "key", "value": "k"}}, "url": p.api.URL + "/v1/projects/x/content",
			"gzip": true, "method": "get", "headers": []any{}, "timeout": "", "useMtls": false, "bodyType": "",
			"serializeUrl": false, "shareCookies": false, "parseResponse": false, "followRedirect": true,
			"useQuerystring": false, "followAllRedirects": false, "rejectUnauthorized": true}, withConn(exec, "33477"))
	if err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "data", out[0]["data"], `{"ok":true}`)
	deepEqual(t, "API saw", p.apiSaw(), []string{"Bearer at-1"})
	_, err = apptest.Run(context.Background(), spec, weft.Bundle{"handleErrors": false}, weft.Bundle{"url": p.api.URL}, exec)
	wantError(t, err, weft.InvalidConfigurationError, "account: missing value of required field")
}

func withConn(e *apptest.Exec, ref string) *apptest.Exec {
	e.Connections[ref] = e.Connections["7"]
	return e
}
