package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
)

// calls is an engine.Scenarios that answers calls as the test sets and records them.
type calls struct {
	mu     sync.Mutex
	got    []engine.SubCall
	answer func(engine.SubCall) (*engine.SubResult, error)
}

func (c *calls) Call(_ context.Context, sc engine.SubCall) (*engine.SubResult, error) {
	c.mu.Lock()
	c.got = append(c.got, sc)
	c.mu.Unlock()
	return c.answer(sc)
}

func (c *calls) Start(_ context.Context, sc engine.SubCall) error {
	c.mu.Lock()
	c.got = append(c.got, sc)
	c.mu.Unlock()
	return nil
}

const start = `{"id":1,"module":"scenario-service:StartSubscenario","version":2,"metadata":{"interface":[
	{"name":"to","type":"array","required":true,"spec":{"name":"value","type":"email"}},
	{"name":"adults","type":"number","validate":{"min":1,"max":20}},
	{"name":"unit","type":"select","options":[{"value":"a","label":"A"},{"value":"b"}],"default":"a"},
	{"name":"guest","type":"collection","spec":[{"name":"name","type":"text","required":true},{"name":"vip","type":"boolean"}]},
	{"name":"checkIn","type":"date"}]}}`

// Start scenario checks and coerces the inputs it declares (the shapes of the corpus'
// Start scenario modules), and they are both its bundle and {{var.input.*}}.
func TestScenarioInputsChecked(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+start+`,`+rec(2, "{{1.adults}} {{var.input.unit}} {{join(var.input.to; \",\")}} {{var.input.guest.vip}} {{formatDate(1.checkIn; \"YYYY-MM-DD\")}}")+`]`, "")
	res := f.run(p, bundle(`{"to":"a@example.com","adults":"2","guest":{"name":"Ann","vip":"true"},"checkIn":"2026-03-05"}`))
	if res.Status != weft.StatusSuccess {
		t.Fatalf("%s %+v", res.Status, res.Error)
	}
	if got := f.rec.tags(); len(got) != 1 || got[0] != "2 a a@example.com true 2026-03-05" {
		t.Fatalf("recorded %q", got)
	}
	for _, c := range []struct{ in, want string }{
		{`{}`, "scenario input to: missing value of a required input"},
		{`{"to":["x"],"adults":30}`, "scenario input adults: 30 is outside 1…20"},
		{`{"to":["x"],"unit":"c"}`, `scenario input unit: "c" is not one of a, b`},
		{`{"to":["x"],"guest":{"vip":true}}`, "scenario input guest/name: missing value of required field"},
		{`{"to":["x"],"checkIn":"soon"}`, `scenario input checkIn: "soon" is not a date`},
	} {
		res := f.run(p, bundle(c.in))
		if res.Status != weft.StatusError || res.Error == nil || res.Error.Type != weft.DataError ||
			res.Error.ModuleID != 1 || res.Error.Message != c.want || len(res.Incomplete) != 0 {
			t.Errorf("%s: %s %+v, want %q", c.in, res.Status, res.Error, c.want)
		}
	}
}

// Return output ends the run, as return does in a program: the routes after its own
// and the other bundles do not run; the first one reached returns.
func TestReturnOutputEndsRun(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,{"id":2,"module":"test:Emit","version":1,"mapper":{"count":3}},
		{"id":3,"module":"builtin:BasicRouter","version":1,"routes":[
			{"flow":[`+rec(4, "first {{2.n}}")+`,{"id":5,"module":"scenario-service:ReturnData","version":2,"mapper":{"n":"{{2.n}}"}}]},
			{"flow":[`+rec(6, "second {{2.n}}")+`]}]}]`, "")
	res := f.run(p)
	if res.Status != weft.StatusSuccess || !res.Returned || jsonOf(res.Outputs) != `{"n":1}` || !res.Committed {
		t.Fatalf("%s returned %t %s committed %t", res.Status, res.Returned, jsonOf(res.Outputs), res.Committed)
	}
	if got := f.rec.tags(); strings.Join(got, "|") != "first 1" {
		t.Fatalf("ran %q", got)
	}
}

// Outputs that fail the declaration (here the blueprint-level metadata.interface, which
// wins over the module's own metadata.expect) fail Return output with a DataError: the
// bundle is kept for a person.
func TestReturnOutputChecksOutputs(t *testing.T) {
	f := newFixture(t)
	flow := `[` + hook + `,{"id":2,"module":"scenario-service:ReturnData","version":2,"mapper":{"n":"{{1.n}}"},
		"metadata":{"expect":[{"name":"n","type":"text"}]}}]`
	doc := `{"name":"t","flow":` + flow + `,"metadata":{"version":1,"scenario":{},
		"interface":{"input":[],"output":[{"name":"n","type":"number","required":true}]}}}`
	p := f.compile(doc)
	res := f.run(p, bundle(`{"n":"x"}`))
	if res.Status != weft.StatusWarning || len(res.Incomplete) != 1 || res.Incomplete[0].Error.Type != weft.DataError ||
		res.Incomplete[0].Error.Message != `scenario output n: text "x" is not a number` || res.Returned {
		t.Fatalf("%s %+v", res.Status, res.Error)
	}
	res = f.run(p, bundle(`{"n":"4"}`))
	if !res.Returned || res.Outputs["n"] != 4.0 {
		t.Fatalf("outputs %v", res.Outputs)
	}
}

// The engine calls scenarios through Options.Scenarios: the call names the caller (its
// execution, scenario, module, the chain of scenarios above it) and carries the run's
// deadline; a called run that lowers the deadline is bounded by it.
func TestCallThroughScenarios(t *testing.T) {
	sc := &calls{answer: func(c engine.SubCall) (*engine.SubResult, error) {
		return &engine.SubResult{ExecutionID: "child", Outputs: weft.Bundle{"got": c.Inputs["x"]}}, nil
	}}
	f := newFixtureWith(t, func(o *engine.Options) { o.Scenarios = sc })
	p := f.plan(`[`+hook+`,{"id":2,"module":"scenario-service:CallSubscenario","version":2,
		"parameters":{"scenario":"9"},"mapper":{"x":"{{1.x}}"}},`+rec(3, "{{2.got}}")+`,
		{"id":4,"module":"scenario-service:CallSubscenario","version":2,
		"parameters":{"scenario":"8","shouldWaitForExecutionEnd":false},"mapper":{}}]`, "")
	res, err := f.eng.Run(context.Background(), p, engine.Input{Trigger: [][]weft.Bundle{{{"x": "hi"}}},
		Scenario: engine.ScenarioInfo{ID: "5"}, Caller: &weft.Caller{ExecutionID: "top", ScenarioID: 3, ModuleID: 7, Chain: []int64{3}}})
	if err != nil || res.Status != weft.StatusSuccess {
		t.Fatalf("%v %s %+v", err, res.Status, res.Error)
	}
	if got := f.rec.tags(); len(got) != 1 || got[0] != "hi" {
		t.Fatalf("recorded %q", got)
	}
	if len(sc.got) != 2 {
		t.Fatalf("calls %+v", sc.got)
	}
	c := sc.got[0]
	want := weft.Caller{ExecutionID: res.ExecutionID, ScenarioID: 5, ModuleID: 2, Chain: []int64{3, 5}}
	if c.Scenario != 9 || mustJSON(c.Caller) != mustJSON(want) || !c.Deadline.Equal(f.now.Add(40*time.Minute)) {
		t.Fatalf("call %+v", c)
	}
	if sc.got[1].Scenario != 8 || sc.got[1].Caller.ModuleID != 4 {
		t.Fatalf("start %+v", sc.got[1])
	}
	// The engine's operations: none for the Scenarios app (Make bills none).
	if res.Operations != 2 { // the webhook trigger and test:Record
		t.Fatalf("operations %d", res.Operations)
	}
	// A run its caller waits for ends by the caller's deadline: its calls carry it on.
	_, err = f.eng.Run(context.Background(), p, engine.Input{Trigger: [][]weft.Bundle{{{"x": "hi"}}},
		Scenario: engine.ScenarioInfo{ID: "5"}, Deadline: f.now.Add(time.Minute)})
	if err != nil || len(sc.got) != 4 || !sc.got[2].Deadline.Equal(f.now.Add(time.Minute)) {
		t.Fatalf("%v: deadline of a call from a called run: %+v", err, sc.got)
	}
}

// A call whose bundle the called scenario kept is stored as an incomplete execution
// that waits for it — without automatic retries even for a retryable type — and an
// error handler route sees the called run's error type.
func TestCallWaitStored(t *testing.T) {
	wait := func(engine.SubCall) (*engine.SubResult, error) {
		return nil, &weft.Error{Type: weft.ConnectionError, Message: "child kept it",
			Err: &engine.Wait{Incomplete: "ie-c", Scenario: 9, Execution: "x-c"}}
	}
	f := newFixtureWith(t, func(o *engine.Options) { o.Scenarios = &calls{answer: wait} })
	call := `{"id":2,"module":"scenario-service:CallSubscenario","version":2,"parameters":{"scenario":"9"},"mapper":{}`
	res := f.run(f.plan(`[`+hook+`,`+call+`},`+rec(3, "after")+`]`, ""))
	if res.Status != weft.StatusWarning || len(res.Incomplete) != 1 {
		t.Fatalf("%s %d", res.Status, len(res.Incomplete))
	}
	ie := res.Incomplete[0]
	if ie.AutoRetry || ie.Waits == nil || ie.Waits.Incomplete != "ie-c" || ie.Error.Type != weft.ConnectionError {
		t.Fatalf("IE %+v", ie)
	}
	// A handler route maps the called run's error.
	res = f.run(f.plan(`[`+hook+`,`+call+`,"onerror":[`+rec(4, "{{2.error.type}}")+`,
		{"id":5,"module":"builtin:Ignore","version":1}]}]`, ""))
	if res.Status != weft.StatusSuccess || strings.Join(f.rec.tags(), "|") != "ConnectionError" {
		t.Fatalf("%s %q", res.Status, f.rec.tags())
	}
	// With incomplete executions off, the run fails.
	res = f.run(f.plan(`[`+hook+`,`+call+`}]`, `{"dlq":false}`))
	if res.Status != weft.StatusError || len(res.Incomplete) != 0 {
		t.Fatalf("dlq off: %s", res.Status)
	}
}

// A waiting call continues with the outputs supplied from outside (the called
// incomplete execution was resolved): the call is not made again.
func TestResumeSupplied(t *testing.T) {
	sc := &calls{answer: func(engine.SubCall) (*engine.SubResult, error) {
		return nil, &weft.Error{Type: weft.DataError, Message: "kept", Err: &engine.Wait{Incomplete: "c"}}
	}}
	f := newFixtureWith(t, func(o *engine.Options) { o.Scenarios = sc })
	p := f.plan(`[`+hook+`,{"id":2,"module":"scenario-service:CallSubscenario","version":2,
		"parameters":{"scenario":"9"},"mapper":{}},`+rec(3, "{{2.out}} {{1.x}}")+`]`, "")
	res := f.run(p, bundle(`{"x":"y"}`))
	if len(res.Incomplete) != 1 {
		t.Fatalf("%s", res.Status)
	}
	after, err := f.eng.Resume(context.Background(), p, res.Incomplete[0],
		engine.ResumeInput{Supplied: true, Output: weft.Bundle{"out": "returned"}})
	if err != nil || after.Status != weft.StatusSuccess {
		t.Fatalf("%v %s %+v", err, after.Status, after.Error)
	}
	if len(sc.got) != 1 || strings.Join(f.rec.tags(), "|") != "returned y" {
		t.Fatalf("calls %d, recorded %q", len(sc.got), f.rec.tags())
	}
}

// Without a scenario service a call is a configuration error.
func TestCallWithoutScenarios(t *testing.T) {
	f := newFixture(t)
	res := f.run(f.plan(`[`+hook+`,{"id":2,"module":"scenario-service:CallSubscenario","version":2,
		"parameters":{"scenario":"9"},"mapper":{}}]`, ""))
	if len(res.Incomplete) != 1 || res.Incomplete[0].Error.Type != weft.InvalidConfigurationError {
		t.Fatalf("%s %+v", res.Status, res.Error)
	}
	var w *engine.Wait
	if errors.As(res.Incomplete[0].Error, &w) {
		t.Fatal("a refused call waits")
	}
}

// compile compiles a whole blueprint document.
func (f *fixture) compile(doc string) *engine.Plan {
	f.t.Helper()
	bp, err := blueprint.Parse([]byte(doc))
	if err != nil {
		f.t.Fatalf("parse: %v", err)
	}
	p, err := f.eng.Compile(bp)
	if err != nil {
		f.t.Fatalf("compile: %v", err)
	}
	return p
}
