package bulk_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/bulk"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/sqlite"
)

// partner is a stand-in HTTP service on 127.0.0.1. While failing is set every call
// gets a 503; otherwise the path says the answer: /ok 200, /bad 422, /busy 503. When
// gate is set, each call first takes a token from it (the test releases calls one by
// one).
type partner struct {
	*httptest.Server
	failing atomic.Bool
	calls   atomic.Int64

	mu      sync.Mutex
	gate    chan struct{}
	arrived chan struct{} // a send per call, when set
}

// hold makes calls wait at a gate and report their arrival; the test answers each call
// with a send on the returned gate.
func (p *partner) hold() (gate, arrived chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gate, p.arrived = make(chan struct{}), make(chan struct{}, 100)
	return p.gate, p.arrived
}

func newPartner(t *testing.T) *partner {
	p := &partner{}
	p.failing.Store(true)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		p.calls.Add(1)
		p.mu.Lock()
		gate, arrived := p.gate, p.arrived
		p.mu.Unlock()
		if arrived != nil {
			arrived <- struct{}{}
		}
		if gate != nil {
			<-gate
		}
		status := 200
		switch {
		case p.failing.Load(), r.URL.Path == "/busy":
			status = 503
		case r.URL.Path == "/bad":
			status = 422
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"status":%d}`, status)
	}))
	t.Cleanup(p.Close)
	return p
}

type env struct {
	t       *testing.T
	svc     *service.Service
	st      store.Store
	partner *partner
	ids     atomic.Int64
	sc      int64
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "weft.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg, err := all.WithStore(st)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st, partner: newPartner(t)}
	// No circuit breakers: these tests count what a job retries, and a manual retry that
	// gets through closes its host's breaker and makes every automatic retry held behind
	// it due at once (service/breaker.go) — RunDue would run those too.
	e.svc, err = service.New(service.Config{Store: st, Registry: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		NewID: func() string { return fmt.Sprintf("ie%04d", e.ids.Add(1)) }, NoCircuitBreakers: true})
	if err != nil {
		t.Fatal(err)
	}
	// webhook → HTTP POST to the partner at the payload's path (module 2).
	bp := `{"name":"orders","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},
		 "mapper":{"url":"` + e.partner.URL + `/{{1.path}}","method":"post"}}],"metadata":{"version":1,"scenario":{}}}`
	sc, err := e.svc.CreateScenario(t.Context(), []byte(bp), "")
	if err != nil {
		t.Fatal(err)
	}
	e.sc = sc.ID
	return e
}

// fail runs the scenario once per path while the partner fails: each run stores one
// incomplete execution (ConnectionError, pending) and returns its id.
func (e *env) fail(paths ...string) []string {
	e.t.Helper()
	var ids []string
	for _, p := range paths {
		rr, err := e.svc.Run(e.t.Context(), e.sc, []weft.Bundle{{"path": p}})
		if err != nil || len(rr.Incomplete) != 1 {
			e.t.Fatalf("run %s: %v %+v", p, err, rr)
		}
		ids = append(ids, rr.Incomplete[0].ID)
	}
	return ids
}

func (e *env) jobs(o bulk.Options) *bulk.Jobs {
	o.Service = e.svc
	if o.Poll == 0 {
		o.Poll = time.Millisecond
	}
	js := bulk.New(o)
	e.t.Cleanup(js.Close)
	return js
}

func wait(t *testing.T, j *bulk.Job) bulk.Snapshot {
	t.Helper()
	select {
	case <-j.Done():
	case <-time.After(30 * time.Second):
		t.Fatalf("job %s did not end: %+v", j.ID(), j.Snapshot())
	}
	return j.Snapshot()
}

func counts(s bulk.Snapshot) string {
	var parts []string
	for _, o := range bulk.Outcomes(s.Kind) {
		parts = append(parts, fmt.Sprintf("%s %d", o, s.Counts[o]))
	}
	return strings.Join(parts, ", ")
}

// A retry job queues every selected incomplete execution, follows each to the end of
// its attempt and counts the outcomes: resolved, failed (unresolved), retrying
// (pending again); ones being retried or resolved when it starts are skipped.
func TestRetryCountsOutcomes(t *testing.T) {
	e := newEnv(t)
	ids := e.fail("ok", "ok", "ok", "bad", "bad", "busy", "ok")
	// One is resolved before the job starts: asked for by id, it is skipped.
	e.partner.failing.Store(false)
	if _, after, err := e.svc.RetryNow(t.Context(), ids[6]); err != nil || after.Status != weft.IncompleteResolved {
		t.Fatalf("retry now: %v %+v", err, after)
	}
	js := e.jobs(bulk.Options{Runner: e.svc.RunDue})
	j, err := js.Retry(t.Context(), store.Selection{IDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	s := wait(t, j)
	if s.Status != bulk.StatusDone || s.Total != 7 || s.Done != 7 || s.Kind != bulk.KindRetry || s.FinishedAt == nil {
		t.Fatalf("job %+v", s)
	}
	if c := counts(s); c != "resolved 3, failed 2, retrying 1, deleted 0, skipped 1" {
		t.Fatalf("counts: %s", c)
	}
	// The attempts were manual and are what the store says.
	for i, want := range []weft.IncompleteStatus{"resolved", "resolved", "resolved", "unresolved", "unresolved", "pending"} {
		ie, err := e.st.GetIncomplete(t.Context(), ids[i])
		if err != nil || ie.Status != want || ie.ManualRetry {
			t.Fatalf("%s: %v %+v, want %s", ids[i], err, ie, want)
		}
	}
	if js.Get(j.ID()) != j {
		t.Fatal("the job is kept after it ends")
	}
}

// All of a scenario but the excepted ones; without a runner the job waits for
// whoever carries retries out (here the test, by calling RunDue).
func TestRetryAllExceptWithoutRunner(t *testing.T) {
	e := newEnv(t)
	ids := e.fail("ok", "ok", "ok")
	e.partner.failing.Store(false)
	js := e.jobs(bulk.Options{})
	j, err := js.Retry(t.Context(), store.Selection{ScenarioID: e.sc, All: true, Except: []string{ids[1]}})
	if err != nil {
		t.Fatal(err)
	}
	if s := j.Snapshot(); s.Status != bulk.StatusRunning || s.Total != 2 || s.Done != 0 {
		t.Fatalf("before the worker: %+v", s)
	}
	for {
		changed := j.Changed()
		if n, err := e.svc.RunDue(t.Context()); err != nil || n == 0 {
			break
		}
		<-changed
	}
	s := wait(t, j)
	if c := counts(s); c != "resolved 2, failed 0, retrying 0, deleted 0, skipped 0" {
		t.Fatalf("counts: %s", c)
	}
	if ie, _ := e.st.GetIncomplete(t.Context(), ids[1]); ie.Status != weft.IncompletePending || ie.ManualRetry {
		t.Fatalf("the excepted one was queued: %+v", ie)
	}
}

// Progress is visible while retries run: the job counts each attempt as it ends.
func TestRetryProgress(t *testing.T) {
	e := newEnv(t)
	ids := e.fail("ok", "ok", "ok", "ok", "ok")
	e.partner.failing.Store(false)
	gate, _ := e.partner.hold()
	js := e.jobs(bulk.Options{Runner: e.svc.RunDue})
	j, err := js.Retry(t.Context(), store.Selection{ScenarioID: e.sc, All: true})
	if err != nil {
		t.Fatal(err)
	}
	for done := 0; done < len(ids); {
		changed := j.Changed()
		if s := j.Snapshot(); s.Done != done || s.Status != bulk.StatusRunning || s.Total != 5 {
			t.Fatalf("after %d calls: %+v", done, s)
		}
		gate <- struct{}{} // one call answers
		<-changed
		done = j.Snapshot().Done
	}
	if c := counts(wait(t, j)); c != "resolved 5, failed 0, retrying 0, deleted 0, skipped 0" {
		t.Fatalf("counts: %s", c)
	}
}

// An unknown id (or one of another scenario) refuses the whole selection.
func TestSelectionRefused(t *testing.T) {
	e := newEnv(t)
	ids := e.fail("ok")
	js := e.jobs(bulk.Options{})
	_, err := js.Retry(t.Context(), store.Selection{IDs: []string{ids[0], "nope"}})
	if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "no incomplete execution nope; nothing was done") {
		t.Fatalf("unknown id: %v", err)
	}
	_, err = js.Delete(t.Context(), false, store.Selection{IDs: ids, ScenarioID: e.sc + 1})
	if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), fmt.Sprintf("%s (of scenario %d)", ids[0], e.sc)) {
		t.Fatalf("other scenario: %v", err)
	}
	if ie, _ := e.st.GetIncomplete(t.Context(), ids[0]); ie.ManualRetry {
		t.Fatal("a refused selection queued something")
	}
	var ce *bulk.ConfirmError
	if _, err := js.Delete(t.Context(), false, store.Selection{ScenarioID: e.sc, All: true}); !errors.As(err, &ce) {
		t.Fatalf("delete all without confirmation: %v", err)
	}
	for _, sel := range []store.Selection{{}, {All: true}, {IDs: ids, All: true, ScenarioID: e.sc}, {IDs: ids, Except: ids}} {
		if _, err := js.Retry(t.Context(), sel); err == nil {
			t.Errorf("selection %+v accepted", sel)
		}
	}
}

// A delete job deletes in chunks, counting as it goes; one being retried right now is
// skipped.
func TestDeleteInChunks(t *testing.T) {
	e := newEnv(t)
	ids := e.fail("ok", "ok", "ok", "ok", "ok")
	// ids[0] is being retried right now: its attempt holds at the partner's gate.
	e.partner.failing.Store(false)
	gate, arrived := e.partner.hold()
	var wg sync.WaitGroup
	wg.Go(func() { e.svc.RetryNow(t.Context(), ids[0]) })
	<-arrived
	js := e.jobs(bulk.Options{Chunk: 2})
	j, err := js.Delete(t.Context(), true, store.Selection{ScenarioID: e.sc, All: true, Except: []string{ids[4]}})
	if err != nil {
		t.Fatal(err)
	}
	s := wait(t, j)
	close(gate)
	wg.Wait()
	if s.Status != bulk.StatusDone || s.Total != 4 || counts(s) != "deleted 3, skipped 1" {
		t.Fatalf("job %+v", s)
	}
	left, err := e.st.ListIncomplete(t.Context(), store.IncompleteFilter{ScenarioID: e.sc})
	if err != nil || len(left) != 2 || left[0].ID != ids[0] || left[1].ID != ids[4] {
		t.Fatalf("left: %v %+v", err, left)
	}
}
