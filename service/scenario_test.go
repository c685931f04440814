package service_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
)

// failFlow fails at module 2 with a type chosen by the payload's "status" field
// through an HTTP stand-in.
func TestMaxErrorsDeactivates(t *testing.T) {
	e := newEnv(t)
	s := newStandIn(t, answer{status: 500}) // RuntimeError: the run fails
	// Not instant: a flow that starts with a placeholder.
	id := e.scenario(`[{"id":null,"module":"placeholder:Placeholder"},
		{"id":2,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},"mapper":{"url":"`+s.URL+`","method":"get"}}]`, `{"maxErrors":2}`)
	if _, err := e.svc.SetActive(t.Context(), id, true); err != nil {
		t.Fatal(err)
	}
	e.run(id, "")
	sc, _ := e.st.GetScenario(t.Context(), id)
	if !sc.Active || sc.ConsecutiveErrors != 1 {
		t.Fatalf("after one error: %+v", sc)
	}
	// A success resets the count.
	s.set(answer{status: 200})
	e.run(id, "")
	s.set(answer{status: 500})
	e.run(id, "")
	sc, _ = e.st.GetScenario(t.Context(), id)
	if !sc.Active || sc.ConsecutiveErrors != 1 {
		t.Fatalf("success did not reset: %+v", sc)
	}
	e.run(id, "")
	sc, _ = e.st.GetScenario(t.Context(), id)
	if sc.Active || sc.ConsecutiveErrors != 2 || !strings.Contains(sc.Deactivated, "2 consecutive runs") {
		t.Fatalf("after maxErrors: %+v", sc)
	}
}

func TestWarningsNeverCountAndInstantDeactivatesAtOnce(t *testing.T) {
	e := newEnv(t)
	s := newStandIn(t, answer{status: 503})
	id := e.scenario(httpFlow(s.URL, ""), `{"maxErrors":1}`)
	if _, err := e.svc.SetActive(t.Context(), id, true); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		e.run(id, `{"id":"w"}`) // warnings: IEs stored
	}
	sc, _ := e.st.GetScenario(t.Context(), id)
	if !sc.Active || sc.ConsecutiveErrors != 0 || !sc.Instant {
		t.Fatalf("warnings counted: %+v", sc)
	}
	s.set(answer{status: 500}) // RuntimeError: an error run
	e.run(id, `{"id":"x"}`)
	sc, _ = e.st.GetScenario(t.Context(), id)
	if sc.Active || !strings.Contains(sc.Deactivated, "instant trigger") {
		t.Fatalf("instant scenario not deactivated: %+v", sc)
	}
}

func TestInvalidAccessTokenPausesUntilResolved(t *testing.T) {
	e := newEnv(t)
	s := newStandIn(t, answer{status: 401})
	id := e.scenario(httpFlow(s.URL, ""), "")
	if _, err := e.svc.SetActive(t.Context(), id, true); err != nil {
		t.Fatal(err)
	}
	ieID := e.run(id, `{"id":"p"}`).Incomplete[0].ID
	sc, _ := e.st.GetScenario(t.Context(), id)
	if sc.Paused == "" || !sc.Active {
		t.Fatalf("not paused: %+v", sc)
	}
	// Queued payloads wait while paused.
	if _, err := e.svc.Enqueue(t.Context(), id, bundle(`{"id":"q"}`)); err != nil {
		t.Fatal(err)
	}
	if n, err := e.svc.DrainQueue(t.Context()); err != nil || n != 0 {
		t.Fatalf("a paused scenario ran %d queued payload(s) (%v)", n, err)
	}
	s.set(answer{status: 200})
	if _, after, err := e.svc.RetryNow(t.Context(), ieID); err != nil || after.Status != weft.IncompleteResolved {
		t.Fatalf("retry: %v", err)
	}
	if sc, _ := e.st.GetScenario(t.Context(), id); sc.Paused != "" {
		t.Fatalf("still paused: %q", sc.Paused)
	}
	if n, err := e.svc.DrainQueue(t.Context()); err != nil || n != 1 {
		t.Fatalf("drained %d (%v)", n, err)
	}
}

func TestSequentialQueueWaitsAndKeepsOrder(t *testing.T) {
	e := newEnv(t)
	s := newStandIn(t, answer{status: 503})
	id := e.scenario(httpFlow(s.URL, ""), `{"sequential":true}`)
	if _, err := e.svc.SetActive(t.Context(), id, true); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"a", "b", "c"} {
		if _, err := e.svc.Enqueue(t.Context(), id, bundle(`{"id":"`+p+`"}`)); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := e.svc.DrainQueue(t.Context()); n != 1 {
		t.Fatalf("first drain ran %d", n)
	}
	// "a" failed and stored an IE: b and c wait, and so does a direct run.
	if n, _ := e.svc.DrainQueue(t.Context()); n != 0 {
		t.Fatal("a sequential scenario ran while an incomplete execution is open")
	}
	if _, err := e.svc.Run(t.Context(), id, []weft.Bundle{{}}); !errors.Is(err, service.ErrBusy) {
		t.Fatalf("direct run: %v", err)
	}
	s.set(answer{status: 200})
	e.clock.Add(time.Minute)
	if e.due() != 1 {
		t.Fatal("retry of a")
	}
	for i := 0; i < 3; i++ {
		e.svc.DrainQueue(t.Context())
	}
	got := s.requests()
	want := []string{`/orders {"id":"a"}`, `/orders {"id":"a"}`, `/orders {"id":"b"}`, `/orders {"id":"c"}`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("order %q, want %q", got, want)
	}
	if n, _ := e.st.QueueDepth(t.Context(), id); n != 0 {
		t.Fatalf("queue depth %d", n)
	}
}

func TestStorageLimitAndDataloss(t *testing.T) {
	for _, dataloss := range []bool{true, false} {
		e := newEnv(t, func(c *service.Config) { c.MaxScenarioBytes = 1 }) // every IE is over
		s := newStandIn(t, answer{status: 503})
		id := e.scenario(httpFlow(s.URL, ""), `{"dataloss":`+map[bool]string{true: "true", false: "false"}[dataloss]+`}`)
		if _, err := e.svc.SetActive(t.Context(), id, true); err != nil {
			t.Fatal(err)
		}
		rr := e.run(id, `{"id":"big"}`)
		sc, _ := e.st.GetScenario(t.Context(), id)
		n, _ := e.st.CountIncomplete(t.Context(), store.IncompleteFilter{ScenarioID: id})
		if dataloss {
			if rr.Discarded != 1 || n != 0 || !sc.Active {
				t.Fatalf("dataloss: discarded %d stored %d active %t", rr.Discarded, n, sc.Active)
			}
		} else if rr.Discarded != 0 || n != 1 || sc.Active || !strings.Contains(sc.Deactivated, "storage is full") {
			t.Fatalf("no dataloss: discarded %d stored %d scenario %+v", rr.Discarded, n, sc)
		}
	}
}

func TestRetentionDeletesOldResolved(t *testing.T) {
	e := newEnv(t)
	s := newStandIn(t, answer{status: 503}, answer{status: 200})
	id := e.scenario(httpFlow(s.URL, ""), "")
	ieID := e.run(id, `{"id":"old"}`).Incomplete[0].ID
	e.clock.Add(time.Minute)
	e.due()
	e.clock.Add(29 * 24 * time.Hour)
	if n, _ := e.svc.Housekeep(t.Context()); n != 0 {
		t.Fatal("deleted before 30 days")
	}
	e.clock.Add(25 * time.Hour)
	if n, _ := e.svc.Housekeep(t.Context()); n != 1 {
		t.Fatalf("housekeeping deleted %d", n)
	}
	if _, err := e.st.GetIncomplete(t.Context(), ieID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("still there: %v", err)
	}
}
