package browser

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/oauth/oauthtest"
	"github.com/weftworks/weft/secrets"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
)

// fakeClock is the service's time: token expiry is decided by it, so the test moves
// it instead of waiting.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestOAuthConnectRevokeReconnect walks the OAuth "done when" as a person: create an
// OAuth connection, connect it at a stand-in authorization server's consent page, use
// it (the token stored encrypted, refreshed and rotated by weft), have access revoked
// (the run keeps an InvalidAccessTokenError incomplete execution and pauses the
// scenario), reconnect, and retry what waited: it succeeds.
func TestOAuthConnectRevokeReconnect(t *testing.T) {
	idp := oauthtest.New(t)
	idp.Set(true, 3600) // refresh tokens rotate, as Airtable's and Microsoft's do
	kr, err := secrets.NewKeyring(secrets.Key{ID: "k1", Key: bytes.Repeat([]byte{7}, secrets.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Now().UTC()}
	w := startWeft(t, func(c *service.Config) { c.Secrets, c.Clock = kr, clock.Now })
	ctx := newBrowser(t)
	dir := shots(t)

	steps(t, ctx, "sign in", chromedp.Navigate(w.base+"/connections"), chromedp.WaitVisible(id("token")),
		chromedp.SendKeys(id("token"), w.token), chromedp.Click(id("signin")), chromedp.WaitVisible(id("oauth-form")))
	if cb := text(t, ctx, "#callback-url"); cb != w.base+"/oauth/callback" {
		t.Errorf("the page names the callback %q", cb)
	}

	// A new OAuth connection with custom endpoints (the stand-in).
	steps(t, ctx, "create the OAuth connection",
		chromedp.SendKeys(css(`#oauth-form [name="name"]`), "Stand-in account"),
		chromedp.SetValue(id("oauth-provider"), "custom"),
		chromedp.Click(css("#oauth-form summary")),
		chromedp.SendKeys(css(`#oauth-form [name="authorizeUrl"]`), idp.AuthURL()),
		chromedp.SendKeys(css(`#oauth-form [name="tokenUrl"]`), idp.TokenURL()),
		chromedp.SendKeys(css(`#oauth-form [name="clientId"]`), idp.ClientID),
		chromedp.SendKeys(css(`#oauth-form [name="clientSecret"]`), idp.ClientSecret),
		chromedp.SendKeys(css(`#oauth-form [name="scope"]`), "read write"),
		chromedp.Click(id("oauth-create")), chromedp.WaitVisible(id("connect")))
	if st := text(t, ctx, "#oauth-state"); st != "not connected" {
		t.Fatalf("a new connection shows %q", st)
	}
	connPage := location(t, ctx)
	var connID int64
	if _, err := fmt.Sscanf(connPage[len(w.base):], "/connections/%d", &connID); err != nil {
		t.Fatalf("connection page %s: %v", connPage, err)
	}

	// Connect: the stand-in's consent page, Allow, back to weft.
	steps(t, ctx, "connect", chromedp.Click(id("connect")), chromedp.WaitVisible(id("approve")), screenshot(dir, "12-oauth-consent"))
	if sc := text(t, ctx, "#scopes"); sc != "read write" {
		t.Errorf("the consent page asks for %q", sc)
	}
	steps(t, ctx, "approve", chromedp.Click(id("approve")), chromedp.WaitVisible(id("connected")), screenshot(dir, "13-oauth-connected"))
	if loc := location(t, ctx); loc != connPage+"?connected=1" {
		t.Errorf("after the callback the browser is at %s", loc)
	}
	if scope := text(t, ctx, "#granted-scope"); scope != "read write" {
		t.Errorf("granted scope %q", scope)
	}
	q := idp.LastAuthorization()
	if q.Get("code_challenge_method") != "S256" || q.Get("redirect_uri") != w.base+"/oauth/callback" {
		t.Errorf("authorization request %v", q)
	}
	data, err := w.svc.ResolveConnection(connID)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := data["refreshToken"].(string)
	row, err := w.st.GetConnection(t.Context(), connID)
	if err != nil {
		t.Fatal(err)
	}
	if first == "" || bytes.Contains(row.Data, []byte(first)) || bytes.Contains(row.Data, []byte(data["accessToken"].(string))) {
		t.Fatalf("the tokens are not stored encrypted (refresh token %q)", first)
	}

	// A scenario calls the stand-in's API with the connection.
	sc, err := w.svc.CreateScenario(t.Context(), []byte(fmt.Sprintf(`{"name": "Read the account",
		"flow": [{"id": 1, "module": "gateway:CustomWebHook", "version": 1, "parameters": {"hook": 1}, "mapper": {}},
		{"id": 2, "module": "http:MakeRequest", "version": 4, "parameters": {"authenticationType": "oAuth", "oAuthKeychain": %d},
		 "mapper": {"url": %q, "method": "get"}}],
		"metadata": {"version": 1, "instant": true, "scenario": {"dlq": true}}}`, connID, idp.APIURL())), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.SetActive(t.Context(), sc.ID, true); err != nil {
		t.Fatal(err)
	}
	hook, err := w.svc.EnsureHook(t.Context(), sc.ID)
	if err != nil {
		t.Fatal(err)
	}
	call := func() *weft.Execution {
		postJSON(t, w.base+"/hooks/"+hook.Token, `{}`)
		return w.runs.wait(t, 1)[0]
	}
	if ex := call(); ex.Status != weft.ExecutionSuccess {
		t.Fatalf("first run %s: %s", ex.Status, ex.ErrorMsg)
	}

	// Two hours on, the access token expired: weft refreshes it, and saves the rotated
	// refresh token (encrypted).
	clock.Add(2 * time.Hour)
	if ex := call(); ex.Status != weft.ExecutionSuccess {
		t.Fatalf("run after expiry %s: %s", ex.Status, ex.ErrorMsg)
	}
	if reqs := strings.Join(idp.TokenRequests(), ","); reqs != "authorization_code basic,refresh_token basic" {
		t.Errorf("token requests %s", reqs)
	}
	data, _ = w.svc.ResolveConnection(connID)
	if second, _ := data["refreshToken"].(string); second == "" || second == first {
		t.Errorf("the rotated refresh token was not saved (%q)", second)
	}

	// The person revokes weft's access at the provider: the next refresh is refused.
	idp.RevokeAll()
	clock.Add(2 * time.Hour)
	ex := call()
	if ex.Status != weft.ExecutionWarning || ex.ErrorModule != 2 {
		t.Fatalf("run after revocation %s at module %d", ex.Status, ex.ErrorModule)
	}
	ies, err := w.st.ListIncomplete(t.Context(), storeFilter(sc.ID))
	if err != nil || len(ies) != 1 || ies[0].ErrorType != weft.InvalidAccessTokenError || !strings.Contains(ies[0].ErrorMessage, "invalid_grant") {
		t.Fatalf("incomplete executions %+v, %v", ies, err)
	}
	ieID := ies[0].ID

	// The connection's page shows what waits for it; reconnect.
	steps(t, ctx, "open the connection", chromedp.Navigate(connPage), chromedp.WaitVisible(id("blocked")), screenshot(dir, "14-oauth-blocked"))
	if n := text(t, ctx, "#blocked-count"); n != "1" {
		t.Fatalf("blocked count %q", n)
	}
	if label := text(t, ctx, "#connect"); label != "Reconnect" {
		t.Errorf("the button says %q", label)
	}
	steps(t, ctx, "reconnect", chromedp.Click(id("connect")), chromedp.WaitVisible(id("approve")),
		chromedp.Click(id("approve")), chromedp.WaitVisible(id("connected")), chromedp.WaitVisible(id("retry-blocked")))
	steps(t, ctx, "retry what waited", chromedp.Click(id("retry-blocked")), chromedp.WaitVisible(css(".flash")))
	if flash := text(t, ctx, ".flash"); !strings.Contains(flash, "Queued 1 retries") {
		t.Fatalf("flash %q", flash)
	}
	if ex := w.runs.wait(t, 1)[0]; ex.Kind != weft.KindRetry || ex.Status != weft.ExecutionSuccess {
		t.Fatalf("retry %s ended %s: %s", ex.Kind, ex.Status, ex.ErrorMsg)
	}
	if ie, err := w.st.GetIncomplete(t.Context(), ieID); err != nil || ie.Status != weft.IncompleteResolved {
		t.Fatalf("incomplete execution after the retry: %+v, %v", ie, err)
	}
	if s, _ := w.st.GetScenario(t.Context(), sc.ID); s.Paused != "" {
		t.Errorf("still paused: %s", s.Paused)
	}
	steps(t, ctx, "nothing waits any more", chromedp.Navigate(connPage), chromedp.WaitVisible(id("oauth-state")), screenshot(dir, "15-oauth-reconnected"))
	if n := read(t, ctx, "blocked", chromedp.Evaluate[bool](`document.querySelector("#blocked") !== null`)); n {
		t.Errorf("the page still lists waiting incomplete executions")
	}
}

func storeFilter(scenarioID int64) store.IncompleteFilter {
	return store.IncompleteFilter{ScenarioID: scenarioID}
}
