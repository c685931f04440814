package service_test

import (
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
)

func TestRunRecordsExecutionAndIncomplete(t *testing.T) {
	e := newEnv(t)
	s := newStandIn(t, answer{status: 503})
	id := e.scenario(httpFlow(s.URL, ""), "")
	rr := e.run(id, `{"id":"o1"}`)
	if rr.Result.Status != weft.StatusWarning || len(rr.Incomplete) != 1 {
		t.Fatalf("status %s IEs %d", rr.Result.Status, len(rr.Incomplete))
	}
	ie := e.ie(rr.Incomplete[0].ID)
	want := e.clock.Now().Add(time.Minute)
	if ie.Status != weft.IncompletePending || !ie.AutoRetry || ie.ErrorType != weft.ConnectionError ||
		ie.FailedModuleID != 2 || ie.ExecutionID != rr.Execution.ID || ie.NextAttemptAt == nil || !ie.NextAttemptAt.Equal(want) {
		t.Fatalf("IE %+v", ie)
	}
	if ie.SizeBytes <= 0 || len(ie.Blueprint) == 0 || len(ie.State) == 0 {
		t.Fatalf("IE lacks its snapshot: size %d", ie.SizeBytes)
	}
	ex, err := e.st.GetExecution(t.Context(), rr.Execution.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Status != weft.ExecutionWarning || ex.Operations != 2 || ex.FinishedAt == nil || len(ex.Log) == 0 || len(ex.Input) != 0 {
		t.Fatalf("execution %+v", ex)
	}
}

// TestAutomaticRetrySchedule follows an incomplete execution through SPEC §5.3's
// schedule with a fake clock: attempts after 1, 10, 10, 30, 30, 30, 180, 180 minutes,
// then unresolved.
func TestAutomaticRetrySchedule(t *testing.T) {
	e := newEnv(t)
	s := newStandIn(t, answer{status: 503})
	id := e.scenario(httpFlow(s.URL, ""), "")
	ieID := e.run(id, `{"id":"o1"}`).Incomplete[0].ID
	start := e.clock.Now()
	var elapsed time.Duration
	for i, d := range service.RetrySchedule {
		e.clock.Add(d - time.Second)
		if n := e.due(); n != 0 {
			t.Fatalf("attempt %d ran a second early", i+1)
		}
		e.clock.Add(time.Second)
		elapsed += d
		if n := e.due(); n != 1 {
			t.Fatalf("attempt %d did not run when due", i+1)
		}
		ie := e.ie(ieID)
		if ie.Attempts != i+1 {
			t.Fatalf("attempts %d, want %d", ie.Attempts, i+1)
		}
		if i < len(service.RetrySchedule)-1 {
			if ie.Status != weft.IncompletePending || ie.NextAttemptAt == nil {
				t.Fatalf("after attempt %d: %s", i+1, ie.Status)
			}
		} else if ie.Status != weft.IncompleteUnresolved || ie.NextAttemptAt != nil {
			t.Fatalf("after the last attempt: %s next %v", ie.Status, ie.NextAttemptAt)
		}
	}
	if elapsed != 7*time.Hour+51*time.Minute || e.clock.Now().Sub(start) != elapsed {
		t.Fatalf("the last attempt came %s after the failure", elapsed)
	}
	atts, err := e.st.ListAttempts(t.Context(), ieID)
	if err != nil || len(atts) != 8 {
		t.Fatalf("attempts logged %d (%v)", len(atts), err)
	}
	for _, a := range atts {
		if a.Outcome != weft.AttemptFailed || a.ErrorType != weft.ConnectionError || a.ExecutionID == "" || a.FinishedAt == nil {
			t.Fatalf("attempt %+v", a)
		}
	}
	if got := len(s.requests()); got != 9 {
		t.Fatalf("stand-in saw %d requests, want 9 (the run and 8 attempts)", got)
	}
}

func TestRetrySucceedsAndResolves(t *testing.T) {
	e := newEnv(t)
	s := newStandIn(t, answer{status: 502}, answer{status: 200})
	id := e.scenario(httpFlow(s.URL, ""), "")
	ieID := e.run(id, `{"id":"o7"}`).Incomplete[0].ID
	e.clock.Add(time.Minute)
	if e.due() != 1 {
		t.Fatal("no attempt")
	}
	ie := e.ie(ieID)
	if ie.Status != weft.IncompleteResolved || ie.ResolvedAt == nil || ie.Attempts != 1 {
		t.Fatalf("IE %+v", ie)
	}
	// The continuation started at module 2 with the stored trigger bundle: the stand-in
	// got the same body again, and the trigger did not run twice.
	if got := s.requests(); len(got) != 2 || got[0] != got[1] || got[1] != `/orders {"id":"o7"}` {
		t.Fatalf("requests %q", got)
	}
	atts, _ := e.st.ListAttempts(t.Context(), ieID)
	ex, err := e.st.GetExecution(t.Context(), atts[0].ExecutionID)
	if err != nil || ex.Kind != weft.KindRetry || ex.IncompleteID != ieID || ex.Status != weft.ExecutionSuccess || ex.Operations != 2 {
		t.Fatalf("attempt execution %+v (%v)", ex, err)
	}
}

func TestRateLimitDelayHonoured(t *testing.T) {
	e := newEnv(t)
	s := newStandIn(t, answer{status: 429, header: map[string]string{"Retry-After": "7200"}})
	id := e.scenario(httpFlow(s.URL, ""), "")
	ie := e.ie(e.run(id, `{"id":"r"}`).Incomplete[0].ID)
	if ie.ErrorType != weft.RateLimitError || !ie.NextAttemptAt.Equal(e.clock.Now().Add(2*time.Hour)) {
		t.Fatalf("IE %s next %v", ie.ErrorType, ie.NextAttemptAt)
	}
	e.clock.Add(time.Hour)
	if e.due() != 0 {
		t.Fatal("retried before the rate limit's delay")
	}
}

func TestBreakCountAndInterval(t *testing.T) {
	e := newEnv(t)
	s := newStandIn(t, answer{status: 500})
	id := e.scenario(httpFlow(s.URL, `,"onerror":[{"id":9,"module":"builtin:Break","version":1,"mapper":{"retry":true,"count":"2","interval":"5"}}]`), "")
	ieID := e.run(id, `{"id":"b"}`).Incomplete[0].ID
	ie := e.ie(ieID)
	if ie.ErrorType != weft.RuntimeError || ie.Status != weft.IncompletePending || !ie.NextAttemptAt.Equal(e.clock.Now().Add(5*time.Minute)) {
		t.Fatalf("IE %+v", ie)
	}
	for i := 1; i <= 2; i++ {
		e.clock.Add(5 * time.Minute)
		if e.due() != 1 {
			t.Fatalf("attempt %d", i)
		}
	}
	if ie := e.ie(ieID); ie.Status != weft.IncompleteUnresolved || ie.Attempts != 2 {
		t.Fatalf("after Break's 2 attempts: %s, %d", ie.Status, ie.Attempts)
	}
}

func TestResolveWithEditRunsFromFailingModule(t *testing.T) {
	e := newEnv(t)
	s := newStandIn(t, answer{status: 200})
	// Module 2 posts to a URL that does not resolve to the stand-in's path: the mapping
	// is wrong (a DataError from a 404 would do too); the person fixes the URL.
	id := e.scenario(httpFlow(s.URL+"/wrong", ""), "")
	s.set(answer{status: 404}, answer{status: 200})
	rr := e.run(id, `{"id":"x1"}`)
	ieID := rr.Incomplete[0].ID
	if ie := e.ie(ieID); ie.Status != weft.IncompleteUnresolved || ie.AutoRetry || ie.ErrorType != weft.DataError {
		t.Fatalf("IE %+v", ie)
	}
	edit, err := service.ParseEdit("2.mapper.url=" + s.URL + "/fixed")
	if err != nil {
		t.Fatal(err)
	}
	res, after, err := e.svc.Resolve(t.Context(), ieID, []service.Edit{edit}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != weft.IncompleteResolved || res.Result.Status != weft.StatusSuccess {
		t.Fatalf("after %s, run %s", after.Status, res.Result.Status)
	}
	if got := s.requests(); len(got) != 2 || got[1] != `/fixed {"id":"x1"}` {
		t.Fatalf("requests %q", got)
	}
	// Editing a module that ran before the failing one is refused: it would not run again.
	s.set(answer{status: 404})
	rr = e.run(id, `{"id":"x2"}`)
	bad, _ := service.ParseEdit("1.mapper.x=1")
	if _, err := e.svc.EditIncomplete(t.Context(), rr.Incomplete[0].ID, []service.Edit{bad}, nil); err == nil {
		t.Fatal("an edit of an upstream module was accepted")
	}
	broken, _ := service.ParseEdit("3.mapper.value={{nope(}}")
	if _, err := e.svc.EditIncomplete(t.Context(), rr.Incomplete[0].ID, []service.Edit{broken}, nil); err == nil {
		t.Fatal("an edit that breaks the blueprint was accepted")
	}
}

func TestBulkRetryAndDelete(t *testing.T) {
	e := newEnv(t)
	s := newStandIn(t, answer{status: 400})
	id := e.scenario(httpFlow(s.URL, ""), "")
	var ids []string
	for i := 0; i < 4; i++ {
		ids = append(ids, e.run(id, `{"id":"d"}`).Incomplete[0].ID)
	}
	s.set(answer{status: 200})
	n, err := e.svc.Retry(t.Context(), store.Selection{ScenarioID: id, All: true, Except: ids[:1]})
	if err != nil || n != 3 {
		t.Fatalf("retry all except one: %d %v", n, err)
	}
	if got := e.due(); got != 3 {
		t.Fatalf("ran %d, want 3 (at most 3 per scenario)", got)
	}
	for i, ieID := range ids {
		want := weft.IncompleteResolved
		if i == 0 {
			want = weft.IncompleteUnresolved
		}
		if got := e.ie(ieID).Status; got != want {
			t.Fatalf("IE %d: %s, want %s", i, got, want)
		}
	}
	if _, err := e.svc.Delete(t.Context(), store.Selection{ScenarioID: id, All: true}, false); err == nil {
		t.Fatal("deleting all without confirmation was accepted")
	}
	if n, err := e.svc.Delete(t.Context(), store.Selection{ScenarioID: id, All: true}, true); err != nil || n != 4 {
		t.Fatalf("delete all: %d %v", n, err)
	}
}

func TestAtMostThreeRetriesPerScenario(t *testing.T) {
	e := newEnv(t)
	s := newStandIn(t, answer{status: 503})
	id := e.scenario(httpFlow(s.URL, ""), "")
	for i := 0; i < 5; i++ {
		e.run(id, `{"id":"c"}`)
	}
	e.clock.Add(time.Minute)
	claimed, err := e.st.ClaimDue(t.Context(), e.clock.Now(), 10, 3, nil)
	if err != nil || len(claimed) != 3 {
		t.Fatalf("claimed %d (%v), want 3", len(claimed), err)
	}
	// A scenario with a live run gets none.
	if more, err := e.st.ClaimDue(t.Context(), e.clock.Now(), 10, 5, []int64{id}); err != nil || len(more) != 0 {
		t.Fatalf("claimed %d while the scenario runs", len(more))
	}
}
