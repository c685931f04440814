package storetest

import (
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func testScenarios(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	a := &weft.Scenario{Name: "A", Active: true, Instant: true, Source: "/srv/a.json",
		CreatedAt: at(0), UpdatedAt: at(1)}
	must(t, s.CreateScenario(ctx, a, []byte(`{"name":"A"}`)), "create A")
	if a.ID == 0 || a.Version != 1 {
		t.Fatalf("create sets ID and Version 1: got ID %d, Version %d", a.ID, a.Version)
	}
	b := newScenario(t, s, "B")
	if b.ID == a.ID {
		t.Fatalf("two scenarios share id %d", a.ID)
	}

	got, err := s.GetScenario(ctx, a.ID)
	must(t, err, "get A")
	equal(t, got, a, "get A")

	found, err := s.FindScenarioBySource(ctx, "/srv/a.json")
	must(t, err, "find A by source")
	equal(t, found.ID, a.ID, "find by source")
	_, err = s.FindScenarioBySource(ctx, "/srv/none.json")
	wantErr(t, err, store.ErrNotFound, "find by unknown source")
	_, err = s.FindScenarioBySource(ctx, "")
	wantErr(t, err, store.ErrNotFound, "find by empty source (B has none)")

	// UpdateScenario writes the mutable fields and leaves version and source alone.
	a.Name, a.Active, a.Instant, a.ConsecutiveErrors = "A2", false, false, 3
	a.Paused, a.Deactivated, a.UpdatedAt = "InvalidAccessTokenError", "3 errors", at(5)
	want := *a
	a.Version, a.Source, a.CreatedAt = 99, "/elsewhere", at(100)
	must(t, s.UpdateScenario(ctx, a), "update A")
	got, err = s.GetScenario(ctx, a.ID)
	must(t, err, "get A after update")
	equal(t, *got, want, "A after update")

	list, err := s.ListScenarios(ctx)
	must(t, err, "list")
	equal(t, []int64{list[0].ID, list[1].ID}, []int64{a.ID, b.ID}, "list in id order")
	equal(t, len(list), 2, "list length")

	must(t, s.DeleteScenario(ctx, b.ID), "delete B")
	_, err = s.GetScenario(ctx, b.ID)
	wantErr(t, err, store.ErrNotFound, "get deleted B")
	list, err = s.ListScenarios(ctx)
	must(t, err, "list after delete")
	equal(t, len(list), 1, "scenarios after delete")
}

func testScenarioNotFound(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	_, err := s.GetScenario(ctx, 404)
	wantErr(t, err, store.ErrNotFound, "GetScenario")
	err = s.UpdateScenario(ctx, &weft.Scenario{ID: 404, Name: "x"})
	wantErr(t, err, store.ErrNotFound, "UpdateScenario")
	err = s.DeleteScenario(ctx, 404)
	wantErr(t, err, store.ErrNotFound, "DeleteScenario")
	_, err = s.AddVersion(ctx, 404, []byte("{}"), t0)
	wantErr(t, err, store.ErrNotFound, "AddVersion")
	_, err = s.GetVersion(ctx, 404, 1)
	wantErr(t, err, store.ErrNotFound, "GetVersion")
	_, err = s.ListVersions(ctx, 404)
	wantErr(t, err, store.ErrNotFound, "ListVersions")
	// Rows of a scenario that does not exist are refused.
	err = s.CreateExecution(ctx, &weft.Execution{ID: "e", ScenarioID: 404, Kind: weft.KindRun,
		Status: weft.ExecutionRunning, StartedAt: t0})
	wantErr(t, err, store.ErrNotFound, "CreateExecution of a missing scenario")
	err = s.CreateIncomplete(ctx, newIE("ie", 404, weft.IncompleteUnresolved, t0))
	wantErr(t, err, store.ErrNotFound, "CreateIncomplete of a missing scenario")
	err = s.Enqueue(ctx, &weft.QueueItem{ScenarioID: 404, EnqueuedAt: t0})
	wantErr(t, err, store.ErrNotFound, "Enqueue for a missing scenario")
}

func testVersions(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	sc := newScenario(t, s, "V")
	v2, err := s.AddVersion(ctx, sc.ID, []byte(`{"v":2}`), at(10))
	must(t, err, "add version 2")
	v3, err := s.AddVersion(ctx, sc.ID, []byte(`{"v":3}`), at(20))
	must(t, err, "add version 3")
	equal(t, []int{v2, v3}, []int{2, 3}, "version numbers")

	got, err := s.GetScenario(ctx, sc.ID)
	must(t, err, "get scenario")
	equal(t, got.Version, 3, "current version")
	equal(t, got.UpdatedAt, at(20), "updated at the new version's time")

	v1, err := s.GetVersion(ctx, sc.ID, 1)
	must(t, err, "get version 1")
	equal(t, *v1, weft.Version{ScenarioID: sc.ID, Version: 1, Blueprint: []byte(`{"name":"V"}`), CreatedAt: t0}, "version 1")
	v, err := s.GetVersion(ctx, sc.ID, 3)
	must(t, err, "get version 3")
	equal(t, string(v.Blueprint), `{"v":3}`, "version 3 blueprint")
	_, err = s.GetVersion(ctx, sc.ID, 4)
	wantErr(t, err, store.ErrNotFound, "get version 4")

	list, err := s.ListVersions(ctx, sc.ID)
	must(t, err, "list versions")
	equal(t, list, []weft.Version{
		{ScenarioID: sc.ID, Version: 1, CreatedAt: t0},
		{ScenarioID: sc.ID, Version: 2, CreatedAt: at(10)},
		{ScenarioID: sc.ID, Version: 3, CreatedAt: at(20)},
	}, "versions oldest first, without bodies")
}

// Deleting a scenario deletes everything that belongs to it, and nothing else.
func testDeleteScenarioCascades(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	a, b := newScenario(t, s, "A"), newScenario(t, s, "B")
	for _, sc := range []*weft.Scenario{a, b} {
		id := idf("e%d", int(sc.ID))
		must(t, s.CreateExecution(ctx, &weft.Execution{ID: id, ScenarioID: sc.ID, Version: 1,
			Kind: weft.KindRun, Status: weft.ExecutionError, StartedAt: t0}), "create execution")
		ie := createIE(t, s, newIE(idf("ie%d", int(sc.ID)), sc.ID, weft.IncompleteUnresolved, t0))
		must(t, s.AddAttempt(ctx, &weft.Attempt{IncompleteID: ie.ID, StartedAt: t0, ExecutionID: id}), "add attempt")
		must(t, s.Enqueue(ctx, &weft.QueueItem{ScenarioID: sc.ID, EnqueuedAt: t0}), "enqueue")
	}
	must(t, s.DeleteScenario(ctx, a.ID), "delete A")

	_, err := s.GetExecution(ctx, idf("e%d", int(a.ID)))
	wantErr(t, err, store.ErrNotFound, "A's execution")
	_, err = s.GetIncomplete(ctx, idf("ie%d", int(a.ID)))
	wantErr(t, err, store.ErrNotFound, "A's incomplete execution")
	n, err := s.QueueDepth(ctx, a.ID)
	must(t, err, "queue depth A")
	equal(t, n, 0, "A's queue")
	sb, total, err := s.IncompleteBytes(ctx, a.ID)
	must(t, err, "bytes")
	equal(t, [2]int64{sb, total}, [2]int64{0, 100}, "bytes of A and in total")

	_, err = s.GetExecution(ctx, idf("e%d", int(b.ID)))
	must(t, err, "B's execution stays")
	atts, err := s.ListAttempts(ctx, idf("ie%d", int(b.ID)))
	must(t, err, "B's attempts")
	equal(t, len(atts), 1, "B's attempts stay")
	n, err = s.QueueDepth(ctx, b.ID)
	must(t, err, "queue depth B")
	equal(t, n, 1, "B's queue")
}
