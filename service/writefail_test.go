package service_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
)

// Write failures while weft runs (docs/incomplete-executions.md, "Write failures"): each
// state that used to stay stuck until a restart, made through a real SQLite store whose
// writes fail on demand as on a full disk, and released by the worker's next round once
// writes work again — with nothing lost and nothing run twice.

// fullAfter fills the disk right after the first committed write that calls op.
func fullAfter(fs *faultStore, op string) {
	fs.onCommit(func(ops []string) {
		if slices.Contains(ops, op) {
			fs.setFull(true)
			fs.onCommit(nil)
		}
	})
}

func newFaultEnv(t *testing.T, cfg ...func(*service.Config)) (*env, *faultStore) {
	var fs *faultStore
	e := newEnv(t, append([]func(*service.Config){func(c *service.Config) { fs = newFaultStore(c.Store); c.Store = fs }}, cfg...)...)
	return e, fs
}

func (e *env) running() []*weft.Execution {
	e.t.Helper()
	exs, err := e.st.RunningExecutions(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	return exs
}

func (e *env) retryFailedWrites(want int) {
	e.t.Helper()
	n, err := e.svc.RetryFailedWrites(e.t.Context())
	if err != nil || n != want {
		e.t.Fatalf("RetryFailedWrites: %d landed (%v), want %d", n, err, want)
	}
	if left := e.svc.FailedWrites(); left != 0 {
		e.t.Fatalf("%d failed write(s) still owed", left)
	}
}

// A webhook payload stored claimed for its inline run, whose run could not be recorded
// and whose hand-back failed too: the claim held the scenario's queue until a restart.
// Now the hand-back is owed; once writes work the payload runs, once.
func TestFullDiskInlineRunHandsItsPayloadBack(t *testing.T) {
	e, fs := newFaultEnv(t)
	s := newStandIn(t, answer{status: 200})
	id := e.scenario(httpFlow(s.URL, ""), "")
	e.activate(id)
	ctx := t.Context()
	acc, err := e.svc.Accept(ctx, id, bundle(`{"id":"w1"}`), true)
	if err != nil || !acc.Inline {
		t.Fatalf("accept: %+v %v", acc, err)
	}
	fs.setFull(true)
	if _, err := e.svc.RunAccepted(ctx, acc); !errors.Is(err, store.ErrFull) {
		t.Fatalf("RunAccepted on a full disk: %v, want store.ErrFull", err)
	}
	if n := e.svc.FailedWrites(); n != 1 {
		t.Fatalf("%d failed writes owed, want 1 (the hand-back)", n)
	}
	if n, err := e.svc.RetryFailedWrites(ctx); n != 0 || !errors.Is(err, store.ErrFull) {
		t.Fatalf("while full: %d landed (%v)", n, err)
	}

	fs.setFull(false)
	e.retryFailedWrites(1)
	if n, err := e.svc.DrainQueue(ctx); err != nil || n != 1 {
		t.Fatalf("drained %d (%v), want 1", n, err)
	}
	if got := s.requests(); len(got) != 1 || got[0] != `/orders {"id":"w1"}` {
		t.Fatalf("stand-in saw %q, want the payload once", got)
	}
	if d := e.depth(id); d != 0 || len(e.running()) != 0 {
		t.Fatalf("queue depth %d, %d running; want 0, 0", d, len(e.running()))
	}
}

// A sequential scenario whose head payload was claimed by a run that could not be
// recorded: every later payload waited behind the claim. Once writes work they all run,
// in order, each once.
func TestFullDiskSequentialQueueMovesAgain(t *testing.T) {
	e, fs := newFaultEnv(t)
	s := newStandIn(t, answer{status: 200})
	id := e.scenario(httpFlow(s.URL, ""), `{"sequential":true}`)
	e.activate(id)
	ctx := t.Context()
	for _, p := range []string{"a", "b", "c"} {
		if _, err := e.svc.Enqueue(ctx, id, bundle(`{"id":"`+p+`"}`)); err != nil {
			t.Fatal(err)
		}
	}
	fullAfter(fs, "ClaimQueued")
	if n, err := e.svc.DrainQueue(ctx); n != 1 || !errors.Is(err, store.ErrFull) {
		t.Fatalf("drain on a filling disk: %d (%v)", n, err)
	}
	if n := e.svc.FailedWrites(); n != 1 {
		t.Fatalf("%d failed writes owed, want 1", n)
	}
	fs.setFull(false)
	e.retryFailedWrites(1)
	for range 3 {
		if n, err := e.svc.DrainQueue(ctx); err != nil || n != 1 {
			t.Fatalf("drained %d (%v), want 1", n, err)
		}
	}
	want := []string{`/orders {"id":"a"}`, `/orders {"id":"b"}`, `/orders {"id":"c"}`}
	if got := s.requests(); !slices.Equal(got, want) {
		t.Fatalf("stand-in saw %q, want %q", got, want)
	}
}

// A run that happened but whose end could not be written: the execution stayed
// "running", its payload claimed, its incomplete execution unwritten, and the
// scenario's retries waited (a retry never overlaps a running run). Now the same end is
// written once writes work: the recorded outcome, the IE, the payload deleted — and the
// run is not repeated.
func TestFullDiskRunEndIsWrittenLaterNotRerun(t *testing.T) {
	runs := make(runSignal, 4)
	e, fs := newFaultEnv(t, func(c *service.Config) { c.Observer = runs })
	s := newStandIn(t, answer{status: 503})
	id := e.scenario(httpFlow(s.URL, ""), "")
	e.activate(id)
	ctx := t.Context()
	acc, err := e.svc.Accept(ctx, id, bundle(`{"id":"w1"}`), true)
	if err != nil {
		t.Fatal(err)
	}
	fullAfter(fs, "CreateExecution") // the disk fills while the run calls the stand-in
	started := e.clock.Now()
	if _, err := e.svc.RunAccepted(ctx, acc); !errors.Is(err, store.ErrFull) {
		t.Fatalf("RunAccepted: %v, want store.ErrFull", err)
	}
	if r := e.running(); len(r) != 1 || r[0].ID != acc.Item.ExecutionID {
		t.Fatalf("running %v, want the run whose end is owed", r)
	}
	if e.svc.FailedWrites() != 1 {
		t.Fatalf("%d failed writes owed, want 1", e.svc.FailedWrites())
	}
	e.clock.Add(5 * service.RetrySchedule[0]) // time passes while the disk is full

	fs.setFull(false)
	e.retryFailedWrites(1)
	if ex := <-runs; ex.ID != acc.Item.ExecutionID || ex.Status != weft.ExecutionWarning {
		t.Fatalf("observer told %+v, want the run's end", ex)
	}
	ex, err := e.st.GetExecution(ctx, acc.Item.ExecutionID)
	if err != nil || ex.Status != weft.ExecutionWarning || ex.FinishedAt == nil || !ex.FinishedAt.Equal(started) {
		t.Fatalf("execution %+v (%v), want warning, finished when it ran (%s)", ex, err, started)
	}
	ies, err := e.st.ListIncomplete(ctx, store.IncompleteFilter{ExecutionID: ex.ID})
	if err != nil || len(ies) != 1 || ies[0].ErrorType != weft.ConnectionError || ies[0].Status != weft.IncompletePending {
		t.Fatalf("incomplete executions %+v (%v), want one pending ConnectionError", ies, err)
	}
	if d := e.depth(id); d != 0 || len(e.running()) != 0 {
		t.Fatalf("queue depth %d, %d running; want 0, 0", d, len(e.running()))
	}
	if n, _ := e.svc.DrainQueue(ctx); n != 0 || len(s.requests()) != 1 {
		t.Fatalf("the run ran again: drained %d, stand-in saw %d calls", n, len(s.requests()))
	}
	// Its incomplete execution is retried as usual.
	s.set(answer{status: 200})
	e.clock.Add(service.RetrySchedule[0])
	if n := e.due(); n != 1 || e.ie(ies[0].ID).Status != weft.IncompleteResolved {
		t.Fatalf("retry: %d started, IE %s", n, e.ie(ies[0].ID).Status)
	}
}

// Three incomplete executions claimed for retries whose attempts could not be recorded,
// and whose hand-back failed: "in progress" forever, and three of them stopped the
// scenario's retries entirely. Now they are handed back and retried.
func TestFullDiskClaimedRetriesAreHandedBack(t *testing.T) {
	e, fs := newFaultEnv(t)
	s := newStandIn(t, answer{status: 503})
	id := e.scenario(httpFlow(s.URL, ""), "")
	var ids []string
	for _, p := range []string{"a", "b", "c"} {
		ids = append(ids, e.run(id, `{"id":"`+p+`"}`).Incomplete[0].ID)
	}
	e.clock.Add(service.RetrySchedule[0])
	fullAfter(fs, "ClaimDue")
	if n, err := e.svc.RunDue(t.Context()); n != 3 || !errors.Is(err, store.ErrFull) {
		t.Fatalf("RunDue on a filling disk: %d (%v)", n, err)
	}
	for _, ie := range ids {
		if st := e.ie(ie).Status; st != weft.IncompleteInProgress {
			t.Fatalf("%s is %s, want in progress while its hand-back is owed", ie, st)
		}
	}
	if n := e.svc.FailedWrites(); n != 3 {
		t.Fatalf("%d failed writes owed, want 3", n)
	}
	fs.setFull(false)
	e.retryFailedWrites(3)
	s.set(answer{status: 200})
	if n := e.due(); n != 3 {
		t.Fatalf("%d retries claimed, want 3", n)
	}
	// The three share the stand-in's circuit breaker: one probe went first, and its
	// success released the other two for the next round.
	if n := e.due(); n != 2 {
		t.Fatalf("%d retries released by the breaker, want 2", n)
	}
	for _, ie := range ids {
		if got := e.ie(ie); got.Status != weft.IncompleteResolved || got.Attempts != 1 {
			t.Fatalf("%s: %s after %d attempt(s), want resolved after 1", ie, got.Status, got.Attempts)
		}
	}
	if got := len(s.requests()); got != 6 {
		t.Fatalf("stand-in saw %d calls, want 6 (3 runs, 3 retries)", got)
	}
}

// A retry attempt that ran but whose end could not be written: its execution stayed
// running and its incomplete execution in progress. The same outcome is written later;
// the attempt is not made again.
func TestFullDiskAttemptEndIsWrittenLaterNotRerun(t *testing.T) {
	e, fs := newFaultEnv(t)
	s := newStandIn(t, answer{status: 503}, answer{status: 200})
	id := e.scenario(httpFlow(s.URL, ""), "")
	ieID := e.run(id, `{"id":"a"}`).Incomplete[0].ID
	e.clock.Add(service.RetrySchedule[0])
	fullAfter(fs, "AddAttempt") // the disk fills while the attempt calls the stand-in
	if n, err := e.svc.RunDue(t.Context()); n != 1 || !errors.Is(err, store.ErrFull) {
		t.Fatalf("RunDue: %d (%v)", n, err)
	}
	if ie := e.ie(ieID); ie.Status != weft.IncompleteInProgress || len(e.running()) != 1 {
		t.Fatalf("IE %s, %d running; want in progress, 1", ie.Status, len(e.running()))
	}
	fs.setFull(false)
	e.retryFailedWrites(1)
	ie := e.ie(ieID)
	atts, err := e.st.ListAttempts(t.Context(), ieID)
	if ie.Status != weft.IncompleteResolved || ie.Attempts != 1 || err != nil || len(atts) != 1 || atts[0].Outcome != weft.AttemptResolved {
		t.Fatalf("IE %s after %d attempt(s), attempts %+v (%v); want resolved by its one attempt", ie.Status, ie.Attempts, atts, err)
	}
	if len(e.running()) != 0 || len(s.requests()) != 2 {
		t.Fatalf("%d running, stand-in saw %d calls; want 0, 2 (the run, the one attempt)", len(e.running()), len(s.requests()))
	}
	if n := e.due(); n != 0 {
		t.Fatalf("%d retries started after the resolution", n)
	}
}

// The worker loop writes owed writes again by itself, soon after writes work again,
// without a restart.
func TestWorkerWritesFailedWritesAgain(t *testing.T) {
	runs := make(runSignal, 4)
	e, fs := newFaultEnv(t, func(c *service.Config) { c.Observer = runs })
	s := newStandIn(t, answer{status: 200})
	id := e.scenario(httpFlow(s.URL, ""), "")
	fullAfter(fs, "CreateExecution")
	if _, err := e.svc.Run(t.Context(), id, []weft.Bundle{bundle(`{"id":"a"}`)}); !errors.Is(err, store.ErrFull) {
		t.Fatalf("run: %v, want store.ErrFull", err)
	}
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	// A long poll: only the owed write's own retry brings the worker back.
	go func() { done <- e.svc.WorkUntil(ctx, nil, time.Hour) }()
	fs.setFull(false)
	var ex *weft.Execution
	select {
	case ex = <-runs:
	case <-time.After(10 * time.Second): // a bound for the failure, not a wait for success
		t.Fatal("the worker did not write the run's end within 10 s of writes working again")
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if ex.Status != weft.ExecutionSuccess || len(e.running()) != 0 || e.svc.FailedWrites() != 0 {
		t.Fatalf("execution %+v, %d running, %d owed", ex, len(e.running()), e.svc.FailedWrites())
	}
}
