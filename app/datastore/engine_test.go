package datastore_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/builtin"
	"github.com/weftworks/weft/app/datastore"
	"github.com/weftworks/weft/app/httpmod"
	"github.com/weftworks/weft/app/tools"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/internal/corpus"
	"github.com/weftworks/weft/store"
)

// scenario is the real engine over a registry holding the built-in flow control, the
// tools, HTTP and this app on a real store.
type scenario struct {
	t   *testing.T
	st  store.Store
	eng *engine.Engine
	now time.Time
}

func newScenario(t *testing.T) *scenario {
	t.Helper()
	st := newBackend(t)
	reg := app.NewRegistry()
	for _, register := range []func(*app.Registry) error{builtin.Register, tools.Register, httpmod.Register,
		func(r *app.Registry) error { return datastore.Register(r, st) }} {
		if err := register(reg); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	var ids atomic.Int64
	eng, err := engine.New(engine.Options{Registry: reg, Clock: func() time.Time { return now },
		NewID: func() string { return fmt.Sprintf("exec-%d", ids.Add(1)) }})
	if err != nil {
		t.Fatal(err)
	}
	return &scenario{t: t, st: st, eng: eng, now: now}
}

// compile builds a blueprint from its flow (a JSON array) and scenario settings.
func (s *scenario) compile(flow, settings string) *engine.Plan {
	s.t.Helper()
	doc := fmt.Sprintf(`{"name":"t","flow":%s,"metadata":{"version":1,"scenario":%s}}`, flow, settings)
	return s.compileDoc(doc)
}

func (s *scenario) compileDoc(doc string) *engine.Plan {
	s.t.Helper()
	bp, err := blueprint.Parse([]byte(doc))
	if err != nil {
		s.t.Fatalf("parse: %v", err)
	}
	p, err := s.eng.Compile(bp)
	if err != nil {
		s.t.Fatalf("compile: %v", err)
	}
	return p
}

func (s *scenario) run(p *engine.Plan, payload weft.Bundle) *engine.Result {
	s.t.Helper()
	res, err := s.eng.Run(context.Background(), p, engine.Input{Trigger: [][]weft.Bundle{{payload}}})
	if err != nil {
		s.t.Fatalf("run: %v", err)
	}
	return res
}

func (s *scenario) stored(name string) map[string]weft.Bundle {
	s.t.Helper()
	return (&harness{t: s.t, st: s.st}).stored(name)
}

func (s *scenario) seed(name string, recs map[string]weft.Bundle) {
	s.t.Helper()
	(&harness{t: s.t, st: s.st}).seed(name, recs)
}

// output is what module id emitted in the run (its last log entry).
func output(t *testing.T, res *engine.Result, id int) []weft.Bundle {
	t.Helper()
	for i := len(res.Log) - 1; i >= 0; i-- {
		if res.Log[i].ModuleID == id {
			return res.Log[i].Output
		}
	}
	t.Fatalf("module %d did not run; log %+v", id, res.Log)
	return nil
}

const (
	hook = `{"id":1,"module":"gateway:CustomWebHook","version":1,"parameters":{},"mapper":{}}`
	// addX stores the payload's id; dupKey then adds an existing key without overwrite
	// (a DuplicateDataError, which fails the run unless a handler takes it).
	addX   = `{"id":2,"module":"datastore:AddRecord","version":1,"parameters":{"datastore":7},"mapper":{"key":"{{1.id}}","overwrite":false,"data":{"email":"{{1.email}}","at":"{{now}}"}}}`
	dupKey = `{"id":3,"module":"datastore:AddRecord","version":1,"parameters":{"datastore":7},"mapper":{"key":"taken","overwrite":false,"data":{}}%s}`
	addY   = `{"id":4,"module":"datastore:AddRecord","version":1,"parameters":{"datastore":7},"mapper":{"key":"y","overwrite":true,"data":{}}}`
)

func flow(mods ...string) string { return "[" + strings.Join(mods, ",") + "]" }

func handler(directive string) string {
	return fmt.Sprintf(`,"onerror":[{"id":30,"module":"builtin:%s","version":1}]`, directive)
}

func TestEngineTransactions(t *testing.T) {
	taken := map[string]weft.Bundle{"taken": {}}
	for _, tc := range []struct {
		name     string
		flow     string
		settings string
		status   weft.Status
		errType  weft.ErrorType
		stored   []string
	}{
		// autoCommit (the default): each write is committed right after its module, so
		// the later failure cannot take x back.
		{"autoCommit on, run fails", flow(hook, addX, fmt.Sprintf(dupKey, ""), addY), `{}`,
			weft.StatusError, weft.DuplicateDataError, []string{"taken", "x"}},
		{"autoCommit on, Rollback directive", flow(hook, addX, fmt.Sprintf(dupKey, handler("Rollback")), addY), `{"autoCommit":true}`,
			weft.StatusError, weft.DuplicateDataError, []string{"taken", "x"}},
		// autoCommit off: the cycle's writes wait for its end.
		{"autoCommit off, success", flow(hook, addX, addY), `{"autoCommit":false}`,
			weft.StatusSuccess, "", []string{"taken", "x", "y"}},
		{"autoCommit off, run fails: rolled back", flow(hook, addX, fmt.Sprintf(dupKey, ""), addY), `{"autoCommit":false}`,
			weft.StatusError, weft.DuplicateDataError, []string{"taken"}},
		{"autoCommit off, Rollback directive undoes the run's writes", flow(hook, addX, fmt.Sprintf(dupKey, handler("Rollback")), addY), `{"autoCommit":false}`,
			weft.StatusError, weft.DuplicateDataError, []string{"taken"}},
		{"autoCommit off, Commit directive keeps them and stops", flow(hook, addX, fmt.Sprintf(dupKey, handler("Commit")), addY), `{"autoCommit":false}`,
			weft.StatusSuccess, "", []string{"taken", "x"}},
		{"autoCommit off, Ignore directive drops the bundle, keeps the writes", flow(hook, addX, fmt.Sprintf(dupKey, handler("Ignore")), addY), `{"autoCommit":false}`,
			weft.StatusSuccess, "", []string{"taken", "x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newScenario(t)
			s.seed("7", taken)
			res := s.run(s.compile(tc.flow, tc.settings), weft.Bundle{"id": "x", "email": "x@y.io"})
			if res.Status != tc.status {
				t.Fatalf("status %s (error %+v); want %s", res.Status, res.Error, tc.status)
			}
			if tc.errType != "" && (res.Error == nil || res.Error.Type != tc.errType) {
				t.Fatalf("error %+v; want %s", res.Error, tc.errType)
			}
			got := []string{}
			for _, k := range []string{"taken", "x", "y"} {
				if _, ok := s.stored("7")[k]; ok {
					got = append(got, k)
				}
			}
			same(t, "stored keys", got, tc.stored)
			if _, ok := s.stored("7")["x"]; ok {
				same(t, "x", s.stored("7")["x"], weft.Bundle{"email": "x@y.io", "at": s.now})
			}
		})
	}
}

// An error stored as an incomplete execution does not fail the run: with autoCommit off
// the cycle's writes are committed at its end, so resuming the IE later finds them.
func TestEngineIncompleteExecutionCommits(t *testing.T) {
	s := newScenario(t)
	update := `{"id":3,"module":"datastore:UpdateRecord","version":1,"parameters":{"datastore":7},"mapper":{"key":"missing","data":{"v":1}}}`
	res := s.run(s.compile(flow(hook, addX, update), `{"autoCommit":false}`), weft.Bundle{"id": "x", "email": "e"})
	if res.Status != weft.StatusWarning || len(res.Incomplete) != 1 || res.Incomplete[0].Error.Type != weft.DataError {
		t.Fatalf("status %s, incomplete %d, error %+v", res.Status, len(res.Incomplete), res.Error)
	}
	same(t, "stored", s.stored("7"), map[string]weft.Bundle{"x": {"email": "e", "at": s.now}})
}

// With autoCommit off nothing is written before the cycle ends, yet later modules of the
// run read the earlier ones' writes; an iterator's bundles see each other's.
func TestEngineReadYourOwnWrites(t *testing.T) {
	s := newScenario(t)
	p := s.compile(flow(hook,
		`{"id":2,"module":"builtin:BasicFeeder","version":1,"mapper":{"array":"{{1.items}}"}}`,
		`{"id":3,"module":"datastore:UpdateRecord","version":1,"mapper":{"key":"total","data":{"seen":["{{2.value}}"]},"upsert":true}}`,
		`{"id":4,"module":"datastore:GetRecord","version":1,"mapper":{"key":"total","returnWrapped":false}}`,
		`{"id":5,"module":"datastore:SearchRecord","version":1,"parameters":{"continueWhenNoRes":true},"mapper":{"filter":[[{"a":"seen","o":"array:contain","b":"{{2.value}}"}]]}}`,
	), `{"autoCommit":false}`)
	res := s.run(p, weft.Bundle{"items": []any{"a", "b", "c"}})
	if res.Status != weft.StatusSuccess {
		t.Fatalf("status %s: %+v", res.Status, res.Error)
	}
	var reads []any
	for _, e := range res.Log {
		if e.ModuleID == 4 {
			reads = append(reads, e.Output[0]["seen"])
		}
		if e.ModuleID == 5 && e.Output[0]["key"] != "total" {
			t.Fatalf("search output %v", e.Output)
		}
	}
	same(t, "reads in the loop", reads, []any{[]any{"a"}, []any{"a", "b"}, []any{"a", "b", "c"}})
	same(t, "stored", s.stored("default"), map[string]weft.Bundle{"total": {"seen": []any{"a", "b", "c"}}})
}

// Blueprint 001, Make's dedupe pattern, run as exported: the second delivery of an id
// does not reach the API; another id does.
func TestEngineCorpus001Dedupe(t *testing.T) {
	s := newScenario(t)
	api, hits := newStandIn(t)
	p := s.corpusPlan("001-make-datastore-dedupe.json", api.URL)
	for i, tc := range []struct {
		id    string
		calls int
		exist bool
	}{
		{"r-1", 1, false},
		{"r-1", 1, true},
		{"r-2", 2, false},
		{"r-1", 2, true},
	} {
		res := s.run(p, weft.Bundle{"id": tc.id, "email": tc.id + "@x.io"})
		if res.Status != weft.StatusSuccess {
			t.Fatalf("run %d: status %s: %+v", i, res.Status, res.Error)
		}
		same(t, fmt.Sprintf("run %d: exist", i), output(t, res, 2), []weft.Bundle{{"exist": tc.exist}})
		if got := hits(); len(got) != tc.calls {
			t.Fatalf("run %d: %d API calls %v; want %d", i, len(got), got, tc.calls)
		}
	}
	same(t, "API bodies", hits(), []string{`{"id": "r-1", "email": "r-1@x.io"}`, `{"id": "r-2", "email": "r-2@x.io"}`})
	same(t, "stored", s.stored("default"), map[string]weft.Bundle{
		"r-1": {"email": "r-1@x.io", "processedAt": s.now},
		"r-2": {"email": "r-2@x.io", "processedAt": s.now},
	})
}

// The same delivery arriving several times at once still reaches the API once. A run
// that checks after another committed the key sees exist = true and its filter stops
// the route; a run whose AddRecord finds the key committed by another stops
// with a DuplicateDataError, and one whose commit finds it stops with an
// InconsistencyError: either way before the HTTP module.
func TestEngineCorpus001ConcurrentDuplicates(t *testing.T) {
	s := newScenario(t)
	api, hits := newStandIn(t)
	p := s.corpusPlan("001-make-datastore-dedupe.json", api.URL)
	const n = 8
	results := make([]*engine.Result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res, err := s.eng.Run(context.Background(), p,
				engine.Input{Trigger: [][]weft.Bundle{{{"id": "same", "email": "e"}}}})
			if err != nil {
				t.Error(err)
			}
			results[i] = res
		})
	}
	wg.Wait()
	if got := hits(); len(got) != 1 {
		t.Fatalf("%d API calls; want 1", len(got))
	}
	for _, res := range results {
		switch {
		case res.Status == weft.StatusSuccess: // called the API, or saw exist = true
		case res.Error != nil && (res.Error.Type == weft.InconsistencyError ||
			res.Error.Type == weft.DuplicateDataError && res.Error.ModuleID == 3):
		default:
			t.Fatalf("status %s error %+v; want success, InconsistencyError or DuplicateDataError", res.Status, res.Error)
		}
	}
	same(t, "stored", s.stored("default"), map[string]weft.Bundle{"same": {"email": "e", "processedAt": s.now}})
}

func (s *scenario) corpusPlan(name, apiURL string) *engine.Plan {
	s.t.Helper()
	data, err := os.ReadFile(corpus.Path(name))
	if err != nil {
		s.t.Fatal(err)
	}
	return s.compileDoc(strings.ReplaceAll(string(data), "https://api.example.com", apiURL))
}

// newStandIn is a local server for api.example.com; hits returns the bodies received.
func newStandIn(t *testing.T) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	bodies := []string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), bodies...)
	}
}
