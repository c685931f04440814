package ui_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/bulk"
	"github.com/weftworks/weft/secrets"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/sqlite"
	"github.com/weftworks/weft/ui"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is the UI over real HTTP, on a real SQLite store and a real service.
type env struct {
	t         testing.TB
	st        store.Store
	svc       *service.Service
	auth      *auth.Auth
	ui        *ui.UI
	srv       *httptest.Server
	clock     *clock
	admin     string
	ids       atomic.Int64
	path      string
	key       secrets.Key
	configure []func(*ui.Config)
	// bulk carries out the UI's bulk retries and deletes (closed before the store).
	bulk *bulk.Jobs
}

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func newEnv(t testing.TB, configure ...func(*ui.Config)) *env {
	t.Helper()
	e := newFreshEnv(t, configure...)
	e.admin = e.token("admin")
	return e
}

// newFreshEnv is an env of a fresh weft: no API token, no account.
func newFreshEnv(t testing.TB, configure ...func(*ui.Config)) *env {
	t.Helper()
	key, err := secrets.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, clock: &clock{t: t0}, path: filepath.Join(t.TempDir(), "weft.db"), key: key, configure: configure}
	e.open()
	return e
}

// open builds the store, service, auth and UI on the env's SQLite file and serves it.
func (e *env) open() {
	t := e.t
	t.Helper()
	st, err := sqlite.Open(t.Context(), e.path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	reg, err := all.WithStore(st)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	kr, err := secrets.NewKeyring(e.key)
	if err != nil {
		t.Fatal(err)
	}
	e.svc, err = service.New(service.Config{Store: st, Registry: reg, Clock: e.clock.Now, Logger: quiet, Secrets: kr,
		NewID: func() string { return fmt.Sprintf("%032x", e.ids.Add(1)) }})
	if err != nil {
		t.Fatal(err)
	}
	e.auth = auth.New(st, auth.WithClock(e.clock.Now), auth.WithLogger(quiet),
		auth.WithPasswordParams(auth.PasswordParams{MemoryKiB: 64, Time: 1, Threads: 1})) // argon2id's cost only slows tests
	cfg := ui.Config{Service: e.svc, Auth: e.auth, Registry: reg, Now: e.clock.Now, Logger: quiet,
		Jobs: bulk.New(bulk.Options{Service: e.svc, Now: e.clock.Now, Logger: quiet, Poll: 5 * time.Millisecond})}
	for _, f := range e.configure {
		f(&cfg)
	}
	e.bulk = cfg.Jobs
	t.Cleanup(e.bulk.Close)
	if e.ui, err = ui.New(cfg); err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(e.ui)
	t.Cleanup(e.srv.Close)
}

// restart stops the server, closes the store and opens everything again on the same
// file, as a restart of weft does. Browsers keep their cookies (a cookie jar ignores
// the port).
func (e *env) restart() {
	e.t.Helper()
	e.srv.Close()
	e.bulk.Close()
	if err := e.st.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.open()
}

func (e *env) token(scopes ...string) string {
	e.t.Helper()
	plain, _, err := e.auth.Create(e.t.Context(), "t-"+strings.Join(scopes, "-"), scopes)
	if err != nil {
		e.t.Fatal(err)
	}
	return plain
}

// browser is a cookie-keeping client that does not follow redirects (tests see them).
type browser struct {
	e    *env
	c    *http.Client
	csrf string
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// page is an answer.
type page struct {
	status int
	header http.Header
	body   string
}

func (p page) String() string { return fmt.Sprintf("%d %s", p.status, p.body) }

func (b *browser) do(req *http.Request) page {
	b.e.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, resp.Header, string(body)}
}

func (b *browser) get(path string, header ...string) page {
	req, _ := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

// post sends a form with the session's CSRF token (unless the form has its own).
func (b *browser) post(path string, form url.Values, header ...string) page {
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["_csrf"]; !ok && b.csrf != "" {
		form.Set("_csrf", b.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func csrfOf(t testing.TB, body string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field in the page: %s", body)
	}
	return m[1]
}

// signIn signs in with token and keeps the session's CSRF token.
func (b *browser) signIn(token string) page {
	b.e.t.Helper()
	login := b.get("/login")
	p := b.post("/login", url.Values{"_csrf": {csrfOf(b.e.t, login.body)}, "token": {token}, "next": {"/scenarios"}})
	if p.status == http.StatusSeeOther {
		b.csrf = csrfOf(b.e.t, b.get("/scenarios").body)
	}
	return p
}

func (e *env) signedIn() *browser {
	e.t.Helper()
	b := e.browser()
	if p := b.signIn(e.admin); p.status != http.StatusSeeOther {
		e.t.Fatalf("sign in: %s", p)
	}
	return b
}

// standIn is a downstream API that answers with status (changeable) and records calls.
type standIn struct {
	srv    *httptest.Server
	status atomic.Int32
	mu     sync.Mutex
	calls  []string // path?query + body
}

func newStandIn(t testing.TB, status int) *standIn {
	s := &standIn{}
	s.status.Store(int32(status))
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.calls = append(s.calls, r.URL.RequestURI()+" "+string(body))
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(int(s.status.Load()))
		if s.status.Load() >= 400 {
			fmt.Fprint(w, `{"error":"order rejected"}`)
			return
		}
		fmt.Fprint(w, `{"accepted":true}`)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *standIn) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

// forwardBlueprint is a webhook → HTTP POST to url → compose: module 2 fails while
// the stand-in answers 4xx.
func forwardBlueprint(name, url string) string {
	return `{"name": ` + quote(name) + `, "flow": [
  {"id": 1, "module": "gateway:CustomWebHook", "version": 1, "parameters": {"hook": 1}, "mapper": {}},
  {"id": 2, "module": "http:MakeRequest", "version": 4, "parameters": {"authenticationType": "noAuth"},
   "mapper": {"url": "` + url + `/orders?id={{1.orderId}}", "method": "post", "contentType": "json", "inputMethod": "jsonString",
              "jsonStringBodyContent": "{\"orderId\": \"{{1.orderId}}\"}"}},
  {"id": 3, "module": "util:ComposeTransformer", "version": 1, "parameters": {}, "mapper": {"value": "sent {{1.orderId}}"}}
], "metadata": {"version": 1, "instant": true, "scenario": {"roundtrips": 1, "maxErrors": 3, "autoCommit": true, "dlq": true}}}`
}

func quote(s string) string {
	b := strings.Builder{}
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// scenario stores a blueprint.
func (e *env) scenario(bp string) *weft.Scenario {
	e.t.Helper()
	sc, err := e.svc.CreateScenario(e.t.Context(), []byte(bp), "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return sc
}

// failRuns runs the scenario n times with distinct orders; each run stores one
// incomplete execution (the stand-in refuses). Returns their ids in order.
func (e *env) failRuns(sc *weft.Scenario, n int) []string {
	e.t.Helper()
	var ids []string
	for i := range n {
		rr, err := e.svc.Run(e.t.Context(), sc.ID, []weft.Bundle{{"orderId": fmt.Sprintf("A-%d", 100+i)}})
		if err != nil {
			e.t.Fatal(err)
		}
		if len(rr.Incomplete) != 1 {
			e.t.Fatalf("run %d stored %d incomplete executions, want 1 (status %s)", i, len(rr.Incomplete), rr.Result.Status)
		}
		ids = append(ids, rr.Incomplete[0].ID)
		e.clock.Add(time.Second)
	}
	return ids
}

func mustContain(t testing.TB, body string, want ...string) {
	t.Helper()
	missing := false
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
			missing = true
		}
	}
	if missing {
		if i := strings.Index(body, "<main>"); i > 0 {
			body = body[i:]
		}
		if len(body) > 6000 {
			body = body[:6000] + "…"
		}
		t.Logf("page: %s", body)
	}
}

func mustNotContain(t testing.TB, body string, bad ...string) {
	t.Helper()
	for _, w := range bad {
		if strings.Contains(body, w) {
			t.Errorf("page contains %q", w)
		}
	}
}

func itoa(n int64) string { return fmt.Sprint(n) }
