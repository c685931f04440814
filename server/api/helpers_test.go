package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/bulk"
	"github.com/weftworks/weft/secrets"
	"github.com/weftworks/weft/server/api"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/sqlite"
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

// env is the API over real HTTP on a real SQLite store and a real service.
type env struct {
	t     testing.TB
	srv   *httptest.Server
	svc   *service.Service
	st    store.Store
	auth  *auth.Auth
	clock *clock
	admin string // a token with every scope
	ids   atomic.Int64
	jobs  *bulk.Jobs
}

const baseURL = "https://weft.example.com"

func newEnv(t testing.TB, cfg ...func(*service.Config)) *env {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "weft.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg, err := all.WithStore(st)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st, clock: &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	key, err := secrets.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := secrets.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	c := service.Config{Store: st, Registry: reg, Clock: e.clock.Now, Logger: quiet, Secrets: kr,
		NewID: func() string { return fmt.Sprintf("id%04d", e.ids.Add(1)) }}
	for _, f := range cfg {
		f(&c)
	}
	if e.svc, err = service.New(c); err != nil {
		t.Fatal(err)
	}
	e.auth = auth.New(st, auth.WithClock(e.clock.Now), auth.WithLogger(quiet))
	// Bulk jobs read the store every millisecond; the worker is the test's (RunDue).
	e.jobs = bulk.New(bulk.Options{Service: e.svc, Poll: time.Millisecond, Now: e.clock.Now, Logger: quiet})
	t.Cleanup(e.jobs.Close)
	h := api.New(api.Deps{Service: e.svc, Auth: e.auth, BaseURL: baseURL + "/", Now: e.clock.Now, Logger: quiet,
		MaxBodyBytes: 64 << 10, Jobs: e.jobs})
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", h)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	e.admin = e.token("admin")
	return e
}

// token creates a token with scopes.
func (e *env) token(scopes ...string) string {
	e.t.Helper()
	plain, _, err := e.auth.Create(e.t.Context(), "t-"+strings.Join(scopes, "-"), scopes)
	if err != nil {
		e.t.Fatal(err)
	}
	return plain
}

// resp is an answer: status, headers, body.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

// json decodes the body.
func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

// errCode returns the error code and details of an error answer.
func (r resp) err(t *testing.T) (code, message string, details map[string]any) {
	t.Helper()
	m := r.json(t)
	e, ok := m["error"].(map[string]any)
	if !ok || len(m) != 1 {
		t.Fatalf("not an error object: %s", r.body)
	}
	d, _ := e["details"].(map[string]any)
	return e["code"].(string), e["message"].(string), d
}

// do sends a request with the admin token; body may be a string or a value to encode.
func (e *env) do(method, path string, body any) resp {
	e.t.Helper()
	return e.doAs(e.admin, method, path, body)
}

func (e *env) doAs(token, method, path string, body any) resp {
	e.t.Helper()
	r := e.send(token, method, path, body)
	if err := checkResponse(method, path, r); err != nil {
		e.t.Error(err)
	}
	return r
}

// raw sends with the admin token without validating the answer (benchmarks).
func (e *env) raw(method, path string, body any) resp {
	return e.send(e.admin, method, path, body)
}

func (e *env) send(token, method, path string, body any) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.srv.URL+"/api/v1"+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: data}
}

// must checks the status and returns the decoded body (nil for an empty one).
func (e *env) must(status int, r resp) map[string]any {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if len(r.body) == 0 {
		return nil
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		e.t.Fatalf("Content-Type %q", ct)
	}
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		e.t.Fatalf("not a JSON object: %s", r.body)
	}
	return m
}

// greeting is examples/parse-greeting.json: webhook → Parse JSON (module 2) → compose →
// webhook response. A payload whose raw is not JSON stores a DataError at module 2.
const greeting = `{
    "name": "Greeting",
    "flow": [
        {"id": 1, "module": "gateway:CustomWebHook", "version": 1, "parameters": {"hook": 1}, "mapper": {}},
        {"id": 2, "module": "json:ParseJSON", "version": 1, "parameters": {}, "mapper": {"json": "{{1.raw}}"}},
        {"id": 3, "module": "util:ComposeTransformer", "version": 1, "parameters": {}, "mapper": {"value": "Hello, {{2.name}}!"}},
        {"id": 4, "module": "gateway:WebhookRespond", "version": 1, "parameters": {}, "mapper": {"status": "200", "body": "{{3.value}}"}}
    ],
    "metadata": {"version": 1, "instant": true, "scenario": {"roundtrips": 1, "maxErrors": 3, "autoCommit": true, "dlq": true}}
}
`

// composeOnly has no webhook trigger.
const composeOnly = `{"name":"Compose","flow":[{"id":1,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"x"}}],"metadata":{"version":1,"scenario":{}}}`

// echo answers the webhook with its value field.
const echo = `{"name":"Echo","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
	{"id":2,"module":"gateway:WebhookRespond","version":1,"mapper":{"status":"200","body":"got {{1.value}}"}}],"metadata":{"version":1,"scenario":{}}}`

// unsupported uses a module weft cannot run: stored, never activated.
const unsupported = `{"name":"Slack","flow":[{"id":1,"module":"acme:CreateWidget","version":1,"mapper":{"text":"hi"}}],"metadata":{"version":1,"scenario":{}}}`

// create stores a blueprint through the API and returns the scenario.
func (e *env) create(bp string) map[string]any {
	e.t.Helper()
	return e.must(201, e.do("POST", "/scenarios", bp))
}

func id(m map[string]any) string { return fmt.Sprint(m["id"]) }

// failGreeting runs greeting with broken JSON n times and returns the incomplete
// executions' ids.
func (e *env) failGreeting(scenario string, n int) []string {
	e.t.Helper()
	var ids []string
	for i := range n {
		run := e.must(200, e.do("POST", "/scenarios/"+scenario+"/run", fmt.Sprintf(`{"raw":"{broken %d"}`, i)))
		ies := run["incompleteExecutions"].([]any)
		if run["status"] != "warning" || len(ies) != 1 {
			e.t.Fatalf("run %v", run)
		}
		ids = append(ids, ies[0].(string))
	}
	return ids
}

// job waits for the bulk job a 202 answer started and returns GET /jobs/{id} after it
// ended.
func (e *env) job(accepted map[string]any) map[string]any {
	e.t.Helper()
	j := e.jobs.Get(accepted["id"].(string))
	if j == nil {
		e.t.Fatalf("no job %v", accepted)
	}
	select {
	case <-j.Done():
	case <-time.After(30 * time.Second):
		e.t.Fatalf("job %v did not end", j.Snapshot())
	}
	return e.must(200, e.do("GET", "/jobs/"+j.ID(), nil))
}
