package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft/auth"
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

func TestNextStaysOnSite(t *testing.T) {
	e := newEnv(t)
	for next, want := range map[string]string{
		"/incomplete":       "/incomplete",
		"//evil.example/x":  "/scenarios",
		"https://evil.test": "/scenarios",
		"/\\evil.example":   "/scenarios",
	} {
		b := e.browser()
		login := b.get("/login?next=" + url.QueryEscape(next))
		p := b.post("/login", url.Values{"_csrf": {csrfOf(t, login.body)}, "token": {e.admin}, "next": {next}})
		if got := p.header.Get("Location"); got != want {
			t.Errorf("next %q: redirected to %q, want %q", next, got, want)
		}
	}
}
