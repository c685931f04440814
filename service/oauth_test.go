package service_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/oauth/oauthtest"
	"github.com/weftworks/weft/service"
)

// approve plays the person at the stand-in's consent page and returns the callback's
// query.
func approve(t *testing.T, authURL string, yes bool) url.Values {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	form := u.Query()
	form.Set("decision", map[bool]string{true: "approve", false: "deny"}[yes])
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.PostForm(u.Scheme+"://"+u.Host+u.Path, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("consent: %d %v", resp.StatusCode, err)
	}
	return back.Query()
}

func callback(q url.Values, binding string) service.Callback {
	return service.Callback{State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error"),
		ErrorDescription: q.Get("error_description"), Binding: []byte(binding)}
}

func wantAuthError(t *testing.T, err error, msg string) {
	t.Helper()
	var ae *service.AuthorizationError
	if !errors.As(err, &ae) || !strings.Contains(ae.Message, msg) {
		t.Fatalf("error %v, want an AuthorizationError containing %q", err, msg)
	}
}

const redirect = "http://127.0.0.1:9/oauth/callback"

// The state is single use, expires, and is bound to the browser that started the
// flow; a refusal at the provider is recorded.
func TestAuthorizationState(t *testing.T) {
	e := newEnv(t, withSecrets(keyring(t, "a")))
	s := oauthtest.New(t)
	ctx := t.Context()
	c, err := e.svc.CreateConnection(ctx, "Stand-in", "oauth2", map[string]any{"authorizeUrl": s.AuthURL(), "tokenUrl": s.TokenURL(),
		"clientId": s.ClientID, "clientSecret": s.ClientSecret, "scope": "read"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := e.svc.Authorize(ctx, c.ID, redirect, []byte("browser-1"))
	if err != nil {
		t.Fatal(err)
	}
	if !a.ExpiresAt.Equal(e.clock.Now().Add(10*time.Minute)) || len(a.State) != 43 {
		t.Fatalf("authorization %+v", a)
	}
	q := approve(t, a.URL, true)
	if q.Get("state") != a.State {
		t.Fatalf("state came back as %q", q.Get("state"))
	}
	// Another browser (or none) cannot finish it, and does not spend it.
	_, err = e.svc.CompleteAuthorization(ctx, callback(q, "browser-2"))
	wantAuthError(t, err, "started in another browser")
	_, err = e.svc.CompleteAuthorization(ctx, callback(q, ""))
	wantAuthError(t, err, "started in another browser")
	res, err := e.svc.CompleteAuthorization(ctx, callback(q, "browser-1"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Connection.ID != c.ID || len(res.Blocked) != 0 {
		t.Fatalf("result %+v", res)
	}
	// The tokens are stored sealed.
	row, _ := e.st.GetConnection(ctx, c.ID)
	got, err := e.svc.ResolveConnection(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	at, _ := got["accessToken"].(string)
	if at == "" || got["refreshToken"] == nil || got["connectedAt"] != "2026-05-01T12:00:00.000Z" || bytes.Contains(row.Data, []byte(at)) {
		t.Fatalf("stored %v (sealed %q)", got, row.Data)
	}
	// Used once.
	_, err = e.svc.CompleteAuthorization(ctx, callback(q, "browser-1"))
	wantAuthError(t, err, "already used")
	// A forged state is unknown.
	_, err = e.svc.CompleteAuthorization(ctx, service.Callback{State: "forged", Code: "x"})
	wantAuthError(t, err, "unknown")

	// Expired after ten minutes.
	a, err = e.svc.Authorize(ctx, c.ID, redirect, nil)
	if err != nil {
		t.Fatal(err)
	}
	q = approve(t, a.URL, true)
	e.clock.Add(10 * time.Minute)
	_, err = e.svc.CompleteAuthorization(ctx, callback(q, ""))
	wantAuthError(t, err, "expired")

	// The person refuses: the flow records why (the command line reads it).
	a, err = e.svc.Authorize(ctx, c.ID, redirect, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.CompleteAuthorization(ctx, callback(approve(t, a.URL, false), ""))
	wantAuthError(t, err, "the provider refused: access_denied: The person refused access")
	f, err := e.svc.AuthorizationStatus(ctx, a.State)
	if err != nil || f.Status != service.FlowFailed || !strings.Contains(f.Message, "access_denied") {
		t.Fatalf("status %+v, %v", f, err)
	}
	// A connection that cannot be connected in a browser is named.
	plain, _ := e.svc.CreateConnection(ctx, "Key", "apikey", map[string]any{"key": "k"})
	_, err = e.svc.Authorize(ctx, plain.ID, redirect, nil)
	if we := weft.AsError(err); we.Type != weft.InvalidConfigurationError || !strings.Contains(we.Message, "cannot be connected in a browser") {
		t.Fatalf("apikey connection: %v", err)
	}
}

// A provider connection gets the operator's client when it is used; the client is not
// written into the connection when a module saves rotated tokens.
func TestOAuthClientsAndProviderConnections(t *testing.T) {
	e := newEnv(t, withSecrets(keyring(t, "a")))
	ctx := t.Context()
	if _, err := e.svc.SetOAuthClient(ctx, "myspace", "x", "y"); err == nil || !strings.Contains(err.Error(), `"myspace" is not a provider weft knows`) {
		t.Fatalf("unknown provider: %v", err)
	}
	info, err := e.svc.SetOAuthClient(ctx, "Google", "cid.apps", "g-secret")
	if err != nil || info.Provider != "google" || !info.HasSecret {
		t.Fatalf("set: %+v %v", info, err)
	}
	c, _ := e.svc.CreateConnection(ctx, "Sheets", "google", map[string]any{"provider": "google"})
	a, err := e.svc.Authorize(ctx, c.ID, redirect, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(a.URL)
	if u.Host != "accounts.google.com" || u.Query().Get("client_id") != "cid.apps" || u.Query().Get("access_type") != "offline" {
		t.Fatalf("authorization URL %s", a.URL)
	}
	got, err := e.svc.ResolveConnection(c.ID)
	if err != nil || got["clientSecret"] != "g-secret" {
		t.Fatalf("resolved %v, %v", got, err)
	}
	if err := e.svc.DeleteOAuthClient(ctx, "google"); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Authorize(ctx, c.ID, redirect, nil)
	if err == nil || !strings.Contains(err.Error(), "weft oauth-clients set google") {
		t.Fatalf("without a client: %v", err)
	}
}

// The path through the service: a scenario calls an API with an OAuth
// connection; the person revokes access; the run stores an InvalidAccessTokenError
// incomplete execution and pauses the scenario; reconnecting names it, and retrying
// it resolves it and lifts the pause.
func TestReconnectRetriesBlocked(t *testing.T) {
	e := newEnv(t, withSecrets(keyring(t, "a")))
	s := oauthtest.New(t)
	ctx := t.Context()
	c, _ := e.svc.CreateConnection(ctx, "Stand-in", "oauth2", map[string]any{"authorizeUrl": s.AuthURL(), "tokenUrl": s.TokenURL(),
		"clientId": s.ClientID, "clientSecret": s.ClientSecret})
	connect := func() *service.AuthorizationResult {
		a, err := e.svc.Authorize(ctx, c.ID, redirect, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.svc.CompleteAuthorization(ctx, callback(approve(t, a.URL, true), ""))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	connect()
	id := e.scenario(fmt.Sprintf(`[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"oAuth","oAuthKeychain":%d},
		 "mapper":{"url":%q,"method":"get"}}]`, c.ID, s.APIURL()), "")
	if rr := e.run(id, `{}`); rr.Execution.Status != weft.ExecutionSuccess {
		t.Fatalf("first run %s: %s", rr.Execution.Status, rr.Execution.ErrorMsg)
	}
	s.RevokeAll()
	e.clock.Add(2 * time.Hour) // the access token expired: a refresh is refused
	rr := e.run(id, `{}`)
	if len(rr.Incomplete) != 1 || rr.Incomplete[0].ErrorType != weft.InvalidAccessTokenError ||
		!strings.Contains(rr.Incomplete[0].ErrorMessage, "invalid_grant") || rr.Scenario.Paused == "" {
		t.Fatalf("run after revocation: %+v paused %q", rr.Incomplete, rr.Scenario.Paused)
	}
	ieID := rr.Incomplete[0].ID
	res := connect()
	if len(res.Blocked) != 1 || res.Blocked[0] != ieID {
		t.Fatalf("blocked %v, want [%s]", res.Blocked, ieID)
	}
	n, err := e.svc.RetryBlocked(ctx, c.ID)
	if err != nil || n != 1 {
		t.Fatalf("retry blocked: %d, %v", n, err)
	}
	if e.due() != 1 {
		t.Fatal("the queued retry did not run")
	}
	if ie := e.ie(ieID); ie.Status != weft.IncompleteResolved {
		t.Fatalf("after reconnecting: %s %s", ie.Status, ie.ErrorMessage)
	}
	sc, _ := e.st.GetScenario(ctx, id)
	if sc.Paused != "" {
		t.Fatalf("still paused: %s", sc.Paused)
	}
}
