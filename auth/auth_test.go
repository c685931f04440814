package auth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/store/sqlite"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time       { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration)  { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func newClock() *clock                { return &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)} }
func at(c *clock) func() time.Time    { return c.Now }
func open(t *testing.T) *sqlite.Store { return openAt(t, filepath.Join(t.TempDir(), "weft.db")) }
func openAt(t *testing.T, p string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), p, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var tokenShape = regexp.MustCompile(`^weft_[A-Z2-7]{52}$`)

func TestCreateVerifyRevoke(t *testing.T) {
	c := newClock()
	a := auth.New(open(t), auth.WithClock(at(c)))
	plain, tok, err := a.Create(t.Context(), " ci ", []string{"scenarios:read", "executions:read", "scenarios:read"})
	if err != nil {
		t.Fatal(err)
	}
	if !tokenShape.MatchString(plain) {
		t.Fatalf("token %q does not look like weft_<base32 of 32 bytes>", plain)
	}
	if tok.Name != "ci" || strings.Join(tok.Scopes, ",") != "scenarios:read,executions:read" || len(tok.ID) != 16 {
		t.Fatalf("token record %+v", tok)
	}
	if string(tok.Hash) != string(auth.Hash(plain)) || strings.Contains(string(tok.Hash), plain) {
		t.Fatal("the stored hash is not SHA-256 of the token")
	}
	got, err := a.Verify(t.Context(), plain)
	if err != nil || got.ID != tok.ID {
		t.Fatalf("Verify = %+v, %v", got, err)
	}
	last := "Q"
	if strings.HasSuffix(plain, "Q") {
		last = "R"
	}
	for _, bad := range []string{"", "weft_", plain + "A", strings.Replace(plain, "weft_", "WEFT_", 1), plain[:len(plain)-1] + last} {
		if _, err := a.Verify(t.Context(), bad); !errors.Is(err, auth.ErrInvalid) {
			t.Errorf("Verify(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	if err := a.Revoke(t.Context(), tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(t.Context(), plain); !errors.Is(err, auth.ErrRevoked) {
		t.Fatalf("revoked token: %v, want ErrRevoked", err)
	}
	list, err := a.List(t.Context())
	if err != nil || len(list) != 1 || list[0].RevokedAt == nil || !list[0].RevokedAt.Equal(c.Now()) {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if err := a.Revoke(t.Context(), "nope"); err == nil {
		t.Fatal("revoking an unknown id succeeded")
	}
}

func TestCreateRefusesBadInput(t *testing.T) {
	a := auth.New(open(t))
	for _, tc := range []struct {
		name   string
		scopes []string
		want   string
	}{
		{"", []string{"admin"}, "name: a token needs a name"},
		{"x", nil, "scopes: a token needs at least one scope"},
		{"x", []string{"scenarios:read", "scenario:write"}, `scopes: unknown scope "scenario:write"`},
	} {
		if _, _, err := a.Create(t.Context(), tc.name, tc.scopes); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Create(%q, %v) = %v, want %q", tc.name, tc.scopes, err, tc.want)
		}
	}
}

// The last use is written at most once a minute per token.
func TestTouchAtMostOnceAMinute(t *testing.T) {
	c := newClock()
	p := filepath.Join(t.TempDir(), "weft.db")
	st := openAt(t, p)
	a := auth.New(st, auth.WithClock(at(c)))
	plain, _, err := a.Create(t.Context(), "n", []string{"admin"})
	if err != nil {
		t.Fatal(err)
	}
	lastUsed := func() *time.Time {
		t.Helper()
		ts, err := st.ListTokens(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return ts[0].LastUsedAt
	}
	if lastUsed() != nil {
		t.Fatal("a new token has a last use")
	}
	start := c.Now()
	steps := []struct {
		advance time.Duration
		want    time.Time
	}{
		{0, start},
		{30 * time.Second, start},
		{29 * time.Second, start},
		{time.Second, start.Add(time.Minute)},
		{59 * time.Second, start.Add(time.Minute)},
		{2 * time.Minute, start.Add(time.Minute + 59*time.Second + 2*time.Minute)},
	}
	for i, s := range steps {
		c.Add(s.advance)
		if _, err := a.Verify(t.Context(), plain); err != nil {
			t.Fatal(err)
		}
		if got := lastUsed(); got == nil || !got.Equal(s.want) {
			t.Fatalf("step %d: last used %v, want %v", i, got, s.want)
		}
	}
	// A second process (a new Auth) starts from the stored time, not from scratch.
	b := auth.New(st, auth.WithClock(at(c)))
	c.Add(10 * time.Second)
	if _, err := b.Verify(t.Context(), plain); err != nil {
		t.Fatal(err)
	}
	if got := lastUsed(); !got.Equal(steps[len(steps)-1].want) {
		t.Fatalf("a new Auth wrote the last use 10 s after the previous one: %v", got)
	}
}

func TestAllows(t *testing.T) {
	a := auth.New(open(t))
	_, admin, _ := a.Create(t.Context(), "a", []string{"admin"})
	_, reader, _ := a.Create(t.Context(), "r", []string{"scenarios:read"})
	for _, tc := range []struct {
		name  string
		ok    bool
		tok   bool
		scope string
	}{
		{"admin any", true, true, "datastores:write"},
		{"reader read", true, false, "scenarios:read"},
		{"reader write", false, false, "scenarios:write"},
		{"reader other", false, false, "executions:read"},
	} {
		tok := reader
		if tc.tok {
			tok = admin
		}
		if got := auth.Allows(tok, tc.scope); got != tc.ok {
			t.Errorf("%s: Allows = %v", tc.name, got)
		}
	}
}

func TestRequire(t *testing.T) {
	a := auth.New(open(t))
	good, _, _ := a.Create(t.Context(), "reader", []string{"scenarios:read"})
	revoked, rt, _ := a.Create(t.Context(), "old", []string{"admin"})
	if err := a.Revoke(t.Context(), rt.ID); err != nil {
		t.Fatal(err)
	}
	h := a.Require("scenarios:read", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(auth.FromContext(r.Context()).Name))
	}))
	w := a.Require("scenarios:write", h)
	for _, tc := range []struct {
		name, header string
		h            http.Handler
		status       int
		challenge    string
		body         string
	}{
		{"no header", "", h, 401, `Bearer realm="weft"`, `"code":"unauthorized"`},
		{"basic", "Basic eDp5", h, 401, `Bearer realm="weft"`, `"code":"unauthorized"`},
		{"wrong", "Bearer weft_AAAA", h, 401, `error="invalid_token"`, "the API token is not valid"},
		{"revoked", "Bearer " + revoked, h, 401, `error="invalid_token"`, "the API token is revoked"},
		{"good bearer", "Bearer " + good, h, 200, "", "reader"},
		{"good token scheme", "Token " + good, h, 200, "", "reader"},
		{"missing scope", "Bearer " + good, w, 403, `error="insufficient_scope", scope="scenarios:write"`, `lacks the scope scenarios:write`},
	} {
		req := httptest.NewRequest("GET", "/x", nil)
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		rec := httptest.NewRecorder()
		tc.h.ServeHTTP(rec, req)
		if rec.Code != tc.status || !strings.Contains(rec.Header().Get("WWW-Authenticate"), tc.challenge) ||
			!strings.Contains(rec.Body.String(), tc.body) {
			t.Errorf("%s: %d %q %s", tc.name, rec.Code, rec.Header().Get("WWW-Authenticate"), rec.Body)
		}
		if tc.status != 200 && rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%s: error is not JSON", tc.name)
		}
	}
}

func sqliteOpen(b *testing.B) (*sqlite.Store, error) {
	st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "weft.db"), sqlite.Options{})
	if err == nil {
		b.Cleanup(func() { st.Close() })
	}
	return st, err
}

// The local credential is an admin token that exists only in the process that made
// it: it is accepted, never stored or listed, and a fresh one is different.
func TestLocalToken(t *testing.T) {
	st := open(t)
	plain, err := auth.NewLocalToken(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(plain, "weft_local_") || len(plain) != len("weft_local_")+52 {
		t.Fatalf("local token %q", plain)
	}
	a := auth.New(st, auth.WithLocalToken(plain))
	tok, err := a.Verify(t.Context(), plain)
	if err != nil || tok.ID != auth.LocalTokenID || !auth.Allows(tok, auth.ConnectionsWrite) {
		t.Fatalf("Verify(local) = %+v, %v", tok, err)
	}
	if ts, err := a.List(t.Context()); err != nil || len(ts) != 0 {
		t.Fatalf("the local token is listed: %v %v", ts, err)
	}
	other, _ := auth.NewLocalToken(nil)
	if other == plain {
		t.Fatal("two local tokens are the same")
	}
	if _, err := a.Verify(t.Context(), other); !errors.Is(err, auth.ErrInvalid) {
		t.Fatalf("another process's local token: %v", err)
	}
	// Without WithLocalToken no local token is accepted.
	if _, err := auth.New(st).Verify(t.Context(), plain); !errors.Is(err, auth.ErrInvalid) {
		t.Fatalf("local token without WithLocalToken: %v", err)
	}
}
