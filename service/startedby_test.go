package service_test

import (
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// TestRunsRecordWhatStartedThem: a direct run is manual, a webhook payload run inline
// is webhook, a scheduled tick is schedule; the store gives the trigger back (an
// attempt's "retry" is set where the attempt is recorded, service/retry.go).
func TestRunsRecordWhatStartedThem(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	got := func(ex *weft.Execution) weft.Trigger {
		t.Helper()
		stored, err := e.st.GetExecution(ctx, ex.ID)
		if err != nil {
			t.Fatal(err)
		}
		return stored.Trigger
	}
	manual := e.run(e.scenario(tickFlow, ""), `{}`)
	if tr := got(manual.Execution); tr != weft.TriggerManual {
		t.Errorf("a direct run: %q", tr)
	}

	hook := e.scenario(tickFlow, "")
	e.activate(hook)
	a, err := e.svc.Accept(ctx, hook, weft.Bundle{"x": 1.0}, true)
	if err != nil || !a.Inline {
		t.Fatalf("accept: %v (inline %v)", err, a != nil && a.Inline)
	}
	rr, err := e.svc.RunAccepted(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if tr := got(rr.Execution); tr != weft.TriggerWebhook {
		t.Errorf("a webhook run: %q", tr)
	}

	ticking := e.scenario(tickFlow, "")
	e.setSchedule(ticking, every15)
	e.activate(ticking)
	e.clock.Add(16 * time.Minute)
	if n := e.fire(nil); n != 1 {
		t.Fatalf("%d scheduled runs", n)
	}
	list, err := e.svc.Store().ListExecutions(ctx, store.ExecutionFilter{ScenarioID: ticking})
	if err != nil || len(list) != 1 {
		t.Fatalf("scheduled executions: %v %v", list, err)
	}
	if list[0].Trigger != weft.TriggerSchedule {
		t.Errorf("a scheduled run: %q", list[0].Trigger)
	}
}
