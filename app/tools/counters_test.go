package tools_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/builtin"
	"github.com/weftworks/weft/app/datastore"
	"github.com/weftworks/weft/app/tools"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/sqlite"
)

// openStore opens (or reopens) the SQLite file at path; it is closed with the test.
func openStore(t testing.TB, path string) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatalf("open sqlite store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// counterEngine is the real engine over the built-in flow control, the tools app with
// st as its counter store, and the data store app on st.
func counterEngine(t testing.TB, st store.Store) *engine.Engine {
	t.Helper()
	reg := app.NewRegistry()
	for _, register := range []func(*app.Registry) error{builtin.Register,
		func(r *app.Registry) error { return tools.RegisterOptions(r, tools.Options{Counters: st}) },
		func(r *app.Registry) error { return datastore.Register(r, st) }} {
		if err := register(reg); err != nil {
			t.Fatal(err)
		}
	}
	var ids atomic.Int64
	eng, err := engine.New(engine.Options{Registry: reg,
		Clock: func() time.Time { return time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC) },
		NewID: func() string { return fmt.Sprintf("exec-%d", ids.Add(1)) }})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func compile(t testing.TB, eng *engine.Engine, settings string, modules ...string) *engine.Plan {
	t.Helper()
	doc := fmt.Sprintf(`{"name":"t","flow":[%s],"metadata":{"version":1,"scenario":%s}}`,
		strings.Join(modules, ","), settings)
	bp, err := blueprint.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	p, err := eng.Compile(bp)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return p
}

const (
	hook = `{"id":1,"module":"gateway:CustomWebHook","version":1,"parameters":{},"mapper":{}}`
	// feeder emits one bundle per element of the payload's items.
	feeder = `{"id":2,"module":"builtin:BasicFeeder","version":1,"mapper":{"array":"{{1.items}}"}}`
)

func increment(id int, reset string) string {
	return fmt.Sprintf(`{"id":%d,"module":"util:FunctionIncrement","version":1,"parameters":{"reset":%q}}`, id, reset)
}

// counts is every i module id output in the run, in order.
func counts(res *engine.Result, id int) []any {
	var out []any
	for _, e := range res.Log {
		if e.ModuleID == id {
			for _, b := range e.Output {
				out = append(out, b["i"])
			}
		}
	}
	return out
}

func runScenario(t testing.TB, eng *engine.Engine, p *engine.Plan, scenario string, items int) *engine.Result {
	t.Helper()
	res, err := eng.Run(context.Background(), p, engine.Input{
		Trigger:  [][]weft.Bundle{{{"items": make([]any, items)}}},
		Scenario: engine.ScenarioInfo{ID: scenario, Name: "s" + scenario}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func stored(t testing.TB, st store.Store, key string) weft.Bundle {
	t.Helper()
	rec, err := st.GetRecord(context.Background(), tools.CountersStore, key)
	if err != nil {
		t.Fatalf("counter %s: %v", key, err)
	}
	return rec
}

// Two separate engine runs of one scenario keep counting; every module and every
// scenario has its own counter, even scenarios sharing one compiled plan; the other
// resets still start again.
func TestScenarioCounterAcrossRuns(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "weft.db"))
	eng := counterEngine(t, st)
	p := compile(t, eng, "{}", hook, feeder, increment(3, "scenario"), increment(4, "scenario"), increment(5, "execution"))
	for _, tc := range []struct {
		scenario string
		items    int
		mod3     []any
		mod5     []any
	}{
		{"12", 3, []any{1.0, 2.0, 3.0}, []any{1.0, 2.0, 3.0}},
		{"12", 2, []any{4.0, 5.0}, []any{1.0, 2.0}},
		{"13", 1, []any{1.0}, []any{1.0}}, // another scenario, same plan
		{"12", 1, []any{6.0}, []any{1.0}},
	} {
		res := runScenario(t, eng, p, tc.scenario, tc.items)
		if res.Status != weft.StatusSuccess {
			t.Fatalf("scenario %s: status %s: %+v", tc.scenario, res.Status, res.Error)
		}
		if got := counts(res, 3); !reflect.DeepEqual(got, tc.mod3) {
			t.Errorf("scenario %s: module 3 counted %v; want %v", tc.scenario, got, tc.mod3)
		}
		if got := counts(res, 4); !reflect.DeepEqual(got, tc.mod3) {
			t.Errorf("scenario %s: module 4 counted %v; want %v (its own counter, in step with 3)", tc.scenario, got, tc.mod3)
		}
		if got := counts(res, 5); !reflect.DeepEqual(got, tc.mod5) {
			t.Errorf("scenario %s: module 5 (reset execution) counted %v; want %v", tc.scenario, got, tc.mod5)
		}
	}
	for key, want := range map[string]weft.Bundle{"12:3": {"i": 6.0}, "12:4": {"i": 6.0}, "13:3": {"i": 1.0}} {
		if got := stored(t, st, key); !reflect.DeepEqual(got, want) {
			t.Errorf("record %s = %v; want %v", key, got, want)
		}
	}
	if n, err := st.CountRecords(context.Background(), tools.CountersStore); err != nil || n != 4 {
		t.Errorf("%s holds %d records (%v); want 4 (reset execution stores nothing)", tools.CountersStore, n, err)
	}

	// The record is the counter: a person who edits it sets where counting goes on, and
	// one who deletes it starts it again at 1.
	ctx := context.Background()
	if err := st.PutRecord(ctx, tools.CountersStore, "12:3", weft.Bundle{"i": 41.0}, true); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteRecord(ctx, tools.CountersStore, "12:4"); err != nil {
		t.Fatal(err)
	}
	res := runScenario(t, eng, p, "12", 1)
	if got := []any{counts(res, 3)[0], counts(res, 4)[0]}; !reflect.DeepEqual(got, []any{42.0, 1.0}) {
		t.Errorf("after editing and deleting: modules 3, 4 counted %v; want [42 1]", got)
	}
}

// Make's counter is not transactional: a run that is rolled back keeps the numbers it
// used, so no number is ever handed out twice.
func TestScenarioCounterNotUndoneByRollback(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "weft.db"))
	if err := st.PutRecord(context.Background(), "7", "taken", weft.Bundle{}, false); err != nil {
		t.Fatal(err)
	}
	eng := counterEngine(t, st)
	add := `{"id":3,"module":"datastore:AddRecord","version":1,"parameters":{"datastore":7},"mapper":{"key":"x{{4.i}}","overwrite":false,"data":{}}}`
	// The record "taken" exists: adding it again fails, and the handler rolls back.
	dup := `{"id":5,"module":"datastore:AddRecord","version":1,"parameters":{"datastore":7},"mapper":{"key":"taken","overwrite":false,"data":{}},` +
		`"onerror":[{"id":30,"module":"builtin:Rollback","version":1}]}`
	p := compile(t, eng, `{"autoCommit":false}`, hook, increment(4, "scenario"), add, dup)
	for run, want := range []float64{1, 2} {
		res := runScenario(t, eng, p, "9", 0)
		if res.Status != weft.StatusError || res.Committed || res.Error == nil || res.Error.Type != weft.DuplicateDataError {
			t.Fatalf("run %d: status %s, committed %v, error %+v; want a rolled back DuplicateDataError", run+1, res.Status, res.Committed, res.Error)
		}
		if got := counts(res, 4); !reflect.DeepEqual(got, []any{want}) {
			t.Errorf("run %d: counted %v; want [%v]", run+1, got, want)
		}
	}
	// The data store write of each run was undone; the counter was not.
	if n, _ := st.CountRecords(context.Background(), "7"); n != 1 {
		t.Errorf("data store 7 holds %d records; want 1 (the rolled back adds undone)", n)
	}
	if got := stored(t, st, "9:4"); !reflect.DeepEqual(got, weft.Bundle{"i": 2.0}) {
		t.Errorf("counter = %v; want i=2", got)
	}
}

// Runs of one scenario at the same time never get the same number, and none is skipped.
func TestScenarioCounterConcurrentRuns(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "weft.db"))
	eng := counterEngine(t, st)
	p := compile(t, eng, "{}", hook, feeder, increment(3, "scenario"))
	const runs, items = 16, 5
	results := make([]*engine.Result, runs)
	done := make(chan int)
	for i := range runs {
		go func() {
			res, err := eng.Run(context.Background(), p, engine.Input{
				Trigger:  [][]weft.Bundle{{{"items": make([]any, items)}}},
				Scenario: engine.ScenarioInfo{ID: "5"}})
			if err == nil {
				results[i] = res
			}
			done <- i
		}()
	}
	for range runs {
		<-done
	}
	var got []float64
	for i, res := range results {
		if res == nil || res.Status != weft.StatusSuccess {
			t.Fatalf("run %d failed: %+v", i, res)
		}
		for _, n := range counts(res, 3) {
			got = append(got, n.(float64))
		}
	}
	slices.Sort(got)
	want := make([]float64, runs*items)
	for i := range want {
		want[i] = float64(i + 1)
	}
	if !slices.Equal(got, want) {
		t.Errorf("concurrent runs counted %v; want every number 1…%d once", got, runs*items)
	}
}

func TestScenarioCounterErrors(t *testing.T) {
	ctx := context.Background()
	// Without a counter store the module cannot be built, and says why.
	s := apptest.Spec(t, tools.Register, "util:FunctionIncrement")
	_, err := s.New(app.Config{ModuleID: 3, Parameters: weft.Bundle{"reset": "scenario"}})
	apptest.WantError(t, err, weft.InvalidConfigurationError,
		`reset: "scenario" (never reset) is not yet supported here: its counter lives in weft's store across runs, and this registry has none`)

	st := openStore(t, filepath.Join(t.TempDir(), "weft.db"))
	withStore := apptest.Spec(t, func(r *app.Registry) error {
		return tools.RegisterOptions(r, tools.Options{Counters: st})
	}, "util:FunctionIncrement")
	m, err := withStore.New(app.Config{ModuleID: 3, Parameters: weft.Bundle{"reset": "scenario"}})
	if err != nil {
		t.Fatal(err)
	}
	// An execution that belongs to no scenario has nothing to count across.
	_, err = m.Run(ctx, &app.Call{ModuleID: 3, Input: weft.Bundle{}, Exec: apptest.NewExec()})
	apptest.WantError(t, err, weft.InvalidConfigurationError,
		`reset: "scenario" counts across the runs of one scenario, and execution test-exec was started without a scenario`)
	_, err = m.Run(ctx, &app.Call{ModuleID: 3, Input: weft.Bundle{}, Exec: inScenario("")})
	apptest.WantError(t, err, weft.InvalidConfigurationError, "was started without a scenario")

	// A record a person broke is a DataError naming it, and is left as it is.
	for _, tc := range []struct {
		rec  weft.Bundle
		want string
	}{
		{weft.Bundle{}, `data store "weft:counters" record "4:3": no counter field i (delete the record to start again at 1)`},
		{weft.Bundle{"i": "many"}, `record "4:3": counter field i: text "many" is not a number`},
		{weft.Bundle{"i": -1.0}, `counter field i: -1 is not a whole number from 0 to 9007199254740990`},
		{weft.Bundle{"i": 2.5}, `counter field i: 2.5 is not a whole number`},
		{weft.Bundle{"i": float64(1<<53 - 1)}, `counter field i: 9007199254740991 is not a whole number`},
	} {
		if err := st.PutRecord(ctx, tools.CountersStore, "4:3", tc.rec, true); err != nil {
			t.Fatal(err)
		}
		_, err := m.Run(ctx, &app.Call{ModuleID: 3, Input: weft.Bundle{}, Exec: inScenario("4")})
		apptest.WantError(t, err, weft.DataError, tc.want)
		if got := stored(t, st, "4:3"); !reflect.DeepEqual(got, tc.rec) {
			t.Errorf("broken record became %v; want it left as %v", got, tc.rec)
		}
	}
	// Text that holds a number is read as one (a record written through the API).
	if err := st.PutRecord(ctx, tools.CountersStore, "4:3", weft.Bundle{"i": "10"}, true); err != nil {
		t.Fatal(err)
	}
	out, err := m.Run(ctx, &app.Call{ModuleID: 3, Input: weft.Bundle{}, Exec: inScenario("4")})
	if err != nil || !reflect.DeepEqual(out, []weft.Bundle{{"i": 11.0}}) {
		t.Errorf("after i=\"10\": %v, %v; want i=11", out, err)
	}

	// A store that fails is a RuntimeError naming the counter.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = m.Run(ctx, &app.Call{ModuleID: 3, Input: weft.Bundle{}, Exec: inScenario("4")})
	apptest.WantError(t, err, weft.RuntimeError, `increment counter "4:3" in data store "weft:counters": `)
}

// scenarioExec is a test execution of a scenario.
type scenarioExec struct {
	*apptest.Exec
	scenario string
}

func (e scenarioExec) ScenarioID() string { return e.scenario }

var _ tools.ScenarioExecution = scenarioExec{}

func inScenario(id string) scenarioExec { return scenarioExec{Exec: apptest.NewExec(), scenario: id} }

func TestCounterKey(t *testing.T) {
	if got := tools.CounterKey("12", 6); got != "12:6" {
		t.Errorf("CounterKey(12, 6) = %q; want 12:6", got)
	}
}
