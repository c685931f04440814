package service_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// TestRecoverAfterCrash plants the traces a killed process leaves (executions marked
// running) and checks Recover puts each back: a queued payload runs again, a direct
// run becomes an incomplete execution, an interrupted retry is due again.
func TestRecoverAfterCrash(t *testing.T) {
	e := newEnv(t)
	s := newStandIn(t, answer{status: 503})
	id := e.scenario(httpFlow(s.URL, ""), "")
	// An interrupted retry: claim a due IE and record an attempt that never finished.
	ieID := e.run(id, `{"id":"r"}`).Incomplete[0].ID
	ctx := t.Context()
	now := e.clock.Now()
	if _, err := e.st.ClaimDue(ctx, now.Add(61e9), 1, 3, nil); err != nil {
		t.Fatal(err)
	}
	retryEx := &weft.Execution{ID: "crash-retry", ScenarioID: id, Version: 1, Kind: weft.KindRetry, Status: weft.ExecutionRunning,
		IncompleteID: ieID, StartedAt: now}
	must(t, e.st.CreateExecution(ctx, retryEx))
	must(t, e.st.AddAttempt(ctx, &weft.Attempt{IncompleteID: ieID, N: 1, StartedAt: now, ExecutionID: "crash-retry"}))
	// An interrupted queued run.
	item, err := e.svc.Enqueue(ctx, id, bundle(`{"id":"q"}`))
	must(t, err)
	if _, err := e.svc.SetActive(ctx, id, true); err != nil {
		t.Fatal(err)
	}
	claimed, err := e.st.ClaimQueued(ctx, 1, nil, func() string { return "crash-queued" })
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim %v %v", claimed, err)
	}
	must(t, e.st.CreateExecution(ctx, &weft.Execution{ID: "crash-queued", ScenarioID: id, Version: 1, Kind: weft.KindRun,
		Status: weft.ExecutionRunning, QueueItemID: item.ID, Input: []byte(`[{"id":"q"}]`), StartedAt: now}))
	// An interrupted direct run.
	must(t, e.st.CreateExecution(ctx, &weft.Execution{ID: "crash-direct", ScenarioID: id, Version: 1, Kind: weft.KindRun,
		Status: weft.ExecutionRunning, Input: []byte(`[{"id":"d"}]`), StartedAt: now}))

	n, err := e.svc.Recover(ctx)
	if err != nil || n != 3 {
		t.Fatalf("recovered %d (%v), want 3", n, err)
	}
	if running, _ := e.st.RunningExecutions(ctx); len(running) != 0 {
		t.Fatalf("still running: %v", running)
	}
	ie := e.ie(ieID)
	if ie.Status != weft.IncompletePending || ie.Attempts != 0 || !ie.NextAttemptAt.Equal(now) {
		t.Fatalf("interrupted retry: %+v", ie)
	}
	atts, _ := e.st.ListAttempts(ctx, ieID)
	if len(atts) != 1 || atts[0].Outcome != weft.AttemptInterrupted {
		t.Fatalf("attempts %+v", atts)
	}
	if d, _ := e.st.QueueDepth(ctx, id); d != 1 {
		t.Fatalf("queued payload not handed back: depth %d", d)
	}
	ies, _ := e.st.ListIncomplete(ctx, store.IncompleteFilter{ScenarioID: id})
	var fromCrash *weft.Incomplete
	for _, x := range ies {
		if x.ExecutionID == "crash-direct" {
			fromCrash = x
		}
	}
	if fromCrash == nil || fromCrash.Status != weft.IncompleteUnresolved || fromCrash.FailedModuleID != 1 ||
		!strings.Contains(fromCrash.ErrorMessage, "interrupted") {
		t.Fatalf("direct run not kept as an IE: %+v", fromCrash)
	}
	// Resolving it runs the whole flow with the stored trigger bundle.
	s.set(answer{status: 200})
	if _, after, err := e.svc.RetryNow(ctx, fromCrash.ID); err != nil || after.Status != weft.IncompleteResolved {
		t.Fatalf("resolve the recovered run: %v %+v", err, after)
	}
	if got := s.requests(); got[len(got)-1] != `/orders {"id":"d"}` {
		t.Fatalf("requests %q", got)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A run stopped from outside is not recorded as an error (no deactivation) and is
// recovered at the next start.
func TestInterruptedRunIsRecoveredNotCounted(t *testing.T) {
	e := newEnv(t)
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	id := e.scenario(httpFlow(slow.URL, ""), `{"maxErrors":1}`)
	if _, err := e.svc.SetActive(t.Context(), id, true); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := e.svc.Run(ctx, id, []weft.Bundle{bundle(`{"id":"i"}`)})
		done <- err
	}()
	<-arrived // the run is inside module 2
	cancel()
	if err := <-done; err == nil {
		t.Fatal("an interrupted run reported no error")
	}
	sc, _ := e.st.GetScenario(t.Context(), id)
	if !sc.Active || sc.ConsecutiveErrors != 0 {
		t.Fatalf("an interrupted run counted as an error: %+v", sc)
	}
	if n, err := e.svc.Recover(t.Context()); err != nil || n != 1 {
		t.Fatalf("recovered %d (%v)", n, err)
	}
	if n, _ := e.st.CountIncomplete(t.Context(), store.IncompleteFilter{ScenarioID: id}); n != 1 {
		t.Fatalf("the interrupted run's input was not kept: %d IEs", n)
	}
}

// A crash between claiming a queued payload and recording its run left the claim
// behind; Recover hands the payload back.
func TestRecoverReleasesOrphanedQueueClaims(t *testing.T) {
	e := newEnv(t)
	s := newStandIn(t, answer{status: 200})
	id := e.scenario(httpFlow(s.URL, ""), "")
	if _, err := e.svc.SetActive(t.Context(), id, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Enqueue(t.Context(), id, bundle(`{"id":"o"}`)); err != nil {
		t.Fatal(err)
	}
	if got, err := e.st.ClaimQueued(t.Context(), 1, nil, func() string { return "never-written" }); err != nil || len(got) != 1 {
		t.Fatalf("claim %v %v", got, err)
	}
	if n, _ := e.svc.DrainQueue(t.Context()); n != 0 {
		t.Fatal("a claimed payload ran twice")
	}
	if n, err := e.svc.Recover(t.Context()); err != nil || n != 1 {
		t.Fatalf("recovered %d (%v)", n, err)
	}
	if n, err := e.svc.DrainQueue(t.Context()); err != nil || n != 1 {
		t.Fatalf("drained %d (%v)", n, err)
	}
	if d, _ := e.st.QueueDepth(t.Context(), id); d != 0 || len(s.requests()) != 1 {
		t.Fatalf("depth %d, requests %d", d, len(s.requests()))
	}
}
