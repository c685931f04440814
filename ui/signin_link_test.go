package ui_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft/ui"
)

// A one-time sign-in link signs its first visitor in as its token, and nobody after;
// past its lifetime it signs nobody in.
func TestOneTimeSignInLink(t *testing.T) {
	e := newEnv(t)
	_, tok, err := e.auth.Create(t.Context(), "owner", []string{"admin"})
	if err != nil {
		t.Fatal(err)
	}
	link := e.ui.OneTimeSignIn(tok)
	if !strings.HasPrefix(link, "/login/once/") {
		t.Fatalf("link %q", link)
	}
	b := e.browser()
	if p := b.get("/scenarios"); p.status != http.StatusSeeOther {
		t.Fatalf("before the link: %s", p)
	}
	if p := b.get(link); p.status != http.StatusSeeOther || p.header.Get("Location") != "/scenarios" {
		t.Fatalf("the link: %s", p)
	}
	if p := b.get("/scenarios"); p.status != http.StatusOK {
		t.Fatalf("signed in by the link: %s", p)
	}
	other := e.browser()
	if p := other.get(link); p.status != http.StatusNotFound || !strings.Contains(p.body, "used already or has expired") {
		t.Fatalf("the link a second time: %s", p)
	}
	if p := other.get("/scenarios"); p.status != http.StatusSeeOther {
		t.Fatalf("a second visitor is not signed in: %s", p)
	}

	late := e.ui.OneTimeSignIn(tok)
	e.clock.Add(ui.SignInLinkTTL + time.Second)
	if p := e.browser().get(late); p.status != http.StatusNotFound {
		t.Fatalf("an expired link: %s", p)
	}
}
