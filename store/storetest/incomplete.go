package storetest

import (
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func testIncomplete(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	sc := newScenario(t, s, "I")
	ie := newIE("ie1", sc.ID, weft.IncompletePending, at(0))
	ie.ErrorDetails = map[string]any{"status": float64(502), "id": int64(9007199254740993),
		"nested": map[string]any{"list": []any{"a", true, nil}}}
	ie.Confidential, ie.AutoAttempts, ie.ManualRetry = true, 2, true
	createIE(t, s, ie)
	got, err := s.GetIncomplete(ctx, "ie1")
	must(t, err, "get")
	equal(t, got, ie, "stored incomplete execution")
	wantErr(t, s.CreateIncomplete(ctx, newIE("ie1", sc.ID, weft.IncompleteUnresolved, at(1))),
		store.ErrExists, "create the same id twice")

	// UpdateIncomplete writes everything but id, scenario, origin execution and created-at.
	upd := *got
	upd.Version, upd.Blueprint, upd.FailedModuleID = 2, []byte(`{"edited":true}`), 5
	upd.ErrorType, upd.ErrorMessage = weft.ErrorType("RuntimeError"), "boom"
	upd.ErrorDetails = nil
	upd.Status, upd.AutoRetry, upd.Attempts, upd.MaxAttempts = weft.IncompleteResolved, false, 3, 4
	upd.AutoAttempts, upd.ManualRetry = 1, false
	upd.RetryInterval, upd.NextAttemptAt = time.Hour, nil
	upd.State, upd.SizeBytes, upd.Confidential = []byte(`{"s":2}`), 250, false
	upd.UpdatedAt, upd.ResolvedAt = at(30), ptr(at(30))
	want := upd
	upd.ScenarioID, upd.ExecutionID, upd.CreatedAt = 999, "other", at(99)
	must(t, s.UpdateIncomplete(ctx, &upd), "update")
	got, err = s.GetIncomplete(ctx, "ie1")
	must(t, err, "get after update")
	equal(t, got, &want, "updated incomplete execution")

	// Bad input is refused with an error, not stored.
	bad := newIE("bad", sc.ID, weft.IncompleteStatus("lost"), t0)
	if err := s.CreateIncomplete(ctx, bad); err == nil {
		t.Fatal("create with an unknown status: want an error")
	}
	if err := s.CreateIncomplete(ctx, newIE("", sc.ID, weft.IncompleteUnresolved, t0)); err == nil {
		t.Fatal("create without an id: want an error")
	}
}

func testIncompleteNotFound(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	_, err := s.GetIncomplete(ctx, "none")
	wantErr(t, err, store.ErrNotFound, "GetIncomplete")
	err = s.UpdateIncomplete(ctx, newIE("none", 1, weft.IncompleteUnresolved, t0))
	wantErr(t, err, store.ErrNotFound, "UpdateIncomplete")
	_, err = s.ListIncomplete(ctx, store.IncompleteFilter{After: "none"})
	wantErr(t, err, store.ErrNotFound, "ListIncomplete with an unknown cursor")
	_, err = s.ListAttempts(ctx, "none")
	wantErr(t, err, store.ErrNotFound, "ListAttempts")
	err = s.AddAttempt(ctx, &weft.Attempt{IncompleteID: "none", StartedAt: t0})
	wantErr(t, err, store.ErrNotFound, "AddAttempt")
	err = s.UpdateAttempt(ctx, &weft.Attempt{IncompleteID: "none", N: 1, StartedAt: t0})
	wantErr(t, err, store.ErrNotFound, "UpdateAttempt")
}

// fixture: two scenarios with incomplete executions of every status, created a minute
// apart in the order listed (two share a creation time to test the id tie-break).
func listFixture(t *testing.T, s store.Store) (a, b *weft.Scenario) {
	a, b = newScenario(t, s, "A"), newScenario(t, s, "B")
	rows := []struct {
		id     string
		sc     *weft.Scenario
		status weft.IncompleteStatus
		minute int
		module int
		etype  string
	}{
		{"a1", a, weft.IncompleteUnresolved, 1, 3, "ConnectionError"},
		{"a2", a, weft.IncompletePending, 2, 3, "ConnectionError"},
		{"b1", b, weft.IncompleteUnresolved, 3, 7, "DataError"},
		{"a4", a, weft.IncompleteResolved, 4, 5, "DataError"},
		{"a3", a, weft.IncompleteUnresolved, 4, 3, "RateLimitError"},
		{"a5", a, weft.IncompleteInProgress, 5, 3, "ConnectionError"},
		{"b2", b, weft.IncompletePending, 6, 7, "ConnectionError"},
	}
	for _, r := range rows {
		ie := newIE(r.id, r.sc.ID, r.status, at(r.minute))
		ie.FailedModuleID, ie.ErrorType = r.module, weft.ErrorType(r.etype)
		createIE(t, s, ie)
	}
	return a, b
}

func testListIncompleteFilters(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	a, b := listFixture(t, s)
	cases := []struct {
		name string
		f    store.IncompleteFilter
		want []string
	}{
		{"all, oldest first, id breaks ties", store.IncompleteFilter{}, []string{"a1", "a2", "b1", "a3", "a4", "a5", "b2"}},
		{"one scenario", store.IncompleteFilter{ScenarioID: b.ID}, []string{"b1", "b2"}},
		{"one status", store.IncompleteFilter{Status: []weft.IncompleteStatus{weft.IncompleteUnresolved}}, []string{"a1", "b1", "a3"}},
		{"statuses of a scenario", store.IncompleteFilter{ScenarioID: a.ID,
			Status: []weft.IncompleteStatus{weft.IncompletePending, weft.IncompleteInProgress}}, []string{"a2", "a5"}},
		{"error type", store.IncompleteFilter{ErrorType: "DataError"}, []string{"b1", "a4"}},
		{"module", store.IncompleteFilter{ScenarioID: a.ID, ModuleID: 3}, []string{"a1", "a2", "a3", "a5"}},
		{"everything at once", store.IncompleteFilter{ScenarioID: a.ID, ModuleID: 3, ErrorType: "ConnectionError",
			Status: []weft.IncompleteStatus{weft.IncompleteUnresolved}}, []string{"a1"}},
		{"limit", store.IncompleteFilter{Limit: 2}, []string{"a1", "a2"}},
		{"origin execution", store.IncompleteFilter{ExecutionID: "exec-a3"}, []string{"a3"}},
		{"origin execution of another scenario", store.IncompleteFilter{ScenarioID: b.ID, ExecutionID: "exec-a3"}, []string{}},
		{"nothing", store.IncompleteFilter{ScenarioID: b.ID, ModuleID: 3}, []string{}},
	}
	for _, c := range cases {
		list, err := s.ListIncomplete(ctx, c.f)
		must(t, err, c.name)
		equal(t, ids(list), c.want, c.name)
		for _, ie := range list {
			if ie.Blueprint != nil || ie.State != nil {
				t.Fatalf("%s: list returned the blueprint or state of %s", c.name, ie.ID)
			}
		}
		c.f.Limit = 0
		n, err := s.CountIncomplete(ctx, c.f)
		must(t, err, c.name+": count")
		if c.name != "limit" {
			equal(t, n, len(c.want), c.name+": count")
		}
	}
	// A listed row carries every other field.
	list, err := s.ListIncomplete(ctx, store.IncompleteFilter{ScenarioID: b.ID, Limit: 1})
	must(t, err, "list b")
	want := newIE("b1", b.ID, weft.IncompleteUnresolved, at(3))
	want.FailedModuleID, want.ErrorType = 7, "DataError"
	want.Blueprint, want.State = nil, nil
	equal(t, list[0], want, "listed row")

	if _, err := s.ListIncomplete(ctx, store.IncompleteFilter{Status: []weft.IncompleteStatus{"lost"}}); err == nil {
		t.Fatal("an unknown status filter: want an error")
	}
	if _, err := s.ListIncomplete(ctx, store.IncompleteFilter{Limit: -5}); err == nil {
		t.Fatal("a negative limit: want an error")
	}
}

func testListIncompleteCursor(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	a, _ := listFixture(t, s)
	page := func(f store.IncompleteFilter) []string {
		t.Helper()
		list, err := s.ListIncomplete(ctx, f)
		must(t, err, "page")
		return ids(list)
	}
	equal(t, page(store.IncompleteFilter{After: "a2", Limit: 2}), []string{"b1", "a3"}, "after a2")
	equal(t, page(store.IncompleteFilter{After: "a3", Limit: 2}), []string{"a4", "a5"}, "after a3 (same time, next id)")
	equal(t, page(store.IncompleteFilter{ScenarioID: a.ID, After: "a1",
		Status: []weft.IncompleteStatus{weft.IncompleteUnresolved}}), []string{"a3"}, "cursor with filters")
	equal(t, page(store.IncompleteFilter{After: "b2"}), []string{}, "after the last")
	// Walking pages visits every row exactly once.
	var all []string
	f := store.IncompleteFilter{Limit: 3}
	for {
		p := page(f)
		if len(p) == 0 {
			break
		}
		all = append(all, p...)
		f.After = p[len(p)-1]
	}
	equal(t, all, []string{"a1", "a2", "b1", "a3", "a4", "a5", "b2"}, "paged")
	// The default limit is 50.
	sc := newScenario(t, s, "many")
	for i := range 60 {
		createIE(t, s, newIE(idf("m%02d", i), sc.ID, weft.IncompleteUnresolved, at(100+i)))
	}
	equal(t, len(page(store.IncompleteFilter{ScenarioID: sc.ID})), 50, "default limit")
}

func testIncompleteBytes(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	a, b := newScenario(t, s, "A"), newScenario(t, s, "B")
	check := func(what string, wantA, wantTotal int64) {
		t.Helper()
		sa, total, err := s.IncompleteBytes(ctx, a.ID)
		must(t, err, what)
		equal(t, [2]int64{sa, total}, [2]int64{wantA, wantTotal}, what+": bytes of A and in total")
	}
	check("empty", 0, 0)
	mk := func(id string, sc int64, st weft.IncompleteStatus, size int64) *weft.Incomplete {
		ie := newIE(id, sc, st, t0)
		ie.SizeBytes = size
		return createIE(t, s, ie)
	}
	a1 := mk("a1", a.ID, weft.IncompleteUnresolved, 100)
	mk("a2", a.ID, weft.IncompletePending, 20)
	mk("a3", a.ID, weft.IncompleteResolved, 4000) // resolved ones do not count
	mk("b1", b.ID, weft.IncompleteInProgress, 3)
	check("created", 120, 123)

	a1.SizeBytes = 150
	must(t, s.UpdateIncomplete(ctx, a1), "grow a1")
	check("grown", 170, 173)
	a1.Status, a1.ResolvedAt = weft.IncompleteResolved, ptr(at(1))
	must(t, s.UpdateIncomplete(ctx, a1), "resolve a1")
	check("resolved", 20, 23)
	a1.Status = weft.IncompleteUnresolved
	must(t, s.UpdateIncomplete(ctx, a1), "reopen a1")
	check("reopened", 170, 173)
	_, err := s.Requeue(ctx, store.Selection{ScenarioID: a.ID, All: true}, at(5))
	must(t, err, "requeue")
	check("requeued (still counted)", 170, 173)
	_, err = s.DeleteIncomplete(ctx, store.Selection{IDs: []string{"a2", "a3"}})
	must(t, err, "delete")
	check("deleted", 150, 153)
	sb, _, err := s.IncompleteBytes(ctx, b.ID)
	must(t, err, "bytes of B")
	equal(t, sb, int64(3), "bytes of B")
	sn, total, err := s.IncompleteBytes(ctx, 404)
	must(t, err, "bytes of an unknown scenario")
	equal(t, [2]int64{sn, total}, [2]int64{0, 153}, "unknown scenario")
}
