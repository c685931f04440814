package auth_test

import (
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/store"
)

// small keeps the argon2id cost of tests low: the cost is production's point.
var small = auth.WithPasswordParams(auth.PasswordParams{MemoryKiB: 64, Time: 1, Threads: 1})

func TestPasswordHash(t *testing.T) {
	a := auth.New(open(t), small)
	h, err := a.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(h, "correct horse") {
		t.Fatalf("hash %q is not an argon2id PHC string with the parameters", h)
	}
	h2, _ := a.HashPassword("correct horse")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	for pw, want := range map[string]bool{"correct horse": true, "correct hors": false, "": false, "Correct horse": false} {
		if ok, err := auth.CheckPassword(h, pw); err != nil || ok != want {
			t.Errorf("CheckPassword(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	// A hash made with other parameters still verifies: they are read from the string.
	d, err := auth.New(open(t)).HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d, "$m=19456,t=2,p=1$") {
		t.Fatalf("default parameters: %q", d)
	}
	if ok, err := auth.CheckPassword(d, "correct horse"); err != nil || !ok {
		t.Fatalf("default-cost hash: %v, %v", ok, err)
	}
	if _, err := a.HashPassword("short"); err == nil || !strings.Contains(err.Error(), "at least 8") {
		t.Fatalf("short password: %v", err)
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=0,t=1,p=1$AAAA$AAAA",
		"$argon2id$v=19$m=64,t=1,p=1$!!$AAAA", "$argon2id$v=18$m=64,t=1,p=1$AAAA$AAAA"} {
		if _, err := auth.CheckPassword(bad, "x"); err == nil || !strings.Contains(err.Error(), "stored password hash") {
			t.Errorf("CheckPassword(%q): want an error naming the stored hash, got %v", bad, err)
		}
	}
}

func TestRoleScopes(t *testing.T) {
	if got := auth.RoleScopes(auth.RoleOwner); !slices.Equal(got, []string{auth.Admin}) {
		t.Errorf("owner: %v", got)
	}
	if got := auth.RoleScopes(auth.RoleAdmin); !slices.Equal(got, []string{auth.Admin}) {
		t.Errorf("admin: %v", got)
	}
	for _, s := range auth.Scopes {
		editor := auth.RoleScopes(auth.RoleEditor)
		viewer := auth.RoleScopes(auth.RoleViewer)
		write := strings.HasSuffix(s, ":write")
		if s == auth.Admin {
			if slices.Contains(editor, s) || slices.Contains(viewer, s) {
				t.Errorf("editor or viewer holds admin")
			}
			continue
		}
		if !slices.Contains(editor, s) {
			t.Errorf("editor lacks %s", s)
		}
		if slices.Contains(viewer, s) == write {
			t.Errorf("viewer and %s: holds it = %v", s, !write)
		}
	}
	if auth.RoleScopes("root") != nil {
		t.Error("an unknown role grants scopes")
	}
}

func TestCreateOwnerAndSignIn(t *testing.T) {
	st := open(t)
	c := newClock()
	a := auth.New(st, small, auth.WithClock(at(c)), auth.WithFailureLimit(time.Minute, 3))
	if _, err := a.CreateOwner(t.Context(), st, "not an email", "Ada", "correct horse"); err == nil ||
		!strings.Contains(err.Error(), "email") {
		t.Fatalf("bad email: %v", err)
	}
	// Two first visitors at once: exactly one becomes the owner.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = a.CreateOwner(t.Context(), st, []string{"Ada@example.org", "eve@example.org"}[i], "", "correct horse")
		}()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("two owners or none: %v / %v", errs[0], errs[1])
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, store.ErrExists) {
			t.Fatalf("second owner: %v, want ErrExists", err)
		}
	}
	email := "ada@example.org"
	if errs[0] != nil {
		email = "eve@example.org"
	}

	r := httptest.NewRequest("POST", "/login", nil)
	r.RemoteAddr = "192.0.2.1:4000"
	u, err := a.SignIn(r, st, strings.ToUpper(email), "correct horse")
	if err != nil || u.Email != email || u.Role != auth.RoleOwner {
		t.Fatalf("SignIn = %+v, %v", u, err)
	}
	if tok := auth.UserToken(u); !auth.Allows(tok, auth.IncompleteWrite) || tok.Name != email {
		t.Fatalf("owner's token view %+v", tok)
	}
	// Wrong passwords and unknown emails are one error, and throttled like tokens.
	for _, try := range [][2]string{{email, "wrong password"}, {"nobody@example.org", "correct horse"}, {email, ""}} {
		if _, err := a.SignIn(r, st, try[0], try[1]); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("SignIn(%q, %q) = %v, want ErrBadCredentials", try[0], try[1], err)
		}
	}
	_, err = a.SignIn(r, st, email, "correct horse")
	var te *auth.ThrottledError
	if !errors.As(err, &te) || te.Seconds() < 1 {
		t.Fatalf("after 3 failures: %v, want throttled", err)
	}
	other := httptest.NewRequest("POST", "/login", nil)
	other.RemoteAddr = "198.51.100.7:4000"
	if _, err := a.SignIn(other, st, email, "correct horse"); err != nil {
		t.Fatalf("another client is not throttled: %v", err)
	}
	c.Add(time.Minute)
	if _, err := a.SignIn(r, st, email, "correct horse"); err != nil {
		t.Fatalf("a minute later: %v", err)
	}
}

func TestInvites(t *testing.T) {
	st := open(t)
	c := newClock()
	a := auth.New(st, small, auth.WithClock(at(c)))
	if _, _, err := a.CreateInvite(t.Context(), st, "ada@example.org", "", auth.RoleOwner); err == nil {
		t.Fatal("an invite to be owner was made")
	}
	code, in, err := a.CreateInvite(t.Context(), st, "ada@example.org", "", auth.RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	if !in.ExpiresAt.Equal(c.Now().Add(auth.InviteTTL)) || in.CreatedBy != "ada@example.org" {
		t.Fatalf("invite %+v", in)
	}
	if _, err := a.AcceptInvite(t.Context(), st, code+"x", "vi@example.org", "", "viewer password"); !errors.Is(err, auth.ErrInviteInvalid) {
		t.Fatalf("a mistyped code: %v", err)
	}
	if _, err := a.AcceptInvite(t.Context(), st, code, "vi@example.org", "", "short"); err == nil {
		t.Fatal("a short password was accepted")
	}
	u, err := a.AcceptInvite(t.Context(), st, code, "Vi@example.org", "Vi", "viewer password")
	if err != nil || u.Role != auth.RoleViewer || u.Email != "vi@example.org" {
		t.Fatalf("accept: %+v, %v", u, err)
	}
	if _, err := a.AcceptInvite(t.Context(), st, code, "eve@example.org", "", "viewer password"); !errors.Is(err, auth.ErrInviteInvalid) {
		t.Fatalf("the link used twice: %v", err)
	}
	// An invite for one email, and one that expires.
	code, _, err = a.CreateInvite(t.Context(), st, "ada@example.org", "Ed@example.org", auth.RoleEditor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AcceptInvite(t.Context(), st, code, "eve@example.org", "", "editor password"); err == nil ||
		!strings.Contains(err.Error(), "this invite is for ed@example.org") {
		t.Fatalf("another email: %v", err)
	}
	c.Add(auth.InviteTTL)
	if _, err := a.AcceptInvite(t.Context(), st, code, "ed@example.org", "", "editor password"); !errors.Is(err, auth.ErrInviteExpired) {
		t.Fatalf("expired: %v", err)
	}
	if n, _ := st.CountUsers(t.Context()); n != 1 {
		t.Fatalf("%d accounts, want the viewer only", n)
	}
}
