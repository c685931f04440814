package service_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
)

// Sub-scenarios through the service (docs/subscenarios.md): a parent scenario calls a
// child that starts with Start scenario, posts its inputs to a stand-in service on
// 127.0.0.1 and returns the answer with Return output; the parent posts what it got.

// paths is a stand-in HTTP service whose answers are scripted per path (each request
// takes the next status of its path's script, the last one repeats; 200 when none).
// A path in block answers only once the test releases it.
type paths struct {
	*httptest.Server
	mu      sync.Mutex
	script  map[string][]int
	got     []string
	arrived chan string
	release chan struct{}
	block   string
}

func newPaths(t *testing.T) *paths {
	p := &paths{script: map[string][]int{}, arrived: make(chan string, 16), release: make(chan struct{})}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		p.got = append(p.got, r.URL.Path+" "+string(body))
		status := 200
		if s := p.script[r.URL.Path]; len(s) > 0 {
			status = s[0]
			if len(s) > 1 {
				p.script[r.URL.Path] = s[1:]
			}
		}
		block := r.URL.Path == p.block
		p.mu.Unlock()
		if block {
			p.arrived <- r.URL.Path
			<-p.release
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"status":%d,"echo":%q}`, status, body)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *paths) set(path string, statuses ...int) {
	p.mu.Lock()
	p.script[path] = statuses
	p.mu.Unlock()
}

func (p *paths) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.got...)
}

// post is an HTTP module posting JSON text to the stand-in.
func post(id int, url, body string) string {
	return fmt.Sprintf(`{"id":%d,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},
		"mapper":{"url":%q,"method":"post","contentType":"json","inputMethod":"jsonString","jsonStringBodyContent":%q}}`,
		id, url, body)
}

// childFlow: Start scenario declaring orderId (text, required) and qty (number,
// default 1) → POST /child → Return output declaring status (number, required) and
// order (text).
func childFlow(url string) string {
	return `[{"id":1,"module":"scenario-service:StartSubscenario","version":2,"metadata":{"interface":[
			{"name":"orderId","type":"text","required":true},{"name":"qty","type":"number","default":1}]}},
		` + post(2, url+"/child", `{"order":"{{1.orderId}}","qty":{{var.input.qty}}}`) + `,
		{"id":3,"module":"scenario-service:ReturnData","version":2,
		 "mapper":{"status":"{{2.data.status}}","order":"{{1.orderId}}"},
		 "metadata":{"expect":[{"name":"status","type":"number","required":true},{"name":"order","type":"text"}]}}]`
}

// parentFlow: a manual trigger → call the child (waiting or not) → POST /parent with
// what the call output.
func parentFlow(url string, child int64, wait bool) string {
	return fmt.Sprintf(`[{"id":1,"module":"placeholder:Placeholder"},
		{"id":2,"module":"scenario-service:CallSubscenario","version":2,
		 "parameters":{"scenario":"%d","shouldWaitForExecutionEnd":%t},"mapper":{"orderId":"{{1.id}}","qty":"3"}},
		%s]`, child, wait, post(3, url+"/parent", `{"got":"{{2.order}} {{2.status}}"}`))
}

// pair stores an active child and a parent calling it.
func (e *env) pair(url string, wait bool, childSettings string) (parent, child int64) {
	e.t.Helper()
	child = e.scenario(childFlow(url), childSettings)
	e.activate(child)
	return e.scenario(parentFlow(url, child, wait), ""), child
}

func (e *env) children(parentExec string) []*weft.Execution {
	e.t.Helper()
	exs, err := e.st.ListExecutions(e.t.Context(), store.ExecutionFilter{ParentID: parentExec})
	if err != nil {
		e.t.Fatal(err)
	}
	return exs
}

func wantRequests(t *testing.T, p *paths, want ...string) {
	t.Helper()
	got := p.requests()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// The parent waits for the child: the child's run is its own execution, linked to the
// parent's call, its inputs checked and coerced ("3" → 3), and the parent goes on with
// the outputs the child returned (coerced to the declared number).
func TestCallWaitsForOutputs(t *testing.T) {
	e := newEnv(t)
	p := newPaths(t)
	parent, child := e.pair(p.URL, true, "")
	rr := e.run(parent, `{"id":"o1"}`)
	if rr.Result.Status != weft.StatusSuccess {
		t.Fatalf("parent %s: %+v", rr.Result.Status, rr.Result.Error)
	}
	wantRequests(t, p, `/child {"order":"o1","qty":3}`, `/parent {"got":"o1 200"}`)
	kids := e.children(rr.Execution.ID)
	if len(kids) != 1 || kids[0].ScenarioID != child || kids[0].ParentModule != 2 || kids[0].Status != weft.ExecutionSuccess {
		t.Fatalf("child executions %+v", kids)
	}
	// What the call module output: the declared outputs, typed.
	var out map[string]any
	for _, entry := range rr.Result.Log {
		if entry.ModuleID == 2 {
			out = entry.Output[0]
		}
	}
	if out["status"] != 200.0 || out["order"] != "o1" || len(out) != 2 {
		t.Fatalf("call output %v", out)
	}
	// The parent's execution is not the child's: nothing called the parent.
	if rr.Execution.ParentID != "" || len(e.executions(child)) != 1 {
		t.Fatalf("parent %+v; child runs %d", rr.Execution, len(e.executions(child)))
	}
}

// Make's Call a subscenario keeps the inputs in one collection, "data" (an export's
// mapper is {"data": {...}}): the child gets the collection's fields as its inputs,
// waiting or not.
func TestCallMakeShapedInputs(t *testing.T) {
	for _, wait := range []bool{true, false} {
		e := newEnv(t)
		p := newPaths(t)
		child := e.scenario(childFlow(p.URL), "")
		e.activate(child)
		parent := e.scenario(fmt.Sprintf(`[{"id":1,"module":"placeholder:Placeholder"},
			{"id":2,"module":"scenario-service:CallSubscenario","version":2,
			 "parameters":{"scenario":"%d","shouldWaitForExecutionEnd":%t},"mapper":{"data":{"orderId":"{{1.id}}","qty":"3"}}}]`,
			child, wait), "")
		rr := e.run(parent, `{"id":"o7"}`)
		if rr.Result.Status != weft.StatusSuccess {
			t.Fatalf("wait %t: parent %s: %+v", wait, rr.Result.Status, rr.Result.Error)
		}
		e.drain()
		wantRequests(t, p, `/child {"order":"o7","qty":3}`)
		if kids := e.children(rr.Execution.ID); len(kids) != 1 || kids[0].Status != weft.ExecutionSuccess {
			t.Fatalf("wait %t: child executions %+v", wait, kids)
		}
	}
}

// Inputs that fail the child's declaration fail the call with a DataError before the
// child runs: the parent keeps the bundle for a person to fix the mapping.
func TestCallInputsChecked(t *testing.T) {
	e := newEnv(t)
	p := newPaths(t)
	parent, child := e.pair(p.URL, true, "")
	rr := e.run(parent, `{}`) // no id: orderId, required, is missing
	if rr.Result.Status != weft.StatusWarning || len(rr.Incomplete) != 1 {
		t.Fatalf("parent %s, %d IEs", rr.Result.Status, len(rr.Incomplete))
	}
	ie := rr.Incomplete[0]
	if ie.ErrorType != weft.DataError || ie.AutoRetry || ie.FailedModuleID != 2 ||
		!strings.Contains(ie.ErrorMessage, fmt.Sprintf("inputs of scenario %d: scenario input orderId", child)) {
		t.Fatalf("IE %s %q", ie.ErrorType, ie.ErrorMessage)
	}
	if n := len(e.executions(child)); n != 0 || len(p.requests()) != 0 {
		t.Fatalf("the child ran (%d executions, requests %v)", n, p.requests())
	}
}

// Without waiting the parent queues the child's run and goes on with an empty bundle;
// the worker runs the child later, linked to the parent's call.
func TestStartDoesNotWait(t *testing.T) {
	e := newEnv(t)
	p := newPaths(t)
	parent, child := e.pair(p.URL, false, "")
	rr := e.run(parent, `{"id":"o2"}`)
	if rr.Result.Status != weft.StatusSuccess {
		t.Fatalf("parent %s: %+v", rr.Result.Status, rr.Result.Error)
	}
	wantRequests(t, p, `/parent {"got":" "}`)
	q := e.queue(child)
	if len(q) != 1 || len(e.executions(child)) != 0 {
		t.Fatalf("queue %v, child executions %d", q, len(e.executions(child)))
	}
	e.drain()
	wantRequests(t, p, `/parent {"got":" "}`, `/child {"order":"o2","qty":3}`)
	kids := e.children(rr.Execution.ID)
	if len(kids) != 1 || kids[0].ScenarioID != child || kids[0].ParentModule != 2 || kids[0].Status != weft.ExecutionSuccess {
		t.Fatalf("child executions %+v", kids)
	}
	if len(e.queue(child)) != 0 {
		t.Fatal("the child's payload is still queued")
	}
}

// A call to a scenario that cannot be called fails the call module with an
// InvalidConfigurationError: a person must change the call or the called scenario.
func TestCallRefused(t *testing.T) {
	e := newEnv(t)
	p := newPaths(t)
	child := e.scenario(childFlow(p.URL), "") // inactive
	for _, c := range []struct {
		name   string
		target int64
		want   string
	}{
		{"inactive", child, fmt.Sprintf("scenario %d (t) is inactive", child)},
		{"missing", 404, "scenario 404 does not exist"},
	} {
		t.Run(c.name, func(t *testing.T) {
			parent := e.scenario(parentFlow(p.URL, c.target, true), "")
			rr := e.run(parent, `{"id":"o"}`)
			if len(rr.Incomplete) != 1 || rr.Incomplete[0].ErrorType != weft.InvalidConfigurationError ||
				!strings.Contains(rr.Incomplete[0].ErrorMessage, c.want) {
				t.Fatalf("%s: %+v", rr.Result.Status, rr.Incomplete)
			}
		})
	}
}

// How the child's failure surfaces in the parent, for each class of error: a bundle the
// child keeps (an incomplete execution, retried or for a person) makes the parent's
// call wait for it, with its error type and no retries of its own; a child run that
// fails outright fails the call with the child's error type, and the parent applies
// SPEC §3.2 to it.
func TestCalledFailureByErrorClass(t *testing.T) {
	for _, c := range []struct {
		name          string
		status        int    // the child's HTTP answer
		childSettings string // the child's metadata.scenario
		typ           weft.ErrorType
		childStored   bool // the child kept its bundle: the parent waits
		parentStatus  weft.Status
		parentStored  bool
		paused        bool // the parent waits for a person to fix configuration or credentials
	}{
		{"connection (retried by the child)", 503, "", weft.ConnectionError, true, weft.StatusWarning, true, false},
		{"rate limit (retried by the child)", 429, "", weft.RateLimitError, true, weft.StatusWarning, true, false},
		{"data (for a person, in the child)", 400, "", weft.DataError, true, weft.StatusWarning, true, false},
		{"access token (for a person, in the child)", 401, "", weft.InvalidAccessTokenError, true, weft.StatusWarning, true, true},
		{"runtime (the child fails)", 500, "", weft.RuntimeError, false, weft.StatusError, false, false},
		{"data with the child's dlq off (the child fails)", 400, `{"dlq":false}`, weft.DataError, false, weft.StatusWarning, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			p := newPaths(t)
			p.set("/child", c.status)
			parent, child := e.pair(p.URL, true, c.childSettings)
			rr := e.run(parent, `{"id":"o3"}`)
			kids := e.children(rr.Execution.ID)
			if len(kids) != 1 {
				t.Fatalf("child executions %d", len(kids))
			}
			childIEs, err := e.st.ListIncomplete(t.Context(), store.IncompleteFilter{ScenarioID: child})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(childIEs) == 1; got != c.childStored {
				t.Fatalf("child incomplete executions: %d", len(childIEs))
			}
			if rr.Result.Status != c.parentStatus || (len(rr.Incomplete) == 1) != c.parentStored {
				t.Fatalf("parent %s with %d IEs, want %s (stored %t); error %+v", rr.Result.Status, len(rr.Incomplete),
					c.parentStatus, c.parentStored, rr.Result.Error)
			}
			if !c.parentStored {
				if rr.Result.Error == nil || rr.Result.Error.Type != c.typ || rr.Result.Error.ModuleID != 2 {
					t.Fatalf("parent error %+v", rr.Result.Error)
				}
				if len(p.requests()) != 1 {
					t.Fatalf("requests %v", p.requests())
				}
				return
			}
			ie := e.ie(rr.Incomplete[0].ID)
			if ie.ErrorType != c.typ || ie.FailedModuleID != 2 {
				t.Fatalf("parent IE %s at %d: %s", ie.ErrorType, ie.FailedModuleID, ie.ErrorMessage)
			}
			if c.childStored {
				// Waiting: never retried on its own, whatever the type; the child's is.
				if ie.AutoRetry || ie.Status != weft.IncompleteUnresolved || ie.NextAttemptAt != nil ||
					ie.ErrorDetails["incompleteId"] != childIEs[0].ID ||
					!strings.Contains(ie.ErrorMessage, "waits for it") {
					t.Fatalf("waiting parent IE %+v", ie)
				}
				if childIEs[0].AutoRetry != c.typ.Retryable() {
					t.Fatalf("child IE auto retry %t", childIEs[0].AutoRetry)
				}
				_, _, err := e.svc.RetryNow(t.Context(), ie.ID)
				if !errors.Is(err, service.ErrBusy) || !strings.Contains(err.Error(), childIEs[0].ID) {
					t.Fatalf("retrying a waiting call: %v", err)
				}
			} else if ie.AutoRetry != c.typ.Retryable() || ie.ErrorDetails["incompleteId"] != nil {
				t.Fatalf("parent IE %+v", ie)
			}
			sc, err := e.st.GetScenario(t.Context(), parent)
			if err != nil {
				t.Fatal(err)
			}
			if (sc.Paused != "") != c.paused {
				t.Fatalf("parent paused %q", sc.Paused)
			}
		})
	}
}

// Resolving the child's incomplete execution continues the parent: an automatic retry
// of the child succeeds, and the parent's waiting call goes on with the outputs — the
// call is not made again.
func TestResolvingCalledIncompleteContinuesCaller(t *testing.T) {
	e := newEnv(t)
	p := newPaths(t)
	p.set("/child", 503, 200)
	parent, child := e.pair(p.URL, true, "")
	rr := e.run(parent, `{"id":"o4"}`)
	parentIE := rr.Incomplete[0].ID
	childIE := e.children(rr.Execution.ID)[0]
	ies, _ := e.st.ListIncomplete(t.Context(), store.IncompleteFilter{ExecutionID: childIE.ID})
	if len(ies) != 1 || ies[0].ScenarioID != child {
		t.Fatalf("child IEs %+v", ies)
	}
	if n := e.due(); n != 0 {
		t.Fatalf("%d retries before any was due", n)
	}
	e.clock.Add(time.Minute)
	if n := e.due(); n != 1 { // the child's retry
		t.Fatalf("%d retries due after a minute", n)
	}
	if got := e.ie(ies[0].ID); got.Status != weft.IncompleteResolved {
		t.Fatalf("child IE %s", got.Status)
	}
	waiting := e.ie(parentIE)
	if waiting.Status != weft.IncompletePending || waiting.NextAttemptAt == nil || !waiting.NextAttemptAt.Equal(e.clock.Now()) {
		t.Fatalf("parent IE after the child's resolution: %s at %v", waiting.Status, waiting.NextAttemptAt)
	}
	if n := e.due(); n != 1 { // the parent's continuation
		t.Fatalf("%d retries of the parent", n)
	}
	if got := e.ie(parentIE); got.Status != weft.IncompleteResolved {
		t.Fatalf("parent IE %s: %s", got.Status, got.ErrorMessage)
	}
	wantRequests(t, p, `/child {"order":"o4","qty":3}`, `/child {"order":"o4","qty":3}`, `/parent {"got":"o4 200"}`)
}

// A person resolves the child's incomplete execution (a DataError: the mapping is
// fixed) and the parent continues with what the fixed child returned.
func TestPersonResolvesCalledIncomplete(t *testing.T) {
	e := newEnv(t)
	p := newPaths(t)
	p.set("/child", 400)
	parent, child := e.pair(p.URL, true, "")
	rr := e.run(parent, `{"id":"o5"}`)
	parentIE := rr.Incomplete[0].ID
	childIEs, _ := e.st.ListIncomplete(t.Context(), store.IncompleteFilter{ScenarioID: child})
	edit, err := service.ParseEdit("2.mapper.url=" + p.URL + "/fixed")
	if err != nil {
		t.Fatal(err)
	}
	if _, after, err := e.svc.Resolve(t.Context(), childIEs[0].ID, []service.Edit{edit}, nil); err != nil || after.Status != weft.IncompleteResolved {
		t.Fatalf("resolve the child: %v", err)
	}
	if n := e.due(); n != 1 {
		t.Fatalf("%d retries of the parent", n)
	}
	if got := e.ie(parentIE); got.Status != weft.IncompleteResolved {
		t.Fatalf("parent IE %s: %s", got.Status, got.ErrorMessage)
	}
	wantRequests(t, p, `/child {"order":"o5","qty":3}`, `/fixed {"order":"o5","qty":3}`, `/parent {"got":"o5 200"}`)
}

// The child's incomplete execution is resolved while the parent's run is still going
// (another bundle is slow): the parent's incomplete execution, stored after, finds the
// child resolved and is due at once with its outputs.
func TestCalledResolvedBeforeCallerStoresItsIncomplete(t *testing.T) {
	e := newEnv(t)
	p := newPaths(t)
	p.set("/child", 503, 200)
	p.block = "/slow"
	child := e.scenario(childFlow(p.URL), "")
	e.activate(child)
	// Two bundles: "a" calls the child, "b" waits at the slow service.
	parent := e.scenario(fmt.Sprintf(`[{"id":1,"module":"placeholder:Placeholder"},
		{"id":2,"module":"builtin:BasicFeeder","version":1,"mapper":{"array":"{{1.ids}}"}},
		{"id":3,"module":"builtin:BasicRouter","version":1,"routes":[
			{"flow":[{"id":4,"module":"scenario-service:CallSubscenario","version":2,"parameters":{"scenario":"%d"},
				"filter":{"name":"a","conditions":[[{"a":"{{2.value}}","o":"text:equal","b":"a"}]]},
				"mapper":{"orderId":"{{2.value}}"}},
			  %s]},
			{"flow":[%s]}]}]`, child,
		post(5, p.URL+"/parent", `{"got":"{{4.order}} {{4.status}}"}`),
		strings.Replace(post(6, p.URL+"/slow", `{}`), `"id":6,`, `"id":6,"filter":{"name":"b","conditions":[[{"a":"{{2.value}}","o":"text:equal","b":"b"}]]},`, 1)), "")
	done := make(chan *service.RunResult)
	go func() {
		rr, err := e.svc.Run(t.Context(), parent, []weft.Bundle{{"ids": []any{"a", "b"}}})
		if err != nil {
			t.Error(err)
		}
		done <- rr
	}()
	<-p.arrived // bundle "a" called the child (kept as an IE); "b" waits
	childIEs, _ := e.st.ListIncomplete(t.Context(), store.IncompleteFilter{ScenarioID: child})
	if len(childIEs) != 1 {
		t.Fatalf("child IEs %d", len(childIEs))
	}
	if _, after, err := e.svc.RetryNow(t.Context(), childIEs[0].ID); err != nil || after.Status != weft.IncompleteResolved {
		t.Fatalf("retry the child: %v", err)
	}
	close(p.release)
	rr := <-done
	if rr == nil || len(rr.Incomplete) != 1 {
		t.Fatalf("parent run %+v", rr)
	}
	ie := e.ie(rr.Incomplete[0].ID)
	if ie.Status != weft.IncompletePending || ie.NextAttemptAt == nil {
		t.Fatalf("parent IE stored after the child's resolution: %s", ie.Status)
	}
	if n := e.due(); n != 1 {
		t.Fatalf("%d retries of the parent", n)
	}
	if got := e.ie(ie.ID); got.Status != weft.IncompleteResolved {
		t.Fatalf("parent IE %s: %s", got.Status, got.ErrorMessage)
	}
	wantRequests(t, p, `/child {"order":"a","qty":1}`, `/slow {}`, `/child {"order":"a","qty":1}`, `/parent {"got":"a 200"}`)
}

// Cycles of calls are refused when a blueprint is stored or activated, and — for a
// cycle that came about otherwise (a version written behind the service's back here) —
// when the call is made.
func TestCallCycleRefused(t *testing.T) {
	e := newEnv(t)
	p := newPaths(t)
	a := e.scenario(childFlow(p.URL), "")
	b := e.scenario(parentFlow(p.URL, a, true), "") // b calls a
	e.activate(a)
	e.activate(b)
	var inv *service.InvalidBlueprintError
	// a calling b closes the cycle a → b → a.
	_, err := e.svc.UpdateScenario(t.Context(), a, []byte(blueprintOf(parentFlow(p.URL, b, true))))
	if !errors.As(err, &inv) || !strings.Contains(err.Error(), fmt.Sprintf("call cycle: %d → %d → %d", a, b, a)) ||
		inv.Report.Problems[0].Pointer != "/flow/1/parameters/scenario" {
		t.Fatalf("update closing a cycle: %v", err)
	}
	// A scenario calling itself.
	_, err = e.svc.UpdateScenario(t.Context(), a, []byte(blueprintOf(parentFlow(p.URL, a, false))))
	if !errors.As(err, &inv) || !strings.Contains(err.Error(), "calls its own scenario") {
		t.Fatalf("update calling itself: %v", err)
	}

	// Written past the checks: the call is refused when made, in the called scenario
	// (b's call of a, made inside a's run called by b), which keeps the bundle for a
	// person; b's call waits for it.
	if _, err := e.st.AddVersion(t.Context(), a, []byte(blueprintOf(
		strings.Replace(parentFlow(p.URL, b, true), `{"id":1,"module":"placeholder:Placeholder"}`,
			`{"id":1,"module":"scenario-service:StartSubscenario"}`, 1))), e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	rr := e.run(b, `{"id":"o6"}`)
	if len(rr.Incomplete) != 1 {
		t.Fatalf("b: %s with %d IEs", rr.Result.Status, len(rr.Incomplete))
	}
	aIEs, _ := e.st.ListIncomplete(t.Context(), store.IncompleteFilter{ScenarioID: a})
	if len(aIEs) != 1 || aIEs[0].ErrorType != weft.InvalidConfigurationError ||
		!strings.Contains(aIEs[0].ErrorMessage, fmt.Sprintf("call cycle: %d → %d → %d", b, a, b)) {
		t.Fatalf("a's IEs %+v", aIEs)
	}
	if len(p.requests()) != 0 {
		t.Fatalf("requests %v", p.requests())
	}
	// And activating a version that calls round is refused.
	if _, err := e.svc.SetActive(t.Context(), a, true); err == nil || !strings.Contains(err.Error(), "call cycle") {
		t.Fatalf("activating a scenario in a cycle: %v", err)
	}
}

// Calls nest at most MaxCallDepth scenarios deep: checked when stored.
func TestCallDepthRefused(t *testing.T) {
	e := newEnv(t, func(c *service.Config) { c.MaxCallDepth = 2 })
	p := newPaths(t)
	c := e.scenario(childFlow(p.URL), "")
	b := e.scenario(parentFlow(p.URL, c, true), "") // b → c: two scenarios
	_, err := e.svc.CreateScenario(t.Context(), []byte(blueprintOf(parentFlow(p.URL, b, true))), "")
	var inv *service.InvalidBlueprintError
	if !errors.As(err, &inv) || !strings.Contains(err.Error(), fmt.Sprintf("calls through scenario %d nest 3 scenarios deep, more than 2", b)) {
		t.Fatalf("a → b → c with a depth of 2: %v", err)
	}
}

func blueprintOf(flow string) string {
	return `{"name":"t","flow":` + flow + `,"metadata":{"version":1,"scenario":{}}}`
}

// The declaration of inputs is read from Make's exports: Start scenario's
// metadata.interface (the shape of the corpus' 148-pricing-agent…), checked when the
// scenario is run directly as well.
func TestDirectRunChecksInputs(t *testing.T) {
	e := newEnv(t)
	p := newPaths(t)
	child := e.scenario(childFlow(p.URL), "")
	rr := e.run(child, `{"qty":"two"}`)
	if rr.Result.Status != weft.StatusError || rr.Result.Error == nil || rr.Result.Error.Type != weft.DataError ||
		!strings.Contains(rr.Result.Error.Message, "scenario input orderId") {
		t.Fatalf("run without a required input: %s %+v", rr.Result.Status, rr.Result.Error)
	}
	rr = e.run(child, `{"orderId":7}`)
	if rr.Result.Status != weft.StatusSuccess || !rr.Result.Returned || rr.Result.Outputs["order"] != "7" {
		t.Fatalf("run with inputs: %s %+v", rr.Result.Status, rr.Result.Outputs)
	}
	wantRequests(t, p, `/child {"order":"7","qty":1}`)
}

// The chain of callers travels with a call that does not wait, through the queue: a
// cycle of such calls (written past the checks here) stops at the first call that
// would go round, instead of queueing runs forever.
func TestQueuedCallCycleRefused(t *testing.T) {
	e := newEnv(t)
	p := newPaths(t)
	b := e.scenario(childFlow(p.URL), "")
	a := e.scenario(parentFlow(p.URL, b, false), "") // a starts b without waiting
	e.activate(a)
	e.activate(b)
	// b now starts a without waiting, and a's trigger takes calls.
	if _, err := e.st.AddVersion(t.Context(), b, []byte(blueprintOf(
		strings.Replace(parentFlow(p.URL, a, false), `{"id":1,"module":"placeholder:Placeholder"}`,
			`{"id":1,"module":"scenario-service:StartSubscenario"}`, 1))), e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	rr := e.run(a, `{"id":"o7"}`)
	if rr.Result.Status != weft.StatusSuccess {
		t.Fatalf("a: %s %+v", rr.Result.Status, rr.Result.Error)
	}
	q := e.queue(b)
	if len(q) != 1 {
		t.Fatalf("b's queue %v", q)
	}
	item, _, err := e.svc.GetQueued(t.Context(), b, q[0].ID)
	if err != nil || item.Caller == nil || item.Caller.ExecutionID != rr.Execution.ID || fmt.Sprint(item.Caller.Chain) != fmt.Sprint([]int64{a}) {
		t.Fatalf("queued call %+v (%v)", item, err)
	}
	e.drain()
	bIEs, _ := e.st.ListIncomplete(t.Context(), store.IncompleteFilter{ScenarioID: b})
	if len(bIEs) != 1 || bIEs[0].ErrorType != weft.InvalidConfigurationError ||
		!strings.Contains(bIEs[0].ErrorMessage, fmt.Sprintf("call cycle: %d → %d → %d", a, b, a)) {
		t.Fatalf("b's IEs %+v", bIEs)
	}
	if len(e.queue(a)) != 0 || len(e.executions(a)) != 1 {
		t.Fatalf("a queued or ran again: queue %d, runs %d", len(e.queue(a)), len(e.executions(a)))
	}
	if kids := e.children(rr.Execution.ID); len(kids) != 1 || kids[0].ScenarioID != b {
		t.Fatalf("b's run is not linked to a's: %+v", kids)
	}
}

// A sequential child with incomplete executions to resolve takes no new run (SPEC
// §5.5): a call waits as a RateLimitError, retried on the schedule, until it can run.
func TestCallSequentialChildBusy(t *testing.T) {
	e := newEnv(t, func(c *service.Config) { c.Workers = 1 })
	p := newPaths(t)
	p.set("/child", 503, 200)
	parent, _ := e.pair(p.URL, true, `{"sequential":true}`)
	first := e.run(parent, `{"id":"o8"}`) // the child keeps it: the child now holds new runs
	second := e.run(parent, `{"id":"o9"}`)
	if len(first.Incomplete) != 1 || len(second.Incomplete) != 1 {
		t.Fatalf("IEs %d, %d", len(first.Incomplete), len(second.Incomplete))
	}
	ie := e.ie(second.Incomplete[0].ID)
	if ie.ErrorType != weft.RateLimitError || !ie.AutoRetry || ie.Status != weft.IncompletePending ||
		!strings.Contains(ie.ErrorMessage, "processes sequentially") {
		t.Fatalf("second call %+v", ie)
	}
	// A minute on, the child's retry resolves it and continues the first call; the
	// second call's retry then runs the child. (One retry at a time, so the order is
	// the due order: a call retried beside the child's own retry is refused again.)
	e.clock.Add(time.Minute)
	for e.due() > 0 {
	}
	for _, id := range []string{first.Incomplete[0].ID, ie.ID} {
		if got := e.ie(id); got.Status != weft.IncompleteResolved {
			t.Fatalf("%s: %s %s", id, got.Status, got.ErrorMessage)
		}
	}
	wantRequests(t, p, `/child {"order":"o8","qty":3}`, `/child {"order":"o8","qty":3}`, `/parent {"got":"o8 200"}`,
		`/child {"order":"o9","qty":3}`, `/parent {"got":"o9 200"}`)
}

// A scenario calling itself is refused at run time too (here its version was written
// past the checks): otherwise a retry of it, which holds the scenario's retry gate,
// would wait for itself to let its own child run start — for ever.
func TestSelfCallRefusedInRetry(t *testing.T) {
	e := newEnv(t)
	p := newPaths(t)
	a := e.scenario(childFlow(p.URL), "")
	e.activate(a)
	self := strings.Replace(parentFlow(p.URL, a, true), `{"id":1,"module":"placeholder:Placeholder"}`,
		`{"id":1,"module":"scenario-service:StartSubscenario"}`, 1)
	if _, err := e.st.AddVersion(t.Context(), a, []byte(blueprintOf(self)), e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	rr := e.run(a, `{"id":"o10"}`)
	if len(rr.Incomplete) != 1 || rr.Incomplete[0].ErrorType != weft.InvalidConfigurationError ||
		!strings.Contains(rr.Incomplete[0].ErrorMessage, fmt.Sprintf("call cycle: %d → %d", a, a)) {
		t.Fatalf("run: %s %+v", rr.Result.Status, rr.Incomplete)
	}
	// The incomplete execution's own blueprint calls the scenario itself: its retry
	// holds the gate of scenario a and is refused the same way, without waiting.
	_, after, err := e.svc.RetryNow(t.Context(), rr.Incomplete[0].ID)
	if err != nil || after.Status != weft.IncompleteUnresolved || after.Attempts != 1 ||
		!strings.Contains(after.ErrorMessage, "call cycle") {
		t.Fatalf("retry: %v %+v", err, after)
	}
	if len(e.executions(a)) != 2 || len(p.requests()) != 0 {
		t.Fatalf("runs of a: %d, requests %v", len(e.executions(a)), p.requests())
	}
}
