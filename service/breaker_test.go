package service_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
)

// loopFlow: webhook → iterator over items → POST /orders per item (module 3).
func loopFlow(url string) string {
	return `[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"builtin:BasicFeeder","version":1,"mapper":{"array":"{{1.items}}"}},
		{"id":3,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},
		 "mapper":{"url":"` + url + `/orders","method":"post","contentType":"json","inputMethod":"jsonString",
		 "jsonStringBodyContent":"{\"n\":{{2.n}}}"}}]`
}

func items(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`{"n":%d}`, i)
	}
	return `{"items":[` + strings.Join(parts, ",") + `]}`
}

// drainRetries runs due retries until none is due now, and returns how many were claimed.
func (e *env) drainRetries() int {
	e.t.Helper()
	total := 0
	for {
		n := e.due()
		if n == 0 {
			return total
		}
		total += n
	}
}

// breakerEnv lets many retries of one scenario run at once, so the breaker, not the
// per-scenario limit, is what keeps the stand-in quiet.
func breakerEnv(t *testing.T) *env {
	return newEnv(t, func(c *service.Config) { c.Workers, c.RetriesPerScenario = 64, 64 })
}

// TestBreakerOneProbePerInterval is the case: 500 incomplete executions wait
// against a service that is down. Without the breaker each is retried on its own
// schedule (500 calls after a minute, 500 more ten minutes later…); with it the
// service sees one probe per interval, and when it recovers the probe's success
// releases all of them at once.
func TestBreakerOneProbePerInterval(t *testing.T) {
	const n = 500
	e := breakerEnv(t)
	s := newStandIn(t, answer{status: 503})
	id := e.scenario(loopFlow(s.URL), "")
	rr := e.run(id, items(n))
	if len(rr.Incomplete) != n {
		t.Fatalf("%d incomplete executions, want %d", len(rr.Incomplete), n)
	}
	host := strings.TrimPrefix(s.URL, "http://")
	bs, err := e.svc.Breakers(t.Context())
	if err != nil || len(bs) != 1 || bs[0].Key != "host:"+host || bs[0].Waiting != n ||
		!bs[0].NextProbeAt.Equal(e.clock.Now().Add(time.Minute)) {
		t.Fatalf("breakers %+v (%v), want one for %s holding %d", bs, err, host, n)
	}
	calls := len(s.requests()) // the run's own calls
	for step := 1; step <= 5; step++ {
		e.clock.Add(time.Minute)
		e.drainRetries()
		got := len(s.requests()) - calls
		if got != 1 {
			t.Fatalf("minute %d: the down service got %d calls, want one probe", step, got)
		}
		calls += got
	}
	attempts := 0
	for _, ie := range rr.Incomplete {
		got := e.ie(ie.ID)
		if got.Status != weft.IncompletePending {
			t.Fatalf("%s is %s while the service is down, want pending", ie.ID, got.Status)
		}
		attempts += got.Attempts
	}
	if attempts != 5 { // the held ones used none of their attempts
		t.Fatalf("%d attempts in all after 5 probes, want 5", attempts)
	}
	bs, _ = e.svc.Breakers(t.Context())
	if len(bs) != 1 || bs[0].Failures != 5 || bs[0].ErrorType != weft.ConnectionError {
		t.Fatalf("breaker after 5 failed probes: %+v", bs)
	}

	s.set(answer{status: 200}) // the service recovers
	e.clock.Add(time.Minute)
	e.drainRetries()
	if got := len(s.requests()) - calls; got != n {
		t.Fatalf("after recovery the service got %d calls, want %d (each incomplete execution once)", got, n)
	}
	for _, ie := range rr.Incomplete {
		if got := e.ie(ie.ID); got.Status != weft.IncompleteResolved {
			t.Fatalf("%s is %s after recovery, want resolved", ie.ID, got.Status)
		}
	}
	if bs, _ := e.svc.Breakers(t.Context()); len(bs) != 0 {
		t.Fatalf("breakers after recovery: %+v", bs)
	}
}

// TestBreakerRespectsRetryAfter: a 429 asking for five minutes keeps the probe away
// for five minutes, not the one-minute interval.
func TestBreakerRespectsRetryAfter(t *testing.T) {
	e := breakerEnv(t)
	s := newStandIn(t, answer{status: http.StatusTooManyRequests, header: map[string]string{"Retry-After": "300"}})
	id := e.scenario(loopFlow(s.URL), "")
	e.run(id, items(20))
	calls := len(s.requests())
	for minute := 1; minute <= 10; minute++ {
		e.clock.Add(time.Minute)
		e.drainRetries()
		want := 0
		if minute%5 == 0 {
			want = 1
		}
		if got := len(s.requests()) - calls; got != want {
			t.Fatalf("minute %d: %d calls, want %d", minute, got, want)
		}
		calls = len(s.requests())
	}
	bs, _ := e.svc.Breakers(t.Context())
	if len(bs) != 1 || bs[0].ErrorType != weft.RateLimitError {
		t.Fatalf("breakers %+v", bs)
	}
}

// TestBreakerResetByHand: a person closes the breaker; the held incomplete executions
// are due at once. A person's retry is never held, and its success closes the breaker.
func TestBreakerResetByHand(t *testing.T) {
	e := breakerEnv(t)
	s := newStandIn(t, answer{status: 503})
	id := e.scenario(loopFlow(s.URL), "")
	rr := e.run(id, items(10))
	e.clock.Add(time.Minute)
	e.drainRetries() // one probe; nine held
	key := "host:" + strings.TrimPrefix(s.URL, "http://")
	if _, err := e.svc.ResetBreaker(t.Context(), "host:nowhere:1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("reset of a closed breaker: %v", err)
	}
	s.set(answer{status: 200})
	released, err := e.svc.ResetBreaker(t.Context(), key)
	if err != nil || released != 10 {
		t.Fatalf("reset released %d (%v), want 10", released, err)
	}
	calls := len(s.requests())
	if n := e.drainRetries(); n != 10 || len(s.requests())-calls != 10 {
		t.Fatalf("after the reset %d retries ran, %d calls; want 10, 10", n, len(s.requests())-calls)
	}

	// A new outage opens it again; a person's retry goes through regardless and closes it.
	s.set(answer{status: 503})
	rr = e.run(id, items(3))
	s.set(answer{status: 200})
	if _, after, err := e.svc.RetryNow(t.Context(), rr.Incomplete[0].ID); err != nil || after.Status != weft.IncompleteResolved {
		t.Fatalf("a person's retry: %v", err)
	}
	if bs, _ := e.svc.Breakers(t.Context()); len(bs) != 0 {
		t.Fatalf("breakers after a person's successful retry: %+v", bs)
	}
	if n := e.drainRetries(); n != 2 {
		t.Fatalf("%d released retries ran, want 2", n)
	}
}

// TestBreakerSurvivesRestart: the breaker is stored, so weft started again keeps
// holding the retries behind one probe.
func TestBreakerSurvivesRestart(t *testing.T) {
	e := breakerEnv(t)
	s := newStandIn(t, answer{status: 503})
	id := e.scenario(loopFlow(s.URL), "")
	e.run(id, items(20))
	calls := len(s.requests())
	e.svc = e.restart()
	for minute := 1; minute <= 3; minute++ {
		e.clock.Add(time.Minute)
		e.drainRetries()
		if got := len(s.requests()) - calls; got != 1 {
			t.Fatalf("minute %d after the restart: %d calls, want one probe", minute, got)
		}
		calls = len(s.requests())
	}
}

// TestBreakerKeyIsTheConnection: a module with a connection (__IMTCONN__) shares the
// connection's breaker, whatever host its error names; one without, the host's.
func TestBreakerKeyIsTheConnection(t *testing.T) {
	e := newEnv(t, func(c *service.Config) {
		c.Registry.MustRegister(app.Spec{Name: "test:Send",
			Mapper: []app.Field{{Name: "id", Type: app.TypeText}},
			New: func(app.Config) (app.Module, error) {
				return app.ModuleFunc(func(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
					return nil, &weft.Error{Type: weft.ConnectionError, Message: "refused", Endpoint: "api.test:443"}
				}), nil
			}})
	})
	id := e.scenario(`[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"test:Send","version":1,"parameters":{"__IMTCONN__":7},"mapper":{"id":"{{1.id}}"}},
		{"id":3,"module":"test:Send","version":1,"mapper":{"id":"{{1.id}}"}}]`, "")
	ie := e.ie(e.run(id, `{"id":"o1"}`).Incomplete[0].ID)
	if ie.BreakerKey != "connection:7" {
		t.Fatalf("breaker key %q, want connection:7", ie.BreakerKey)
	}
	id = e.scenario(`[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":3,"module":"test:Send","version":1,"mapper":{"id":"{{1.id}}"}}]`, "")
	if ie := e.ie(e.run(id, `{"id":"o2"}`).Incomplete[0].ID); ie.BreakerKey != "host:api.test:443" {
		t.Fatalf("breaker key %q, want host:api.test:443", ie.BreakerKey)
	}
}

// TestBreakersOff: with Config.NoCircuitBreakers (weft serve --circuit-breakers=false)
// no breaker opens and each incomplete execution is retried on its own schedule: the
// down service gets every one of them after a minute, not one probe.
func TestBreakersOff(t *testing.T) {
	const n = 20
	e := newEnv(t, func(c *service.Config) {
		c.Workers, c.RetriesPerScenario = 64, 64
		c.NoCircuitBreakers = true
	})
	s := newStandIn(t, answer{status: 503})
	id := e.scenario(loopFlow(s.URL), "")
	rr := e.run(id, items(n))
	if len(rr.Incomplete) != n {
		t.Fatalf("%d incomplete executions, want %d", len(rr.Incomplete), n)
	}
	if bs, err := e.svc.Breakers(t.Context()); err != nil || len(bs) != 0 {
		t.Fatalf("breakers %+v (%v), want none", bs, err)
	}
	calls := len(s.requests())
	for step := 1; step <= 2; step++ {
		e.clock.Add(10 * time.Minute) // past the first delays of the schedule (1m, then 10m)
		e.drainRetries()
		if got := len(s.requests()) - calls; got != n {
			t.Fatalf("step %d: the down service got %d calls, want %d (one retry each)", step, got, n)
		}
		calls = len(s.requests())
	}
	for _, ie := range rr.Incomplete {
		if got := e.ie(ie.ID); got.Attempts != 2 || got.Status != weft.IncompletePending {
			t.Fatalf("%s: %d attempts, %s; want 2, pending", ie.ID, got.Attempts, got.Status)
		}
	}
	if bs, _ := e.svc.Breakers(t.Context()); len(bs) != 0 {
		t.Fatalf("breakers after the retries: %+v", bs)
	}
}
