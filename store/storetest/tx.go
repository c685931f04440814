package storetest

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// InTx commits everything fn wrote when it returns nil, and reads inside see the
// transaction's own writes.
func testInTxCommit(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	sc := newScenario(t, s, "T")
	err := s.InTx(ctx, func(q store.Queries) error {
		if err := q.CreateExecution(ctx, &weft.Execution{ID: "x", ScenarioID: sc.ID, Version: 1,
			Kind: weft.KindRun, Status: weft.ExecutionWarning, StartedAt: t0}); err != nil {
			return err
		}
		if err := q.CreateIncomplete(ctx, newIE("ie", sc.ID, weft.IncompleteUnresolved, t0)); err != nil {
			return err
		}
		got, err := q.GetIncomplete(ctx, "ie")
		if err != nil {
			return err
		}
		if got.ExecutionID != "exec-ie" {
			t.Errorf("read inside the transaction: execution id %q", got.ExecutionID)
		}
		sc.ConsecutiveErrors = 1
		return q.UpdateScenario(ctx, sc)
	})
	must(t, err, "InTx")
	_, err = s.GetExecution(ctx, "x")
	must(t, err, "execution committed")
	_, err = s.GetIncomplete(ctx, "ie")
	must(t, err, "incomplete execution committed")
	got, err := s.GetScenario(ctx, sc.ID)
	must(t, err, "scenario")
	equal(t, got.ConsecutiveErrors, 1, "scenario update committed")
}

// An error from fn (or from a statement inside it) leaves nothing written.
func testInTxRollback(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	sc := newScenario(t, s, "T")
	boom := errors.New("boom")
	err := s.InTx(ctx, func(q store.Queries) error {
		must(t, q.CreateExecution(ctx, &weft.Execution{ID: "x", ScenarioID: sc.ID, Version: 1,
			Kind: weft.KindRun, Status: weft.ExecutionRunning, StartedAt: t0}), "create in tx")
		must(t, q.CreateIncomplete(ctx, newIE("ie", sc.ID, weft.IncompleteUnresolved, t0)), "ie in tx")
		must(t, q.PutRecord(ctx, "ds", "k", weft.Bundle{"a": "b"}, false), "record in tx")
		must(t, q.Enqueue(ctx, &weft.QueueItem{ScenarioID: sc.ID, EnqueuedAt: t0, Payload: json.RawMessage(`{}`)}), "enqueue in tx")
		_, err := q.AddVersion(ctx, sc.ID, []byte(`{}`), at(1))
		must(t, err, "version in tx")
		return boom
	})
	wantErr(t, err, boom, "InTx returns fn's error")

	_, err = s.GetExecution(ctx, "x")
	wantErr(t, err, store.ErrNotFound, "execution rolled back")
	_, err = s.GetIncomplete(ctx, "ie")
	wantErr(t, err, store.ErrNotFound, "incomplete execution rolled back")
	_, err = s.GetRecord(ctx, "ds", "k")
	wantErr(t, err, store.ErrNotFound, "record rolled back")
	n, err := s.QueueDepth(ctx, sc.ID)
	must(t, err, "depth")
	equal(t, n, 0, "queue rolled back")
	got, err := s.GetScenario(ctx, sc.ID)
	must(t, err, "scenario")
	equal(t, got.Version, 1, "version rolled back")
	_, total, err := s.IncompleteBytes(ctx, sc.ID)
	must(t, err, "bytes")
	equal(t, total, int64(0), "bytes rolled back")

	// A failing statement inside fn, returned by fn, rolls back the earlier ones.
	err = s.InTx(ctx, func(q store.Queries) error {
		must(t, q.PutRecord(ctx, "ds", "k", weft.Bundle{}, false), "first put")
		return q.PutRecord(ctx, "ds", "k", weft.Bundle{}, false)
	})
	wantErr(t, err, store.ErrExists, "second put of the same key")
	_, err = s.GetRecord(ctx, "ds", "k")
	wantErr(t, err, store.ErrNotFound, "first put rolled back")

	// The store stays usable after a rollback.
	must(t, s.PutRecord(ctx, "ds", "k", weft.Bundle{}, false), "put after rollback")
}

// Times come back as the same instant, in UTC, to at least the millisecond, whatever
// zone they were given in.
func testTimestamps(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	local := time.Date(2026, 7, 4, 23, 59, 58, 123000000, zone) // millisecond precision
	sc := &weft.Scenario{Name: "T", CreatedAt: local, UpdatedAt: local.Add(time.Millisecond)}
	must(t, s.CreateScenario(ctx, sc, []byte(`{}`)), "create")
	got, err := s.GetScenario(ctx, sc.ID)
	must(t, err, "get")
	equal(t, got.CreatedAt, local.UTC(), "created at")
	equal(t, got.UpdatedAt, local.Add(time.Millisecond).UTC(), "updated at")
	equal(t, got.CreatedAt.Location(), time.UTC, "location")

	// Sub-millisecond parts survive to at least the millisecond.
	fine := time.Date(2026, 7, 4, 1, 2, 3, 456789123, time.UTC)
	ie := newIE("ie", sc.ID, weft.IncompletePending, fine)
	ie.NextAttemptAt = ptr(fine.In(zone))
	createIE(t, s, ie)
	back, err := s.GetIncomplete(ctx, "ie")
	must(t, err, "get ie")
	for name, tm := range map[string]time.Time{"created": back.CreatedAt, "next": *back.NextAttemptAt} {
		if d := tm.Sub(fine); d < -time.Millisecond || d > time.Millisecond {
			t.Fatalf("%s at: %v, want %v within 1ms", name, tm, fine)
		}
		equal(t, tm.Location(), time.UTC, name+" location")
	}
	// The zero time and dates far from now round-trip too.
	far := time.Date(2999, 12, 31, 23, 59, 59, 999000000, time.UTC)
	must(t, s.CreateExecution(ctx, &weft.Execution{ID: "z", ScenarioID: sc.ID, Version: 1,
		Kind: weft.KindRun, Status: weft.ExecutionSuccess, FinishedAt: &far}), "zero start")
	e, err := s.GetExecution(ctx, "z")
	must(t, err, "get z")
	if !e.StartedAt.IsZero() {
		t.Fatalf("zero start: got %v", e.StartedAt)
	}
	equal(t, *e.FinishedAt, far, "far finish")
}

// A panic in fn rolls the transaction back, reaches the caller, and leaves the store
// usable (the write connection is not lost).
func testInTxPanic(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Fatalf("recovered %v, want the panic of fn", p)
			}
		}()
		_ = s.InTx(ctx, func(q store.Queries) error {
			must(t, q.PutRecord(ctx, "ds", "k", weft.Bundle{}, false), "put in tx")
			panic("boom")
		})
	}()
	_, err := s.GetRecord(ctx, "ds", "k")
	wantErr(t, err, store.ErrNotFound, "record of the panicked transaction")
	must(t, s.PutRecord(ctx, "ds", "k", weft.Bundle{}, false), "write after the panic")
}

// Nil or empty arguments are errors, never panics.
func testBadInput(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	calls := map[string]func() error{
		"CreateScenario(nil)":  func() error { return s.CreateScenario(ctx, nil, nil) },
		"UpdateScenario(nil)":  func() error { return s.UpdateScenario(ctx, nil) },
		"CreateExecution(nil)": func() error { return s.CreateExecution(ctx, nil) },
		"CreateExecution(no id)": func() error {
			return s.CreateExecution(ctx, &weft.Execution{Kind: weft.KindRun, Status: weft.ExecutionRunning})
		},
		"UpdateExecution(nil)":  func() error { return s.UpdateExecution(ctx, nil) },
		"CreateIncomplete(nil)": func() error { return s.CreateIncomplete(ctx, nil) },
		"UpdateIncomplete(nil)": func() error { return s.UpdateIncomplete(ctx, nil) },
		"AddAttempt(nil)":       func() error { return s.AddAttempt(ctx, nil) },
		"UpdateAttempt(nil)":    func() error { return s.UpdateAttempt(ctx, nil) },
		"Enqueue(nil)":          func() error { return s.Enqueue(ctx, nil) },
		"ListRecords(-1)": func() error {
			_, err := s.ListRecords(ctx, "ds", -1)
			return err
		},
		"ClaimQueued(-1)": func() error {
			_, err := s.ClaimQueued(ctx, -1, nil, counter())
			return err
		},
	}
	for name, call := range calls {
		if err := call(); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}
