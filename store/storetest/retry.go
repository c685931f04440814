package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// pending stores a pending incomplete execution due at the given minute.
func pending(t *testing.T, s store.Store, id string, sc int64, dueMinute int) *weft.Incomplete {
	t.Helper()
	ie := newIE(id, sc, weft.IncompletePending, at(0))
	ie.NextAttemptAt = ptr(at(dueMinute))
	return createIE(t, s, ie)
}

func testClaimDue(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	a, b := newScenario(t, s, "A"), newScenario(t, s, "B")
	pending(t, s, "a-late", a.ID, 30)
	pending(t, s, "a-first", a.ID, 5)
	pending(t, s, "b-second", b.ID, 6)
	pending(t, s, "b-future", b.ID, 61)
	createIE(t, s, newIE("a-unresolved", a.ID, weft.IncompleteUnresolved, at(0)))

	got, err := s.ClaimDue(ctx, at(4), 10, 3, nil)
	must(t, err, "claim before anything is due")
	equal(t, ids(got), []string{}, "nothing due at minute 4")

	got, err = s.ClaimDue(ctx, at(6), 10, 3, nil)
	must(t, err, "claim at 6")
	equal(t, ids(got), []string{"a-first", "b-second"}, "due at minute 6 (due time inclusive), earliest first")
	for _, ie := range got {
		equal(t, ie.Status, weft.IncompleteInProgress, "claimed status")
		equal(t, string(ie.Blueprint), `{"flow":[]}`, "claimed rows carry the blueprint")
		equal(t, string(ie.State), `{"input":{}}`, "claimed rows carry the state")
	}
	equal(t, statusOf(t, s, "a-first"), weft.IncompleteInProgress, "stored status")

	// Never twice: claimed rows are no longer pending.
	got, err = s.ClaimDue(ctx, at(6), 10, 3, nil)
	must(t, err, "claim again")
	equal(t, ids(got), []string{}, "claimed rows are not claimed again")

	// The limit takes the earliest.
	pending(t, s, "b-mid", b.ID, 20)
	got, err = s.ClaimDue(ctx, at(60), 1, 3, nil)
	must(t, err, "claim with limit 1")
	equal(t, ids(got), []string{"b-mid"}, "limit 1 takes the earliest due")
	got, err = s.ClaimDue(ctx, at(60), 0, 3, nil)
	must(t, err, "claim with limit 0")
	equal(t, ids(got), []string{}, "limit 0")
	if _, err := s.ClaimDue(ctx, at(60), -1, 3, nil); err == nil {
		t.Fatal("a negative limit: want an error")
	}
	equal(t, statusOf(t, s, "a-unresolved"), weft.IncompleteUnresolved, "unresolved rows are never claimed")
	equal(t, statusOf(t, s, "b-future"), weft.IncompletePending, "rows not yet due stay pending")
}

// The earliest rows win across scenarios, however they are spread.
func testClaimDueOrder(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	a, b, c := newScenario(t, s, "A"), newScenario(t, s, "B"), newScenario(t, s, "C")
	pending(t, s, "a10", a.ID, 10)
	pending(t, s, "a20", a.ID, 20)
	pending(t, s, "a30", a.ID, 30)
	pending(t, s, "b25", b.ID, 25)
	pending(t, s, "c5", c.ID, 5)
	pending(t, s, "c40", c.ID, 40)
	pending(t, s, "b20", b.ID, 20) // ties with a20: stored later, so after it
	for _, step := range []struct {
		limit int
		want  []string
	}{
		{2, []string{"c5", "a10"}},
		{2, []string{"a20", "b20"}},
		{1, []string{"b25"}},
		{5, []string{"a30", "c40"}},
	} {
		got, err := s.ClaimDue(ctx, at(100), step.limit, 3, nil)
		must(t, err, "claim")
		equal(t, ids(got), step.want, "claim in due order")
	}
}

func testClaimDuePerScenario(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	a, b := newScenario(t, s, "A"), newScenario(t, s, "B")
	createIE(t, s, newIE("a-busy", a.ID, weft.IncompleteInProgress, at(0))) // already in progress
	for i := range 5 {
		pending(t, s, idf("a%d", i), a.ID, 1+i)
	}
	pending(t, s, "b0", b.ID, 10)

	got, err := s.ClaimDue(ctx, at(60), 10, 3, nil)
	must(t, err, "claim")
	// A has one in progress already, so two more; B its one.
	equal(t, ids(got), []string{"a0", "a1", "b0"}, "per-scenario limit counts rows already in progress")

	got, err = s.ClaimDue(ctx, at(60), 10, 3, nil)
	must(t, err, "claim at the limit")
	equal(t, ids(got), []string{}, "A is at its limit")
	got, err = s.ClaimDue(ctx, at(60), 10, 2, nil)
	must(t, err, "claim over the limit")
	equal(t, ids(got), []string{}, "A is over a lower limit")

	// One finishes: one more of A may go.
	ie, err := s.GetIncomplete(ctx, "a0")
	must(t, err, "get a0")
	ie.Status, ie.ResolvedAt = weft.IncompleteResolved, ptr(at(61))
	must(t, s.UpdateIncomplete(ctx, ie), "resolve a0")
	got, err = s.ClaimDue(ctx, at(61), 10, 3, nil)
	must(t, err, "claim after one finished")
	equal(t, ids(got), []string{"a2"}, "one slot freed")

	got, err = s.ClaimDue(ctx, at(61), 10, 0, nil)
	must(t, err, "per-scenario 0")
	equal(t, ids(got), []string{}, "per-scenario limit 0 claims nothing")
}

func testClaimDueRunningAndSkip(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	a, b, c := newScenario(t, s, "A"), newScenario(t, s, "B"), newScenario(t, s, "C")
	pending(t, s, "a", a.ID, 1)
	pending(t, s, "b", b.ID, 2)
	pending(t, s, "c", c.ID, 3)
	// A has a live run: no retry beside it. C's running execution is a retry, which
	// does not block (the per-scenario limit covers retries).
	must(t, s.CreateExecution(ctx, &weft.Execution{ID: "run-a", ScenarioID: a.ID, Version: 1,
		Kind: weft.KindRun, Status: weft.ExecutionRunning, StartedAt: t0}), "run of A")
	must(t, s.CreateExecution(ctx, &weft.Execution{ID: "retry-c", ScenarioID: c.ID, Version: 1,
		Kind: weft.KindRetry, Status: weft.ExecutionRunning, StartedAt: t0}), "retry of C")
	// A finished run of B does not block.
	must(t, s.CreateExecution(ctx, &weft.Execution{ID: "done-b", ScenarioID: b.ID, Version: 1,
		Kind: weft.KindRun, Status: weft.ExecutionSuccess, StartedAt: t0, FinishedAt: ptr(t0)}), "finished run of B")

	got, err := s.ClaimDue(ctx, at(10), 10, 3, []int64{b.ID})
	must(t, err, "claim")
	equal(t, ids(got), []string{"c"}, "A has a live run, B is skipped by the caller")

	must(t, s.UpdateExecution(ctx, &weft.Execution{ID: "run-a", Status: weft.ExecutionSuccess,
		FinishedAt: ptr(at(10))}), "A's run ends")
	got, err = s.ClaimDue(ctx, at(10), 10, 3, []int64{})
	must(t, err, "claim after the run")
	equal(t, ids(got), []string{"a", "b"}, "A and B once free")
}

func testNextDue(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	next, err := s.NextDue(ctx)
	must(t, err, "next due on an empty store")
	if next != nil {
		t.Fatalf("next due with nothing pending: got %v, want nil", next)
	}
	sc := newScenario(t, s, "N")
	createIE(t, s, newIE("u", sc.ID, weft.IncompleteUnresolved, at(0)))
	pending(t, s, "p20", sc.ID, 20)
	pending(t, s, "p7", sc.ID, 7)
	next, err = s.NextDue(ctx)
	must(t, err, "next due")
	equal(t, next, ptr(at(7)), "earliest pending")
	_, err = s.ClaimDue(ctx, at(7), 1, 3, nil)
	must(t, err, "claim p7")
	next, err = s.NextDue(ctx)
	must(t, err, "next due after claim")
	equal(t, next, ptr(at(20)), "in-progress rows are not due")
}

// selFixture: scenario A with one incomplete execution of each status plus a second
// unresolved one, scenario B with one unresolved.
func selFixture(t *testing.T, s store.Store) (a, b *weft.Scenario) {
	a, b = newScenario(t, s, "A"), newScenario(t, s, "B")
	createIE(t, s, newIE("u1", a.ID, weft.IncompleteUnresolved, at(1)))
	createIE(t, s, newIE("u2", a.ID, weft.IncompleteUnresolved, at(2)))
	createIE(t, s, newIE("p", a.ID, weft.IncompletePending, at(3)))
	createIE(t, s, newIE("ip", a.ID, weft.IncompleteInProgress, at(4)))
	createIE(t, s, newIE("r", a.ID, weft.IncompleteResolved, at(5)))
	createIE(t, s, newIE("bu", b.ID, weft.IncompleteUnresolved, at(6)))
	return a, b
}

func testRequeue(t *testing.T, s store.Store) {
	a, b := selFixture(t, s)
	cases := []struct {
		name string
		sel  store.Selection
		want []string // requeued
	}{
		{"empty selection", store.Selection{}, nil},
		{"empty selection with a scenario", store.Selection{ScenarioID: a.ID}, nil},
		{"ids", store.Selection{IDs: []string{"u1", "bu", "missing"}}, []string{"bu", "u1"}},
		{"ids skip in-progress and resolved", store.Selection{IDs: []string{"ip", "r", "p"}}, []string{"p"}},
		{"ids within a scenario", store.Selection{IDs: []string{"u1", "bu"}, ScenarioID: b.ID}, []string{"bu"}},
		{"all of a scenario", store.Selection{ScenarioID: a.ID, All: true}, []string{"p", "u1", "u2"}},
		{"all except", store.Selection{ScenarioID: a.ID, All: true, Except: []string{"u2", "p"}}, []string{"u1"}},
	}
	// Run the cases on one store, resetting statuses between them.
	ctx := ctxT(t)
	reset := func() {
		t.Helper()
		for id, st := range map[string]weft.IncompleteStatus{"u1": weft.IncompleteUnresolved,
			"u2": weft.IncompleteUnresolved, "p": weft.IncompletePending, "bu": weft.IncompleteUnresolved} {
			ie, err := s.GetIncomplete(ctx, id)
			must(t, err, "reset "+id)
			ie.Status, ie.NextAttemptAt, ie.ManualRetry = st, nil, false
			if st == weft.IncompletePending {
				ie.NextAttemptAt = ptr(at(4))
			}
			must(t, s.UpdateIncomplete(ctx, ie), "reset "+id)
		}
	}
	for _, c := range cases {
		reset()
		n, err := s.Requeue(ctx, c.sel, at(100))
		must(t, err, c.name)
		equal(t, n, len(c.want), c.name+": count")
		var requeued []string
		for _, id := range []string{"bu", "ip", "p", "r", "u1", "u2"} {
			ie, err := s.GetIncomplete(ctx, id)
			must(t, err, c.name)
			if ie.NextAttemptAt != nil && ie.NextAttemptAt.Equal(at(100)) {
				equal(t, ie.Status, weft.IncompletePending, c.name+": status of "+id)
				equal(t, ie.ManualRetry, true, c.name+": a requeued retry is a person's: "+id)
				requeued = append(requeued, id)
			} else {
				equal(t, ie.ManualRetry, false, c.name+": not requeued, not manual: "+id)
			}
		}
		equal(t, requeued, c.want, c.name+": requeued rows")
	}
	equal(t, statusOf(t, s, "ip"), weft.IncompleteInProgress, "in progress left alone")
	equal(t, statusOf(t, s, "r"), weft.IncompleteResolved, "resolved left alone")
}

func testDeleteIncomplete(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	a, b := selFixture(t, s)
	must(t, s.AddAttempt(ctx, &weft.Attempt{IncompleteID: "u1", StartedAt: t0, ExecutionID: "x"}), "attempt of u1")
	remaining := func() []string {
		t.Helper()
		list, err := s.ListIncomplete(ctx, store.IncompleteFilter{})
		must(t, err, "list")
		out := ids(list)
		slices.Sort(out)
		return out
	}
	steps := []struct {
		name string
		sel  store.Selection
		n    int
		left []string
	}{
		{"empty selection", store.Selection{Except: []string{"u1"}}, 0, []string{"bu", "ip", "p", "r", "u1", "u2"}},
		{"ids, in progress kept", store.Selection{IDs: []string{"u1", "ip", "nope"}}, 1, []string{"bu", "ip", "p", "r", "u2"}},
		{"all of A except u2", store.Selection{ScenarioID: a.ID, All: true, Except: []string{"u2"}}, 2, []string{"bu", "ip", "u2"}},
		{"all of B", store.Selection{ScenarioID: b.ID, All: true}, 1, []string{"ip", "u2"}},
	}
	for _, st := range steps {
		n, err := s.DeleteIncomplete(ctx, st.sel)
		must(t, err, st.name)
		equal(t, n, st.n, st.name+": deleted")
		equal(t, remaining(), st.left, st.name+": left")
	}
	_, err := s.ListAttempts(ctx, "u1")
	wantErr(t, err, store.ErrNotFound, "attempts go with their incomplete execution")
	// The id is free again.
	createIE(t, s, newIE("u1", a.ID, weft.IncompleteUnresolved, at(9)))
	atts, err := s.ListAttempts(ctx, "u1")
	must(t, err, "attempts of the new u1")
	equal(t, len(atts), 0, "no attempts carried over")
}

func testSelectionErrors(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	a, _ := selFixture(t, s)
	bad := []store.Selection{
		{IDs: []string{"u1"}, All: true, ScenarioID: a.ID}, // ids and all at once
		{All: true}, // all of no scenario
	}
	for _, sel := range bad {
		if _, err := s.Requeue(ctx, sel, at(1)); err == nil {
			t.Fatalf("Requeue(%+v): want an error", sel)
		}
		if _, err := s.DeleteIncomplete(ctx, sel); err == nil {
			t.Fatalf("DeleteIncomplete(%+v): want an error", sel)
		}
	}
	n, err := s.CountIncomplete(ctx, store.IncompleteFilter{})
	must(t, err, "count")
	equal(t, n, 6, "nothing changed")
}

func testDeleteResolvedBefore(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	sc := newScenario(t, s, "R")
	for i, minutes := range []int{10, 20, 30} {
		ie := newIE(idf("r%d", i), sc.ID, weft.IncompleteResolved, t0)
		ie.ResolvedAt = ptr(at(minutes))
		createIE(t, s, ie)
	}
	createIE(t, s, newIE("u", sc.ID, weft.IncompleteUnresolved, t0))
	n, err := s.DeleteResolvedBefore(ctx, at(20))
	must(t, err, "delete resolved before 20")
	equal(t, n, 1, "deleted (strictly before)")
	list, err := s.ListIncomplete(ctx, store.IncompleteFilter{})
	must(t, err, "list")
	equal(t, ids(list), []string{"r1", "r2", "u"}, "left")
	n, err = s.DeleteResolvedBefore(ctx, at(1000))
	must(t, err, "delete all resolved")
	equal(t, n, 2, "deleted")
}

func testAttempts(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	sc := newScenario(t, s, "A")
	createIE(t, s, newIE("ie", sc.ID, weft.IncompleteInProgress, t0))
	a1 := &weft.Attempt{IncompleteID: "ie", StartedAt: at(1), ExecutionID: "x1"}
	must(t, s.AddAttempt(ctx, a1), "add 1")
	a2 := &weft.Attempt{IncompleteID: "ie", Manual: true, StartedAt: at(2), ExecutionID: "x2"}
	must(t, s.AddAttempt(ctx, a2), "add 2")
	equal(t, []int{a1.N, a2.N}, []int{1, 2}, "numbered in order")
	wantErr(t, s.AddAttempt(ctx, &weft.Attempt{IncompleteID: "ie", N: 2, StartedAt: at(3)}),
		store.ErrExists, "add an attempt number twice")

	a1.FinishedAt, a1.Outcome = ptr(at(1).Add(1500*time.Millisecond)), weft.AttemptFailed
	a1.ErrorType, a1.ErrorMessage = weft.ErrorType("ConnectionError"), "refused"
	must(t, s.UpdateAttempt(ctx, a1), "finish 1")
	a2.FinishedAt, a2.Outcome = ptr(at(3)), weft.AttemptResolved
	must(t, s.UpdateAttempt(ctx, a2), "finish 2")

	list, err := s.ListAttempts(ctx, "ie")
	must(t, err, "list")
	equal(t, list, []weft.Attempt{*a1, *a2}, "attempts in order")
	wantErr(t, s.UpdateAttempt(ctx, &weft.Attempt{IncompleteID: "ie", N: 9, StartedAt: t0}),
		store.ErrNotFound, "update a missing attempt")
}
