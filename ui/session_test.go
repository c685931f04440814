package ui_test

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/ui"
)

func TestWithoutSessionRedirectsToSignIn(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for _, path := range []string{"/", "/scenarios", "/scenarios/1", "/incomplete", "/incomplete/groups", "/executions", "/connections", "/tokens"} {
		p := b.get(path)
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/login?next="+url.QueryEscape(path) {
			t.Errorf("GET %s: %d Location %q, want 303 to the sign-in", path, p.status, p.header.Get("Location"))
		}
	}
	// htmx requests and POSTs are refused outright (nothing to redirect a fetch to).
	if p := b.get("/scenarios", "HX-Request", "true"); p.status != http.StatusUnauthorized || p.header.Get("HX-Redirect") != "/login" {
		t.Errorf("htmx GET: %d %q", p.status, p.header.Get("HX-Redirect"))
	}
	if p := b.post("/incomplete/bulk", url.Values{"action": {"retry"}, "all": {"1"}}); p.status != http.StatusUnauthorized {
		t.Errorf("POST without a session: %s", p)
	}
}

func TestSignIn(t *testing.T) {
	e := newEnv(t)
	revoked := e.token("scenarios:read")
	tokens, _ := e.auth.List(t.Context())
	for _, tk := range tokens {
		if tk.Name == "t-scenarios:read" {
			if err := e.auth.Revoke(t.Context(), tk.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	cases := []struct {
		name, token string
		status      int
		message     string
	}{
		{"not a token", "hello", http.StatusUnauthorized, "not a valid weft API token"},
		{"unknown token", "weft_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", http.StatusUnauthorized, "not a valid weft API token"},
		{"revoked token", revoked, http.StatusUnauthorized, "That token was revoked."},
		{"valid token", "  " + e.admin + "\n", http.StatusSeeOther, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := e.browser()
			p := b.signIn(c.token)
			if p.status != c.status {
				t.Fatalf("status %d, want %d: %s", p.status, c.status, p.body)
			}
			if c.message != "" {
				mustContain(t, p.body, c.message)
				return
			}
			if p.header.Get("Location") != "/scenarios" {
				t.Errorf("redirect to %q", p.header.Get("Location"))
			}
			if got := b.get("/scenarios"); got.status != http.StatusOK || !strings.Contains(got.body, "signed in as") {
				t.Errorf("after sign-in: %d", got.status)
			}
		})
	}
}

func TestSessionCookie(t *testing.T) {
	for _, secure := range []bool{false, true} {
		e := newEnv(t, func(c *ui.Config) { c.SecureCookies = secure })
		b := e.browser()
		p := b.signIn(e.admin)
		var sc *http.Cookie
		for _, c := range (&http.Response{Header: p.header}).Cookies() {
			if c.Name == "weft_session" {
				sc = c
			}
		}
		if sc == nil {
			t.Fatalf("no session cookie: %v", p.header)
		}
		if !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.Secure != secure || sc.Path != "/" {
			t.Errorf("secure=%v: cookie %+v", secure, sc)
		}
		if strings.Contains(sc.Value, e.admin) || strings.Contains(e.admin, sc.Value) {
			t.Error("the cookie holds the token")
		}
	}
}

func TestSessionEnds(t *testing.T) {
	e := newEnv(t, func(c *ui.Config) { c.SessionIdle = time.Hour })
	t.Run("logout", func(t *testing.T) {
		b := e.signedIn()
		if p := b.post("/logout", nil); p.status != http.StatusSeeOther || p.header.Get("Location") != "/login" {
			t.Fatalf("logout: %s", p)
		}
		if p := b.get("/scenarios"); p.status != http.StatusSeeOther {
			t.Errorf("after logout: %d", p.status)
		}
	})
	t.Run("revoked token", func(t *testing.T) {
		plain, tok, err := e.auth.Create(t.Context(), "short-lived", []string{auth.Admin})
		if err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		b.signIn(plain)
		if p := b.get("/scenarios"); p.status != http.StatusOK {
			t.Fatalf("signed in: %d", p.status)
		}
		if err := e.auth.Revoke(t.Context(), tok.ID); err != nil {
			t.Fatal(err)
		}
		if p := b.get("/scenarios"); p.status != http.StatusSeeOther {
			t.Errorf("the session outlived its revoked token: %d", p.status)
		}
	})
	t.Run("idle", func(t *testing.T) {
		b := e.signedIn()
		e.clock.Add(59 * time.Minute)
		if p := b.get("/scenarios"); p.status != http.StatusOK {
			t.Fatalf("within the idle time: %d", p.status)
		}
		e.clock.Add(61 * time.Minute)
		if p := b.get("/scenarios"); p.status != http.StatusSeeOther {
			t.Errorf("after the idle time: %d", p.status)
		}
	})
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn()
	sc := e.scenario(forwardBlueprint("Forward", "http://127.0.0.1:1"))
	path := "/scenarios/" + itoa(sc.ID) + "/active"
	cases := []struct {
		name   string
		form   url.Values
		header []string
		status int
	}{
		{"no token", url.Values{"_csrf": {""}, "active": {"false"}}, nil, http.StatusForbidden},
		{"wrong token", url.Values{"_csrf": {"nope"}, "active": {"false"}}, nil, http.StatusForbidden},
		{"cross-site origin", url.Values{"active": {"false"}}, []string{"Origin", "https://evil.example"}, http.StatusForbidden},
		{"header token (htmx)", url.Values{"_csrf": {""}, "active": {"false"}}, []string{"X-CSRF-Token", b.csrf}, http.StatusSeeOther},
		{"form token", url.Values{"active": {"false"}}, nil, http.StatusSeeOther},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := b.post(path, c.form, c.header...)
			if p.status != c.status {
				t.Fatalf("status %d, want %d: %s", p.status, c.status, p.body)
			}
			if c.status == http.StatusForbidden {
				mustContain(t, p.body, "CSRF check failed")
			}
		})
	}
	// The sign-in form is protected by a double-submit cookie.
	fresh := e.browser()
	if p := fresh.post("/login", url.Values{"_csrf": {"forged"}, "token": {e.admin}}); p.status != http.StatusForbidden {
		t.Errorf("sign-in without the form's cookie: %d", p.status)
	}
}

func TestScopes(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	if p := b.signIn(e.token(auth.IncompleteRead)); p.status != http.StatusSeeOther {
		t.Fatal(p)
	}
	cases := []struct {
		method, path string
		status       int
	}{
		{"GET", "/incomplete", http.StatusOK},
		{"GET", "/scenarios", http.StatusForbidden},
		{"GET", "/tokens", http.StatusForbidden},
		{"GET", "/connections", http.StatusForbidden},
		{"POST", "/incomplete/bulk", http.StatusForbidden},
	}
	b.csrf = csrfOf(t, b.get("/incomplete").body)
	for _, c := range cases {
		var p page
		if c.method == "GET" {
			p = b.get(c.path)
		} else {
			p = b.post(c.path, url.Values{"action": {"retry"}, "id": {"x"}})
		}
		if p.status != c.status {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, p.status, c.status)
		}
		if c.status == http.StatusForbidden {
			mustContain(t, p.body, "lacks the scope")
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	p := e.signedIn().get("/scenarios")
	want := map[string]string{
		"X-Frame-Options":        "DENY",
		"X-Content-Type-Options": "nosniff",
		"Cache-Control":          "no-store",
	}
	for k, v := range want {
		if got := p.header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q", csp)
	}
}

// The page after sign-in is a path on this site, never another site however the
// address is dressed: browsers drop tabs and new lines inside a URL and read a
// backslash as a slash, so "/\t/evil.example" would lead to evil.example.
func TestNextStaysOnSite(t *testing.T) {
	e := newEnv(t)
	signedIn := e.signedIn()
	for _, tc := range []struct{ rawQuery, want string }{
		// Local paths are kept, with their query.
		{"%2Fincomplete", "/incomplete"},
		{"%2Fincomplete%3Fstatus%3Dpending%26scenario%3D2", "/incomplete?status=pending&scenario=2"},
		{"%2Fscenarios%2F7%2Fhistory", "/scenarios/7/history"},
		// Other sites, by every trick a browser falls for.
		{"%2F%2Fevil.example%2Fx", "/scenarios"},
		{"%2F%09%2Fevil.example", "/scenarios"},     // tab
		{"%2F%0A%2Fevil.example", "/scenarios"},     // new line
		{"%2F%0D%2Fevil.example", "/scenarios"},     // carriage return
		{"%09%2F%2Fevil.example", "/scenarios"},     // leading tab
		{"%20%2F%2Fevil.example", "/scenarios"},     // leading space
		{"%2F%5Cevil.example", "/scenarios"},        // /\evil
		{"%5C%5Cevil.example", "/scenarios"},        // \\evil
		{"%2F%5C%2Fevil.example", "/scenarios"},     // /\/evil
		{"%2F%252F%252Fevil.example", "/scenarios"}, // %2F%2F decoded once more by the path
		{"https%3A%2F%2Fevil.example", "/scenarios"},
		{"https:evil.example", "/scenarios"},
		{"javascript:alert(1)", "/scenarios"},
		{"%2F%2F%2Fevil.example", "/scenarios"},
		{"%2F%00%2Fevil.example", "/scenarios"},
		{"%2F%E2%80%8B%2Fevil.example", "/scenarios"}, // a zero-width space
		{"evil.example", "/scenarios"},
		{"", "/scenarios"},
	} {
		// Already signed in: /login sends the browser on at once.
		if p := signedIn.get("/login?next=" + tc.rawQuery); p.status != http.StatusSeeOther || p.header.Get("Location") != tc.want {
			t.Errorf("GET /login?next=%s signed in: %d to %q, want %q", tc.rawQuery, p.status, p.header.Get("Location"), tc.want)
		}
		// Signing in: the form carries next along.
		next, err := url.QueryUnescape(tc.rawQuery)
		if err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		login := b.get("/login?next=" + tc.rawQuery)
		p := b.post("/login", url.Values{"_csrf": {csrfOf(t, login.body)}, "token": {e.admin}, "next": {next}})
		if got := p.header.Get("Location"); got != tc.want {
			t.Errorf("POST /login next %q: redirected to %q, want %q", next, got, tc.want)
		}
	}
}

// sessionHash is the stored key of browser b's session: the SHA-256 of its cookie.
func (b *browser) sessionHash() []byte {
	b.e.t.Helper()
	u, _ := url.Parse(b.e.srv.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "weft_session" {
			h := sha256.Sum256([]byte(c.Value))
			return h[:]
		}
	}
	b.e.t.Fatal("no session cookie")
	return nil
}

func TestSessionSurvivesARestart(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn()
	sc := e.scenario(forwardBlueprint("Forward", "http://127.0.0.1:1"))

	// Only the cookie's hash is stored, with the token it belongs to.
	row, err := e.st.GetSession(t.Context(), b.sessionHash())
	if err != nil {
		t.Fatal(err)
	}
	if row.Token.Name != "t-admin" || row.CSRF != b.csrf || !row.CreatedAt.Equal(t0) || !row.ExpiresAt.Equal(t0.Add(12*time.Hour)) {
		t.Errorf("stored session: token %q, csrf %v, created %s, expires %s", row.Token.Name, row.CSRF == b.csrf, row.CreatedAt, row.ExpiresAt)
	}
	u, _ := url.Parse(e.srv.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if _, err := e.st.GetSession(t.Context(), []byte(c.Value)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the cookie %s itself finds a session: %v", c.Name, err)
		}
	}

	e.restart()
	if p := b.get("/scenarios"); p.status != http.StatusOK || !strings.Contains(p.body, "signed in as") {
		t.Fatalf("after a restart: %d", p.status)
	}
	// The CSRF token survived with it: a form of the page before the restart still posts.
	if p := b.post("/scenarios/"+itoa(sc.ID)+"/active", url.Values{"active": {"false"}}); p.status != http.StatusSeeOther {
		t.Fatalf("a POST after the restart: %s", p)
	}
	mustContain(t, b.get("/scenarios/"+itoa(sc.ID)).body, "Deactivated.")
	// Signing out after the restart deletes the stored session.
	hash := b.sessionHash()
	if p := b.post("/logout", nil); p.status != http.StatusSeeOther {
		t.Fatal(p)
	}
	if _, err := e.st.GetSession(t.Context(), hash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the session after sign-out: %v", err)
	}
}

func TestSessionLimits(t *testing.T) {
	e := newEnv(t, func(c *ui.Config) { c.SessionIdle, c.SessionMax = time.Hour, 3*time.Hour })
	stored := func(b *browser) *store.Session {
		t.Helper()
		row, err := e.st.GetSession(t.Context(), b.sessionHash())
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		return row
	}
	b := e.signedIn()
	start := e.clock.Now()

	// The last use is written at most once a minute: browsing costs no write per page.
	e.clock.Add(30 * time.Second)
	b.get("/scenarios")
	if row := stored(b); !row.LastSeenAt.Equal(start) || !row.ExpiresAt.Equal(start.Add(time.Hour)) {
		t.Errorf("after 30 s: last seen %s, expires %s (want unchanged)", row.LastSeenAt, row.ExpiresAt)
	}
	e.clock.Add(90 * time.Second)
	b.get("/scenarios")
	if row := stored(b); !row.LastSeenAt.Equal(start.Add(2*time.Minute)) || !row.ExpiresAt.Equal(start.Add(62*time.Minute)) {
		t.Errorf("after 2 min: last seen %s, expires %s", row.LastSeenAt, row.ExpiresAt)
	}

	// Used every 50 minutes it lives to the absolute limit, whose expiry it never passes.
	for e.clock.Now().Add(50*time.Minute).Sub(start) <= 3*time.Hour {
		e.clock.Add(50 * time.Minute)
		if p := b.get("/scenarios"); p.status != http.StatusOK {
			t.Fatalf("at %s: %d", e.clock.Now().Sub(start), p.status)
		}
	}
	if row := stored(b); !row.ExpiresAt.Equal(start.Add(3 * time.Hour)) {
		t.Errorf("expiry near the absolute limit: %s", row.ExpiresAt.Sub(start))
	}
	e.clock.Add(start.Add(3*time.Hour + time.Second).Sub(e.clock.Now()))
	if p := b.get("/scenarios"); p.status != http.StatusSeeOther {
		t.Errorf("past the absolute limit: %d", p.status)
	}
	if row := stored(b); row != nil {
		t.Errorf("an ended session is deleted when read; still stored: %+v", row)
	}

	// A session nobody opens again is swept at the next sign-in.
	idle := e.signedIn()
	e.clock.Add(61 * time.Minute)
	if stored(idle) == nil {
		t.Fatal("swept before anyone signed in")
	}
	e.signedIn()
	if row := stored(idle); row != nil {
		t.Errorf("an expired session survived a sign-in: %+v", row)
	}
}

// Failed sign-ins are throttled per client: after ten in a row the sign-in answers 429
// with Retry-After, even for a good token the client has not used lately, until the
// client has waited.
func TestSignInThrottled(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for i := range auth.DefaultFailureBurst {
		if p := b.signIn("weft_WRONG"); p.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %s", i+1, p)
		}
	}
	p := b.signIn("weft_WRONG")
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") != "6" {
		t.Fatalf("the 11th failed sign-in: %d Retry-After %q", p.status, p.header.Get("Retry-After"))
	}
	mustContain(t, p.body, "Too many failed sign-ins from your address. Try again in 6 seconds.")
	if p := b.signIn(e.admin); p.status != http.StatusTooManyRequests {
		t.Fatalf("a good token from the throttled client: %s", p)
	}
	e.clock.Add(6 * time.Second)
	if p := b.signIn(e.admin); p.status != http.StatusSeeOther {
		t.Fatalf("after waiting: %s", p)
	}
}
