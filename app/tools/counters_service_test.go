package tools_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/app/tools"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
)

// weftProcess is what `weft serve` wires on a data folder: the SQLite file, the
// registry of every app on that store (all.New), and the service.
type weftProcess struct {
	st  store.Store
	svc *service.Service
	now time.Time
}

// start opens the database at path as a new process would; ids carries on between
// processes, as generated ids would not repeat.
func start(t *testing.T, path string, ids *atomic.Int64, now time.Time) *weftProcess {
	t.Helper()
	p := &weftProcess{st: openStore(t, path), now: now}
	reg, err := all.New(all.Deps{Store: p.st})
	if err != nil {
		t.Fatal(err)
	}
	p.svc, err = service.New(service.Config{Store: p.st, Registry: reg,
		Clock:  func() time.Time { return p.now },
		NewID:  func() string { return fmt.Sprintf("id%04d", ids.Add(1)) },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *weftProcess) run(t *testing.T, scenario int64, items int) *service.RunResult {
	t.Helper()
	rr, err := p.svc.Run(t.Context(), scenario, []weft.Bundle{{"items": make([]any, items)}})
	if err != nil {
		t.Fatal(err)
	}
	if rr.Result.Status != weft.StatusSuccess {
		t.Fatalf("run: status %s: %+v", rr.Result.Status, rr.Result.Error)
	}
	return rr
}

func blueprintOf(modules ...string) []byte {
	flow := ""
	for i, m := range modules {
		if i > 0 {
			flow += ","
		}
		flow += m
	}
	return []byte(`{"name":"counter","flow":[` + flow + `],"metadata":{"version":1,"scenario":{}}}`)
}

// The counter survives a restart: a new service on the same SQLite file goes on
// counting where the last one stopped, and a second scenario counts on its own.
func TestScenarioCounterSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "weft.db")
	var ids atomic.Int64
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	bp := blueprintOf(hook, feeder, increment(3, "scenario"))

	first := start(t, path, &ids, now)
	sc, err := first.svc.CreateScenario(t.Context(), bp, "")
	if err != nil {
		t.Fatal(err)
	}
	other, err := first.svc.CreateScenario(t.Context(), bp, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := counts(first.run(t, sc.ID, 2).Result, 3); !reflect.DeepEqual(got, []any{1.0, 2.0}) {
		t.Errorf("first run counted %v; want [1 2]", got)
	}
	if got := counts(first.run(t, sc.ID, 1).Result, 3); !reflect.DeepEqual(got, []any{3.0}) {
		t.Errorf("second run counted %v; want [3]", got)
	}
	if err := first.st.Close(); err != nil {
		t.Fatal(err)
	}

	second := start(t, path, &ids, now.Add(time.Hour))
	if got := counts(second.run(t, sc.ID, 2).Result, 3); !reflect.DeepEqual(got, []any{4.0, 5.0}) {
		t.Errorf("run after the restart counted %v; want [4 5]", got)
	}
	if got := counts(second.run(t, other.ID, 1).Result, 3); !reflect.DeepEqual(got, []any{1.0}) {
		t.Errorf("the other scenario counted %v; want [1]", got)
	}
	// A new blueprint version keeps the counter: it belongs to the scenario's module.
	if _, err := second.svc.UpdateScenario(t.Context(), sc.ID, blueprintOf(hook, feeder, increment(3, "scenario"),
		`{"id":4,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"{{3.i}}"}}`)); err != nil {
		t.Fatal(err)
	}
	if got := counts(second.run(t, sc.ID, 1).Result, 3); !reflect.DeepEqual(got, []any{6.0}) {
		t.Errorf("run of version 2 counted %v; want [6]", got)
	}
	key := tools.CounterKey(fmt.Sprint(sc.ID), 3)
	if got := stored(t, second.st, key); !reflect.DeepEqual(got, weft.Bundle{"i": 6.0}) {
		t.Errorf("record %s = %v; want i=6", key, got)
	}
}

// A retry resumes a run of the scenario: an Increment after the failed module counts
// on the scenario's counter, between the live runs before and after it.
func TestScenarioCounterInRetry(t *testing.T) {
	var status atomic.Int32
	status.Store(http.StatusServiceUnavailable)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(int(status.Load()))
	}))
	t.Cleanup(srv.Close)
	call := `{"id":4,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},` +
		`"mapper":{"url":"` + srv.URL + `","method":"get"}}`

	var ids atomic.Int64
	p := start(t, filepath.Join(t.TempDir(), "weft.db"), &ids, time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	sc, err := p.svc.CreateScenario(t.Context(), blueprintOf(hook, increment(3, "scenario"), call, increment(5, "scenario")), "")
	if err != nil {
		t.Fatal(err)
	}
	rr, err := p.svc.Run(t.Context(), sc.ID, []weft.Bundle{{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rr.Incomplete) != 1 || rr.Incomplete[0].FailedModuleID != 4 {
		t.Fatalf("run: status %s, incomplete %+v; want one at module 4", rr.Result.Status, rr.Incomplete)
	}
	status.Store(http.StatusOK)
	p.now = p.now.Add(time.Hour)
	if n, err := p.svc.RunDue(t.Context()); err != nil || n != 1 {
		t.Fatalf("RunDue: %d, %v; want the retry", n, err)
	}
	// The retry resumed at module 4: module 3 counted once (the failed run), module 5
	// once (the retry); the next live run goes on from there.
	rr = p.run(t, sc.ID, 0)
	if got := []any{counts(rr.Result, 3), counts(rr.Result, 5)}; !reflect.DeepEqual(got, []any{[]any{2.0}, []any{2.0}}) {
		t.Errorf("live run after the retry counted modules 3, 5: %v; want [[2] [2]]", got)
	}
}
