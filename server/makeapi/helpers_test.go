package makeapi_test

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
	"github.com/weftworks/weft/secrets"
	"github.com/weftworks/weft/server/makeapi"
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

// env is Make's API over real HTTP on a real SQLite store and a real service.
type env struct {
	t     testing.TB
	srv   *httptest.Server
	svc   *service.Service
	st    store.Store
	auth  *auth.Auth
	clock *clock
	admin string // a token with every scope
	ids   atomic.Int64
	keys  atomic.Int64
}

const baseURL = "https://weft.example.com"

func newEnv(t testing.TB) *env {
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
	if e.svc, err = service.New(service.Config{Store: st, Registry: reg, Clock: e.clock.Now, Logger: quiet, Secrets: kr,
		NewID: func() string { return fmt.Sprintf("%032x", e.ids.Add(1)) }}); err != nil {
		t.Fatal(err)
	}
	e.auth = auth.New(st, auth.WithClock(e.clock.Now), auth.WithLogger(quiet))
	h := makeapi.New(makeapi.Deps{Service: e.svc, Auth: e.auth, BaseURL: baseURL + "/", Now: e.clock.Now, Logger: quiet,
		MaxBodyBytes: 64 << 10, NewKey: func() string { return fmt.Sprintf("key%d", e.keys.Add(1)) }})
	mux := http.NewServeMux()
	mux.Handle("/api/v2/", h)
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

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

// makeErr returns the fields of Make's error shape.
func (r resp) makeErr(t testing.TB) (code, message, detail string) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("not a JSON object: %s", r.body)
	}
	c, _ := m["code"].(string)
	msg, _ := m["message"].(string)
	d, ok := m["detail"].(string)
	if c == "" || msg == "" || !ok {
		t.Fatalf("not Make's error shape: %s", r.body)
	}
	return c, msg, d
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
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.srv.URL+"/api/v2"+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
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

// must checks the status and returns the decoded body.
func (e *env) must(status int, r resp) map[string]any {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
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

// ok is must(200, …).
func (e *env) ok(method, path string, body any) map[string]any {
	e.t.Helper()
	return e.must(200, e.do(method, path, body))
}

// greeting: webhook → Parse JSON (module 2) → compose → webhook response. A payload
// whose raw is not JSON stores a DataError at module 2.
const greeting = `{"name":"Greeting","flow":[
 {"id":1,"module":"gateway:CustomWebHook","version":1,"parameters":{"hook":1},"mapper":{}},
 {"id":2,"module":"json:ParseJSON","version":1,"parameters":{},"mapper":{"json":"{{1.raw}}"}},
 {"id":3,"module":"util:ComposeTransformer","version":1,"parameters":{},"mapper":{"value":"Hello, {{2.name}}!"}},
 {"id":4,"module":"gateway:WebhookRespond","version":1,"parameters":{},"mapper":{"status":"200","body":"{{3.value}}"}}],
 "metadata":{"version":1,"instant":true,"scenario":{"roundtrips":1,"maxErrors":3,"autoCommit":true,"dlq":true}}}`

// counter writes every run's name into data store 27969 (Make's exported id).
const counter = `{"name":"Counter","description":"counts names","flow":[
 {"id":1,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"x"}},
 {"id":2,"module":"datastore:AddRecord","version":1,"parameters":{"datastore":27969},"mapper":{"key":"{{1.value}}","overwrite":true,"data":{"n":1}}}],
 "metadata":{"version":1,"scenario":{}}}`

// createScenario creates a blueprint through Make's API (as the SDK sends it: the
// blueprint and scheduling as JSON strings) and returns the scenario.
func (e *env) createScenario(bp string) map[string]any {
	e.t.Helper()
	out := e.ok("POST", "/scenarios", map[string]any{"teamId": 7, "blueprint": bp, "scheduling": `{"type":"on-demand"}`,
		"metadata": map[string]any{"input_spec": []any{}, "output_spec": []any{}}})
	return out["scenario"].(map[string]any)
}

func idOf(m map[string]any) string { return fmt.Sprint(m["id"]) }

// failGreeting starts the greeting scenario and runs it with broken JSON n times,
// returning the incomplete executions' ids.
func (e *env) failGreeting(scenario string, n int) []string {
	e.t.Helper()
	e.ok("POST", "/scenarios/"+scenario+"/start", nil)
	var ids []string
	for i := range n {
		run := e.ok("POST", "/scenarios/"+scenario+"/run", map[string]any{"data": map[string]any{"raw": fmt.Sprintf("{broken %d", i)}, "responsive": true})
		if run["status"] != 2.0 {
			e.t.Fatalf("run %v", run)
		}
		ex, err := e.st.GetExecution(e.t.Context(), run["executionId"].(string))
		if err != nil {
			e.t.Fatal(err)
		}
		ies, err := e.st.ListIncomplete(e.t.Context(), store.IncompleteFilter{ExecutionID: ex.ID})
		if err != nil || len(ies) != 1 {
			e.t.Fatalf("incomplete executions of %s: %v %v", ex.ID, ies, err)
		}
		ids = append(ids, ies[0].ID)
	}
	return ids
}
