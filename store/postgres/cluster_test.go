package postgres

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/internal/pgtest"
	"github.com/weftworks/weft/store"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// abandon stops s the way SIGKILL would: no more renewals, connections gone, its
// process row (and its work) left in the database.
func (s *Store) abandon() {
	s.closeOnce.Do(func() {
		close(s.lease.stopCh)
		<-s.lease.done
		s.pool.Close()
	})
}

// expire ends a process's lease now, as if its renewals had stopped a TTL ago.
func expire(t *testing.T, s *Store, process string) {
	t.Helper()
	if _, err := s.pool.Exec(t.Context(), `UPDATE process SET expires_at = now() - interval '1 second' WHERE id = $1`, process); err != nil {
		t.Fatal(err)
	}
}

// Processes starting together on an empty database migrate it once: one takes the
// lock and migrates, the others wait and find the schema current.
func TestMigrationsRunOnceAcrossProcesses(t *testing.T) {
	url := pgtest.NewDatabase(t)
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	stores := make(chan *Store, 6)
	for range 6 {
		wg.Go(func() {
			s, err := Open(t.Context(), url, Options{})
			if err != nil {
				errs <- err
				return
			}
			stores <- s
		})
	}
	wg.Wait()
	close(errs)
	close(stores)
	for s := range stores {
		defer s.Close()
	}
	for err := range errs {
		t.Fatalf("open at once: %v", err)
	}
	s := openURL(t, url, Options{})
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	var versions []int
	rows, err := s.pool.Query(t.Context(), `SELECT version FROM weft_schema ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	if len(versions) != len(ms) || versions[len(versions)-1] != len(ms) {
		t.Fatalf("schema versions recorded %v, want 1…%d once each", versions, len(ms))
	}
}

// A database migrated by a newer weft is refused by name; a migration that fails
// leaves neither its statements nor its version.
func TestMigrationRefusals(t *testing.T) {
	url := pgtest.NewDatabase(t)
	s := openURL(t, url, Options{})
	ctx := t.Context()
	if _, err := s.pool.Exec(ctx, `INSERT INTO weft_schema (version) VALUES (999)`); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, url, Options{})
	if err == nil || !strings.Contains(err.Error(), "schema version 999 is newer") {
		t.Fatalf("open a newer database: %v", err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM weft_schema WHERE version = 999`); err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	bad := append(ms, migration{version: len(ms) + 1, name: "bad.sql",
		sql: `CREATE TABLE half_done (n int); SELECT no_such_function();`})
	err = applyMigrations(ctx, s.pool, bad)
	if err == nil || !strings.Contains(err.Error(), "bad.sql") {
		t.Fatalf("failing migration: %v", err)
	}
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = 'half_done'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("a failed migration left its table (%d, %v)", n, err)
	}
	if err := s.pool.QueryRow(ctx, `SELECT max(version) FROM weft_schema`).Scan(&n); err != nil || n != len(ms) {
		t.Fatalf("schema version %d after a failed migration (%v), want %d", n, err, len(ms))
	}
	if _, err := loadMigrations(fstest.MapFS{"migrations/0002_x.sql": {Data: []byte("")}}); err == nil {
		t.Fatal("a gap in migration numbers: want an error")
	}
}

// fixture is what a process leaves behind when it dies: a run it recorded (its queue
// claim held), a queue claim whose run it never recorded, a retry claimed but never
// started, and a retry with its attempt running.
type fixture struct {
	sc                      *weft.Scenario
	running, claimOnly      *weft.QueueItem
	runExec, retryExec      string
	claimedIE, attemptingIE string
	untouchedIE             string
}

func leaveWork(t *testing.T, s *Store) fixture {
	t.Helper()
	ctx := t.Context()
	f := fixture{sc: &weft.Scenario{Name: "S", Active: true, CreatedAt: t0, UpdatedAt: t0}}
	if err := s.CreateScenario(ctx, f.sc, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	// Two scenarios' worth of queue heads: one scenario's head runs, another's is only claimed.
	other := &weft.Scenario{Name: "T", Active: true, CreatedAt: t0, UpdatedAt: t0}
	if err := s.CreateScenario(ctx, other, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	f.runExec = "run-1"
	f.running = &weft.QueueItem{ScenarioID: f.sc.ID, EnqueuedAt: t0, ExecutionID: f.runExec, Payload: []byte(`{}`)}
	f.claimOnly = &weft.QueueItem{ScenarioID: other.ID, EnqueuedAt: t0, ExecutionID: "never-recorded", Payload: []byte(`{}`)}
	for _, it := range []*weft.QueueItem{f.running, f.claimOnly} {
		if err := s.Enqueue(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateExecution(ctx, &weft.Execution{ID: f.runExec, ScenarioID: f.sc.ID, Version: 1, Kind: weft.KindRun,
		Status: weft.ExecutionRunning, QueueItemID: f.running.ID, Input: []byte(`[{}]`), StartedAt: t0}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"ie-claimed", "ie-attempting", "ie-untouched"} {
		next := t0
		ie := &weft.Incomplete{ID: id, ScenarioID: other.ID, ExecutionID: "x", Version: 1, Blueprint: []byte(`{}`),
			Status: weft.IncompletePending, AutoRetry: true, MaxAttempts: 8, NextAttemptAt: &next, State: []byte(`{}`),
			CreatedAt: t0, UpdatedAt: t0}
		if id == "ie-untouched" {
			later := t0.Add(time.Hour)
			ie.NextAttemptAt = &later
		}
		if err := s.CreateIncomplete(ctx, ie); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ClaimDue(ctx, t0, 10, 3, nil)
	if err != nil || len(got) != 2 {
		t.Fatalf("claim due: %d, %v", len(got), err)
	}
	f.claimedIE, f.attemptingIE, f.untouchedIE = "ie-claimed", "ie-attempting", "ie-untouched"
	f.retryExec = "attempt-1"
	if err := s.CreateExecution(ctx, &weft.Execution{ID: f.retryExec, ScenarioID: other.ID, Version: 1, Kind: weft.KindRetry,
		Status: weft.ExecutionRunning, IncompleteID: f.attemptingIE, StartedAt: t0}); err != nil {
		t.Fatal(err)
	}
	return f
}

// A process whose lease expired has its work taken over: once, by one process; its
// unrecorded claims go back to the queue, its unstarted retries are due again, and its
// running executions come back, owned by the taker, for it to recover.
func TestTakeOverAfterTheLeaseExpires(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := t.Context()
	dead, _ := Open(ctx, url, Options{})
	a := openURL(t, url, Options{})
	b := openURL(t, url, Options{})
	f := leaveWork(t, dead)

	// Alive: nothing to take over.
	if tk, err := a.TakeOver(ctx, t0); err != nil || tk != nil {
		t.Fatalf("take over a live process: %+v, %v", tk, err)
	}
	dead.abandon() // SIGKILL: the lease stays in the table, unrenewed
	if tk, err := a.TakeOver(ctx, t0); err != nil || tk != nil {
		t.Fatalf("take over before the lease expired: %+v, %v", tk, err)
	}
	expire(t, a, dead.ProcessID())

	now := t0.Add(time.Minute)
	var (
		mu  sync.Mutex
		tks []*store.Takeover
		wg  sync.WaitGroup
	)
	for _, s := range []*Store{a, b, a, b} {
		wg.Go(func() {
			tk, err := s.TakeOver(ctx, now)
			if err != nil {
				t.Errorf("take over: %v", err)
			}
			mu.Lock()
			if tk != nil {
				tks = append(tks, tk)
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(tks) != 1 {
		t.Fatalf("%d takeovers of one dead process, want 1: %+v", len(tks), tks)
	}
	tk := tks[0]
	if tk.Process != dead.ProcessID() || tk.Released != 1 || tk.Due != 1 || len(tk.Running) != 2 {
		t.Fatalf("takeover %+v (running %d), want process %s, 1 released, 1 due, 2 running", tk, len(tk.Running), dead.ProcessID())
	}
	// In start order, ties by id.
	if tk.Running[0].ID != f.retryExec || tk.Running[1].ID != f.runExec || string(tk.Running[1].Input) != `[{}]` {
		t.Fatalf("running executions %s, %s (input %s)", tk.Running[0].ID, tk.Running[1].ID, tk.Running[1].Input)
	}
	taker, other := a, b
	if tk2, _ := a.TakeOver(ctx, now); tk2 != nil {
		t.Fatalf("a second takeover: %+v", tk2)
	}
	var owner string
	if err := a.pool.QueryRow(ctx, `SELECT owner FROM execution WHERE id = $1`, f.runExec).Scan(&owner); err != nil {
		t.Fatal(err)
	}
	if owner == b.ProcessID() {
		taker, other = b, a
	} else if owner != a.ProcessID() {
		t.Fatalf("adopted execution owned by %q", owner)
	}

	// The claim whose run was never recorded is claimable again; the recorded run's
	// claim is still held (recovering the run releases it).
	got, err := taker.ClaimQueued(ctx, 10, nil, func() string { return "again" })
	if err != nil || len(got) != 1 || got[0].ID != f.claimOnly.ID {
		t.Fatalf("claim after takeover: %+v, %v", got, err)
	}
	claimed, _ := taker.GetIncomplete(ctx, f.claimedIE)
	if claimed.Status != weft.IncompletePending || !claimed.NextAttemptAt.Equal(now) {
		t.Fatalf("unstarted retry after takeover: %s due %v, want pending due %v", claimed.Status, claimed.NextAttemptAt, now)
	}
	attempting, _ := taker.GetIncomplete(ctx, f.attemptingIE)
	untouched, _ := taker.GetIncomplete(ctx, f.untouchedIE)
	if attempting.Status != weft.IncompleteInProgress || untouched.Status != weft.IncompletePending {
		t.Fatalf("after takeover: attempting %s, untouched %s", attempting.Status, untouched.Status)
	}

	// Only the new owner writes the adopted run's end; the other live process is
	// refused, so an end is never written twice.
	end := &weft.Execution{ID: f.runExec, Status: weft.ExecutionError, FinishedAt: &now}
	if err := other.UpdateExecution(ctx, end); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("end written by a process that does not own the run: %v", err)
	}
	if err := taker.UpdateExecution(ctx, end); err != nil {
		t.Fatalf("end written by the owner: %v", err)
	}
	var n int
	if err := a.pool.QueryRow(ctx, `SELECT count(*) FROM process WHERE id = $1`, dead.ProcessID()).Scan(&n); err != nil || n != 0 {
		t.Fatalf("dead process row left: %d, %v", n, err)
	}
}

// A process that stops cleanly ends its lease at once: what it leaves (runs its
// shutdown interrupted) is taken over without waiting for an expiry.
func TestCloseEndsTheLease(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := t.Context()
	gone, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	leaveWork(t, gone)
	if err := gone.Close(); err != nil {
		t.Fatal(err)
	}
	a := openURL(t, url, Options{})
	tk, err := a.TakeOver(ctx, t0)
	if err != nil || tk == nil || tk.Process != gone.ProcessID() || len(tk.Running) != 2 {
		t.Fatalf("take over a closed process's work: %+v, %v", tk, err)
	}
}

// A lease found expired at renewal fences the process for good: another may already
// have taken its work over, so it must stop running it.
func TestExpiredLeaseFences(t *testing.T) {
	url := pgtest.NewDatabase(t)
	s := openURL(t, url, Options{LeaseTTL: 300 * time.Millisecond})
	select {
	case <-s.Fenced():
		t.Fatal("fenced while its lease is renewed")
	default:
	}
	expire(t, s, s.ProcessID())
	select {
	case <-s.Fenced():
	case <-time.After(10 * time.Second):
		t.Fatal("not fenced 10 s after its lease expired (renewal every 100 ms)")
	}
	var n int
	if err := s.pool.QueryRow(t.Context(), `SELECT count(*) FROM process WHERE id = $1 AND expires_at > now()`, s.ProcessID()).Scan(&n); err != nil || n != 0 {
		t.Fatalf("an expired lease was renewed (%d, %v)", n, err)
	}
}

// A process that cannot reach the database fences itself two thirds into its lease,
// before anyone could take its work over.
func TestUnreachableDatabaseFences(t *testing.T) {
	l := newLease(nil, "p-test", 300*time.Millisecond)
	calls := make(chan struct{}, 100)
	l.extend = func(context.Context) (bool, error) {
		calls <- struct{}{}
		return false, errors.New("connection refused")
	}
	started := time.Now()
	go l.renew()
	defer func() { close(l.stopCh); <-l.done }()
	select {
	case <-l.fenced:
	case <-time.After(10 * time.Second):
		t.Fatal("not fenced 10 s after renewals started failing")
	}
	if d := time.Since(started); d < 200*time.Millisecond {
		t.Fatalf("fenced after %s, before two thirds of the lease passed", d)
	}
	if len(calls) < 2 {
		t.Fatalf("fenced after %d failed renewal(s), want the ones of two thirds of the lease", len(calls))
	}
}

// Options are checked.
func TestOptions(t *testing.T) {
	if _, err := Open(t.Context(), "postgres://x@127.0.0.1:1/db", Options{LeaseTTL: time.Millisecond}); err == nil {
		t.Fatal("a 1 ms lease: want an error")
	}
	_, err := Open(t.Context(), "postgres://user:secret@127.0.0.1:1/db?connect_timeout=1", Options{})
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("unreachable server: %v (the password must not show)", err)
	}
	if !IsURL("postgres://h/db") || !IsURL("postgresql://h/db") || IsURL("/var/lib/weft") {
		t.Fatal("IsURL")
	}
}

// Runs starting hold the scenario's lock shared: they do not wait for each other, but
// a retry's claim (the exclusive lock) waits for them, and they for it.
func TestSharedScenarioLock(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	sc := &weft.Scenario{Name: "S", CreatedAt: t0, UpdatedAt: t0}
	if err := s.CreateScenario(ctx, sc, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	holding, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- s.InTx(ctx, func(q store.Queries) error {
			if err := q.LockScenarioShared(ctx, sc.ID); err != nil {
				return err
			}
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	// A second shared holder goes ahead while the first holds on.
	if err := s.InTx(ctx, func(q store.Queries) error { return q.LockScenarioShared(ctx, sc.ID) }); err != nil {
		t.Fatal(err)
	}
	// The exclusive lock is not to be had meanwhile: ClaimDue's try passes it over.
	var got bool
	err := s.InTx(ctx, func(q store.Queries) error {
		var err error
		got, err = q.(*queries).tryLock(ctx, lockScenario, sc.ID)
		return err
	})
	if err != nil || got {
		t.Fatalf("exclusive lock beside a shared holder: %v, %v", got, err)
	}
	exclusive := make(chan error, 1)
	go func() {
		exclusive <- s.InTx(ctx, func(q store.Queries) error { return q.LockScenario(ctx, sc.ID) })
	}()
	select {
	case err := <-exclusive:
		t.Fatalf("LockScenario returned (%v) while a shared holder holds on", err)
	default:
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-exclusive; err != nil {
		t.Fatal(err)
	}
}
