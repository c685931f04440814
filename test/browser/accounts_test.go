package browser

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestOwnerInvitesAViewer signs up the owner on an empty weft (the first visit), who
// creates a scenario and invites a viewer; the viewer joins through the link and
// cannot change anything: no forms that change things on the pages, and the POSTs a
// page would send refused with 403.
func TestOwnerInvitesAViewer(t *testing.T) {
	w := startEmptyWeft(t)
	ctx := newBrowser(t)
	dir := shots(t)

	steps(t, ctx, "first visit", chromedp.Navigate(w.base+"/"), chromedp.WaitVisible(id("setup-form")))
	if loc := location(t, ctx); loc != w.base+"/setup" {
		t.Fatalf("the first visit lands on %s, want /setup", loc)
	}
	steps(t, ctx, "create the owner", screenshot(dir, "21-setup"),
		chromedp.SendKeys(id("name"), "Ada"), chromedp.SendKeys(id("email"), "ada@example.org"),
		chromedp.SendKeys(id("password"), "correct horse battery"), chromedp.Click(id("create-owner")),
		chromedp.WaitVisible(id("new-form")))
	steps(t, ctx, "a scenario", chromedp.SendKeys(id("new-name"), "Orders"), chromedp.Click(id("new-scenario")),
		chromedp.WaitVisible(css(`#editor-version[data-version="1"]`)))
	steps(t, ctx, "invite a viewer", chromedp.Navigate(w.base+"/members"), chromedp.WaitVisible(id("invite-form")),
		chromedp.SetValue(id("invite-role"), "viewer"), chromedp.Click(id("invite")), chromedp.WaitVisible(id("invite-link")),
		screenshot(dir, "22-members"))
	link := strings.TrimSpace(text(t, ctx, "#invite-link"))
	if !strings.HasPrefix(link, w.base+"/invite/") {
		t.Fatalf("invite link %q", link)
	}
	steps(t, ctx, "the owner signs out", chromedp.Click(id("logout")), chromedp.WaitVisible(id("password-form")))

	steps(t, ctx, "the viewer joins", chromedp.Navigate(link), chromedp.WaitVisible(id("join-form")),
		chromedp.SendKeys(id("email"), "vi@example.org"), chromedp.SendKeys(id("password"), "viewer password"),
		chromedp.Click(id("join")), chromedp.WaitVisible(id("scenarios")))
	if got := text(t, ctx, "body"); !strings.Contains(got, "vi@example.org") || !strings.Contains(got, "Orders") {
		t.Fatalf("the viewer's scenario list: %s", got)
	}
	sc, err := w.st.ListScenarios(t.Context())
	if err != nil || len(sc) != 1 {
		t.Fatalf("scenarios: %v, %v", sc, err)
	}
	scID := strconv.FormatInt(sc[0].ID, 10)

	// No form that changes anything: only signing out.
	for _, page := range []string{"/scenarios", "/scenarios/" + scID, "/scenarios/" + scID + "/edit", "/incomplete", "/connections"} {
		steps(t, ctx, "open "+page, chromedp.Navigate(w.base+page), chromedp.WaitVisible(id("logout")))
		forms := read(t, ctx, "forms on "+page, chromedp.Evaluate[[]string](
			`[...document.querySelectorAll('form[method=post]')].map(f => f.getAttribute('action')).filter(a => a !== '/logout')`))
		if len(forms) != 0 {
			t.Errorf("the viewer sees forms on %s: %v", page, forms)
		}
	}
	if loc := location(t, ctx); !strings.HasSuffix(loc, "/connections") {
		t.Fatalf("at %s", loc)
	}
	steps(t, ctx, "viewer's scenario page", chromedp.Navigate(w.base+"/scenarios/"+scID), chromedp.WaitVisible(id("logout")),
		screenshot(dir, "23-viewer-scenario"))

	// The POSTs a page would send, with the session's CSRF token, are refused.
	for _, path := range []string{"/scenarios/new", "/scenarios/" + scID + "/delete", "/scenarios/" + scID + "/active",
		"/scenarios/" + scID + "/edit/name", "/incomplete/bulk", "/connections", "/tokens", "/members/invite"} {
		status := read(t, ctx, "POST "+path, chromedp.Evaluate[float64](`fetch("`+path+`", {method: "POST",
			headers: {"X-CSRF-Token": JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"],
				"Content-Type": "application/x-www-form-urlencoded"}, body: "name=x&role=admin&active=false"}).then(r => r.status)`,
			chromedp.EvalAwaitPromise))
		if status != 403 {
			t.Errorf("the viewer's POST %s: %v, want 403", path, status)
		}
	}
	if sc, err := w.st.ListScenarios(t.Context()); err != nil || len(sc) != 1 || sc[0].Name != "Orders" {
		t.Fatalf("scenarios after the viewer's attempts: %v, %v", sc, err)
	}
}
