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
		equal(t, it.SizeBytes, int64(len(body)), "enqueue sets the item's size")
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
		{ID: b1.ID, ScenarioID: b.ID, Payload: b1.Payload, EnqueuedAt: at(1), ExecutionID: "x1", SizeBytes: 10},
		{ID: a1.ID, ScenarioID: a.ID, Payload: a1.Payload, EnqueuedAt: at(2), ExecutionID: "x2", SizeBytes: 10},
	}
	equal(t, got, want, "first claim")

	// A and B have an item taken: neither gives a second; C is skipped by the caller.
	got, err = s.ClaimQueued(ctx, 10, []int64{c.ID}, newID)
	must(t, err, "claim with C skipped")
	equal(t, len(got), 0, "nothing claimable")
	got, err = s.ClaimQueued(ctx, 10, nil, newID)
	must(t, err, "claim C")
	equal(t, got, []*weft.QueueItem{{ID: c1.ID, ScenarioID: c.ID, Payload: c1.Payload,
		EnqueuedAt: at(5), ExecutionID: "x3", SizeBytes: 10}}, "C's item")
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
		{ID: b1.ID, ScenarioID: b.ID, Payload: b1.Payload, EnqueuedAt: at(1), ExecutionID: "x4", SizeBytes: 10},
		{ID: a2.ID, ScenarioID: a.ID, Payload: a2.Payload, EnqueuedAt: at(3), ExecutionID: "x5", SizeBytes: 10},
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

// testQueueSetAside: a payload whose run failed is set aside (dead) with its failure;
// it no longer holds its scenario's queue, can be listed, read, put back in its arrival
// place or deleted, and counts in the scenario's usage until then.
func testQueueSetAside(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	a, b := newScenario(t, s, "A"), newScenario(t, s, "B")
	var items []*weft.QueueItem
	for i, body := range []string{`{"n":"bad"}`, `{"n":"good"}`, `{"n":"third!"}`} {
		it := &weft.QueueItem{ScenarioID: a.ID, Payload: json.RawMessage(body), EnqueuedAt: at(i)}
		must(t, s.Enqueue(ctx, it), "enqueue")
		items = append(items, it)
	}
	other := &weft.QueueItem{ScenarioID: b.ID, Payload: json.RawMessage(`{}`), EnqueuedAt: at(9)}
	must(t, s.Enqueue(ctx, other), "enqueue B")
	bad, good, third := items[0], items[1], items[2]

	got, err := s.ClaimQueued(ctx, 1, []int64{b.ID}, func() string { return "run-1" })
	must(t, err, "claim")
	equal(t, got[0].ID, bad.ID, "the head is claimed")
	failure := weft.QueueFailure{At: at(20), ExecutionID: "run-1", ErrorType: weft.RuntimeError,
		ErrorMessage: "boom", ModuleID: 2}
	wantErr(t, s.SetAsideQueued(ctx, good.ID, weft.QueueFailure{At: at(20), ExecutionID: "run-1"}), store.ErrNotFound,
		"set aside an item the run does not hold")
	wantErr(t, s.SetAsideQueued(ctx, 404, failure), store.ErrNotFound, "set aside a missing item")
	if err := s.SetAsideQueued(ctx, bad.ID, weft.QueueFailure{At: at(20)}); err == nil {
		t.Fatal("set aside without the failed run's id: want an error")
	}
	must(t, s.SetAsideQueued(ctx, bad.ID, failure), "set aside")

	// The next payload is the head now; the dead one is never claimed.
	got, err = s.ClaimQueued(ctx, 5, []int64{b.ID}, func() string { return "run-2" })
	must(t, err, "claim after set aside")
	equal(t, len(got), 1, "one head")
	equal(t, got[0].ID, good.ID, "the payload behind the dead one")
	batch, err := s.ClaimQueuedBatch(ctx, a.ID, 5, "run-3")
	must(t, err, "batch while the head is taken")
	equal(t, len(batch), 0, "nothing while a run holds A's head")

	// Listing: arrival order, no payloads, statuses derived; filters and cursor.
	list, err := s.ListQueued(ctx, store.QueueFilter{ScenarioID: a.ID})
	must(t, err, "list")
	equal(t, len(list), 3, "A's items")
	want := []*weft.QueueItem{
		{ID: bad.ID, ScenarioID: a.ID, EnqueuedAt: at(0), SizeBytes: 11, Dead: &failure},
		{ID: good.ID, ScenarioID: a.ID, EnqueuedAt: at(1), SizeBytes: 12, ExecutionID: "run-2"},
		{ID: third.ID, ScenarioID: a.ID, EnqueuedAt: at(2), SizeBytes: 14},
	}
	equal(t, list, want, "A's queue")
	equal(t, []weft.QueueStatus{list[0].Status(), list[1].Status(), list[2].Status()},
		[]weft.QueueStatus{weft.QueueDead, weft.QueueRunning, weft.QueueWaiting}, "statuses")
	for _, c := range []struct {
		f    store.QueueFilter
		want []int64
	}{
		{store.QueueFilter{ScenarioID: a.ID, Status: []weft.QueueStatus{weft.QueueDead}}, []int64{bad.ID}},
		{store.QueueFilter{ScenarioID: a.ID, Status: []weft.QueueStatus{weft.QueueWaiting, weft.QueueRunning}}, []int64{good.ID, third.ID}},
		{store.QueueFilter{ScenarioID: a.ID, AfterID: bad.ID, Limit: 1}, []int64{good.ID}},
		{store.QueueFilter{Status: []weft.QueueStatus{weft.QueueWaiting}}, []int64{third.ID, other.ID}},
		{store.QueueFilter{ScenarioID: 404}, nil},
	} {
		l, err := s.ListQueued(ctx, c.f)
		must(t, err, "list filtered")
		var ids []int64
		for _, it := range l {
			ids = append(ids, it.ID)
		}
		equal(t, ids, c.want, fmt.Sprintf("list %+v", c.f))
	}
	if _, err := s.ListQueued(ctx, store.QueueFilter{Status: []weft.QueueStatus{"stuck"}}); err == nil {
		t.Fatal("list by an unknown status: want an error")
	}
	one, err := s.GetQueued(ctx, bad.ID)
	must(t, err, "get")
	equal(t, string(one.Payload), `{"n":"bad"}`, "get has the payload")
	equal(t, one.Dead, &failure, "get has the failure")
	_, err = s.GetQueued(ctx, 404)
	wantErr(t, err, store.ErrNotFound, "get a missing item")

	u, err := s.QueueUsage(ctx, a.ID)
	must(t, err, "usage")
	equal(t, u, store.QueueUsage{Items: 3, Bytes: 11 + 12 + 14, Dead: 1}, "A's usage")
	u, err = s.QueueUsage(ctx, 404)
	must(t, err, "usage of nothing")
	equal(t, u, store.QueueUsage{}, "no scenario, no usage")

	// Requeue takes only dead items; the requeued one is the head again (arrival order),
	// so once the run holding the head ends, it comes first.
	n, err := s.RequeueQueued(ctx, store.QueueSelection{ScenarioID: a.ID, All: true})
	must(t, err, "requeue all")
	equal(t, n, 1, "only the dead item is requeued")
	one, err = s.GetQueued(ctx, bad.ID)
	must(t, err, "get requeued")
	equal(t, one.Status(), weft.QueueWaiting, "requeued item waits")
	must(t, s.DeleteQueued(ctx, good.ID), "run-2 finishes")
	got, err = s.ClaimQueued(ctx, 5, []int64{b.ID}, func() string { return "run-4" })
	must(t, err, "claim after requeue")
	equal(t, got[0].ID, bad.ID, "the requeued item is the oldest again")

	// Delete never takes an item a run holds.
	n, err = s.DeleteQueuedItems(ctx, store.QueueSelection{ScenarioID: a.ID, All: true})
	must(t, err, "delete all")
	equal(t, n, 1, "the waiting one, not the running one")
	n, err = s.DeleteQueuedItems(ctx, store.QueueSelection{IDs: []int64{bad.ID}})
	must(t, err, "delete a running one")
	equal(t, n, 0, "a running item stays")
	must(t, s.SetAsideQueued(ctx, bad.ID, weft.QueueFailure{At: at(30), ExecutionID: "run-4", ErrorType: weft.DataError}), "fails again")
	n, err = s.DeleteQueuedItems(ctx, store.QueueSelection{ScenarioID: b.ID, IDs: []int64{bad.ID}})
	must(t, err, "delete with the wrong scenario")
	equal(t, n, 0, "ids with a scenario select only that scenario's")
	n, err = s.DeleteQueuedItems(ctx, store.QueueSelection{ScenarioID: a.ID, All: true, Status: []weft.QueueStatus{weft.QueueWaiting}})
	must(t, err, "delete waiting ones")
	equal(t, n, 0, "the dead one is not waiting")
	n, err = s.DeleteQueuedItems(ctx, store.QueueSelection{ScenarioID: a.ID, All: true, Except: []int64{bad.ID}})
	must(t, err, "delete all but")
	equal(t, n, 0, "the only item is excepted")
	n, err = s.DeleteQueuedItems(ctx, store.QueueSelection{IDs: []int64{bad.ID}})
	must(t, err, "delete the dead one")
	equal(t, n, 1, "deleted")
	depth, err := s.QueueDepth(ctx, a.ID)
	must(t, err, "depth")
	equal(t, depth, 0, "A's queue is empty")
	depth, err = s.QueueDepth(ctx, b.ID)
	must(t, err, "depth of B")
	equal(t, depth, 1, "B's item untouched")

	for _, sel := range []store.QueueSelection{
		{IDs: []int64{1}, All: true, ScenarioID: a.ID},
		{All: true},
		{ScenarioID: a.ID, All: true, Status: []weft.QueueStatus{"stuck"}},
	} {
		if _, err := s.DeleteQueuedItems(ctx, sel); err == nil {
			t.Fatalf("delete %+v: want an error", sel)
		}
		if _, err := s.RequeueQueued(ctx, sel); err == nil {
			t.Fatalf("requeue %+v: want an error", sel)
		}
	}
	n, err = s.RequeueQueued(ctx, store.QueueSelection{})
	must(t, err, "empty selection")
	equal(t, n, 0, "an empty selection selects nothing")
}
