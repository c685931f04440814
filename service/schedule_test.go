package service_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/schedule"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
)

// tickFlow is a scenario that starts with an action (no trigger): each run is one
// cycle with an empty bundle.
const tickFlow = `[{"id":1,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"tick"}}]`

var every15 = weft.Schedule{Type: schedule.Interval, Interval: 15}

func TestScheduleFollowsActivation(t *testing.T) {
	e := newEnv(t) // 2026-05-01 12:00 UTC
	id := e.scenario(tickFlow, "")
	if sc := e.setSchedule(id, every15); sc.NextRunAt != nil || sc.Schedule != every15 {
		t.Fatalf("inactive scenario: schedule %+v next %v", sc.Schedule, sc.NextRunAt)
	}
	if got := e.nextRun(id); got != "" {
		t.Fatalf("an inactive scenario has a next run: %s", got)
	}
	e.activate(id)
	if got := e.nextRun(id); got != "2026-05-01T12:15:00Z" {
		t.Fatalf("after activation: next run %q", got)
	}
	// Activating again (as clearing a pause does) keeps the cadence.
	e.clock.Add(5 * time.Minute)
	e.activate(id)
	if got := e.nextRun(id); got != "2026-05-01T12:15:00Z" {
		t.Fatalf("re-activation moved the next run to %q", got)
	}
	// A new schedule on an active scenario starts from now.
	e.setSchedule(id, weft.Schedule{Type: schedule.Interval, Interval: 60})
	if got := e.nextRun(id); got != "2026-05-01T13:05:00Z" {
		t.Fatalf("after a new schedule: next run %q", got)
	}
	if _, err := e.svc.SetActive(t.Context(), id, false); err != nil {
		t.Fatal(err)
	}
	if got := e.nextRun(id); got != "" {
		t.Fatalf("deactivated but next run %q", got)
	}
	e.clock.Add(2 * time.Hour)
	if n := e.fire(nil); n != 0 {
		t.Fatalf("an inactive scenario fired %d runs", n)
	}
	e.activate(id)
	e.setSchedule(id, weft.Schedule{})
	if got := e.nextRun(id); got != "" {
		t.Fatalf("on demand but next run %q", got)
	}
}

func TestSetScheduleRefusesBadSchedules(t *testing.T) {
	e := newEnv(t)
	id := e.scenario(tickFlow, "")
	past := e.clock.Now().Add(-time.Minute)
	cases := []struct {
		s    weft.Schedule
		want string
	}{
		{weft.Schedule{Type: "interval", Interval: 50000},
			"scenario 1: schedule.interval: 50000 minutes is out of range: it must be 1 to 44640 (31 days)"},
		{weft.Schedule{Type: "cron", Cron: "0 8 * * *", Timezone: "Europe/Nowhere"},
			`scenario 1: schedule.timezone: "Europe/Nowhere" is not an IANA time zone (such as Europe/Prague or America/New_York)`},
		{weft.Schedule{Type: "once", At: &past},
			"scenario 1: schedule.at: 2026-05-01T11:59:00Z is not in the future (now is 2026-05-01T12:00:00Z)"},
	}
	for _, c := range cases {
		_, err := e.svc.SetSchedule(t.Context(), id, c.s)
		var se *schedule.Error
		if err == nil || err.Error() != c.want || !errors.As(err, &se) {
			t.Errorf("SetSchedule(%+v) = %v, want %q", c.s, err, c.want)
		}
	}
	if _, err := e.svc.SetSchedule(t.Context(), 99, every15); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("unknown scenario: %v", err)
	}
	if sc, _ := e.st.GetScenario(t.Context(), id); sc.Schedule.Type != "" {
		t.Errorf("a refused schedule was stored: %+v", sc.Schedule)
	}
}

// An interval fires on its grid; ticks missed while weft was down fire once, and the
// next one is the first grid point after now.
func TestIntervalFiresOnceAfterDowntime(t *testing.T) {
	e := newEnv(t)
	id := e.scenario(tickFlow, "")
	e.setSchedule(id, every15)
	e.activate(id)
	steps := []struct {
		advance time.Duration
		runs    int
		next    string
	}{
		{14*time.Minute + 59*time.Second, 0, "2026-05-01T12:15:00Z"},
		{time.Second, 1, "2026-05-01T12:30:00Z"},
		{0, 0, "2026-05-01T12:30:00Z"},
		{15*time.Minute + 40*time.Second, 1, "2026-05-01T12:45:00Z"}, // late by 40 s: no drift
		{3*time.Hour + 7*time.Minute, 1, "2026-05-01T15:45:00Z"},     // 12 ticks due: one run
		{0, 0, "2026-05-01T15:45:00Z"},
	}
	for i, s := range steps {
		e.clock.Add(s.advance)
		if n := e.fire(nil); n != s.runs {
			t.Fatalf("step %d (%s): %d runs, want %d", i, e.clock.Now().Format(time.TimeOnly), n, s.runs)
		}
		if got := e.nextRun(id); got != s.next {
			t.Fatalf("step %d: next run %s, want %s", i, got, s.next)
		}
	}
	exs := e.executions(id)
	if len(exs) != 3 || exs[0].Status != weft.ExecutionSuccess || exs[0].Kind != weft.KindRun {
		t.Fatalf("executions: %d (%+v)", len(exs), exs)
	}
	// weft restarted later still owes exactly one run.
	e.clock.Add(time.Hour)
	svc := e.restart()
	if _, err := svc.Recover(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := e.fire(svc); n != 1 {
		t.Fatalf("after the restart: %d runs", n)
	}
	if n := e.fire(svc) + e.fire(nil); n != 0 {
		t.Fatalf("a tick fired twice across the restart: %d", n)
	}
}

// Concurrent FireDue calls, of one service and of a second one on the same store,
// fire a tick once.
func TestConcurrentFireDueFiresOnce(t *testing.T) {
	e := newEnv(t)
	ids := []int64{e.scenario(tickFlow, ""), e.scenario(tickFlow, ""), e.scenario(tickFlow, "")}
	for _, id := range ids {
		e.setSchedule(id, weft.Schedule{Type: schedule.Interval, Interval: 1})
		e.activate(id)
	}
	other := e.restart()
	for round := 1; round <= 3; round++ {
		e.clock.Add(time.Minute)
		var total atomic.Int64
		var wg sync.WaitGroup
		for i := range 16 {
			svc := e.svc
			if i%2 == 1 {
				svc = other
			}
			wg.Go(func() {
				n, err := svc.FireDue(t.Context())
				if err != nil {
					t.Errorf("FireDue: %v", err)
				}
				total.Add(int64(n))
			})
		}
		wg.Wait()
		if got := total.Load(); got != int64(len(ids)) {
			t.Fatalf("round %d: %d runs for %d due scenarios", round, got, len(ids))
		}
	}
	for _, id := range ids {
		if n := len(e.executions(id)); n != 3 {
			t.Fatalf("scenario %d ran %d times in 3 ticks", id, n)
		}
	}
}

// A daily cron in Europe/Prague keeps 02:30 local across both DST changes of 2026: the
// day 02:30 does not exist it is skipped, the day it happens twice it fires once.
func TestCronInPragueAcrossDST(t *testing.T) {
	e := newEnv(t)
	id := e.scenario(tickFlow, "")
	e.at(time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC))
	e.setSchedule(id, weft.Schedule{Type: schedule.Cron, Cron: "30 2 * * *", Timezone: "Europe/Prague"})
	e.activate(id)
	steps := []struct {
		at   time.Time
		runs int
		next string
	}{
		// 29 March has no 02:30: the next run is 30 March 02:30 CEST.
		{time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC), 0, "2026-03-30T00:30:00Z"},
		{time.Date(2026, 3, 30, 0, 30, 0, 0, time.UTC), 1, "2026-03-31T00:30:00Z"},
		// 24 October 02:30 CEST, then the repeated night of 25 October.
		{time.Date(2026, 10, 24, 0, 30, 0, 0, time.UTC), 1, "2026-10-25T00:30:00Z"},
		{time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), 1, "2026-10-26T01:30:00Z"}, // 02:30 CEST
		{time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), 0, "2026-10-26T01:30:00Z"}, // 02:30 CET again: no
		{time.Date(2026, 10, 26, 1, 30, 0, 0, time.UTC), 1, "2026-10-27T01:30:00Z"}, // 02:30 CET
	}
	for i, s := range steps {
		e.at(s.at)
		if n := e.fire(nil); n != s.runs {
			t.Fatalf("step %d at %s: %d runs, want %d", i, s.at.Format(time.RFC3339), n, s.runs)
		}
		if got := e.nextRun(id); got != s.next {
			t.Fatalf("step %d: next run %s, want %s", i, got, s.next)
		}
	}
	// Four runs on four local days; the long gap from March to October (weft "down")
	// fired once.
	if n := len(e.executions(id)); n != 4 {
		t.Fatalf("%d executions, want 4", n)
	}
}

func TestOnceFiresOnce(t *testing.T) {
	e := newEnv(t)
	id := e.scenario(tickFlow, "")
	e.activate(id)
	at := time.Date(2026, 5, 1, 18, 0, 0, 0, time.FixedZone("CEST", 2*3600)) // 16:00 UTC
	e.setSchedule(id, weft.Schedule{Type: schedule.Once, At: &at})
	if got := e.nextRun(id); got != "2026-05-01T16:00:00Z" {
		t.Fatalf("next run %q", got)
	}
	e.at(time.Date(2026, 5, 1, 15, 59, 59, 0, time.UTC))
	if n := e.fire(nil); n != 0 {
		t.Fatal("fired early")
	}
	e.at(time.Date(2026, 5, 1, 17, 0, 0, 0, time.UTC)) // an hour late (weft was down)
	if n := e.fire(nil); n != 1 {
		t.Fatalf("%d runs", n)
	}
	if got := e.nextRun(id); got != "" {
		t.Fatalf("a once schedule has a next run %q after it ran", got)
	}
	// Neither a later tick, a restart nor a re-activation runs it again.
	e.clock.Add(24 * time.Hour)
	if _, err := e.svc.SetActive(t.Context(), id, false); err != nil {
		t.Fatal(err)
	}
	e.activate(id)
	if n := e.fire(nil) + e.fire(e.restart()); n != 0 {
		t.Fatalf("a once schedule ran again: %d", n)
	}
	if n := len(e.executions(id)); n != 1 {
		t.Fatalf("%d executions", n)
	}
}

// A tick that cannot run is skipped, not queued: a paused scenario, a sequential one
// with an incomplete execution to resolve, one still running from the last tick.
func TestScheduledRunSkipsTicksItCannotRun(t *testing.T) {
	httpFirst := func(url string) string {
		return `[{"id":null,"module":"placeholder:Placeholder"},
		{"id":2,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},"mapper":{"url":"` + url + `","method":"get"}}]`
	}
	cases := []struct {
		name     string
		status   int
		settings string
	}{
		{"paused by an InvalidAccessTokenError", 401, ""},
		{"sequential with an incomplete execution", 503, `{"sequential":true}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			s := newStandIn(t, answer{status: c.status})
			id := e.scenario(httpFirst(s.URL), c.settings)
			e.setSchedule(id, every15)
			e.activate(id)
			e.clock.Add(15 * time.Minute)
			if n := e.fire(nil); n != 1 {
				t.Fatalf("first tick: %d runs", n)
			}
			if exs := e.executions(id); len(exs) != 1 || exs[0].Status != weft.ExecutionWarning {
				t.Fatalf("first tick did not store an incomplete execution: %+v", exs)
			}
			e.clock.Add(15 * time.Minute)
			if n := e.fire(nil); n != 0 {
				t.Fatalf("second tick ran %d", n)
			}
			if got := e.nextRun(id); got != "2026-05-01T12:45:00Z" {
				t.Fatalf("the skipped tick did not move on: next %s", got)
			}
			if len(e.executions(id)) != 1 || len(s.requests()) != 1 {
				t.Fatalf("a skipped tick ran: %d executions, %d requests", len(e.executions(id)), len(s.requests()))
			}
		})
	}

	t.Run("still running from the last tick", func(t *testing.T) {
		e := newEnv(t)
		arrived, release := make(chan struct{}, 4), make(chan struct{})
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			arrived <- struct{}{}
			<-release
		}))
		defer slow.Close()
		id := e.scenario(httpFirst(slow.URL), "")
		e.setSchedule(id, weft.Schedule{Type: schedule.Interval, Interval: 1})
		e.activate(id)
		e.clock.Add(time.Minute)
		first := make(chan int, 1)
		go func() { first <- e.fire(nil) }()
		<-arrived // the first tick's run is inside the HTTP call
		e.clock.Add(time.Minute)
		if n := e.fire(nil); n != 0 {
			t.Fatalf("a tick started over a running one: %d", n)
		}
		close(release)
		if n := <-first; n != 1 {
			t.Fatalf("first tick: %d runs", n)
		}
		if got := e.nextRun(id); got != "2026-05-01T12:03:00Z" {
			t.Fatalf("next run %s", got)
		}
	})
}

// A scheduled webhook scenario keeps its payloads queued until the schedule fires,
// then processes up to roundtrips of them as the cycles of one execution.
func TestScheduledWebhookRunsQueuedPayloadsAsCycles(t *testing.T) {
	e := newEnv(t)
	s := newStandIn(t, answer{status: 200})
	id := e.scenario(httpFlow(s.URL, ""), `{"roundtrips":3}`)
	e.setSchedule(id, weft.Schedule{Type: schedule.Interval, Interval: 5})
	e.activate(id)
	e.enqueue(id, `{"id":"a"}`, `{"id":"b"}`, `{"id":"c"}`, `{"id":"d"}`, `{"id":"e"}`)
	if n, err := e.svc.DrainQueue(t.Context()); err != nil || n != 0 {
		t.Fatalf("the queue of a scheduled webhook drained at once: %d (%v)", n, err)
	}
	e.clock.Add(5 * time.Minute)
	if n := e.fire(nil); n != 1 {
		t.Fatalf("first tick: %d runs", n)
	}
	exs := e.executions(id)
	if len(exs) != 1 || exs[0].Status != weft.ExecutionSuccess || exs[0].Operations != 9 {
		t.Fatalf("first tick: %+v", exs)
	}
	if got, want := e.cyclesOf(exs[0].ID), [][]string{{"a"}, {"b"}, {"c"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("cycles %v, want %v", got, want)
	}
	if d := e.depth(id); d != 2 {
		t.Fatalf("queue depth %d after 3 of 5", d)
	}
	e.clock.Add(5 * time.Minute)
	if n := e.fire(nil); n != 1 {
		t.Fatalf("second tick: %d runs", n)
	}
	exs = e.executions(id)
	if got, want := e.cyclesOf(exs[1].ID), [][]string{{"d"}, {"e"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("cycles %v, want %v", got, want)
	}
	// An empty queue: no run, no execution.
	e.clock.Add(5 * time.Minute)
	if n := e.fire(nil); n != 0 || len(e.executions(id)) != 2 || e.depth(id) != 0 {
		t.Fatalf("empty queue: %d runs, %d executions, depth %d", n, len(e.executions(id)), e.depth(id))
	}
	want := []string{`/orders {"id":"a"}`, `/orders {"id":"b"}`, `/orders {"id":"c"}`, `/orders {"id":"d"}`, `/orders {"id":"e"}`}
	if got := s.requests(); !reflect.DeepEqual(got, want) {
		t.Fatalf("requests %v", got)
	}
}

// A cycle that ends the run in error: the cycles before it are done (their payloads
// deleted); its payload is set aside as dead with the error, those of the cycles that
// never ran go back to the queue, and the instant scenario is deactivated until a
// person reactivates it. Then the payloads behind the dead one run; the dead one runs
// when a person requeues it.
func TestScheduledWebhookErrorHandsBackUnprocessedPayloads(t *testing.T) {
	e := newEnv(t)
	s := newStandIn(t, answer{status: 200}, answer{status: 500}, answer{status: 200})
	id := e.scenario(httpFlow(s.URL, ""), `{"roundtrips":3,"dlq":false}`)
	e.setSchedule(id, weft.Schedule{Type: schedule.Interval, Interval: 5})
	e.activate(id)
	e.enqueue(id, `{"id":"a"}`, `{"id":"b"}`, `{"id":"c"}`)
	e.clock.Add(5 * time.Minute)
	if n := e.fire(nil); n != 1 {
		t.Fatalf("%d runs", n)
	}
	exs := e.executions(id)
	if len(exs) != 1 || exs[0].Status != weft.ExecutionError {
		t.Fatalf("executions %+v", exs)
	}
	if got, want := e.cyclesOf(exs[0].ID), [][]string{{"a"}, {"b"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("cycles %v, want %v", got, want)
	}
	sc, _ := e.st.GetScenario(t.Context(), id)
	if sc.Active || e.depth(id) != 2 {
		t.Fatalf("after the error: active %v, depth %d", sc.Active, e.depth(id))
	}
	dead, err := e.st.ListQueued(t.Context(), store.QueueFilter{ScenarioID: id, Status: []weft.QueueStatus{weft.QueueDead}})
	if err != nil || len(dead) != 1 {
		t.Fatalf("dead items %v, %v", dead, err)
	}
	if f := dead[0].Dead; f.ExecutionID != exs[0].ID || f.ErrorType != weft.RuntimeError || f.ModuleID != 2 {
		t.Fatalf("dead item's failure %+v, want execution %s's RuntimeError at module 2", f, exs[0].ID)
	}
	e.activate(id)
	e.clock.Add(5 * time.Minute)
	if n := e.fire(nil); n != 1 {
		t.Fatalf("after reactivation: %d runs", n)
	}
	if got, want := e.cyclesOf(e.executions(id)[1].ID), [][]string{{"c"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("cycles %v, want %v (the dead payload waits for a person)", got, want)
	}
	if d := e.depth(id); d != 1 {
		t.Fatalf("depth %d, want the dead payload only", d)
	}
	if n, err := e.svc.RetryQueued(t.Context(), store.QueueSelection{ScenarioID: id, All: true}); err != nil || n != 1 {
		t.Fatalf("retry the dead payload: %d, %v", n, err)
	}
	e.clock.Add(5 * time.Minute)
	if n := e.fire(nil); n != 1 {
		t.Fatalf("after the retry: %d runs", n)
	}
	if got, want := e.cyclesOf(e.executions(id)[2].ID), [][]string{{"b"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("cycles %v, want %v", got, want)
	}
	if d := e.depth(id); d != 0 {
		t.Fatalf("depth %d", d)
	}
}

// weft stopped in the middle of a multi-cycle run: at the next start every payload of
// that run is back in the queue, and the next tick processes them again.
func TestInterruptedCyclesAreHandedBack(t *testing.T) {
	e := newEnv(t)
	arrived, release := make(chan struct{}, 8), make(chan struct{})
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 2 {
			arrived <- struct{}{}
			select { // hangs until weft stops
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	defer close(release)
	id := e.scenario(httpFlow(srv.URL, ""), `{"roundtrips":3}`)
	e.setSchedule(id, weft.Schedule{Type: schedule.Interval, Interval: 5})
	e.activate(id)
	e.enqueue(id, `{"id":"a"}`, `{"id":"b"}`, `{"id":"c"}`)
	e.clock.Add(5 * time.Minute)
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := e.svc.FireDue(ctx)
		done <- err
	}()
	<-arrived // cycle 2 is inside its HTTP call
	stop()
	if err := <-done; err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("FireDue after the stop: %v", err)
	}
	svc := e.restart()
	if n, err := svc.Recover(t.Context()); err != nil || n != 3 {
		t.Fatalf("recovered %d (%v): the execution and its two other payloads", n, err)
	}
	e.clock.Add(5 * time.Minute)
	if n := e.fire(svc); n != 1 {
		t.Fatalf("%d runs after the restart", n)
	}
	exs := e.executions(id)
	if len(exs) != 2 || exs[0].Status != weft.ExecutionError || exs[1].Status != weft.ExecutionSuccess {
		t.Fatalf("executions %+v", exs)
	}
	if got, want := e.cyclesOf(exs[1].ID), [][]string{{"a"}, {"b"}, {"c"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("cycles %v, want %v", got, want)
	}
	if d := e.depth(id); d != 0 {
		t.Fatalf("depth %d", d)
	}
}

// runSignal is an Observer that reports every finished run.
type runSignal chan *weft.Execution

func (r runSignal) RunFinished(_ *weft.Scenario, ex *weft.Execution, _ *engine.Result) { r <- ex }
func (runSignal) IncompleteStored(*weft.Scenario, *weft.Incomplete)                    {}
func (runSignal) ScenarioDeactivated(*weft.Scenario, string)                           {}

// The worker loop fires due schedules on its own.
func TestWorkerFiresSchedules(t *testing.T) {
	runs := make(runSignal, 4)
	e := newEnv(t, func(c *service.Config) { c.Observer = runs })
	id := e.scenario(tickFlow, "")
	e.setSchedule(id, every15)
	e.activate(id)
	e.clock.Add(15 * time.Minute)
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.svc.Work(ctx, 5*time.Millisecond) }()
	ex := <-runs // the test's own deadline bounds the wait
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if ex.ScenarioID != id || ex.Status != weft.ExecutionSuccess {
		t.Fatalf("execution %+v", ex)
	}
	if got := e.nextRun(id); got != "2026-05-01T12:30:00Z" {
		t.Fatalf("next run %s", got)
	}
	if n := len(e.executions(id)); n != 1 {
		t.Fatalf("%d executions for one tick", n)
	}
}
