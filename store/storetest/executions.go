package storetest

import (
	"encoding/json"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func testExecutions(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	sc := newScenario(t, s, "E")
	e := &weft.Execution{ID: "x1", ScenarioID: sc.ID, Version: 1, Kind: weft.KindRun,
		Status: weft.ExecutionRunning, Input: json.RawMessage(`[{"a":1}]`), QueueItemID: 7,
		StartedAt: at(1), Trigger: weft.TriggerWebhook}
	must(t, s.CreateExecution(ctx, e), "create")
	got, err := s.GetExecution(ctx, "x1")
	must(t, err, "get")
	equal(t, got, e, "stored execution")
	wantErr(t, s.CreateExecution(ctx, e), store.ErrExists, "create the same id twice")

	// Still running: the input stays.
	e.Operations = 2
	must(t, s.UpdateExecution(ctx, e), "update while running")
	got, err = s.GetExecution(ctx, "x1")
	must(t, err, "get while running")
	equal(t, string(got.Input), `[{"a":1}]`, "input while running")
	equal(t, got.Operations, 2, "operations")

	// Finished: status, error, log, response, finish time written; input cleared.
	e.Status, e.Operations = weft.ExecutionError, 5
	e.ErrorType, e.ErrorMsg, e.ErrorModule = weft.ErrorType("DataError"), "bad", 4
	e.Log = json.RawMessage(`{"entries":[]}`)
	e.Response = json.RawMessage(`{"status":200}`)
	e.FinishedAt = ptr(at(2))
	must(t, s.UpdateExecution(ctx, e), "finish")
	got, err = s.GetExecution(ctx, "x1")
	must(t, err, "get finished")
	want := *e
	want.Input = nil
	equal(t, got, &want, "finished execution")

	retry := &weft.Execution{ID: "x2", ScenarioID: sc.ID, Version: 1, Kind: weft.KindRetry,
		Status: weft.ExecutionRunning, IncompleteID: "ie1", StartedAt: at(3), Trigger: weft.TriggerRetry}
	must(t, s.CreateExecution(ctx, retry), "create retry")
	got, err = s.GetExecution(ctx, "x2")
	must(t, err, "get retry")
	equal(t, got, retry, "retry execution")
}

func testExecutionNotFound(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	_, err := s.GetExecution(ctx, "none")
	wantErr(t, err, store.ErrNotFound, "GetExecution")
	err = s.UpdateExecution(ctx, &weft.Execution{ID: "none", Status: weft.ExecutionSuccess})
	wantErr(t, err, store.ErrNotFound, "UpdateExecution")
	_, err = s.ListExecutions(ctx, store.ExecutionFilter{Before: "none"})
	wantErr(t, err, store.ErrNotFound, "ListExecutions with an unknown cursor")
}

func testListExecutions(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	a, b := newScenario(t, s, "A"), newScenario(t, s, "B")
	logs := map[string]string{"a2": `[{"output":[{"order":"A-77"}]}]`, "b1": `[{"output":[{"order":"A-7_x"}]}]`}
	add := func(id string, sc int64, st weft.ExecutionStatus, minute int, ie string) {
		t.Helper()
		log := `{}`
		if l, ok := logs[id]; ok {
			log = l
		}
		must(t, s.CreateExecution(ctx, &weft.Execution{ID: id, ScenarioID: sc, Version: 1,
			Kind: weft.KindRun, Status: st, StartedAt: at(minute), IncompleteID: ie,
			Input: json.RawMessage(`[1]`), Log: json.RawMessage(log)}), "create "+id)
	}
	add("a1", a.ID, weft.ExecutionSuccess, 1, "")
	add("a2", a.ID, weft.ExecutionError, 2, "")
	add("b1", b.ID, weft.ExecutionSuccess, 3, "")
	add("a3", a.ID, weft.ExecutionSuccess, 4, "ie1")
	add("a4", a.ID, weft.ExecutionWarning, 4, "ie1") // same start as a3: id breaks the tie
	add("b2", b.ID, weft.ExecutionRunning, 5, "")

	execIDs := func(f store.ExecutionFilter) []string {
		t.Helper()
		list, err := s.ListExecutions(ctx, f)
		must(t, err, "list executions")
		out := []string{}
		for _, e := range list {
			if e.Input != nil || e.Log != nil {
				t.Fatalf("list returned input or log for %s", e.ID)
			}
			out = append(out, e.ID)
		}
		return out
	}
	cases := []struct {
		name string
		f    store.ExecutionFilter
		want []string
	}{
		{"all, newest first", store.ExecutionFilter{}, []string{"b2", "a4", "a3", "b1", "a2", "a1"}},
		{"one scenario", store.ExecutionFilter{ScenarioID: a.ID}, []string{"a4", "a3", "a2", "a1"}},
		{"status", store.ExecutionFilter{Status: weft.ExecutionSuccess}, []string{"a3", "b1", "a1"}},
		{"scenario and status", store.ExecutionFilter{ScenarioID: b.ID, Status: weft.ExecutionSuccess}, []string{"b1"}},
		{"attempts of an incomplete execution", store.ExecutionFilter{IncompleteID: "ie1"}, []string{"a4", "a3"}},
		{"limit", store.ExecutionFilter{Limit: 2}, []string{"b2", "a4"}},
		{"cursor", store.ExecutionFilter{Before: "a4", Limit: 2}, []string{"a3", "b1"}},
		{"cursor in a scenario", store.ExecutionFilter{ScenarioID: a.ID, Before: "a3"}, []string{"a2", "a1"}},
		{"cursor at the end", store.ExecutionFilter{Before: "a1"}, []string{}},
		{"nothing matches", store.ExecutionFilter{Status: weft.ExecutionWarning, ScenarioID: b.ID}, []string{}},
		{"from, inclusive", store.ExecutionFilter{From: at(4)}, []string{"b2", "a4", "a3"}},
		{"to, exclusive", store.ExecutionFilter{To: at(3)}, []string{"a2", "a1"}},
		{"date range", store.ExecutionFilter{From: at(2), To: at(4)}, []string{"b1", "a2"}},
		{"search: a value in the log", store.ExecutionFilter{Search: "A-77"}, []string{"a2"}},
		{"search: a value in two logs", store.ExecutionFilter{Search: `"A-7`}, []string{"b1", "a2"}},
		{"search: an id prefix", store.ExecutionFilter{Search: "a"}, []string{"a4", "a3", "a2", "a1"}},
		{"search: LIKE's wildcards are literal", store.ExecutionFilter{Search: "%"}, []string{}},
		{"search: an underscore in the log", store.ExecutionFilter{Search: "_x"}, []string{"b1"}},
		{"search with scenario and range", store.ExecutionFilter{Search: "A-7", ScenarioID: a.ID, To: at(3)}, []string{"a2"}},
	}
	for _, c := range cases {
		equal(t, execIDs(c.f), c.want, c.name)
	}
	// Paging with the cursor visits everything once.
	var paged []string
	f := store.ExecutionFilter{Limit: 4}
	for {
		page := execIDs(f)
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		f.Before = page[len(page)-1]
	}
	equal(t, paged, []string{"b2", "a4", "a3", "b1", "a2", "a1"}, "paged")

	_, err := s.ListExecutions(ctx, store.ExecutionFilter{Limit: -1})
	if err == nil {
		t.Fatal("a negative limit is an error")
	}
	// The default limit is 50.
	for i := range 55 {
		add(idf("z%02d", i), b.ID, weft.ExecutionSuccess, 10+i, "")
	}
	equal(t, len(execIDs(store.ExecutionFilter{})), 50, "default limit")
}

func testRunningExecutions(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	sc := newScenario(t, s, "R")
	for i, st := range []weft.ExecutionStatus{weft.ExecutionRunning, weft.ExecutionSuccess, weft.ExecutionRunning} {
		must(t, s.CreateExecution(ctx, &weft.Execution{ID: idf("r%d", i), ScenarioID: sc.ID,
			Version: 1, Kind: weft.KindRun, Status: st, StartedAt: at(5 - i),
			Input: json.RawMessage(`[{"n":1}]`)}), "create")
	}
	list, err := s.RunningExecutions(ctx)
	must(t, err, "running")
	got := []string{}
	for _, e := range list {
		got = append(got, e.ID)
		equal(t, string(e.Input), `[{"n":1}]`, "running execution keeps its input for recovery")
	}
	equal(t, got, []string{"r2", "r0"}, "running executions, oldest first")
}
