package ui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/weftworks/weft/auth"
)

// signInPassword signs b in with email and password and keeps the session's CSRF token.
func (b *browser) signInPassword(email, password string) page {
	b.e.t.Helper()
	login := b.get("/login")
	p := b.post("/login", url.Values{"_csrf": {csrfOf(b.e.t, login.body)}, "email": {email}, "password": {password},
		"next": {"/scenarios"}})
	if p.status == http.StatusSeeOther {
		b.csrf = csrfOf(b.e.t, b.get("/scenarios").body)
	}
	return p
}

func TestOwnerSetupAndPasswordSignIn(t *testing.T) {
	e := newFreshEnv(t)
	b := e.browser()
	p := b.get("/")
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/setup" {
		t.Fatalf("first visit: %d %q, want 303 to /setup", p.status, p.header.Get("Location"))
	}
	setup := b.get("/setup")
	if setup.status != http.StatusOK {
		t.Fatalf("GET /setup: %s", setup)
	}
	mustContain(t, setup.body, "Create the owner account")
	csrf := csrfOf(t, setup.body)
	// Bad input is shown on the form, nothing is stored.
	for _, c := range []struct{ email, password, msg string }{
		{"not-an-email", "correct horse", "is not an email address"},
		{"ada@example.org", "short", "at least 8 characters"},
	} {
		p := b.post("/setup", url.Values{"_csrf": {csrf}, "email": {c.email}, "password": {c.password}})
		if p.status != http.StatusBadRequest {
			t.Fatalf("setup %q/%q: %s", c.email, c.password, p)
		}
		mustContain(t, p.body, c.msg)
		csrf = csrfOf(t, p.body)
	}
	if p := b.post("/setup", url.Values{"_csrf": {"forged"}, "email": {"eve@example.org"}, "password": {"correct horse"}}); p.status != http.StatusForbidden {
		t.Fatalf("setup without the form's CSRF token: %s", p)
	} else {
		csrf = csrfOf(t, p.body) // a refused form is served afresh, with a new token
	}
	p = b.post("/setup", url.Values{"_csrf": {csrf}, "name": {"Ada"}, "email": {"Ada@Example.org"}, "password": {"correct horse"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/scenarios" {
		t.Fatalf("create the owner: %s", p)
	}
	home := b.get("/scenarios")
	if home.status != http.StatusOK {
		t.Fatalf("owner's first page: %s", home)
	}
	mustContain(t, home.body, "ada@example.org")

	// The form is gone once the owner exists, for everyone.
	other := e.browser()
	if p := other.get("/setup"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/login" {
		t.Fatalf("GET /setup after the owner: %d %q", p.status, p.header.Get("Location"))
	}
	if p := other.get("/scenarios"); p.header.Get("Location") != "/login?next=%2Fscenarios" {
		t.Fatalf("a second visitor is sent to %q, want the sign-in", p.header.Get("Location"))
	}
	mustNotContain(t, other.get("/login").body, "No account exists yet")

	// Email and password sign in (the email in any case); a wrong one does not.
	if p := other.signInPassword("ada@example.org", "wrong password"); p.status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %s", p)
	} else {
		mustContain(t, p.body, "Wrong email or password.", `value="ada@example.org"`)
	}
	if p := other.signInPassword("nobody@example.org", "correct horse"); p.status != http.StatusUnauthorized {
		t.Fatalf("unknown email: %s", p)
	}
	if p := other.signInPassword("ADA@example.org", "correct horse"); p.status != http.StatusSeeOther {
		t.Fatalf("sign in: %s", p)
	}
	if p := other.get("/tokens"); p.status != http.StatusOK {
		t.Fatalf("the owner holds admin: /tokens %s", p)
	}
	// A token still signs in (scripts, the command line).
	if p := e.browser().signIn(e.token("admin")); p.status != http.StatusSeeOther {
		t.Fatalf("token sign-in: %s", p)
	}
}

func TestViewerRoleCannotChangeAnything(t *testing.T) {
	e := newEnv(t)
	if _, err := e.auth.CreateOwner(t.Context(), e.st, "owner@example.org", "", "correct horse"); err != nil {
		t.Fatal(err)
	}
	v, err := e.auth.NewUser("viewer@example.org", "Vi", auth.RoleViewer, "viewer password")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.CreateUser(t.Context(), v); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	if p := b.signInPassword("viewer@example.org", "viewer password"); p.status != http.StatusSeeOther {
		t.Fatalf("viewer sign-in: %s", p)
	}
	if p := b.get("/scenarios"); p.status != http.StatusOK {
		t.Fatalf("viewer reads scenarios: %s", p)
	}
	if p := b.get("/tokens"); p.status != http.StatusForbidden {
		t.Fatalf("viewer on /tokens: %s", p)
	}
	for _, path := range []string{"/scenarios/new", "/incomplete/bulk", "/connections"} {
		p := b.post(path, url.Values{"_csrf": {b.csrf}, "name": {"x"}})
		if p.status != http.StatusForbidden || !strings.Contains(p.body, "lacks the scope") {
			t.Errorf("viewer POST %s: %d, want 403", path, p.status)
		}
	}
}

// Once API tokens exist (an upgraded weft), the owner's form needs an admin's session:
// an upgrade must not hand the owner account to whoever visits first.
func TestOwnerSetupAfterTokensNeedsAnAdmin(t *testing.T) {
	e := newEnv(t) // has an admin token
	anon := e.browser()
	if p := anon.get("/scenarios"); p.header.Get("Location") != "/login?next=%2Fscenarios" {
		t.Fatalf("a weft with tokens sends visitors to %q, want the sign-in", p.header.Get("Location"))
	}
	login := anon.get("/login")
	mustContain(t, login.body, `id="setup-link"`)
	p := anon.get("/setup")
	if p.status != http.StatusForbidden {
		t.Fatalf("anonymous GET /setup: %s", p)
	}
	mustContain(t, p.body, "sign in with an admin token first")
	if p := anon.post("/setup", url.Values{"_csrf": {csrfOf(t, p.body)}, "email": {"eve@example.org"}, "password": {"correct horse"}}); p.status != http.StatusForbidden {
		t.Fatalf("anonymous POST /setup: %s", p)
	}
	if n, _ := e.st.CountUsers(t.Context()); n != 0 {
		t.Fatalf("%d accounts after refused setups", n)
	}
	viewer := e.browser()
	if p := viewer.signIn(e.token("scenarios:read")); p.status != http.StatusSeeOther {
		t.Fatal(p)
	}
	if p := viewer.get("/setup"); p.status != http.StatusForbidden {
		t.Fatalf("a non-admin token's GET /setup: %s", p)
	}
	admin := e.signedIn()
	form := admin.get("/setup")
	if form.status != http.StatusOK {
		t.Fatalf("admin's GET /setup: %s", form)
	}
	p = admin.post("/setup", url.Values{"_csrf": {csrfOf(t, form.body)}, "email": {"ada@example.org"}, "password": {"correct horse"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("admin creates the owner: %s", p)
	}
	if u, err := e.st.UserByEmail(t.Context(), "ada@example.org"); err != nil || u.Role != auth.RoleOwner {
		t.Fatalf("owner: %+v, %v", u, err)
	}
}

func TestInviteAViewer(t *testing.T) {
	e := newFreshEnv(t)
	owner := e.browser()
	setup := owner.get("/setup")
	if p := owner.post("/setup", url.Values{"_csrf": {csrfOf(t, setup.body)}, "email": {"ada@example.org"}, "password": {"correct horse"}}); p.status != http.StatusSeeOther {
		t.Fatalf("setup: %s", p)
	}
	owner.csrf = csrfOf(t, owner.get("/members").body)
	if p := owner.post("/members/invite", url.Values{"_csrf": {owner.csrf}, "role": {"owner"}}); p.status != http.StatusBadRequest {
		t.Fatalf("an invite to be owner: %s", p)
	}
	p := owner.post("/members/invite", url.Values{"_csrf": {owner.csrf}, "role": {"viewer"}})
	if p.status != http.StatusOK {
		t.Fatalf("invite: %s", p)
	}
	m := inviteLinkRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no invite link in %s", p.body)
	}
	link := strings.TrimPrefix(m[1], e.srv.URL)
	if again := owner.get("/members"); strings.Contains(again.body, link) {
		t.Fatal("the invite link is shown again")
	}

	vb := e.browser()
	form := vb.get(link)
	if form.status != http.StatusOK {
		t.Fatalf("GET %s: %s", link, form)
	}
	mustContain(t, form.body, "invited as <strong>viewer</strong>")
	if p := vb.post(link, url.Values{"_csrf": {csrfOf(t, form.body)}, "email": {"vi@example.org"}, "password": {"viewer password"}}); p.status != http.StatusSeeOther {
		t.Fatalf("join: %s", p)
	}
	vb.csrf = csrfOf(t, vb.get("/scenarios").body)
	// One time only.
	if p := e.browser().get(link); p.status != http.StatusNotFound {
		t.Fatalf("the link a second time: %s", p)
	}
	// The viewer reads, and is refused every change.
	for _, path := range []string{"/members", "/tokens"} {
		if p := vb.get(path); p.status != http.StatusForbidden {
			t.Errorf("viewer GET %s: %d", path, p.status)
		}
	}
	if p := vb.post("/members/invite", url.Values{"_csrf": {vb.csrf}, "role": {"admin"}}); p.status != http.StatusForbidden {
		t.Errorf("viewer invites: %d", p.status)
	}

	// The owner makes the viewer an editor, then removes them: their session ends.
	vi, err := e.st.UserByEmail(t.Context(), "vi@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if p := owner.post("/members/"+vi.ID+"/role", url.Values{"_csrf": {owner.csrf}, "role": {"editor"}}); p.status != http.StatusSeeOther {
		t.Fatalf("change role: %s", p)
	}
	if p := vb.post("/scenarios/new", url.Values{"_csrf": {vb.csrf}, "name": {"by the editor"}}); p.status == http.StatusForbidden {
		t.Fatalf("an editor is refused a new scenario: %s", p)
	}
	ada, _ := e.st.UserByEmail(t.Context(), "ada@example.org")
	for _, path := range []string{"/members/" + ada.ID + "/role", "/members/" + ada.ID + "/remove"} {
		if p := owner.post(path, url.Values{"_csrf": {owner.csrf}, "role": {"viewer"}}); p.status != http.StatusForbidden {
			t.Errorf("POST %s on the owner: %d", path, p.status)
		}
	}
	// As an admin, they make an API token: it is theirs, listed with them, and goes with them.
	if p := owner.post("/members/"+vi.ID+"/role", url.Values{"_csrf": {owner.csrf}, "role": {"admin"}}); p.status != http.StatusSeeOther {
		t.Fatalf("change role: %s", p)
	}
	p = vb.post("/tokens", url.Values{"_csrf": {vb.csrf}, "name": {"vi's script"}, "scope": {"scenarios:read"}})
	if p.status != http.StatusOK {
		t.Fatalf("admin creates a token: %s", p)
	}
	plain := regexp.MustCompile(`<pre id="token-plain">([^<]+)</pre>`).FindStringSubmatch(p.body)
	if plain == nil {
		t.Fatalf("no token in %s", p.body)
	}
	mustContain(t, owner.get("/tokens").body, "vi&#39;s script</td>\n    <td class=\"small\">vi@example.org</td>")
	if p := owner.post("/members/"+vi.ID+"/remove", url.Values{"_csrf": {owner.csrf}}); p.status != http.StatusSeeOther {
		t.Fatalf("remove: %s", p)
	}
	if p := vb.get("/scenarios"); p.status != http.StatusSeeOther {
		t.Fatalf("a removed member's session: %s", p)
	}
	if _, err := e.auth.Verify(t.Context(), plain[1]); err == nil {
		t.Fatal("a removed member's token still works")
	}
}

var inviteLinkRE = regexp.MustCompile(`<pre id="invite-link">([^<]+)</pre>`)

func TestAuditLog(t *testing.T) {
	e := newFreshEnv(t)
	owner := e.browser()
	setup := owner.get("/setup")
	if p := owner.post("/setup", url.Values{"_csrf": {csrfOf(t, setup.body)}, "email": {"ada@example.org"}, "password": {"correct horse"}}); p.status != http.StatusSeeOther {
		t.Fatalf("setup: %s", p)
	}
	owner.csrf = csrfOf(t, owner.get("/scenarios").body)
	if p := owner.post("/scenarios/new", url.Values{"_csrf": {owner.csrf}, "name": {"Orders"}, "trigger": {"gateway:CustomWebHook"}}); p.status != http.StatusSeeOther {
		t.Fatalf("new scenario: %s", p)
	}
	if p := owner.post("/tokens", url.Values{"_csrf": {owner.csrf}, "name": {""}}); p.status != http.StatusBadRequest {
		t.Fatalf("a refused token: %s", p)
	}
	if p := owner.post("/members/invite", url.Values{"_csrf": {owner.csrf}, "role": {"viewer"}}); p.status != http.StatusOK {
		t.Fatalf("invite: %s", p)
	}
	es, err := e.st.ListAudit(t.Context(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range es {
		got = append(got, x.Actor+" "+x.Action+" "+x.Target)
	}
	ada, _ := e.st.UserByEmail(t.Context(), "ada@example.org")
	want := []string{"ada@example.org members/invite members/invite", "ada@example.org scenarios/new scenarios/new",
		"ada@example.org setup members/" + ada.ID}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit log (newest first):\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	page := owner.get("/audit")
	if page.status != http.StatusOK {
		t.Fatalf("GET /audit: %s", page)
	}
	mustContain(t, page.body, "scenarios/new", "members/invite", "ada@example.org")
	viewer := e.browser()
	if p := viewer.signIn(e.token("scenarios:read")); p.status != http.StatusSeeOther {
		t.Fatal(p)
	}
	if p := viewer.get("/audit"); p.status != http.StatusForbidden {
		t.Fatalf("a non-admin's /audit: %d", p.status)
	}
}
