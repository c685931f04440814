package service_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/service"
)

// The crash test's rare failure (seed 1796668908396785905: "retry execution … made 0
// calls, want 1" and an incomplete execution of a 503 call left with a RuntimeError),
// made deterministic. `weft work` stopping on SIGTERM cancels its context. When that
// lands after a retry's attempt is recorded (execution and attempt rows committed) and
// before the attempt reads its scenario, the read fails with "context canceled". That
// failure used to be recorded as the attempt's outcome: a failed attempt that made no
// call, counted, and the incomplete execution unresolved with a RuntimeError in place
// of its ConnectionError. Nothing ran, so it is an interruption: the attempt does not
// count and the incomplete execution is due again, as it was.
func TestShutdownAfterAttemptRecordedInterruptsIt(t *testing.T) {
	var fs *faultStore
	e := newEnv(t, func(c *service.Config) { fs = newFaultStore(c.Store); c.Store = fs })
	s := newStandIn(t, answer{status: 503}, answer{status: 200})
	id := e.scenario(httpFlow(s.URL, ""), "")
	ieID := e.run(id, `{"id":"o1"}`).Incomplete[0].ID
	e.clock.Add(service.RetrySchedule[0])

	ctx, stop := context.WithCancel(t.Context())
	fs.onCommit(func(ops []string) {
		if slices.Contains(ops, "AddAttempt") {
			stop() // SIGTERM, right after the attempt's record is on disk
		}
	})
	n, err := e.svc.RunDue(ctx)
	if n != 1 || !errors.Is(err, context.Canceled) {
		t.Fatalf("RunDue: %d started, err %v; want 1 started and context.Canceled", n, err)
	}
	fs.onCommit(nil)
	if got := len(s.requests()); got != 1 {
		t.Fatalf("the stand-in saw %d calls, want 1 (the original run's)", got)
	}
	ie := e.ie(ieID)
	if ie.Status != weft.IncompletePending || ie.Attempts != 0 || ie.ErrorType != weft.ConnectionError ||
		ie.NextAttemptAt == nil || ie.NextAttemptAt.After(e.clock.Now()) {
		t.Fatalf("after the interrupted attempt: status %s, %d attempt(s), %s (%s), next %v; want pending, 0, ConnectionError, due now",
			ie.Status, ie.Attempts, ie.ErrorType, ie.ErrorMessage, ie.NextAttemptAt)
	}
	atts, err := e.st.ListAttempts(t.Context(), ieID)
	if err != nil || len(atts) != 1 || atts[0].Outcome != weft.AttemptInterrupted || atts[0].FinishedAt == nil {
		t.Fatalf("attempts %+v (%v), want one interrupted", atts, err)
	}
	ex, err := e.st.GetExecution(t.Context(), atts[0].ExecutionID)
	if err != nil || ex.Status != weft.ExecutionError || !strings.HasPrefix(ex.ErrorMsg, "interrupted") {
		t.Fatalf("retry execution %+v (%v), want ended as interrupted", ex, err)
	}

	// The next start retries it for real and it resolves.
	if n := e.due(); n != 1 {
		t.Fatalf("the interrupted retry was not due again: %d started", n)
	}
	ie = e.ie(ieID)
	if ie.Status != weft.IncompleteResolved || ie.Attempts != 1 || ie.ErrorType != weft.ConnectionError {
		t.Fatalf("after the retry: %s, %d attempt(s), %s; want resolved after 1, ConnectionError kept", ie.Status, ie.Attempts, ie.ErrorType)
	}
}
