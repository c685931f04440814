package storetest

import (
	"encoding/json"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// testExecutionParent: a sub-scenario run names the execution and module that called
// it, in every read (one, a listing, the running ones), and the runs one execution
// called are listed by their parent.
func testExecutionParent(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	parent, child := newScenario(t, s, "P"), newScenario(t, s, "C")
	p := &weft.Execution{ID: "p1", ScenarioID: parent.ID, Version: 1, Kind: weft.KindRun,
		Status: weft.ExecutionRunning, StartedAt: at(1)}
	must(t, s.CreateExecution(ctx, p), "create parent")
	var kids []*weft.Execution
	for i, id := range []string{"c1", "c2"} {
		c := &weft.Execution{ID: id, ScenarioID: child.ID, Version: 1, Kind: weft.KindRun,
			Status: weft.ExecutionRunning, Input: json.RawMessage(`[{"x":1}]`), ParentID: "p1", ParentModule: 3,
			StartedAt: at(2 + i)}
		must(t, s.CreateExecution(ctx, c), "create child")
		kids = append(kids, c)
	}
	other := &weft.Execution{ID: "o1", ScenarioID: child.ID, Version: 1, Kind: weft.KindRun,
		Status: weft.ExecutionRunning, StartedAt: at(5)}
	must(t, s.CreateExecution(ctx, other), "create an execution nothing called")

	got, err := s.GetExecution(ctx, "c1")
	must(t, err, "get child")
	equal(t, got, kids[0], "child execution")
	kids[0].Status, kids[0].FinishedAt = weft.ExecutionSuccess, ptr(at(6))
	must(t, s.UpdateExecution(ctx, kids[0]), "finish child")
	got, err = s.GetExecution(ctx, "c1")
	must(t, err, "get finished child")
	equal(t, [2]any{got.ParentID, got.ParentModule}, [2]any{"p1", 3}, "the caller after an update")

	list, err := s.ListExecutions(ctx, store.ExecutionFilter{ParentID: "p1"})
	must(t, err, "list children")
	var ids []string
	for _, e := range list {
		ids = append(ids, e.ID+"<"+e.ParentID)
	}
	equal(t, ids, []string{"c2<p1", "c1<p1"}, "the runs p1 called, newest first")
	list, err = s.ListExecutions(ctx, store.ExecutionFilter{ScenarioID: child.ID})
	must(t, err, "list the child scenario's executions")
	equal(t, len(list), 3, "executions of the child scenario")
	running, err := s.RunningExecutions(ctx)
	must(t, err, "running")
	for _, e := range running {
		if e.ID == "c2" && (e.ParentID != "p1" || e.ParentModule != 3 || string(e.Input) != `[{"x":1}]`) {
			t.Fatalf("running child %+v", e)
		}
		if e.ID == "o1" && e.ParentID != "" {
			t.Fatalf("an execution nothing called has parent %q", e.ParentID)
		}
	}
	// Deleting the scenario deletes its executions with their links.
	must(t, s.DeleteScenario(ctx, child.ID), "delete the child scenario")
	list, err = s.ListExecutions(ctx, store.ExecutionFilter{ParentID: "p1"})
	must(t, err, "list children after the delete")
	equal(t, len(list), 0, "children after their scenario was deleted")
}

// testQueueCaller: a payload queued by a call that does not wait keeps its caller, and
// a claim returns it.
func testQueueCaller(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	sc := newScenario(t, s, "C")
	caller := &weft.Caller{ExecutionID: "p1", ScenarioID: 7, ModuleID: 3, Chain: []int64{5, 7}}
	it := &weft.QueueItem{ScenarioID: sc.ID, Payload: json.RawMessage(`{"n":1}`), EnqueuedAt: at(1), Caller: caller}
	must(t, s.Enqueue(ctx, it), "enqueue with a caller")
	plain := &weft.QueueItem{ScenarioID: sc.ID, Payload: json.RawMessage(`{"n":2}`), EnqueuedAt: at(2)}
	must(t, s.Enqueue(ctx, plain), "enqueue without")
	got, err := s.GetQueued(ctx, it.ID)
	must(t, err, "get")
	equal(t, got.Caller, caller, "caller of the item")
	claimed, err := s.ClaimQueued(ctx, 1, nil, counter())
	must(t, err, "claim")
	if len(claimed) != 1 || claimed[0].ID != it.ID {
		t.Fatalf("claimed %v", claimed)
	}
	equal(t, claimed[0].Caller, caller, "caller of the claimed item")
	must(t, s.DeleteQueued(ctx, it.ID), "settle")
	batch, err := s.ClaimQueuedBatch(ctx, sc.ID, 5, "x2")
	must(t, err, "claim batch")
	if len(batch) != 1 || batch[0].Caller != nil {
		t.Fatalf("an item without a caller claimed as %+v", batch)
	}
}
