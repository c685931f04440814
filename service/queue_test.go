package service_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// partner is an HTTP service on 127.0.0.1 that fails (500) the orders whose id it was
// told to fail and counts every call per order id.
type partner struct {
	*httptest.Server
	mu    sync.Mutex
	fail  map[string]bool
	calls map[string]int
}

func newPartner(t *testing.T, fail ...string) *partner {
	p := &partner{fail: map[string]bool{}, calls: map[string]int{}}
	for _, id := range fail {
		p.fail[id] = true
	}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ ID string }
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &body)
		p.mu.Lock()
		p.calls[body.ID]++
		fail := p.fail[body.ID]
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if fail {
			w.WriteHeader(http.StatusInternalServerError)
		}
		io.WriteString(w, `{}`)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *partner) count(id string) int { p.mu.Lock(); defer p.mu.Unlock(); return p.calls[id] }
func (p *partner) heal(id string)      { p.mu.Lock(); defer p.mu.Unlock(); delete(p.fail, id) }
func (p *partner) failOn(id string)    { p.mu.Lock(); defer p.mu.Unlock(); p.fail[id] = true }

// accept stores a payload as a webhook does and, when the service lets the caller run
// it at once, runs it.
func (e *env) accept(id int64, payload string) {
	e.t.Helper()
	acc, err := e.svc.Accept(e.t.Context(), id, bundle(payload), true)
	if err != nil {
		e.t.Fatal(err)
	}
	if acc.Inline {
		if _, err := e.svc.RunAccepted(e.t.Context(), acc); err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *env) drain() {
	e.t.Helper()
	for {
		n, err := e.svc.DrainQueue(e.t.Context())
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func (e *env) queue(id int64) []*weft.QueueItem {
	e.t.Helper()
	items, err := e.svc.ListQueue(e.t.Context(), store.QueueFilter{ScenarioID: id})
	if err != nil {
		e.t.Fatal(err)
	}
	return items
}

func (e *env) active(id int64) bool {
	e.t.Helper()
	sc, err := e.st.GetScenario(e.t.Context(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return sc.Active
}

// Defect 3 of "Nothing lost, nothing repeated": a payload whose run fails and
// deactivates its instant scenario is set aside, so the payloads behind it run when
// the scenario is reactivated; the set-aside one is visible with its error and can be
// retried or deleted.
func TestFailingPayloadIsSetAsideSoTheQueueMoves(t *testing.T) {
	e := newEnv(t)
	p := newPartner(t, "bad")
	id := e.scenario(httpFlow(p.URL, ""), "")
	e.activate(id)

	e.accept(id, `{"id":"bad"}`) // runs at once: a 500 is a RuntimeError, the run ends in error
	if e.active(id) {
		t.Fatal("the instant scenario is still active after its run ended in error")
	}
	e.accept(id, `{"id":"good"}`) // the scenario is inactive: it waits in the queue
	q := e.queue(id)
	if len(q) != 2 || q[0].Status() != weft.QueueDead || q[1].Status() != weft.QueueWaiting {
		t.Fatalf("queue %s, want the bad payload dead and the good one waiting", describeQueue(q))
	}
	dead := q[0].Dead
	if dead.ErrorType != weft.RuntimeError || dead.ModuleID != 2 || dead.ExecutionID == "" || !strings.Contains(dead.ErrorMessage, "500") {
		t.Fatalf("the dead payload's failure %+v, want the RuntimeError of module 2 (HTTP 500) and its execution", dead)
	}
	if ex, err := e.st.GetExecution(t.Context(), dead.ExecutionID); err != nil || ex.Status != weft.ExecutionError {
		t.Fatalf("the failed run %s: %+v, %v", dead.ExecutionID, ex, err)
	}
	it, confidential, err := e.svc.GetQueued(t.Context(), id, q[0].ID)
	if err != nil || confidential || string(it.Payload) != `{"id":"bad"}` {
		t.Fatalf("get the dead payload: %s %v %v", it.Payload, confidential, err)
	}

	// Reactivated, the scenario runs the good payload once; the bad one is not run again.
	e.activate(id)
	e.drain()
	if p.count("good") != 1 || p.count("bad") != 1 {
		t.Fatalf("calls: good %d, bad %d; want 1 and 1", p.count("good"), p.count("bad"))
	}
	if !e.active(id) {
		t.Fatal("the scenario was deactivated again")
	}
	if q := e.queue(id); len(q) != 1 || q[0].Status() != weft.QueueDead {
		t.Fatalf("queue %s, want only the dead payload", describeQueue(q))
	}

	// Retried while the partner still fails it: it runs once more, is set aside again
	// and deactivates the scenario again (SPEC §3.4); nothing else is affected.
	if n, err := e.svc.RetryQueued(t.Context(), store.QueueSelection{ScenarioID: id, IDs: []int64{q[0].ID}}); err != nil || n != 1 {
		t.Fatalf("retry: %d, %v", n, err)
	}
	e.drain()
	if p.count("bad") != 2 || e.active(id) {
		t.Fatalf("after a retry that fails again: bad called %d times, active %v", p.count("bad"), e.active(id))
	}
	// Fixed at the partner, retried and reactivated: it runs to the end and leaves.
	p.heal("bad")
	if n, err := e.svc.RetryQueued(t.Context(), store.QueueSelection{ScenarioID: id, All: true}); err != nil || n != 1 {
		t.Fatalf("retry all: %d, %v", n, err)
	}
	e.activate(id)
	e.drain()
	if p.count("bad") != 3 || p.count("good") != 1 || len(e.queue(id)) != 0 {
		t.Fatalf("after the fix: bad %d, good %d calls, queue %s", p.count("bad"), p.count("good"), describeQueue(e.queue(id)))
	}

	// A dead payload can be deleted instead; a waiting one can be too; a payload of
	// another scenario cannot be reached through this one.
	p.failOn("worse")
	e.accept(id, `{"id":"worse"}`)
	e.accept(id, `{"id":"later"}`)
	q = e.queue(id)
	if len(q) != 2 || q[0].Status() != weft.QueueDead {
		t.Fatalf("queue %s", describeQueue(q))
	}
	if _, _, err := e.svc.GetQueued(t.Context(), id+1, q[0].ID); err == nil {
		t.Fatal("a payload read through another scenario's id")
	}
	if n, err := e.svc.DeleteQueued(t.Context(), store.QueueSelection{ScenarioID: id, All: true, Status: []weft.QueueStatus{weft.QueueDead}}); err != nil || n != 1 {
		t.Fatalf("delete the dead one: %d, %v", n, err)
	}
	if q := e.queue(id); len(q) != 1 || q[0].Status() != weft.QueueWaiting {
		t.Fatalf("queue after deleting the dead one: %s", describeQueue(q))
	}
	if n, err := e.svc.DeleteQueued(t.Context(), store.QueueSelection{IDs: []int64{q[1].ID}}); err != nil || n != 1 {
		t.Fatalf("delete the waiting one: %d, %v", n, err)
	}
	e.activate(id)
	e.drain()
	if p.count("worse") != 1 || p.count("later") != 0 {
		t.Fatalf("deleted payloads ran: worse %d, later %d", p.count("worse"), p.count("later"))
	}
}

// A confidential scenario's queued payloads are kept for their run but never shown.
func TestQueuedPayloadOfConfidentialScenarioIsNotShown(t *testing.T) {
	e := newEnv(t)
	p := newPartner(t)
	id := e.scenario(httpFlow(p.URL, ""), `{"confidential":true}`)
	e.accept(id, `{"id":"secret"}`) // inactive: queued
	q := e.queue(id)
	it, confidential, err := e.svc.GetQueued(t.Context(), id, q[0].ID)
	if err != nil || !confidential || it.Payload != nil || it.SizeBytes == 0 {
		t.Fatalf("confidential payload: %s, confidential %v, size %d, %v", it.Payload, confidential, it.SizeBytes, err)
	}
}

func describeQueue(q []*weft.QueueItem) string {
	var parts []string
	for _, it := range q {
		parts = append(parts, string(it.Status()))
	}
	return "[" + strings.Join(parts, " ") + "]"
}
