package service_test

// Tests of the recovery defects found by trying weft as a user would (each failed before
// its fix): a retry never repeats what already happened, and nothing is lost.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
)

// pathStandIn answers GET/POST /status/NNN with NNN (until heal makes every path
// answer 200) and anything else with 200, and counts the calls per path.
type pathStandIn struct {
	*httptest.Server
	mu     sync.Mutex
	calls  map[string]int
	bodies map[string][]string
	keys   map[string][]string // Idempotency-Key per path, in order
	healed bool
	// hold, when set, makes requests to that path wait until the request's context
	// ends (the client gave up or the process stopped) — a call in flight.
	hold    string
	holding chan struct{}
}

func newPathStandIn(t *testing.T) *pathStandIn {
	s := &pathStandIn{calls: map[string]int{}, bodies: map[string][]string{}, keys: map[string][]string{},
		holding: make(chan struct{}, 16)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := r.Body.Read(buf)
			body.Write(buf[:n])
			if err != nil {
				break
			}
		}
		s.mu.Lock()
		s.calls[r.URL.Path]++
		s.bodies[r.URL.Path] = append(s.bodies[r.URL.Path], body.String())
		s.keys[r.URL.Path] = append(s.keys[r.URL.Path], r.Header.Get("Idempotency-Key"))
		healed, hold := s.healed, s.hold == r.URL.Path
		s.mu.Unlock()
		if hold {
			s.holding <- struct{}{}
			<-r.Context().Done()
			return
		}
		status := 200
		if code, ok := strings.CutPrefix(r.URL.Path, "/status/"); ok && !healed {
			status, _ = strconv.Atoi(code)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"status":%d,"path":%q}`, status, r.URL.Path)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *pathStandIn) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[path]
}

func (s *pathStandIn) body(path string, i int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i >= len(s.bodies[path]) {
		return ""
	}
	return s.bodies[path][i]
}

func (s *pathStandIn) keysOf(path string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.keys[path])
}

func (s *pathStandIn) heal() { s.mu.Lock(); s.healed = true; s.mu.Unlock() }

func httpModule(id int, method, url, body string) string {
	m := `{"id":` + strconv.Itoa(id) + `,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},
		"mapper":{"url":"` + url + `","method":"` + method + `"`
	if body != "" {
		m += `,"contentType":"json","inputMethod":"jsonString","jsonStringBodyContent":` + strconv.Quote(body)
	}
	return m + `}}`
}

// Defect 1: a failed retry inside an iterator loop must not run what follows the loop's
// aggregator (with an empty aggregate); once the carried bundle gets through, the
// aggregator emits it alone and the flow goes on once.
func TestRetryInsideLoopRunsNothingAfterTheLoopUntilTheBundleGetsThrough(t *testing.T) {
	e := newEnv(t)
	s := newPathStandIn(t)
	flow := `[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"builtin:BasicFeeder","version":1,"mapper":{"array":"{{1.items}}"}},
		` + httpModule(3, "get", s.URL+"/status/{{2.code}}", "") + `,
		{"id":4,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"item {{2.code}}"}},
		{"id":5,"module":"builtin:BasicAggregator","version":1,"parameters":{"feeder":2},"mapper":{"v":"{{4.value}}"}},
		` + httpModule(6, "post", s.URL+"/final", `{"n":{{length(5.array)}},"items":"{{join(map(5.array; "v"); ",")}}"}`) + `]`
	id := e.scenario(flow, "")
	rr := e.run(id, `{"items":[{"code":200},{"code":503}]}`)
	if len(rr.Incomplete) != 1 || rr.Incomplete[0].ErrorType != weft.ConnectionError {
		t.Fatalf("IEs %+v", rr.Incomplete)
	}
	if n := s.count("/final"); n != 1 || !strings.Contains(s.body("/final", 0), `"items":"item 200"`) {
		t.Fatalf("the run posted /final %d times (%s), want once with the first item", n, s.body("/final", 0))
	}
	ieID := rr.Incomplete[0].ID

	// Automatic attempts and a manual one that fail again: nothing after the loop runs.
	for i := 0; i < 2; i++ {
		e.clock.Add(3 * time.Hour)
		if n := e.due(); n != 1 {
			t.Fatalf("attempt %d: %d retries ran", i+1, n)
		}
	}
	if _, _, err := e.svc.RetryNow(t.Context(), ieID); err != nil {
		t.Fatal(err)
	}
	if n := s.count("/status/503"); n != 4 {
		t.Fatalf("the failing call was made %d times, want 4 (the run and three attempts)", n)
	}
	if n := s.count("/final"); n != 1 {
		t.Fatalf("failed attempts posted /final: %d calls in all, want still 1; bodies %v", n, s.bodies["/final"])
	}
	if ie := e.ie(ieID); ie.Status == weft.IncompleteResolved || ie.FailedModuleID != 3 {
		t.Fatalf("after failed attempts: %s at module %d", ie.Status, ie.FailedModuleID)
	}

	// The service is back: the carried bundle gets through, is aggregated alone, and
	// /final is posted once more with it.
	s.heal()
	if _, after, err := e.svc.RetryNow(t.Context(), ieID); err != nil || after.Status != weft.IncompleteResolved {
		t.Fatalf("retry after healing: %v %+v", err, after)
	}
	if n := s.count("/final"); n != 2 || !strings.Contains(s.body("/final", 1), `"n":1`) || !strings.Contains(s.body("/final", 1), `"items":"item 503"`) {
		t.Fatalf("after the bundle got through: /final %d calls, last %s", n, s.body("/final", 1))
	}
}

// Defect 2: a continuation that fails for good at a later module (a RuntimeError, not
// stored as an incomplete execution in a first run) moves the incomplete execution there
// with the earlier module's output kept, so the next attempt does not call it again.
func TestContinuationThatFailsLaterMovesTheIncompleteExecution(t *testing.T) {
	e := newEnv(t)
	s := newPathStandIn(t)
	flow := `[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		` + httpModule(2, "post", s.URL+"/status/422", `{"id":"{{1.id}}"}`) + `,
		` + httpModule(3, "post", s.URL+"/status/200?step=3", `{"got":"{{2.data.path}}"}`) + `,
		{"id":4,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"done {{2.data.path}} {{3.data.path}}"}}]`
	id := e.scenario(flow, "")
	rr := e.run(id, `{"id":"o1"}`)
	if len(rr.Incomplete) != 1 || rr.Incomplete[0].FailedModuleID != 2 || rr.Incomplete[0].ErrorType != weft.DataError {
		t.Fatalf("IEs %+v", rr.Incomplete)
	}
	ieID := rr.Incomplete[0].ID
	edits := []service.Edit{
		{ModuleID: 2, Part: "mapper", Path: "url", Value: s.URL + "/status/201"},
		{ModuleID: 3, Part: "mapper", Path: "url", Value: s.URL + "/status/500"},
	}
	res, after, err := e.svc.Resolve(t.Context(), ieID, edits, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Execution.ErrorModule != 3 || after.FailedModuleID != 3 || after.ErrorType != weft.RuntimeError ||
		after.Status != weft.IncompleteUnresolved || !strings.Contains(after.ErrorMessage, "500") {
		t.Fatalf("after the continuation failed at module 3: execution at module %d; IE %s at module %d: %s %s",
			res.Execution.ErrorModule, after.Status, after.FailedModuleID, after.ErrorType, after.ErrorMessage)
	}
	if n := s.count("/status/201"); n != 1 {
		t.Fatalf("module 2 called %d times", n)
	}
	// Fixed again and retried: module 2 is not called again; module 3 maps its stored output.
	if _, after, err = e.svc.Resolve(t.Context(), ieID, []service.Edit{{ModuleID: 3, Part: "mapper", Path: "url", Value: s.URL + "/status/200"}}, nil); err != nil {
		t.Fatal(err)
	}
	if after.Status != weft.IncompleteResolved {
		t.Fatalf("after fixing module 3: %s %s", after.Status, after.ErrorMessage)
	}
	if n := s.count("/status/201"); n != 1 {
		t.Fatalf("module 2's side effect repeated: %d calls", n)
	}
	if got := s.body("/status/200", 0); got != `{"got":"/status/201"}` {
		t.Fatalf("module 3 sent %s: it must map module 2's kept output", got)
	}
}

// Defect 2, transactions: when the later failure rolls back writes made on the way
// (autoCommit off), the incomplete execution stays where it was, so they are made
// again.
func TestContinuationRolledBackStaysAtItsModule(t *testing.T) {
	e := newEnv(t)
	s := newPathStandIn(t)
	flow := `[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		` + httpModule(2, "post", s.URL+"/status/422", `{}`) + `,
		{"id":3,"module":"datastore:AddRecord","version":1,"parameters":{"datastore":7},"mapper":{"key":"{{1.id}}","overwrite":true,"data":{"v":"x"}}},
		` + httpModule(4, "post", s.URL+"/status/200", `{}`) + `]`
	id := e.scenario(flow, `{"autoCommit":false}`)
	rr := e.run(id, `{"id":"o1"}`)
	if len(rr.Incomplete) != 1 {
		t.Fatalf("IEs %+v (%+v)", rr.Incomplete, rr.Result.Error)
	}
	_, after, err := e.svc.Resolve(t.Context(), rr.Incomplete[0].ID, []service.Edit{
		{ModuleID: 2, Part: "mapper", Path: "url", Value: s.URL + "/status/200"},
		{ModuleID: 4, Part: "mapper", Path: "url", Value: s.URL + "/status/500"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if after.FailedModuleID != 2 || after.Status != weft.IncompleteUnresolved {
		t.Fatalf("rolled back: IE %s at module %d (%s), want unresolved at 2", after.Status, after.FailedModuleID, after.ErrorMessage)
	}
	if _, err := e.st.GetRecord(t.Context(), "7", "o1"); err == nil {
		t.Fatal("the data store write was rolled back, yet the record is there")
	}
	// Fixed: the continuation from module 2 writes the record again and commits it.
	_, after, err = e.svc.Resolve(t.Context(), after.ID, []service.Edit{{ModuleID: 4, Part: "mapper", Path: "url", Value: s.URL + "/status/200"}}, nil)
	if err != nil || after.Status != weft.IncompleteResolved {
		t.Fatalf("resolve: %v %+v", err, after)
	}
	if rec, err := e.st.GetRecord(t.Context(), "7", "o1"); err != nil || rec["v"] != "x" {
		t.Fatalf("record after the resolved continuation: %v %v", rec, err)
	}
}

// Defect 4: a Break handler whose settings are out of range still stores the bundle,
// clamped, with a warning in the log.
func TestBreakWithBadSettingsStillKeepsTheBundle(t *testing.T) {
	e := newEnv(t)
	s := newPathStandIn(t)
	flow := `[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},
		 "mapper":{"url":"` + s.URL + `/status/400","method":"get"},
		 "onerror":[{"id":3,"module":"builtin:Break","version":1,"mapper":{"retry":true,"count":"{{1.count}}","interval":"{{1.interval}}"}}]}]`
	id := e.scenario(flow, "")
	rr := e.run(id, `{"count":0,"interval":50000}`)
	if rr.Result.Status != weft.StatusWarning || len(rr.Incomplete) != 1 {
		t.Fatalf("status %s error %+v IEs %d", rr.Result.Status, rr.Result.Error, len(rr.Incomplete))
	}
	ie := e.ie(rr.Incomplete[0].ID)
	if ie.MaxAttempts != 1 || ie.RetryInterval != 44640*time.Minute || ie.Status != weft.IncompletePending {
		t.Fatalf("IE: %d attempts every %s, status %s; want clamped to 1 every 44640m", ie.MaxAttempts, ie.RetryInterval, ie.Status)
	}
	ex, err := e.st.GetExecution(t.Context(), rr.Execution.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ex.Log), "count 0 is below 1: using 1") || !strings.Contains(string(ex.Log), "interval 50000 is above 44640") {
		t.Fatalf("the log does not warn about the corrected settings: %s", ex.Log)
	}
	// Literal bad values are named by validation.
	_, err = e.svc.CreateScenario(t.Context(), []byte(`{"name":"b","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"x"},
		 "onerror":[{"id":3,"module":"builtin:Break","version":1,"mapper":{"count":0,"interval":50000}}]}],"metadata":{"version":1}}`), "")
	var ib *service.InvalidBlueprintError
	if !errors.As(err, &ib) {
		t.Fatalf("a Break with count 0 and interval 50000 must not validate: %v", err)
	}
	var ptrs []string
	for _, p := range ib.Report.Errors() {
		ptrs = append(ptrs, p.Pointer+": "+p.Message)
	}
	if !slices.Contains(ptrs, "/flow/1/onerror/0/mapper/count: count is 0, outside 1…10000") ||
		!slices.Contains(ptrs, "/flow/1/onerror/0/mapper/interval: interval is 50000, outside 1…44640") {
		t.Fatalf("problems %q", ptrs)
	}
}

// Defect 7: a queued payload run again after an interruption sends the same
// Idempotency-Key as the interrupted call.
func TestQueuedPayloadRerunKeepsIdempotencyKeys(t *testing.T) {
	e := newEnv(t)
	s := newPathStandIn(t)
	s.hold = "/orders"
	id := e.scenario(`[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		`+httpModule(2, "post", s.URL+"/orders", `{"id":"{{1.id}}"}`)+`]`, "")
	if _, err := e.svc.SetActive(t.Context(), id, true); err != nil {
		t.Fatal(err)
	}
	acc, err := e.svc.Accept(t.Context(), id, weft.Bundle{"id": "o1"}, true)
	if err != nil || !acc.Inline {
		t.Fatalf("accept: %v inline %t", err, acc != nil && acc.Inline)
	}
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { _, err := e.svc.RunAccepted(ctx, acc); done <- err }()
	<-s.holding // the call is in flight
	stop()      // weft stops: the run is interrupted, its execution left running
	if err := <-done; err == nil {
		t.Fatal("an interrupted run must report it")
	}
	if n, err := e.svc.Recover(t.Context()); err != nil || n == 0 {
		t.Fatalf("recover: %d %v", n, err)
	}
	s.mu.Lock()
	s.hold = ""
	s.mu.Unlock()
	if n, err := e.svc.DrainQueue(t.Context()); err != nil || n != 1 {
		t.Fatalf("drain: %d %v", n, err)
	}
	keys := s.keysOf("/orders")
	if len(keys) != 2 || keys[0] == "" || keys[0] != keys[1] {
		t.Fatalf("keys of the interrupted call and its re-run: %q", keys)
	}
	// Another payload gets another key.
	e.run(id, `{"id":"o2"}`)
	if keys = s.keysOf("/orders"); len(keys) != 3 || keys[2] == keys[0] {
		t.Fatalf("keys %q", keys)
	}
}

// Defect 8: an edited blueprint that changes a module which does not run again in the
// continuation is refused, as a single edit is; a module after the loop's aggregator
// does run again and may change.
func TestEditsBeforeTheFailingModuleAreRefusedOnEveryPath(t *testing.T) {
	e := newEnv(t)
	s := newPathStandIn(t)
	flow := `[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		` + httpModule(2, "post", s.URL+"/status/200?first", `{}`) + `,
		{"id":3,"module":"builtin:BasicFeeder","version":1,"mapper":{"array":"{{1.items}}"}},
		` + httpModule(4, "get", s.URL+"/status/{{3.code}}", "") + `,
		{"id":5,"module":"builtin:BasicAggregator","version":1,"parameters":{"feeder":3},"mapper":{"c":"{{3.code}}"}},
		{"id":6,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"n {{length(5.array)}}"}}]`
	id := e.scenario(flow, "")
	rr := e.run(id, `{"items":[{"code":404}]}`)
	if len(rr.Incomplete) != 1 || rr.Incomplete[0].FailedModuleID != 4 {
		t.Fatalf("IEs %+v", rr.Incomplete)
	}
	ie := e.ie(rr.Incomplete[0].ID)
	edited := func(from, to string) []byte {
		if !strings.Contains(string(ie.Blueprint), from) {
			t.Fatalf("blueprint lacks %s", from)
		}
		return []byte(strings.Replace(string(ie.Blueprint), from, to, 1))
	}
	// Module 2 ran already: a single edit and a whole blueprint are refused alike.
	_, err := e.svc.EditIncomplete(t.Context(), ie.ID, []service.Edit{{ModuleID: 2, Part: "mapper", Path: "url", Value: "http://x/"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "module 2") {
		t.Fatalf("single edit of module 2: %v", err)
	}
	_, err = e.svc.EditIncomplete(t.Context(), ie.ID, nil, edited(`/status/200?first`, `/status/200?changed`))
	if err == nil || !strings.Contains(err.Error(), "module 2 was changed") {
		t.Fatalf("blueprint changing module 2: %v", err)
	}
	// Module 6 follows the aggregator: it runs again in the continuation, so it may change.
	if _, err := e.svc.EditIncomplete(t.Context(), ie.ID, []service.Edit{{ModuleID: 6, Part: "mapper", Path: "value", Value: "edited {{length(5.array)}}"}}, nil); err != nil {
		t.Fatalf("edit of module 6 (after the aggregator): %v", err)
	}
	ie = e.ie(ie.ID)
	if _, err := e.svc.EditIncomplete(t.Context(), ie.ID, nil, edited(`/status/{{3.code}}`, `/status/200?{{3.code}}`)); err != nil {
		t.Fatalf("blueprint changing the failing module: %v", err)
	}
	// Designer metadata may change anywhere (it does not run).
	ie = e.ie(ie.ID)
	var doc map[string]any
	if err := json.Unmarshal(ie.Blueprint, &doc); err != nil {
		t.Fatal(err)
	}
	doc["flow"].([]any)[1].(map[string]any)["metadata"] = map[string]any{"designer": map[string]any{"x": 300}}
	raw, _ := json.Marshal(doc)
	if _, err := e.svc.EditIncomplete(t.Context(), ie.ID, nil, raw); err != nil {
		t.Fatalf("moving module 2 in the designer: %v", err)
	}
}

// Defect 9: the smaller ones.
func TestModuleTimeoutNamesTheModulesOwnLimit(t *testing.T) {
	e := newEnv(t)
	s := newPathStandIn(t)
	s.hold = "/slow"
	id := e.scenario(`[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},
		 "mapper":{"url":"`+s.URL+`/slow","method":"get","timeout":1}}]`, "")
	rr := e.run(id, `{}`)
	if len(rr.Incomplete) != 1 {
		t.Fatalf("IEs %+v", rr.Incomplete)
	}
	ie := rr.Incomplete[0]
	if ie.ErrorType != weft.ModuleTimeoutError || !strings.Contains(ie.ErrorMessage, "1s") || strings.Contains(ie.ErrorMessage, "5m") {
		t.Fatalf("timeout error: %s %q — it must name the module's 1 s timeout", ie.ErrorType, ie.ErrorMessage)
	}
}

func TestBulkRetryIsLoggedAsManualAndKeepsTheAutomaticSchedule(t *testing.T) {
	e := newEnv(t)
	s := newStandIn(t, answer{status: 503})
	id := e.scenario(httpFlow(s.URL, ""), "")
	ieID := e.run(id, `{"id":"o1"}`).Incomplete[0].ID
	// A person asks for a retry of it (bulk form): the worker carries it out.
	if n, err := e.svc.Retry(t.Context(), store.Selection{IDs: []string{ieID}}); err != nil || n != 1 {
		t.Fatalf("retry: %d %v", n, err)
	}
	if n := e.due(); n != 1 {
		t.Fatalf("due %d", n)
	}
	// And a direct manual retry.
	if _, _, err := e.svc.RetryNow(t.Context(), ieID); err != nil {
		t.Fatal(err)
	}
	atts, err := e.st.ListAttempts(t.Context(), ieID)
	if err != nil || len(atts) != 2 || !atts[0].Manual || !atts[1].Manual {
		t.Fatalf("attempts %+v %v: both were a person's", atts, err)
	}
	// Two manual attempts failed; the automatic schedule has not moved: the next
	// automatic attempt is the first one, a minute after the last failure.
	ie := e.ie(ieID)
	if ie.Attempts != 2 || ie.AutoAttempts != 0 || ie.Status != weft.IncompletePending ||
		ie.NextAttemptAt == nil || !ie.NextAttemptAt.Equal(e.clock.Now().Add(time.Minute)) {
		t.Fatalf("after two manual attempts: attempts %d auto %d %s next %v", ie.Attempts, ie.AutoAttempts, ie.Status, ie.NextAttemptAt)
	}
	// All eight automatic attempts are still there.
	for i := range service.RetrySchedule {
		e.clock.Add(service.RetrySchedule[i])
		if n := e.due(); n != 1 {
			t.Fatalf("automatic attempt %d did not run", i+1)
		}
	}
	if ie = e.ie(ieID); ie.Status != weft.IncompleteUnresolved || ie.AutoAttempts != 8 || ie.Attempts != 10 {
		t.Fatalf("after the schedule: %s auto %d attempts %d", ie.Status, ie.AutoAttempts, ie.Attempts)
	}
}

func TestBulkWithUnknownIDsNamesThemAndDoesNothing(t *testing.T) {
	e := newEnv(t)
	s := newStandIn(t, answer{status: 422})
	id := e.scenario(httpFlow(s.URL, ""), "")
	ieID := e.run(id, `{"id":"o1"}`).Incomplete[0].ID
	for name, op := range map[string]func() (int, error){
		"retry": func() (int, error) {
			return e.svc.Retry(t.Context(), store.Selection{IDs: []string{ieID, "nope1", "nope2"}})
		},
		"delete": func() (int, error) {
			return e.svc.Delete(t.Context(), store.Selection{IDs: []string{ieID, "nope1"}}, false)
		},
		"scope": func() (int, error) {
			return e.svc.Retry(t.Context(), store.Selection{IDs: []string{ieID}, ScenarioID: id + 1})
		},
	} {
		n, err := op()
		if err == nil || n != 0 || !strings.Contains(err.Error(), "no incomplete execution") {
			t.Fatalf("%s: %d %v", name, n, err)
		}
	}
	if ie := e.ie(ieID); ie.Status != weft.IncompleteUnresolved || ie.ManualRetry {
		t.Fatalf("the known id was touched: %s manual %t", ie.Status, ie.ManualRetry)
	}
}

func TestPauseReasonReadsWell(t *testing.T) {
	e := newEnv(t)
	s := newStandIn(t, answer{status: 403})
	id := e.scenario(httpFlow(s.URL, ""), "")
	e.run(id, `{"id":"o1"}`)
	sc, err := e.st.GetScenario(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sc.Paused, "has an InvalidConfigurationError that needs a person") {
		t.Fatalf("pause reason %q", sc.Paused)
	}
}

func TestDiscardedIncompleteIsRecordedOnTheExecution(t *testing.T) {
	e := newEnv(t, func(c *service.Config) { c.MaxScenarioBytes = 1 })
	s := newStandIn(t, answer{status: 503})
	id := e.scenario(httpFlow(s.URL, ""), `{"dataloss":true}`)
	rr := e.run(id, `{"id":"o1"}`)
	if rr.Discarded != 1 || len(rr.Incomplete) != 0 {
		t.Fatalf("discarded %d stored %d", rr.Discarded, len(rr.Incomplete))
	}
	ex, err := e.st.GetExecution(t.Context(), rr.Execution.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ex.ErrorMsg, "1 incomplete execution(s) discarded") {
		t.Fatalf("execution %+v does not say its incomplete execution was discarded", ex)
	}
}
