// Package browser walks weft's web UI in a real headless Chromium (Debian's chromium
// package, driven by chromedp) against a real server on 127.0.0.1 with a real SQLite
// store: sign in, import a blueprint, a run that fails at a later module, find the
// incomplete execution, change its mapping, run it and see it resolved, retry a group
// in bulk, and be refused without a session.
//
// Screenshots of the main pages are written to docs/screenshots/ when
// WEFT_SCREENSHOTS=1 (they change with every run, so a plain `make test` leaves the
// committed ones alone):
//
//	WEFT_SCREENSHOTS=1 go test ./test/browser/
package browser

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/server"
	"github.com/weftworks/weft/server/api"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store/sqlite"
	"github.com/weftworks/weft/ui"
)

const chromiumPath = "/usr/bin/chromium"

// runs is an Observer that signals every recorded run and retry attempt.
type runs chan *weft.Execution

func (r runs) RunFinished(_ *weft.Scenario, ex *weft.Execution, _ *engine.Result) { r <- ex }
func (runs) IncompleteStored(*weft.Scenario, *weft.Incomplete)                    {}
func (runs) ScenarioDeactivated(*weft.Scenario, string)                           {}

// wait waits for n recorded runs.
func (r runs) wait(t *testing.T, n int) []*weft.Execution {
	t.Helper()
	var out []*weft.Execution
	timeout := time.After(30 * time.Second)
	for len(out) < n {
		select {
		case ex := <-r:
			out = append(out, ex)
		case <-timeout:
			t.Fatalf("waited for %d runs, saw %d", n, len(out))
		}
	}
	return out
}

// partner is the downstream API: /orders answers 422 until accepting is set; /fixed
// always answers 200. It records every call.
type partner struct {
	srv       *httptest.Server
	mu        sync.Mutex
	accepting bool
	calls     []string
}

func newPartner(t *testing.T) *partner {
	p := &partner{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		p.calls = append(p.calls, r.URL.RequestURI()+" "+string(body))
		ok := p.accepting || r.URL.Path == "/fixed"
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if !ok {
			w.WriteHeader(http.StatusUnprocessableEntity)
			fmt.Fprint(w, `{"error":"order rejected: unknown warehouse"}`)
			return
		}
		fmt.Fprint(w, `{"accepted":true}`)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *partner) accept() { p.mu.Lock(); p.accepting = true; p.mu.Unlock() }

func (p *partner) called(prefix string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, c := range p.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

// weftServer is `weft serve` in-process: API, UI, webhooks and the worker.
type weftServer struct {
	base  string
	token string
	runs  runs
	svc   *service.Service
	st    *sqlite.Store
	auth  *auth.Auth
}

func startWeft(t *testing.T, configure ...func(*service.Config)) *weftServer {
	t.Helper()
	w := startEmptyWeft(t, configure...)
	plain, _, err := w.auth.Create(t.Context(), "browser-test", []string{auth.Admin})
	if err != nil {
		t.Fatal(err)
	}
	w.token = plain
	return w
}

// startEmptyWeft is startWeft without the admin token: a fresh weft, no account and
// no token.
func startEmptyWeft(t *testing.T, configure ...func(*service.Config)) *weftServer {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "weft.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := all.WithStore(st)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	rs := make(runs, 1024)
	cfg := service.Config{Store: st, Registry: reg, Logger: quiet, Observer: rs}
	for _, f := range configure {
		f(&cfg)
	}
	svc, err := service.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	a := auth.New(st, auth.WithLogger(quiet))
	webUI, err := ui.New(ui.Config{Service: svc, Auth: a, Registry: reg, BaseURL: base, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Service: svc, Store: st, Logger: quiet, UI: webUI, Poll: 20 * time.Millisecond,
		API: api.New(api.Deps{Service: svc, Auth: a, BaseURL: base, Logger: quiet})})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		st.Close()
	})
	return &weftServer{base: base, runs: rs, svc: svc, st: st, auth: a}
}

// newBrowser starts a headless Chromium with a fresh profile.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser tests need Debian's chromium at %s: apt-get install -y chromium (%v)", chromiumPath, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// shots writes screenshots to docs/screenshots when WEFT_SCREENSHOTS=1, else to a
// temporary folder (the screenshot is still taken: the page rendered).
func shots(t *testing.T) string {
	if os.Getenv("WEFT_SCREENSHOTS") == "1" {
		dir, err := filepath.Abs("../../docs/screenshots")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

// screenshot saves the whole page as dir/name.png.
func screenshot(dir, name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		buf, err := chromedp.FullScreenshot(100)(ctx, tg)
		if err != nil {
			return fmt.Errorf("screenshot %s: %w", name, err)
		}
		return os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
	})
}

// steps runs a person's steps; a failure says where the browser was.
func steps(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	// Each step has its own time limit, so a failure can still ask the browser where
	// it is.
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		url, _ := chromedp.Run(ctx, chromedp.Location())
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("#outcome") ? "outcome: " + document.querySelector("#outcome").innerHTML + "\n" : "") + (document.querySelector("main") ? document.querySelector("main").innerText : document.body.innerText)`))
		if len(text) > 1500 {
			text = text[:1500]
		}
		t.Fatalf("%s: %v (at %s: %s)", step, err, url, text)
	}
}

// read runs one action that returns a value.
func read[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("read %s: %v", what, err)
	}
	return v
}

func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	return read(t, ctx, css, chromedp.Text(chromedp.CSS(css)))
}

func css(s string) chromedp.CSS { return chromedp.CSS(s) }
func id(s string) chromedp.ID   { return chromedp.ID(s) }

func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	return read(t, ctx, "location", chromedp.Location())
}

const blueprintTemplate = `{
    "name": "Forward orders to the warehouse",
    "description": "Each order arriving on the webhook is posted to the warehouse API.",
    "flow": [
        {"id": 1, "module": "gateway:CustomWebHook", "version": 1, "parameters": {"hook": 1}, "mapper": {}},
        {"id": 2, "module": "util:SetVariable2", "version": 1, "parameters": {}, "mapper": {"name": "order", "scope": "roundtrip", "value": "{{1.orderId}}"}},
        {"id": 3, "module": "http:MakeRequest", "version": 4, "parameters": {"authenticationType": "noAuth"},
         "mapper": {"url": "PARTNER/orders?id={{1.orderId}}", "method": "post", "contentType": "json", "inputMethod": "jsonString",
                    "jsonStringBodyContent": "{\"orderId\": \"{{1.orderId}}\", \"qty\": {{1.qty}}}"}},
        {"id": 4, "module": "util:ComposeTransformer", "version": 1, "parameters": {}, "mapper": {"value": "order {{1.orderId}} sent ({{3.statusCode}})"}}
    ],
    "metadata": {"version": 1, "instant": true, "scenario": {"roundtrips": 1, "maxErrors": 3, "autoCommit": true, "dlq": true}}
}`

func postJSON(t *testing.T, url, body string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("POST %s: %d", url, resp.StatusCode)
	}
}

// TestAPersonFixesAFailedRun is the "done when", walked as a person would.
func TestAPersonFixesAFailedRun(t *testing.T) {
	w := startWeft(t)
	p := newPartner(t)
	ctx := newBrowser(t)
	dir := shots(t)
	bpFile := filepath.Join(t.TempDir(), "forward-orders.json")
	if err := os.WriteFile(bpFile, []byte(strings.ReplaceAll(blueprintTemplate, "PARTNER", p.srv.URL)), 0o644); err != nil {
		t.Fatal(err)
	}

	// Signed out, any page leads to the sign-in.
	steps(t, ctx, "open weft", chromedp.Navigate(w.base+"/incomplete"), chromedp.WaitVisible(id("token")), screenshot(dir, "01-sign-in"))
	if loc := location(t, ctx); !strings.HasPrefix(loc, w.base+"/login") {
		t.Fatalf("without a session /incomplete is %s, want the sign-in", loc)
	}
	steps(t, ctx, "sign in", chromedp.SendKeys(id("token"), w.token), chromedp.Click(id("signin")),
		chromedp.WaitVisible(id("ie-total")))

	// Import the blueprint file and activate the scenario.
	steps(t, ctx, "import", chromedp.Click(css(`header a[href="/scenarios"]`)), chromedp.WaitVisible(id("import-form")),
		chromedp.SetUploadFiles(id("blueprint"), []string{bpFile}), chromedp.Click(id("import")),
		chromedp.WaitVisible(id("scenario-name")))
	steps(t, ctx, "activate", chromedp.Click(id("activate")), chromedp.WaitVisible(id("deactivate")), screenshot(dir, "03-scenario"))
	name, hook := text(t, ctx, "#scenario-name"), text(t, ctx, "#hook-url")
	if name != "Forward orders to the warehouse" || !strings.HasPrefix(hook, w.base+"/hooks/") {
		t.Fatalf("scenario %q, webhook %q", name, hook)
	}

	// An order arrives; the warehouse refuses it at module 3, after module 2 ran.
	postJSON(t, hook, `{"orderId": "A-1", "qty": 2}`)
	if ex := w.runs.wait(t, 1)[0]; ex.Status != weft.ExecutionWarning || ex.ErrorModule != 3 {
		t.Fatalf("run %s at module %d, want warning at module 3", ex.Status, ex.ErrorModule)
	}

	// Find it: the scenarios list counts it, the list shows it with its module.
	steps(t, ctx, "find the incomplete execution", chromedp.Click(css(`header a[href="/scenarios"]`)),
		chromedp.WaitVisible(css(`tr[data-scenario] a[href$="/incomplete"]`)), screenshot(dir, "02-scenarios"),
		chromedp.Click(css(`tr[data-scenario] a[href$="/incomplete"]`)), chromedp.WaitVisible(css(`tr[data-ie]`)),
		screenshot(dir, "04-incomplete-list"))
	row := text(t, ctx, "tr[data-ie]")
	for _, want := range []string{"unresolved", "DataError", "3 · HTTP: Make a request"} {
		if !strings.Contains(row, want) {
			t.Errorf("the row %q lacks %q", row, want)
		}
	}

	// Open it: the error, the failing module highlighted, the stored input.
	steps(t, ctx, "open it", chromedp.Click(css(`tr[data-ie] a`)), chromedp.WaitVisible(id("resolve-form")),
		screenshot(dir, "05-incomplete-execution"))
	errText, input := text(t, ctx, "#ie-error"), text(t, ctx, "#ie-input")
	failed := read(t, ctx, "failed module", chromedp.AttributeValue(css(".module.failed"), "data-module"))
	if !strings.Contains(errText, "DataError at module 3") || !strings.Contains(errText, "422") {
		t.Errorf("error shown: %q", errText)
	}
	if failed.Value != "3" || !strings.Contains(input, "/orders?id=A-1") {
		t.Errorf("highlighted module %q, input %q", failed.Value, input)
	}

	// Change the mapping and run: the outcome arrives live (server-sent events).
	steps(t, ctx, "fix and run",
		chromedp.SetValue(css(`[name="mapper.url"]`), p.srv.URL+"/fixed?id={{1.orderId}}&via=ui"),
		chromedp.Click(id("resolve-run")), chromedp.WaitVisible(css(`#outcome [data-outcome]`)), screenshot(dir, "06-resolved"))
	outcome, after := text(t, ctx, "#outcome"), text(t, ctx, "#ie-status-after")
	if after != "resolved" || !strings.Contains(outcome, "Run ended success") {
		t.Fatalf("outcome %q, status %q", outcome, after)
	}
	// Each module the attempt ran is listed with how it ended and how long it took.
	if mods := text(t, ctx, "#outcome .job-modules"); !strings.Contains(mods, "ok 3 · HTTP: Make a request") ||
		!strings.Contains(mods, "ok 4 · Compose a string") {
		t.Errorf("modules listed %q", mods)
	}
	if n := p.called("/fixed?id=A-1&via=ui "); n != 1 {
		t.Errorf("the warehouse got %d corrected calls, want 1", n)
	}
	w.runs.wait(t, 1)

	// Three more orders fail the same way; once the warehouse accepts again, one click
	// retries the group.
	for i := 2; i <= 4; i++ {
		postJSON(t, hook, fmt.Sprintf(`{"orderId": "A-%d", "qty": 1}`, i))
	}
	w.runs.wait(t, 3)
	p.accept()
	steps(t, ctx, "group", chromedp.Click(css(`header a[href="/incomplete"]`)), chromedp.WaitVisible(id("by-cause")),
		chromedp.Click(id("by-cause")), chromedp.WaitVisible(css(".retry-group")), screenshot(dir, "07-groups"))
	if groups := text(t, ctx, "#groups"); !strings.Contains(groups, "Retry all 3") {
		t.Fatalf("groups %q", groups)
	}
	steps(t, ctx, "retry the group", chromedp.Click(css(".retry-group")), chromedp.WaitVisible(css(".flash")))
	if flash := text(t, ctx, ".flash"); !strings.Contains(flash, "Queued 3 retries") {
		t.Fatalf("flash %q", flash)
	}
	for _, ex := range w.runs.wait(t, 3) {
		if ex.Kind != weft.KindRetry || ex.Status != weft.ExecutionSuccess {
			t.Errorf("retry %s ended %s", ex.Kind, ex.Status)
		}
	}
	steps(t, ctx, "see them resolved", chromedp.Navigate(w.base+"/incomplete?status=resolved"), chromedp.WaitVisible(id("ie-total")),
		screenshot(dir, "08-incomplete-resolved"))
	if total := text(t, ctx, "#ie-total"); !strings.HasPrefix(total, "4 incomplete executions (status resolved)") {
		t.Errorf("resolved: %q", total)
	}
	if n := p.called("/orders?id=A-"); n != 7 {
		t.Errorf("the warehouse saw %d calls to /orders, want 7 (4 refused, 3 retried)", n)
	}

	// The run history and a run's detail.
	steps(t, ctx, "history", chromedp.Click(css(`header a[href="/executions"]`)), chromedp.WaitVisible(id("executions")),
		screenshot(dir, "09-history"), chromedp.Click(css(`#executions tbody a[href^="/executions/"]`)),
		chromedp.WaitVisible(css(`[data-log-module]`)), screenshot(dir, "10-execution"))

	// On a phone-width screen.
	steps(t, ctx, "phone", chromedp.EmulateViewport(390, 844), chromedp.Navigate(w.base+"/incomplete?status=all"),
		chromedp.WaitVisible(id("incomplete")), screenshot(dir, "11-phone-incomplete"), chromedp.EmulateViewport(1280, 900))

	// Signed out, the pages are refused again.
	steps(t, ctx, "sign out", chromedp.Click(id("logout")), chromedp.WaitVisible(id("token")),
		chromedp.Navigate(w.base+"/incomplete"), chromedp.WaitVisible(id("token")))
	if loc := location(t, ctx); !strings.HasPrefix(loc, w.base+"/login") {
		t.Errorf("after sign-out /incomplete is %s", loc)
	}
}

// TestRefusedWithoutSession: no page or action answers without a session.
func TestRefusedWithoutSession(t *testing.T) {
	w := startWeft(t)
	ctx := newBrowser(t)
	for _, path := range []string{"/scenarios", "/incomplete/groups", "/tokens"} {
		steps(t, ctx, "open "+path, chromedp.Navigate(w.base+path), chromedp.WaitVisible(id("token")))
		if loc := location(t, ctx); !strings.HasPrefix(loc, w.base+"/login?next=") {
			t.Errorf("%s without a session: %s", path, loc)
		}
	}
	// A forged POST from the page (no session, no CSRF token) is refused.
	got := read(t, ctx, "forged POST", chromedp.Evaluate[string](`fetch("/incomplete/bulk", {method: "POST",
		headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: "action=delete&all=1&scenario=1"})
		.then(r => String(r.status))`, chromedp.EvalAwaitPromise))
	if got != "401" {
		t.Errorf("forged POST: %s", got)
	}
	// A wrong token does not sign in.
	steps(t, ctx, "wrong token", chromedp.Navigate(w.base+"/login"), chromedp.WaitVisible(id("token")),
		chromedp.SendKeys(id("token"), "weft_NOTATOKEN"), chromedp.Click(id("signin")), chromedp.WaitVisible(id("login-error")))
	if msg := text(t, ctx, "#login-error"); !strings.Contains(msg, "not a valid weft API token") {
		t.Errorf("wrong token: %q", msg)
	}
}
