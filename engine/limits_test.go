package engine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/limits"
)

// limited is a fixture whose engine runs under l (zero fields: defaults).
func limited(t *testing.T, l limits.Limits) *fixture {
	return newFixtureWith(t, func(o *engine.Options) { o.Limits = l })
}

const feeder = `{"id":2,"module":"builtin:BasicFeeder","version":1,"mapper":{"array":"{{1.items}}"}}`

func items(n int) weft.Bundle {
	a := make([]any, n)
	for i := range a {
		a[i] = float64(i + 1)
	}
	return weft.Bundle{"items": a}
}

// wantIE checks a value limit: the run goes on (warning) and module id's bundle is an
// incomplete execution of the limit's type naming the module, the limit and the value.
func wantIE(t *testing.T, res *engine.Result, id int, typ weft.ErrorType, auto bool, parts ...string) *engine.Incomplete {
	t.Helper()
	if res.Status != weft.StatusWarning || len(res.Incomplete) == 0 {
		t.Fatalf("status %s with %d incomplete executions; want warning with one (error %+v)", res.Status, len(res.Incomplete), res.Error)
	}
	ie := res.Incomplete[0]
	if ie.ModuleID != id || ie.Error.Type != typ || ie.AutoRetry != auto {
		t.Fatalf("incomplete execution at module %d, %s, auto %t: %s", ie.ModuleID, ie.Error.Type, ie.AutoRetry, ie.Error.Message)
	}
	for _, p := range append(parts, fmt.Sprintf("module %d", id)) {
		if !strings.Contains(ie.Error.Message, p) {
			t.Fatalf("message %q does not say %q", ie.Error.Message, p)
		}
	}
	return ie
}

// wantRunFails checks a run limit: the run fails at module id with the limit's type,
// no incomplete execution is stored.
func wantRunFails(t *testing.T, res *engine.Result, id int, typ weft.ErrorType, parts ...string) {
	t.Helper()
	if res.Status != weft.StatusError || len(res.Incomplete) != 0 || res.Error == nil {
		t.Fatalf("status %s with %d incomplete executions, error %+v; want error, none", res.Status, len(res.Incomplete), res.Error)
	}
	if res.Error.ModuleID != id || res.Error.Type != typ {
		t.Fatalf("error at module %d, %s: %s", res.Error.ModuleID, res.Error.Type, res.Error.Message)
	}
	for _, p := range append(parts, fmt.Sprintf("module %d", id)) {
		if !strings.Contains(res.Error.Message, p) {
			t.Fatalf("message %q does not say %q", res.Error.Message, p)
		}
	}
}

func TestLimitArrayMadeByAMapping(t *testing.T) {
	f := limited(t, limits.Limits{MaxArrayItems: 1000})
	p := f.plan(`[`+hook+`,{"id":2,"module":"builtin:BasicFeeder","version":1,"mapper":{"array":"{{split(1.text; \"\")}}"}},`+
		rec(3, "{{2.value}}")+`]`, "")
	res := f.run(p, weft.Bundle{"text": strings.Repeat("x", 5000)}, weft.Bundle{"text": "ab"})
	ie := wantIE(t, res, 2, weft.MaxResultsExceededError, false, "split() would make 5000 items", "maxArrayItems of 1000")
	if ie.Error.Details["limit"] != "maxArrayItems" {
		t.Fatalf("details %v", ie.Error.Details)
	}
	// The run goes on with its other bundles (SPEC §3.3).
	if !slices.Equal(f.rec.tags(), []string{"a", "b"}) {
		t.Fatalf("after the refused bundle: %v", f.rec.tags())
	}
}

func TestLimitBundlesOfOneModule(t *testing.T) {
	f := limited(t, limits.Limits{MaxBundles: 10})
	p := f.plan(`[`+hook+`,{"id":2,"module":"test:Emit","version":1,"mapper":{"count":"{{1.n}}"}},`+rec(3, "{{2.n}}")+`]`, "")
	res := f.run(p, weft.Bundle{"n": 11.0})
	wantIE(t, res, 2, weft.MaxResultsExceededError, false, "emits 11 bundles", "maxBundles of 10")
	if len(f.rec.tags()) != 0 {
		t.Fatal("bundles of a refused output went on")
	}
	// A handler route handles a value limit like any other error.
	p = f.plan(`[`+hook+`,{"id":2,"module":"test:Emit","version":1,"mapper":{"count":"{{1.n}}"},
		"onerror":[`+rec(4, "{{2.error.type}} {{2.error.details.limit}}")+`]}]`, "")
	res = f.run(p, weft.Bundle{"n": 11.0})
	if res.Status != weft.StatusSuccess || !slices.Contains(f.rec.tags(), "MaxResultsExceededError maxBundles") {
		t.Fatalf("handled: %s %v", res.Status, f.rec.tags())
	}
}

func TestLimitTextOfAnAggregate(t *testing.T) {
	f := limited(t, limits.Limits{MaxTextBytes: 1000})
	p := f.plan(`[`+hook+`,`+feeder+`,
		{"id":3,"module":"util:TextAggregator","version":1,"parameters":{"feeder":2,"rowSeparator":"\n"},"mapper":{"value":"{{1.row}}"}},
		`+rec(4, "{{3.text}}")+`]`, "")
	in := items(3)
	in["row"] = strings.Repeat("r", 600)
	res := f.run(p, in)
	wantIE(t, res, 3, weft.MaxResultsExceededError, false, "holds a text of 1802 bytes", "maxTextBytes of 1000 bytes")
	if len(f.rec.tags()) != 0 {
		t.Fatal("the refused aggregate went on")
	}
}

func TestLimitOperationsEndTheRun(t *testing.T) {
	f := limited(t, limits.Limits{MaxOperations: 5})
	// The handler route on module 3 does not run: the run itself is over.
	p := f.plan(`[`+hook+`,`+feeder+`,`+rec(3, "{{2.value}}", `"onerror":[`+rec(9, "handler")+`]`)+`]`, "")
	res := f.run(p, items(10))
	wantRunFails(t, res, 3, weft.MaxResultsExceededError, "operation 6 of the run", "maxOperations of 5")
	if !slices.Equal(f.rec.tags(), []string{"1", "2", "3"}) || res.Operations != 6 {
		t.Fatalf("ran %v, %d operations", f.rec.tags(), res.Operations)
	}
	if res.Committed {
		t.Fatal("a failed run committed")
	}
}

func TestLimitRunBytesEndTheRun(t *testing.T) {
	f := limited(t, limits.Limits{MaxRunBytes: 20_000})
	// Every input maps the same 1,000-byte text: the log would hold it once per bundle.
	p := f.plan(`[`+hook+`,`+feeder+`,`+rec(3, "{{1.big}}")+`]`, "")
	in := items(100)
	in["big"] = strings.Repeat("b", 1000)
	res := f.run(p, in)
	wantRunFails(t, res, 3, weft.MaxResultsExceededError, "maxRunBytes of 20000 bytes", "its input brings the run's bundle data to more than")
	if n := len(f.rec.tags()); n < 5 || n > 20 {
		t.Fatalf("%d bundles ran before 20 KB were used", n)
	}
}

func TestLimitRunTimeoutOnTheRunsClock(t *testing.T) {
	// Every look at the clock takes a minute: a 10-minute run stops after a few modules.
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	f := newFixtureWith(t, func(o *engine.Options) {
		o.Limits = limits.Limits{RunTimeout: 10 * time.Minute}
		o.Clock = func() time.Time { now = now.Add(time.Minute); return now }
	})
	p := f.plan(`[`+hook+`,`+feeder+`,`+rec(3, "{{2.value}}")+`]`, "")
	res := f.run(p, items(100))
	if n := len(f.rec.tags()); n == 0 || n > 10 {
		t.Fatalf("%d bundles ran in a 10-minute run of minute-long modules", n)
	}
	wantRunFails(t, res, 3, weft.ModuleTimeoutError, "the run has taken", "runTimeout of 10m0s")
}

func TestLimitRunTimeoutInsideAMapping(t *testing.T) {
	// CPU-bound work inside one mapping (a sort of 100,000 items) stops at the deadline:
	// the mapping language looks at the run's clock inside its loops.
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	f := newFixtureWith(t, func(o *engine.Options) {
		o.Limits = limits.Limits{RunTimeout: time.Minute}
		o.Clock = func() time.Time { now = now.Add(time.Second); return now }
	})
	p := f.plan(`[`+hook+`,`+rec(2, "{{length(sort(1.items; \"desc\"))}}")+`]`, "")
	res := f.run(p, items(100_000))
	wantRunFails(t, res, 2, weft.ModuleTimeoutError, "runTimeout of 1m0s")
	if len(f.rec.tags()) != 0 {
		t.Fatal("the module ran after its mapping passed the deadline")
	}
}

func TestLimitRunTimeoutWhileAModuleWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixtureWith(t, func(o *engine.Options) {
			o.Limits = limits.Limits{RunTimeout: time.Minute}
			o.Registry.MustRegister(app.Spec{Name: "test:Wait", Timeout: -1,
				New: func(app.Config) (app.Module, error) {
					return app.ModuleFunc(func(ctx context.Context, _ *app.Call) ([]weft.Bundle, error) {
						<-ctx.Done() // a module without a time limit of its own, waiting on I/O
						return nil, fmt.Errorf("wait: %w", ctx.Err())
					}), nil
				}})
		})
		p := f.plan(`[`+hook+`,{"id":2,"module":"test:Wait","version":1},`+rec(3, "after")+`]`, "")
		res := f.run(p)
		wantRunFails(t, res, 2, weft.ModuleTimeoutError, "the run has reached its time limit", "runTimeout of 1m0s")
	})
}

func TestLimitRegexBudgetPerRun(t *testing.T) {
	f := limited(t, limits.Limits{RegexBudget: 200 * time.Millisecond})
	p := f.plan(`[`+hook+`,`+feeder+`,
		{"id":3,"module":"regexp:Replace","version":1,"mapper":{"pattern":"(a+)+$","value":"x","text":"{{1.text}}"}},
		`+rec(4, "after")+`]`, "")
	in := items(5)
	in["text"] = strings.Repeat("a", 40) + "!"
	res := f.run(p, in)
	// The first bundle spends the budget (not its 5 s search timeout); the others fail
	// at once. Each is kept for a person: the data or the pattern needs a look.
	if len(res.Incomplete) != 5 {
		t.Fatalf("%d incomplete executions, want 5 (status %s)", len(res.Incomplete), res.Status)
	}
	for _, ie := range res.Incomplete {
		if ex, ok := limits.As(ie.Error); !ok || ex.Key != "regexBudget" || ie.Error.Type != weft.DataError || ie.AutoRetry {
			t.Fatalf("incomplete execution: %s %s", ie.Error.Type, ie.Error.Message)
		}
	}
	wantIE(t, res, 3, weft.DataError, false, "regexBudget of 200ms")
}

func TestScenarioLowersLimitsNeverRaises(t *testing.T) {
	f := limited(t, limits.Limits{MaxBundles: 10})
	emit := `[` + hook + `,{"id":2,"module":"test:Emit","version":1,"mapper":{"count":"{{1.n}}"}}]`
	res := f.run(f.plan(emit, `{"limits":{"maxBundles":3}}`), weft.Bundle{"n": 4.0})
	wantIE(t, res, 2, weft.MaxResultsExceededError, false, "maxBundles of 3", "the scenario's metadata.scenario.limits.maxBundles")
	res = f.run(f.plan(emit, `{"limits":{"maxBundles":1000}}`), weft.Bundle{"n": 11.0})
	wantIE(t, res, 2, weft.MaxResultsExceededError, false, "maxBundles of 10", "server setting --max-bundles")
}

func TestModulesSeeTheRunsLimits(t *testing.T) {
	var seen *limits.Run
	f := newFixtureWith(t, func(o *engine.Options) {
		o.Limits = limits.Limits{MaxArrayItems: 7}
		o.Registry.MustRegister(app.Spec{Name: "test:Limits", Timeout: -1,
			New: func(app.Config) (app.Module, error) {
				return app.ModuleFunc(func(ctx context.Context, _ *app.Call) ([]weft.Bundle, error) {
					seen = limits.FromContext(ctx)
					return []weft.Bundle{{}}, nil
				}), nil
			}})
	})
	f.run(f.plan(`[`+hook+`,{"id":2,"module":"test:Limits","version":1}]`, `{"limits":{"maxBundles":5}}`))
	if seen == nil || seen.MaxArrayItems != 7 || seen.MaxBundles != 5 {
		t.Fatalf("limits in the module's context: %+v", seen)
	}
}

func TestCompileRefusesDeepAndLargeFlows(t *testing.T) {
	f := limited(t, limits.Limits{MaxDepth: 50, MaxModules: 3000})
	bp, err := blueprint.Parse(nestedRouters(60))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.eng.Compile(bp)
	var inv *engine.InvalidError
	if !errors.As(err, &inv) || !strings.Contains(err.Error(), "nest 51 levels deep at module 52") ||
		!strings.Contains(err.Error(), "maxDepth of 50 levels") {
		t.Fatalf("compile: %v", err)
	}
	g := limited(t, limits.Limits{MaxModules: 100})
	if _, err := g.eng.Compile(bp); err == nil || !strings.Contains(err.Error(), "the blueprint has 121 modules: over the limit maxModules of 100 modules") {
		t.Fatalf("compile: %v", err)
	}
}

// nestedRouters is a webhook and n routers, each the last module of its parent's only
// route, each route starting with a module that maps the webhook.
func nestedRouters(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"name":"nested","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"parameters":{"hook":1}}`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `,{"id":%d,"module":"builtin:BasicRouter","version":1,"routes":[{"flow":[{"id":%d,"module":"util:SetVariable2","version":1,"mapper":{"name":"x","value":"{{1.a}}"}}`, i+2, 100000+i)
	}
	for i := 0; i < n; i++ {
		b.WriteString(`]}]}`)
	}
	b.WriteString(`],"metadata":{"version":1}}`)
	return []byte(b.String())
}

func TestRunLimitInAContinuationKeepsWhatItDid(t *testing.T) {
	// A continuation of an incomplete execution that reaches a run limit fails like any
	// run, and records where (Result.Failed), with the outputs of the modules that
	// succeeded on the way: the next attempt does not call them again.
	f := limited(t, limits.Limits{MaxOperations: 2})
	p := f.plan(`[`+hook+`,
		{"id":2,"module":"test:Fail","version":1,"mapper":{"type":"DataError","fail":"{{1.x = 1}}"}},
		`+rec(3, "three")+`,`+rec(4, "four")+`]`, "")
	res := f.run(p, bundle(`{"x":1}`))
	if len(res.Incomplete) != 1 {
		t.Fatalf("status %s, %d incomplete executions", res.Status, len(res.Incomplete))
	}
	fixed := f.fixAndResume(p, res.Incomplete[0], 2, "fail", "{{false}}")
	wantRunFails(t, fixed, 4, weft.MaxResultsExceededError, "operation 3 of the run")
	if fixed.Failed == nil || fixed.Failed.ModuleID != 4 {
		t.Fatalf("failed continuation recorded at %+v", fixed.Failed)
	}
	if _, ok := fixed.Failed.Outputs[3]; !ok {
		t.Fatalf("outputs kept: %v", fixed.Failed.Outputs)
	}
}

func TestLimitRunTimeoutInALoopWithoutModules(t *testing.T) {
	// An iterator straight into an aggregator calls no module per bundle: the engine
	// looks at the deadline while it carries the iterator's bundles.
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	f := newFixtureWith(t, func(o *engine.Options) {
		o.Limits = limits.Limits{RunTimeout: time.Hour}
		o.Clock = func() time.Time { now = now.Add(time.Minute); return now }
	})
	p := f.plan(`[`+hook+`,`+feeder+`,
		{"id":3,"module":"builtin:BasicAggregator","version":1,"parameters":{"feeder":2},"mapper":{"v":"{{2.value}}"}}]`, "")
	res := f.run(p, items(100_000))
	wantRunFails(t, res, 2, weft.ModuleTimeoutError, "runTimeout of 1h0m0s")
}

func TestRunBytesCountFilesByTheirSize(t *testing.T) {
	// A file downloaded and sent on is held twice (an output, then an input): counted by
	// its size, 256 MiB by default leave room for a file near the HTTP app's 100 MB cap.
	f := limited(t, limits.Limits{MaxRunBytes: 1300})
	p := f.plan(`[`+hook+`,{"id":2,"module":"util:SetVariable2","version":1,"mapper":{"name":"f","scope":"roundtrip","value":"{{1.file}}"}}]`, "")
	res := f.run(p, weft.Bundle{"file": make([]byte, 400)})
	if res.Status != weft.StatusSuccess {
		t.Fatalf("status %s: %+v", res.Status, res.Error)
	}
	if out := res.Log[1].Output; len(out) != 1 || len(out[0]["f"].([]byte)) != 400 {
		t.Fatalf("the file was not passed on: %v", out)
	}
	if def, _ := limits.Lookup("maxRunBytes"); def.Get(limits.Default()) != 256<<20 {
		t.Fatal("the default changed: update docs/operations.md")
	}
}
