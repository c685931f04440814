package storetest

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// counter returns an id generator giving "x1", "x2", …
func counter() func() string {
	n := 0
	return func() string {
		n++
		return fmt.Sprintf("x%d", n)
	}
}

func testQueue(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	a, b, c := newScenario(t, s, "A"), newScenario(t, s, "B"), newScenario(t, s, "C")
	enq := func(sc *weft.Scenario, minute int, body string) *weft.QueueItem {
		t.Helper()
		it := &weft.QueueItem{ScenarioID: sc.ID, Payload: json.RawMessage(body), EnqueuedAt: at(minute)}
		must(t, s.Enqueue(ctx, it), "enqueue")
		if it.ID == 0 {
			t.Fatal("enqueue sets the item id")
		}
		return it
	}
	b1 := enq(b, 1, `{"n":"b1"}`)
	a1 := enq(a, 2, `{"n":"a1"}`)
	a2 := enq(a, 3, `{"n":"a2"}`)
	b2 := enq(b, 4, `{"n":"b2"}`)
	c1 := enq(c, 5, `{"n":"c1"}`)

	for _, d := range []struct {
		sc   int64
		want int
	}{{a.ID, 2}, {b.ID, 2}, {c.ID, 1}, {0, 5}, {404, 0}} {
		n, err := s.QueueDepth(ctx, d.sc)
		must(t, err, "depth")
		equal(t, n, d.want, fmt.Sprintf("depth of scenario %d", d.sc))
	}

	newID := counter()
	got, err := s.ClaimQueued(ctx, 2, nil, newID)
	must(t, err, "claim 2")
	// The oldest head items first, one per scenario.
	want := []*weft.QueueItem{
		{ID: b1.ID, ScenarioID: b.ID, Payload: b1.Payload, EnqueuedAt: at(1), ExecutionID: "x1"},
		{ID: a1.ID, ScenarioID: a.ID, Payload: a1.Payload, EnqueuedAt: at(2), ExecutionID: "x2"},
	}
	equal(t, got, want, "first claim")

	// A and B have an item taken: neither gives a second; C is skipped by the caller.
	got, err = s.ClaimQueued(ctx, 10, []int64{c.ID}, newID)
	must(t, err, "claim with C skipped")
	equal(t, len(got), 0, "nothing claimable")
	got, err = s.ClaimQueued(ctx, 10, nil, newID)
	must(t, err, "claim C")
	equal(t, got, []*weft.QueueItem{{ID: c1.ID, ScenarioID: c.ID, Payload: c1.Payload,
		EnqueuedAt: at(5), ExecutionID: "x3"}}, "C's item")
	n, err := s.QueueDepth(ctx, a.ID)
	must(t, err, "depth")
	equal(t, n, 2, "taken items stay in the queue until deleted")

	// A's run finishes: its next item comes up. B's run is rolled back: the same item
	// comes up again, still ahead of B's second.
	must(t, s.DeleteQueued(ctx, a1.ID), "delete a1")
	must(t, s.ReleaseQueued(ctx, b1.ID), "release b1")
	got, err = s.ClaimQueued(ctx, 10, nil, newID)
	must(t, err, "claim after finish and release")
	equal(t, got, []*weft.QueueItem{
		{ID: b1.ID, ScenarioID: b.ID, Payload: b1.Payload, EnqueuedAt: at(1), ExecutionID: "x4"},
		{ID: a2.ID, ScenarioID: a.ID, Payload: a2.Payload, EnqueuedAt: at(3), ExecutionID: "x5"},
	}, "after finish and release")
	must(t, s.DeleteQueued(ctx, b1.ID), "delete b1")
	got, err = s.ClaimQueued(ctx, 10, nil, newID)
	must(t, err, "claim b2")
	equal(t, len(got), 1, "one item")
	equal(t, got[0].ID, b2.ID, "B's second item")
	b2Exec := got[0].ExecutionID

	got, err = s.ClaimQueued(ctx, 0, nil, newID)
	must(t, err, "limit 0")
	equal(t, len(got), 0, "limit 0 claims nothing")
	if _, err := s.ClaimQueued(ctx, 1, nil, nil); err == nil {
		t.Fatal("claim without an id generator: want an error")
	}
	// A claim whose run was never recorded (a crash between the claim and the run's
	// record) is released; a claim whose execution is running is kept.
	must(t, s.CreateExecution(ctx, &weft.Execution{ID: b2Exec, ScenarioID: b.ID, Version: 1,
		Kind: weft.KindRun, Status: weft.ExecutionRunning, QueueItemID: b2.ID, StartedAt: at(10)}), "b2's run")
	orphan, err := s.ClaimQueued(ctx, 10, nil, newID) // a2 and c1 are still taken, never recorded
	must(t, err, "claim")
	equal(t, len(orphan), 0, "nothing else claimable")
	released, err := s.ReleaseOrphanedQueued(ctx)
	must(t, err, "release orphans")
	equal(t, released, 2, "orphaned claims released (a2's and c1's)")
	got, err = s.ClaimQueued(ctx, 10, nil, newID)
	must(t, err, "claim after release")
	equal(t, len(got), 2, "a2 and c1 again, B's b2 still taken")
	equal(t, []int64{got[0].ID, got[1].ID}, []int64{a2.ID, c1.ID}, "claimable again, oldest first")

	// Ids are never reused: a new item after deletes gets a new id.
	d := enq(a, 9, `{}`)
	for _, old := range []int64{a1.ID, a2.ID, b1.ID, b2.ID, c1.ID} {
		if d.ID == old {
			t.Fatalf("queue item id %d reused", old)
		}
	}
}

func testQueueNotFound(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	wantErr(t, s.ReleaseQueued(ctx, 404), store.ErrNotFound, "ReleaseQueued")
	wantErr(t, s.DeleteQueued(ctx, 404), store.ErrNotFound, "DeleteQueued")
}

func testClaimQueuedBatch(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	a, b := newScenario(t, s, "A"), newScenario(t, s, "B")
	var as []int64
	for i := 0; i < 4; i++ {
		it := &weft.QueueItem{ScenarioID: a.ID, Payload: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)), EnqueuedAt: at(i)}
		must(t, s.Enqueue(ctx, it), "enqueue a")
		as = append(as, it.ID)
	}
	must(t, s.Enqueue(ctx, &weft.QueueItem{ScenarioID: b.ID, Payload: json.RawMessage(`{}`), EnqueuedAt: at(0)}), "enqueue b")
	got, err := s.ClaimQueuedBatch(ctx, a.ID, 3, "run-1")
	must(t, err, "batch")
	equal(t, len(got), 3, "three of A's four")
	for i, it := range got {
		equal(t, it.ID, as[i], "arrival order")
		equal(t, it.ExecutionID, "run-1", "taken by the run")
	}
	// While A has items taken, a second batch takes nothing.
	got, err = s.ClaimQueuedBatch(ctx, a.ID, 3, "run-2")
	must(t, err, "second batch")
	equal(t, len(got), 0, "nothing while a run holds A's items")
	for _, id := range as[:3] {
		must(t, s.DeleteQueued(ctx, id), "finish")
	}
	got, err = s.ClaimQueuedBatch(ctx, a.ID, 3, "run-3")
	must(t, err, "third batch")
	equal(t, len(got), 1, "the fourth")
	equal(t, got[0].ID, as[3], "the fourth item")
	if _, err := s.ClaimQueuedBatch(ctx, b.ID, 1, ""); err == nil {
		t.Fatal("an empty execution id: want an error")
	}
}

func testCountDue(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	sc := newScenario(t, s, "A")
	for i, st := range []weft.IncompleteStatus{weft.IncompletePending, weft.IncompletePending, weft.IncompletePending, weft.IncompleteUnresolved} {
		ie := newIE(fmt.Sprintf("d%d", i), sc.ID, st, at(0))
		next := at(10 * i)
		ie.NextAttemptAt = &next
		createIE(t, s, ie)
	}
	n, err := s.CountDue(ctx, at(10))
	must(t, err, "count due")
	equal(t, n, 2, "pending and due by minute 10 (not the unresolved one, not minute 20)")
}
