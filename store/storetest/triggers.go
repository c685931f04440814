package storetest

import (
	"encoding/json"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func testTriggerPositions(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	a, b := newScenario(t, s, "A"), newScenario(t, s, "B")
	_, err := s.GetTriggerPosition(ctx, a.ID, 1)
	wantErr(t, err, store.ErrNotFound, "no position yet")

	p := &weft.TriggerPosition{ScenarioID: a.ID, ModuleID: 1, Module: "rss:TriggerNewArticle",
		Position: json.RawMessage(`{"date":"2026-01-01T00:00:00Z"}`), Start: "now", UpdatedAt: at(1)}
	ok, err := s.SaveTriggerPosition(ctx, p, 7)
	must(t, err, "save expecting a version none has")
	if ok {
		t.Fatal("saved over a version that does not exist")
	}
	ok, err = s.SaveTriggerPosition(ctx, p, 0)
	must(t, err, "first save")
	if !ok || p.Version != 1 {
		t.Fatalf("first save: ok %v version %d, want true 1", ok, p.Version)
	}
	got, err := s.GetTriggerPosition(ctx, a.ID, 1)
	must(t, err, "get")
	equal(t, got, p, "stored position")

	// A run that read version 1 moves it on; one that read version 1 too (a start
	// chosen meanwhile) is refused.
	next := *got
	next.Position, next.Start, next.UpdatedAt = json.RawMessage(`{"date":"2026-01-02T00:00:00Z"}`), "", at(2)
	ok, err = s.SaveTriggerPosition(ctx, &next, 1)
	must(t, err, "save version 2")
	if !ok || next.Version != 2 {
		t.Fatalf("second save: ok %v version %d", ok, next.Version)
	}
	stale := *got
	stale.Position = json.RawMessage(`{"date":"1999-01-01T00:00:00Z"}`)
	ok, err = s.SaveTriggerPosition(ctx, &stale, 1)
	must(t, err, "stale save")
	if ok {
		t.Fatal("a save with a stale version was written")
	}
	ok, err = s.SaveTriggerPosition(ctx, &weft.TriggerPosition{ScenarioID: a.ID, ModuleID: 1, Module: "rss:TriggerNewArticle", Position: json.RawMessage(`0`)}, 0)
	must(t, err, "insert over an existing row")
	if ok {
		t.Fatal("an insert (version 0) replaced an existing position")
	}
	got, err = s.GetTriggerPosition(ctx, a.ID, 1)
	must(t, err, "get after stale save")
	equal(t, got, &next, "position after a refused save")

	// A forced write (a person's choice) wins whatever the version.
	forced := &weft.TriggerPosition{ScenarioID: a.ID, ModuleID: 1, Module: "rss:TriggerNewArticle", Position: json.RawMessage(`null`), Start: "all", UpdatedAt: at(3)}
	ok, err = s.SaveTriggerPosition(ctx, forced, -1)
	must(t, err, "forced save")
	if !ok || forced.Version != 3 {
		t.Fatalf("forced save: ok %v version %d", ok, forced.Version)
	}
	// In a transaction, with another module and scenario.
	err = s.InTx(ctx, func(q store.Queries) error {
		_, err := q.SaveTriggerPosition(ctx, &weft.TriggerPosition{ScenarioID: a.ID, ModuleID: 9, Module: "x:Y", Position: json.RawMessage(`[1]`), UpdatedAt: at(4)}, 0)
		if err != nil {
			return err
		}
		_, err = q.SaveTriggerPosition(ctx, &weft.TriggerPosition{ScenarioID: b.ID, ModuleID: 1, Module: "x:Y", Position: json.RawMessage(`2`), UpdatedAt: at(4)}, 0)
		return err
	})
	must(t, err, "saves in a transaction")
	list, err := s.ListTriggerPositions(ctx, a.ID)
	must(t, err, "list")
	if len(list) != 2 || list[0].ModuleID != 1 || list[1].ModuleID != 9 || string(list[1].Position) != `[1]` {
		t.Fatalf("list of A: %+v", list)
	}

	_, err = s.SaveTriggerPosition(ctx, &weft.TriggerPosition{ScenarioID: 404, ModuleID: 1, Module: "x:Y", Position: json.RawMessage(`1`)}, 0)
	wantErr(t, err, store.ErrNotFound, "a position of a missing scenario")
	if _, err := s.SaveTriggerPosition(ctx, &weft.TriggerPosition{ScenarioID: a.ID, ModuleID: 2, Module: "x:Y", Position: json.RawMessage(`{`)}, 0); err == nil {
		t.Error("a position that is not JSON was saved")
	}
	if _, err := s.SaveTriggerPosition(ctx, nil, 0); err == nil {
		t.Error("a nil position was saved")
	}

	// Deleted with its scenario.
	must(t, s.DeleteScenario(ctx, a.ID), "delete A")
	list, err = s.ListTriggerPositions(ctx, a.ID)
	must(t, err, "list after delete")
	if len(list) != 0 {
		t.Fatalf("positions outlived their scenario: %+v", list)
	}
}

func testAppHooks(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	a, b := newScenario(t, s, "A"), newScenario(t, s, "B")
	_, err := s.GetAppHook(ctx, a.ID)
	wantErr(t, err, store.ErrNotFound, "no app hook yet")
	ha := &weft.AppHook{ScenarioID: a.ID, Module: "telegram:WatchUpdates", Params: json.RawMessage(`{"__IMTCONN__":3}`),
		URL: "https://weft.example/hooks/abc", State: []byte("sealed"), KeyID: "k1", Registered: true, UpdatedAt: at(1)}
	hb := &weft.AppHook{ScenarioID: b.ID, Module: "telegram:WatchUpdates", Params: json.RawMessage(`{}`), URL: "u",
		Registered: false, Error: "connection refused", Attempts: 2, UpdatedAt: at(2)}
	must(t, s.PutAppHook(ctx, hb), "put B")
	must(t, s.PutAppHook(ctx, ha), "put A")
	got, err := s.GetAppHook(ctx, a.ID)
	must(t, err, "get A")
	equal(t, got, ha, "A's app hook")
	all, err := s.ListAppHooks(ctx, false)
	must(t, err, "list all")
	equal(t, all, []*weft.AppHook{ha, hb}, "every app hook by scenario")
	owed, err := s.ListAppHooks(ctx, true)
	must(t, err, "list owed")
	equal(t, owed, []*weft.AppHook{hb}, "owed unregistrations")

	// Replaced whole; kept when its scenario is deleted (an owed unregistration).
	ha.Registered, ha.Error, ha.Attempts, ha.UpdatedAt = false, "timeout", 1, at(3)
	must(t, s.PutAppHook(ctx, ha), "replace A")
	must(t, s.DeleteScenario(ctx, a.ID), "delete scenario A")
	got, err = s.GetAppHook(ctx, a.ID)
	must(t, err, "get A after its scenario was deleted")
	equal(t, got, ha, "A's replaced app hook")
	must(t, s.DeleteAppHook(ctx, a.ID), "delete A's app hook")
	wantErr(t, s.DeleteAppHook(ctx, a.ID), store.ErrNotFound, "delete it again")
	if err := s.PutAppHook(ctx, &weft.AppHook{ScenarioID: b.ID}); err == nil {
		t.Error("an app hook without module type was stored")
	}
}
