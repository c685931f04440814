package service_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/service"
)

// orderService is a stand-in on 127.0.0.1 for a service that takes orders: a POST
// /orders is read in full and recorded (the write happens), then answered as the
// test says — drop: the connection is closed without an answer; hang: no answer until
// the client gives up; else 201. GET /orders/ID answers 200 with the order when it
// was written, 404 otherwise.
type orderService struct {
	*httptest.Server
	mu     sync.Mutex
	mode   string
	posts  []string // bodies
	keys   []string // Idempotency-Key of each POST
	orders map[string]bool
}

func newOrderService(t *testing.T, mode string) *orderService {
	o := &orderService{mode: mode, orders: map[string]bool{}}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			id := strings.TrimPrefix(r.URL.Path, "/orders/")
			o.mu.Lock()
			found := o.orders[id]
			o.mu.Unlock()
			if !found {
				http.Error(w, `{"error":"no such order"}`, http.StatusNotFound)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id":"`+id+`","state":"placed"}`)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var order struct{ ID string }
		json.Unmarshal(body, &order)
		o.mu.Lock()
		o.posts = append(o.posts, string(body))
		o.keys = append(o.keys, r.Header.Get("Idempotency-Key"))
		o.orders[order.ID] = true
		mode := o.mode
		o.mu.Unlock()
		switch mode {
		case "drop":
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		case "hang":
			<-r.Context().Done() // the client gave up
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":"`+order.ID+`","state":"placed"}`)
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *orderService) set(mode string) { o.mu.Lock(); o.mode = mode; o.mu.Unlock() }

func (o *orderService) writes() ([]string, []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.posts...), append([]string(nil), o.keys...)
}

// orderFlow: webhook → POST /orders (module 2, its parameters extra) → compose (3).
func orderFlow(url, params, mapper string) string {
	return `[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"` + params + `},
		 "mapper":{"url":"` + url + `/orders","method":"post","contentType":"json","inputMethod":"jsonString",
		 "jsonStringBodyContent":"{\"id\":\"{{1.id}}\"}"` + mapper + `}},
		{"id":3,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"done {{1.id}} {{2.statusCode}} {{2.data.state}}"}}]`
}

const noKey = `,"idempotencyKey":false`

// composed is what module 3 produced in a run or attempt.
func composed(t *testing.T, rr *service.RunResult) string {
	t.Helper()
	for _, l := range rr.Result.Log {
		if l.ModuleID == 3 && len(l.Output) == 1 {
			return l.Output[0]["value"].(string)
		}
	}
	t.Fatalf("module 3 did not run: %+v", rr.Result.Log)
	return ""
}

// TestOutcomeUnknownIsNotSentAgain is the end-to-end case: the service reads
// the order and drops the connection without an answer. The incomplete execution is
// outcome_unknown and waits for a person: no automatic retry, however long weft
// works, so the order is written once.
func TestOutcomeUnknownIsNotSentAgain(t *testing.T) {
	e := newEnv(t)
	o := newOrderService(t, "drop")
	id := e.scenario(orderFlow(o.URL, noKey, ""), "")
	rr := e.run(id, `{"id":"o1"}`)
	if rr.Result.Status != weft.StatusWarning || len(rr.Incomplete) != 1 {
		t.Fatalf("status %s, %d incomplete executions", rr.Result.Status, len(rr.Incomplete))
	}
	ie := e.ie(rr.Incomplete[0].ID)
	if !ie.OutcomeUnknown || ie.Status != weft.IncompleteUnresolved || ie.AutoRetry || ie.NextAttemptAt != nil ||
		ie.ErrorType != weft.ConnectionError || !strings.Contains(ie.ErrorMessage, "whether the service acted on it is unknown") {
		t.Fatalf("incomplete execution: %+v", ie)
	}
	for range 10 { // past the whole automatic schedule
		e.clock.Add(time.Hour)
		if n := e.due(); n != 0 {
			t.Fatalf("an automatic retry ran %d time(s)", n)
		}
	}
	if posts, _ := o.writes(); len(posts) != 1 {
		t.Fatalf("the service got %d writes, want 1: %q", len(posts), posts)
	}
	js, _ := json.Marshal(e.ie(ie.ID))
	if !strings.Contains(string(js), `"outcomeUnknown":true`) {
		t.Fatalf("JSON lacks outcomeUnknown: %s", js)
	}
}

// TestOutcomeUnknownAfterTimeout: the service reads the order and never answers; the
// module's own timeout (1 s) ends the call after the write.
func TestOutcomeUnknownAfterTimeout(t *testing.T) {
	e := newEnv(t)
	o := newOrderService(t, "hang")
	id := e.scenario(orderFlow(o.URL, noKey, `,"timeout":1`), "")
	rr := e.run(id, `{"id":"o1"}`)
	ie := e.ie(rr.Incomplete[0].ID)
	if !ie.OutcomeUnknown || ie.Status != weft.IncompleteUnresolved || ie.ErrorType != weft.ModuleTimeoutError {
		t.Fatalf("incomplete execution: %s %s unknown=%v: %s", ie.Status, ie.ErrorType, ie.OutcomeUnknown, ie.ErrorMessage)
	}
}

// TestUnsentRequestIsRetried: nothing was written (the connection was refused), so the
// outcome is known — nothing happened — and the retry is automatic as before.
func TestUnsentRequestIsRetried(t *testing.T) {
	e := newEnv(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nobody listens there now: refused
	id := e.scenario(orderFlow("http://"+addr, noKey, ""), "")
	ie := e.ie(e.run(id, `{"id":"o1"}`).Incomplete[0].ID)
	if ie.OutcomeUnknown || ie.Status != weft.IncompletePending || ie.ErrorType != weft.ConnectionError {
		t.Fatalf("incomplete execution: %s %s unknown=%v", ie.Status, ie.ErrorType, ie.OutcomeUnknown)
	}
}

// TestOutcomeUnknownWithIdempotencyKeyRetries: a call that carried an Idempotency-Key
// (the HTTP app's default) may be sent again — the service deduplicates by the key — so
// it is retried automatically, with the same key.
func TestOutcomeUnknownWithIdempotencyKeyRetries(t *testing.T) {
	e := newEnv(t)
	o := newOrderService(t, "drop")
	id := e.scenario(orderFlow(o.URL, "", ""), "")
	ie := e.ie(e.run(id, `{"id":"o1"}`).Incomplete[0].ID)
	if !ie.OutcomeUnknown || ie.Status != weft.IncompletePending || !ie.AutoRetry {
		t.Fatalf("incomplete execution: %s auto=%v unknown=%v", ie.Status, ie.AutoRetry, ie.OutcomeUnknown)
	}
	o.set("ok")
	e.clock.Add(time.Minute)
	if n := e.due(); n != 1 {
		t.Fatalf("retries %d, want 1", n)
	}
	if got := e.ie(ie.ID); got.Status != weft.IncompleteResolved || got.OutcomeUnknown {
		t.Fatalf("after the retry: %s unknown=%v", got.Status, got.OutcomeUnknown)
	}
	_, keys := o.writes()
	if len(keys) != 2 || keys[0] == "" || keys[0] != keys[1] {
		t.Fatalf("Idempotency-Keys %q, want the same key twice", keys)
	}
}

// TestOutcomeUnknownIdempotentModule: a module whose spec declares itself idempotent is
// retried automatically even when its call's outcome is unknown.
func TestOutcomeUnknownIdempotentModule(t *testing.T) {
	e := newEnv(t, func(c *service.Config) {
		c.Registry.MustRegister(app.Spec{Name: "test:Upsert", Idempotent: true,
			Mapper: []app.Field{{Name: "id", Type: app.TypeText}},
			New: func(app.Config) (app.Module, error) {
				return app.ModuleFunc(func(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
					return nil, &weft.Error{Type: weft.ConnectionError, Message: "no answer", OutcomeUnknown: true}
				}), nil
			}})
	})
	id := e.scenario(`[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"test:Upsert","version":1,"mapper":{"id":"{{1.id}}"}}]`, "")
	ie := e.ie(e.run(id, `{"id":"o1"}`).Incomplete[0].ID)
	if !ie.OutcomeUnknown || ie.Status != weft.IncompletePending {
		t.Fatalf("incomplete execution: %s unknown=%v", ie.Status, ie.OutcomeUnknown)
	}
}

// TestCheckThenMarkDone: a person reads the order back (it was written), then marks the
// incomplete execution done with what the read-back returned; the run continues after
// the module, which is not called again.
func TestCheckThenMarkDone(t *testing.T) {
	e := newEnv(t)
	o := newOrderService(t, "drop")
	id := e.scenario(orderFlow(o.URL, noKey, ""), "")
	ieID := e.run(id, `{"id":"o1"}`).Incomplete[0].ID

	res, err := e.svc.CheckOutcome(t.Context(), ieID, app.Check{URL: "/orders/o1"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Done || res.Status != 200 || res.Output["data"].(map[string]any)["state"] != "placed" {
		t.Fatalf("check: %+v", res)
	}
	out := res.Output
	out["statusCode"] = float64(201)
	rr, after, err := e.svc.MarkDone(t.Context(), ieID, out)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != weft.IncompleteResolved || after.OutcomeUnknown {
		t.Fatalf("after mark done: %s unknown=%v", after.Status, after.OutcomeUnknown)
	}
	if got := composed(t, rr); got != "done o1 201 placed" {
		t.Fatalf("module 3 composed %q", got)
	}
	if posts, _ := o.writes(); len(posts) != 1 {
		t.Fatalf("the service got %d writes, want 1", len(posts))
	}
	atts, err := e.st.ListAttempts(t.Context(), ieID)
	if err != nil || len(atts) != 1 || !atts[0].Manual || atts[0].Outcome != weft.AttemptResolved {
		t.Fatalf("attempts %+v (%v)", atts, err)
	}
}

// TestCheckNotDoneThenRetryAnyway: the read-back finds no order (404), so the person
// retries anyway: the order is sent again and the run resolves.
func TestCheckNotDoneThenRetryAnyway(t *testing.T) {
	e := newEnv(t)
	o := newOrderService(t, "drop")
	id := e.scenario(orderFlow(o.URL, noKey, ""), "")
	ieID := e.run(id, `{"id":"o1"}`).Incomplete[0].ID

	res, err := e.svc.CheckOutcome(t.Context(), ieID, app.Check{URL: o.URL + "/orders/other"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Done || res.Status != 404 {
		t.Fatalf("check: %+v", res)
	}
	if _, err := e.svc.CheckOutcome(t.Context(), ieID, app.Check{URL: "ftp://x/y"}); err == nil ||
		!strings.Contains(err.Error(), "not http or https") {
		t.Fatalf("a bad read-back URL: %v", err)
	}
	o.set("ok")
	rr, after, err := e.svc.RetryNow(t.Context(), ieID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != weft.IncompleteResolved || composed(t, rr) != "done o1 201 placed" {
		t.Fatalf("after retry anyway: %s", after.Status)
	}
	if posts, _ := o.writes(); len(posts) != 2 {
		t.Fatalf("the service got %d writes, want 2 (the person retried)", len(posts))
	}
}

// TestCheckWithoutReadBack: a module without a read-back call says so.
func TestCheckWithoutReadBack(t *testing.T) {
	e := newEnv(t)
	id := e.scenario(`[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"json:ParseJSON","version":1,"mapper":{"json":"{{1.raw}}"}}]`, "")
	ieID := e.run(id, `{"raw":"{x"}`).Incomplete[0].ID
	if _, err := e.svc.CheckOutcome(t.Context(), ieID, app.Check{URL: "http://127.0.0.1/"}); err == nil ||
		!strings.Contains(err.Error(), "has no read-back call") {
		t.Fatalf("check of a module without a read-back: %v", err)
	}
}

// crashDuringAttempt leaves the store as a SIGKILL in the middle of a retry attempt
// leaves it (test/crash checks that this is what a kill leaves): the incomplete
// execution in progress, its attempt's execution running, the attempt unfinished.
func (e *env) crashDuringAttempt(ieID string) {
	e.t.Helper()
	ctx := e.t.Context()
	ie := e.ie(ieID)
	ie.Status = weft.IncompleteInProgress
	ex := &weft.Execution{ID: "crashed-attempt", ScenarioID: ie.ScenarioID, Version: ie.Version, Kind: weft.KindRetry,
		Status: weft.ExecutionRunning, IncompleteID: ie.ID, StartedAt: e.clock.Now()}
	if err := e.st.UpdateIncomplete(ctx, ie); err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.CreateExecution(ctx, ex); err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.AddAttempt(ctx, &weft.Attempt{IncompleteID: ie.ID, StartedAt: e.clock.Now(), ExecutionID: ex.ID}); err != nil {
		e.t.Fatal(err)
	}
}

// TestKilledMidAttemptOutcomeUnknown: weft was killed while retrying a POST that
// sends no Idempotency-Key: the call may have reached the service, so at the next
// start the incomplete execution waits for a person with its outcome unknown. With the
// key (the default) it is due again at once, as before.
func TestKilledMidAttemptOutcomeUnknown(t *testing.T) {
	for _, tc := range []struct {
		name, params string
		unknown      bool
	}{{"without a key", noKey, true}, {"with a key", "", false}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			s := newStandIn(t, answer{status: 503})
			id := e.scenario(orderFlow(s.URL, tc.params, ""), "")
			ieID := e.run(id, `{"id":"o1"}`).Incomplete[0].ID
			e.clock.Add(time.Minute)
			e.crashDuringAttempt(ieID)
			if _, err := e.restart().Recover(t.Context()); err != nil {
				t.Fatal(err)
			}
			ie := e.ie(ieID)
			if tc.unknown {
				if !ie.OutcomeUnknown || ie.Status != weft.IncompleteUnresolved || ie.NextAttemptAt != nil ||
					!strings.Contains(ie.ErrorMessage, "weft stopped during an attempt") {
					t.Fatalf("after recovery: %s unknown=%v: %s", ie.Status, ie.OutcomeUnknown, ie.ErrorMessage)
				}
				return
			}
			if ie.OutcomeUnknown || ie.Status != weft.IncompletePending || ie.NextAttemptAt == nil || ie.NextAttemptAt.After(e.clock.Now()) {
				t.Fatalf("after recovery: %s unknown=%v next %v", ie.Status, ie.OutcomeUnknown, ie.NextAttemptAt)
			}
		})
	}
}
