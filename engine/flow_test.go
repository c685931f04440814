package engine_test

import (
	"slices"
	"testing"

	"github.com/weftworks/weft"
)

func TestDepthFirstThroughRouterRoutes(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,
		{"id":2,"module":"builtin:BasicFeeder","version":1,"mapper":{"array":"{{1.items}}"}},
		{"id":3,"module":"builtin:BasicRouter","version":1,"mapper":null,"routes":[
			{"flow":[`+rec(4, "A{{2.value}}")+`,`+rec(5, "A2-{{2.value}}")+`]},
			{"flow":[`+rec(6, "B{{2.value}}")+`]}]}]`, "")
	res := f.run(p, bundle(`{"items":[1,2,3]}`))
	want := []string{"A1", "A2-1", "B1", "A2", "A2-2", "B2", "A3", "A2-3", "B3"}
	if got := f.rec.tags(); !slices.Equal(got, want) {
		t.Fatalf("order = %v, want %v", got, want)
	}
	// trigger 1 + iterator 1 + 3 × (3 records); the router counts nothing.
	if res.Operations != 11 {
		t.Fatalf("operations = %d, want 11", res.Operations)
	}
	if res.Status != weft.StatusSuccess || res.Error != nil {
		t.Fatalf("status %s, error %+v", res.Status, res.Error)
	}
}

func TestRouterFiltersAndFallback(t *testing.T) {
	f := newFixture(t)
	// The fallback route (index 0) runs last and only for bundles no other route took.
	p := f.plan(`[`+hook+`,
		{"id":2,"module":"builtin:BasicFeeder","version":1,"mapper":{"array":"{{1.items}}"}},
		{"id":3,"module":"builtin:BasicRouter","version":1,"mapper":null,"parameters":{"else":0},"routes":[
			{"flow":[`+rec(4, "fallback-{{2.value}}")+`]},
			{"flow":[`+rec(5, "big-{{2.value}}", `"filter":{"name":"big","conditions":[[{"a":"{{2.value}}","o":"number:greater","b":"10"}]]}`)+`]},
			{"flow":[`+rec(6, "even-{{2.value}}", `"filter":{"name":"even","conditions":[[{"a":"{{2.value % 2}}","o":"number:equal","b":"0"}]]}`)+`]},
			{"disabled":true,"flow":[`+rec(7, "disabled-{{2.value}}")+`]}]}]`, "")
	f.run(p, bundle(`{"items":[3,12,4,11]}`))
	want := []string{"fallback-3", "big-12", "even-12", "even-4", "big-11"}
	if got := f.rec.tags(); !slices.Equal(got, want) {
		t.Fatalf("routes = %v, want %v", got, want)
	}
}

func TestIfElseRunsOneBranchAndMerges(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,
		{"id":2,"module":"builtin:BasicFeeder","version":1,"mapper":{"array":"{{1.items}}"}},
		{"id":3,"module":"builtin:BasicIfElse","version":1,"mapper":null,"branches":[
			{"type":"condition","conditions":[[{"a":"{{2.value}}","o":"text:equal","b":"a"}]],"merge":true,"flow":[`+rec(4, "is-a")+`]},
			{"type":"condition","conditions":[[{"a":"{{2.value}}","o":"text:equal","b":"b"}]],"merge":false,"flow":[`+rec(5, "is-b")+`]},
			{"type":"else","merge":true,"flow":[]}]},
		{"id":6,"module":"builtin:BasicMerge","version":1,"mapper":null,"outputs":[{"name":"label","mappings":["A:{{4.tag}}","-","other"]}]},
		`+rec(7, "after-{{2.value}}-{{6.label}}")+`]`, "")
	f.run(p, bundle(`{"items":["a","b","c"]}`))
	// b's branch does not merge: nothing after it; c takes the empty else branch.
	want := []string{"is-a", "after-a-A:is-a", "is-b", "after-c-other"}
	if got := f.rec.tags(); !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestIteratorAggregator(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,
		{"id":2,"module":"builtin:BasicFeeder","version":1,"mapper":{"array":"{{1.items}}"}},
		`+rec(3, "{{upper(2.name)}}")+`,
		{"id":4,"module":"builtin:BasicAggregator","version":1,"parameters":{"feeder":2},"mapper":{"n":"{{3.tag}}","i":"{{2.__IMTINDEX__}}"}},
		{"id":5,"module":"test:Record","version":1,"mapper":{"tag":"{{length(4.array)}}:{{1.order}}","arr":"{{4.array}}"}}]`, "")
	res := f.run(p, bundle(`{"order":"X","items":[{"name":"a"},{"name":"b"}]}`))
	tags := f.rec.tags()
	if !slices.Equal(tags, []string{"A", "B", "2:X"}) {
		t.Fatalf("tags %v", tags)
	}
	arr := f.rec.ins[2]["arr"]
	if got, want := jsonOf(arr), `[{"i":1,"n":"A"},{"i":2,"n":"B"}]`; got != want {
		t.Fatalf("aggregated %s, want %s", got, want)
	}
	// trigger, iterator, 2 records, aggregator, last record
	if res.Operations != 6 {
		t.Fatalf("operations %d, want 6", res.Operations)
	}
}

func TestAggregatorEmptyLoopGroupByAndStopIfEmpty(t *testing.T) {
	f := newFixture(t)
	flow := `[` + hook + `,
		{"id":2,"module":"builtin:BasicFeeder","version":1,"mapper":{"array":"{{1.items}}"}},
		{"id":3,"module":"builtin:BasicAggregator","version":1,"parameters":{"feeder":2},"mapper":{"v":"{{2.v}}"}%s},
		` + rec(4, "{{3.__IMTKEY__}}={{join(map(3.array; \"v\"); \",\")}}") + `]`
	t.Run("empty array still aggregates once", func(t *testing.T) {
		f := newFixture(t)
		f.run(f.plan(sprintf(flow, ""), ""), bundle(`{"items":[]}`))
		if got := f.rec.tags(); !slices.Equal(got, []string{"="}) {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("stopIfEmpty", func(t *testing.T) {
		f := newFixture(t)
		f.run(f.plan(sprintf(flow, `,"flags":{"stopIfEmpty":true}`), ""), bundle(`{"items":[]}`))
		if got := f.rec.tags(); len(got) != 0 {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("groupBy in first-seen order", func(t *testing.T) {
		f.run(f.plan(sprintf(flow, `,"flags":{"groupBy":"{{2.k}}"}`), ""),
			bundle(`{"items":[{"k":"x","v":1},{"k":"y","v":2},{"k":"x","v":3}]}`))
		if got := f.rec.tags(); !slices.Equal(got, []string{"x=1,3", "y=2"}) {
			t.Fatalf("got %v", got)
		}
	})
}

func TestNestedLoops(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,
		{"id":2,"module":"builtin:BasicFeeder","version":1,"mapper":{"array":"{{1.rows}}"}},
		{"id":3,"module":"builtin:BasicFeeder","version":1,"mapper":{"array":"{{2.cells}}"}},
		{"id":4,"module":"util:TextAggregator","version":1,"parameters":{"feeder":3,"rowSeparator":"other","otherRowSeparator":"+"},"mapper":{"value":"{{3.value}}"}},
		{"id":5,"module":"builtin:BasicAggregator","version":1,"parameters":{"feeder":2},"mapper":{"row":"{{4.text}}","name":"{{2.name}}"}},
		`+rec(6, "{{join(map(5.array; \"row\"); \"|\")}}")+`]`, "")
	f.run(p, bundle(`{"rows":[{"name":"r1","cells":[1,2]},{"name":"r2","cells":[3]},{"name":"r3","cells":[]}]}`))
	if got := f.rec.tags(); !slices.Equal(got, []string{"1+2|3|"}) {
		t.Fatalf("got %v", got)
	}
}

func TestRepeaterAndVariables(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,
		{"id":2,"module":"util:SetVariable2","version":1,"mapper":{"name":"greeting","scope":"execution","value":"hi {{1.who}}"}},
		{"id":3,"module":"builtin:BasicRepeater","version":1,"mapper":{"start":"10","repeats":"3","step":"5"}},
		{"id":4,"module":"util:GetVariable2","version":1,"mapper":{"name":"greeting"}},
		`+rec(5, "{{3.i}} {{4.greeting}}")+`]`, "")
	f.run(p, bundle(`{"who":"ada"}`))
	if got := f.rec.tags(); !slices.Equal(got, []string{"10 hi ada", "15 hi ada", "20 hi ada"}) {
		t.Fatalf("got %v", got)
	}
}

func TestRoundtripCyclesResetCycleVariables(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,
		{"id":2,"module":"util:GetVariables","version":1,"mapper":{"variables":["seen","total"]}},
		{"id":3,"module":"util:SetVariables","version":1,"mapper":{"scope":"roundtrip","variables":[{"name":"seen","value":"{{1.n}}"}]}},
		{"id":4,"module":"util:SetVariable2","version":1,"mapper":{"name":"total","scope":"execution","value":"{{2.total}}{{1.n}}"}},
		`+rec(5, "seen-before={{2.seen}} total={{4.total}}")+`]`, `{"roundtrips":3}`)
	res, err := f.eng.Run(t.Context(), p, engineInput(bundle(`{"n":1}`), bundle(`{"n":2}`), bundle(`{"n":3}`), bundle(`{"n":4}`)))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"seen-before= total=1", "seen-before= total=12", "seen-before= total=123"}
	if got := f.rec.tags(); !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v (the 4th cycle is over roundtrips)", got, want)
	}
	if res.Operations != 15 {
		t.Fatalf("operations %d, want 15", res.Operations)
	}
}

func TestWebhookRespondFirstResponseWins(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,
		{"id":2,"module":"gateway:WebhookRespond","version":1,"mapper":{"status":"201","body":{"got":"{{1.x}}"},"headers":[{"key":"X-A","value":"1"}]}},
		{"id":3,"module":"gateway:WebhookRespond","version":1,"mapper":{"status":"500","body":"late"}}]`, "")
	res := f.run(p, bundle(`{"x":"y"}`))
	if res.Response == nil || res.Response.Status != 201 || res.Response.Body != `{"got":"y"}` || res.Response.Headers["X-A"] != "1" {
		t.Fatalf("response %+v", res.Response)
	}
}

func TestExecutionLog(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,`+rec(2, "{{1.a}}")+`,`+fail(3, "DataError")+`]`, "")
	res := f.run(p, bundle(`{"a":"x"}`))
	if len(res.Log) != 3 {
		t.Fatalf("log has %d entries: %+v", len(res.Log), res.Log)
	}
	l := res.Log[1]
	if l.ModuleID != 2 || l.Module != "test:Record" || jsonOf(l.Input) != `{"tag":"x"}` || jsonOf(l.Output) != `[{"tag":"x"}]` || l.Error != nil {
		t.Fatalf("entry %+v", l)
	}
	if e := res.Log[2]; e.Error == nil || e.Error.Type != weft.DataError || e.Outcome != "stored as an incomplete execution" {
		t.Fatalf("failing entry %+v", e)
	}
}

func TestConfidentialLogKeepsNoData(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,`+rec(2, "{{1.secret}}")+`]`, `{"confidential":true}`)
	res := f.run(p, bundle(`{"secret":"s3cr3t"}`))
	for _, l := range res.Log {
		if l.Input != nil || l.Output != nil {
			t.Fatalf("confidential log holds data: %+v", l)
		}
	}
	if len(res.Log) != 2 {
		t.Fatalf("log entries %d", len(res.Log))
	}
}

func TestNumericAggregatorAndPlaceholderTrigger(t *testing.T) {
	f := newFixture(t)
	// A scenario without a trigger (Make's placeholder) starting with a router.
	p := f.plan(`[{"id":null,"module":"placeholder:Placeholder"},
		{"id":2,"module":"builtin:BasicRouter","version":1,"mapper":null,"routes":[{"flow":[
			{"id":3,"module":"builtin:BasicRepeater","version":1,"mapper":{"repeats":"4"}},
			{"id":4,"module":"util:FunctionAggregator2","version":1,"parameters":{"feeder":3,"fn":"sum"},"mapper":{"value":"{{3.i * 10}}"}},
			`+rec(5, "sum={{4.result}}")+`]}]}]`, "")
	res := f.run(p)
	if got := f.rec.tags(); !slices.Equal(got, []string{"sum=100"}) {
		t.Fatalf("got %v", got)
	}
	// repeater, aggregator, record; the placeholder and the router are free.
	if res.Operations != 3 {
		t.Fatalf("operations %d", res.Operations)
	}
}

// A fallback index that names no route (Make keeps it when the route is deleted) is a
// router without a fallback route; a non-integer index is none either.
func TestRouterFallbackNamingNoRoute(t *testing.T) {
	for _, idx := range []string{"2", "-1", "0.5", `"x"`} {
		f := newFixture(t)
		p := f.plan(`[`+hook+`,
			{"id":2,"module":"builtin:BasicFeeder","version":1,"mapper":{"array":"{{1.items}}"}},
			{"id":3,"module":"builtin:BasicRouter","version":1,"mapper":null,"parameters":{"else":`+idx+`},"routes":[
				{"flow":[`+rec(4, "a-{{2.value}}", `"filter":{"name":"a","conditions":[[{"a":"{{2.value}}","o":"text:equal","b":"a"}]]}`)+`]},
				{"flow":[`+rec(5, "b-{{2.value}}", `"filter":{"name":"b","conditions":[[{"a":"{{2.value}}","o":"text:equal","b":"b"}]]}`)+`]}]}]`, "")
		res := f.run(p, bundle(`{"items":["a","b","c"]}`))
		if got, want := f.rec.tags(), []string{"a-a", "b-b"}; !slices.Equal(got, want) {
			t.Fatalf("else %s: routes %v, want %v", idx, got, want)
		}
		if res.Status != weft.StatusSuccess {
			t.Fatalf("else %s: status %s %+v", idx, res.Status, res.Error)
		}
	}
}

// An empty module (placeholder:Placeholder) on a route passes each bundle on, with the
// filter of the module after it, and counts no operation.
func TestPlaceholderOnARoutePassesBundlesThrough(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,
		{"id":2,"module":"builtin:BasicRouter","version":1,"mapper":null,"routes":[
			{"flow":[{"id":3,"module":"placeholder:Placeholder","mapper":null},
				`+rec(4, "one-{{1.n}}", `"filter":{"name":"big","conditions":[[{"a":"{{1.n}}","o":"number:greater","b":"1"}]]}`)+`]},
			{"flow":[{"id":null,"module":"placeholder:Placeholder","mapper":null}]},
			{"flow":[`+rec(5, "three-{{1.n}}")+`]}]}]`, "")
	res := f.run(p, bundle(`{"n":2}`))
	if got, want := f.rec.tags(), []string{"one-2", "three-2"}; !slices.Equal(got, want) {
		t.Fatalf("routes %v, want %v", got, want)
	}
	if res.Operations != 3 || res.Status != weft.StatusSuccess {
		t.Fatalf("operations %d (want trigger + 2 records), status %s %+v", res.Operations, res.Status, res.Error)
	}
	f.run(p, bundle(`{"n":1}`))
	if got, want := f.rec.tags(), []string{"one-2", "three-2", "three-1"}; !slices.Equal(got, want) {
		t.Fatalf("filtered: routes %v, want %v", got, want)
	}
}

// A scenario whose first module is an action performs every cycle "Max number of
// cycles" allows (Fusion's scenario settings: "If the scenario does not start with a
// trigger, the specified maximum number of cycles is always performed"), each cycle
// calling the first module with nothing upstream; a trigger's cycles stay one per
// trigger bundle set.
func TestActionFirstFlowRunsEveryCycle(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[{"id":1,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"tick"}},`+
		rec(2, "cycle-{{1.value}}")+`]`, `{"roundtrips":3}`)
	res := f.run(p)
	if got, want := f.rec.tags(), []string{"cycle-tick", "cycle-tick", "cycle-tick"}; !slices.Equal(got, want) {
		t.Fatalf("records %v, want one per cycle: %v", got, want)
	}
	if res.Operations != 6 || res.Status != weft.StatusSuccess {
		t.Fatalf("operations %d (want 3 cycles × 2 modules), status %s %+v", res.Operations, res.Status, res.Error)
	}
	one := newFixture(t)
	one.run(one.plan(`[`+rec(1, "only")+`]`, ""))
	if got := one.rec.tags(); !slices.Equal(got, []string{"only"}) {
		t.Fatalf("default roundtrips: %v", got)
	}
	hooked := newFixture(t)
	hooked.run(hooked.plan(`[`+hook+`,`+rec(2, "hook")+`]`, `{"roundtrips":3}`))
	if got := hooked.rec.tags(); !slices.Equal(got, []string{"hook"}) {
		t.Fatalf("a trigger's single bundle set ran %v", got)
	}
}
