package engine_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
)

// TestUnhandledErrors is SPEC §3.2 as a table: every error type × first/later module ×
// dlq on/off.
func TestUnhandledErrors(t *testing.T) {
	type outcome struct {
		status weft.Status
		ie     bool // an incomplete execution is stored
		auto   bool // ... with automatic retry
	}
	later := func(typ weft.ErrorType, dlq bool) outcome {
		switch {
		case !dlq:
			return outcome{weft.StatusError, false, false}
		case typ.Retryable():
			return outcome{weft.StatusWarning, true, true}
		case typ.NeedsPerson():
			return outcome{weft.StatusWarning, true, false}
		}
		return outcome{weft.StatusError, false, false}
	}
	for _, typ := range weft.ErrorTypes {
		for _, dlq := range []bool{true, false} {
			settings := fmt.Sprintf(`{"dlq":%t}`, dlq)
			t.Run(fmt.Sprintf("%s/first/dlq=%t", typ, dlq), func(t *testing.T) {
				f := newFixture(t)
				p := f.plan(`[`+fail(1, string(typ))+`,`+rec(2, "after")+`]`, settings)
				res := f.run(p)
				if res.Status != weft.StatusError || len(res.Incomplete) != 0 {
					t.Fatalf("first module: status %s, %d IEs; want error, none", res.Status, len(res.Incomplete))
				}
				if res.Error == nil || res.Error.Type != typ || res.Error.ModuleID != 1 {
					t.Fatalf("error %+v", res.Error)
				}
				if len(f.rec.tags()) != 0 {
					t.Fatal("the run went on after its first module failed")
				}
			})
			t.Run(fmt.Sprintf("%s/later/dlq=%t", typ, dlq), func(t *testing.T) {
				f := newFixture(t)
				p := f.plan(`[`+hook+`,
					{"id":2,"module":"builtin:BasicFeeder","version":1,"mapper":{"array":"{{1.items}}"}},
					{"id":3,"module":"test:Fail","version":1,"mapper":{"type":"`+string(typ)+`","fail":"{{2.value = 2}}"}},
					`+rec(4, "after-{{2.value}}")+`]`, settings)
				res := f.run(p, bundle(`{"items":[1,2,3]}`))
				want := later(typ, dlq)
				if res.Status != want.status {
					t.Fatalf("status %s, want %s", res.Status, want.status)
				}
				if got := len(res.Incomplete) == 1; got != want.ie {
					t.Fatalf("IEs %d, want stored=%t", len(res.Incomplete), want.ie)
				}
				tags := f.rec.tags()
				if want.ie {
					ie := res.Incomplete[0]
					if ie.ModuleID != 3 || ie.AutoRetry != want.auto || ie.Error.Type != typ {
						t.Fatalf("IE %+v", ie)
					}
					// SPEC §3.3: the other bundles go on.
					if !slices.Equal(tags, []string{"after-1", "after-3"}) {
						t.Fatalf("after an IE the run went %v", tags)
					}
				} else if !slices.Equal(tags, []string{"after-1"}) {
					// A failed run stops at once: bundle 3 is not processed.
					t.Fatalf("after a failure the run went %v", tags)
				}
				if want.status == weft.StatusError && (res.Error == nil || res.Error.Type != typ || res.Error.ModuleID != 3) {
					t.Fatalf("error %+v", res.Error)
				}
			})
		}
	}
}

func TestHandlerIgnoreMapsTheError(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,`+fail(2, "ConnectionError", `"onerror":[`+rec(3, "{{2.error.type}}: {{2.error.message}} / {{1.k}}")+`,{"id":4,"module":"builtin:Ignore","version":1}]`)+`,`+rec(5, "never")+`]`, "")
	res := f.run(p, bundle(`{"k":"v"}`))
	if res.Status != weft.StatusSuccess || len(res.Incomplete) != 0 || res.Error != nil {
		t.Fatalf("status %s IEs %d err %+v", res.Status, len(res.Incomplete), res.Error)
	}
	if got := f.rec.tags(); !slices.Equal(got, []string{"ConnectionError: failed on purpose / v"}) {
		t.Fatalf("got %v", got)
	}
	// The handler module counts as an operation; the directive does not.
	if res.Operations != 3 {
		t.Fatalf("operations %d, want 3", res.Operations)
	}
}

func TestHandlerWithoutDirectiveActsAsIgnore(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,`+fail(2, "RuntimeError", `"onerror":[`+rec(3, "logged")+`]`)+`,`+rec(4, "never")+`]`, "")
	res := f.run(p)
	if res.Status != weft.StatusSuccess || !slices.Equal(f.rec.tags(), []string{"logged"}) {
		t.Fatalf("status %s tags %v", res.Status, f.rec.tags())
	}
}

func TestHandlerResumeSubstitutesOutput(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,`+fail(2, "DataError", `"onerror":[{"id":3,"module":"builtin:Resume","version":1,"mapper":{"ok":"substitute for {{2.error.type}}"}}]`)+`,`+rec(4, "{{2.ok}}")+`]`, "")
	res := f.run(p)
	if res.Status != weft.StatusSuccess || !slices.Equal(f.rec.tags(), []string{"substitute for DataError"}) {
		t.Fatalf("status %s tags %v", res.Status, f.rec.tags())
	}
}

func TestHandlerBreakStoresIncomplete(t *testing.T) {
	f := newFixture(t)
	brk := `"onerror":[{"id":9,"module":"builtin:Break","version":1,"mapper":{"retry":"{{true}}","count":"5","interval":"2"}}]`
	t.Run("later module", func(t *testing.T) {
		// RuntimeError would fail the run unhandled; Break stores it.
		p := f.plan(`[`+hook+`,`+fail(2, "RuntimeError", brk)+`,`+rec(3, "never")+`]`, "")
		res := f.run(p)
		if res.Status != weft.StatusWarning || len(res.Incomplete) != 1 {
			t.Fatalf("status %s IEs %d", res.Status, len(res.Incomplete))
		}
		ie := res.Incomplete[0]
		if !ie.AutoRetry || ie.Break == nil || ie.Break.Count != 5 || ie.Break.Interval != 2*time.Minute {
			t.Fatalf("IE %+v break %+v", ie, ie.Break)
		}
	})
	t.Run("first module", func(t *testing.T) {
		p := f.plan(`[`+fail(1, "ConnectionError", brk)+`,`+rec(3, "never")+`]`, "")
		res := f.run(p)
		if res.Status != weft.StatusWarning || len(res.Incomplete) != 1 || res.Incomplete[0].ModuleID != 1 {
			t.Fatalf("status %s IEs %+v", res.Status, res.Incomplete)
		}
	})
}

func TestHandlerCommitAndRollbackStopTheRun(t *testing.T) {
	for _, tc := range []struct {
		directive string
		status    weft.Status
	}{{"builtin:Commit", weft.StatusSuccess}, {"builtin:Rollback", weft.StatusError}} {
		t.Run(tc.directive, func(t *testing.T) {
			f := newFixture(t)
			p := f.plan(`[`+hook+`,
				{"id":2,"module":"builtin:BasicFeeder","version":1,"mapper":{"array":"{{1.items}}"}},
				{"id":3,"module":"test:Fail","version":1,"mapper":{"type":"DataError","fail":"{{2.value = 2}}"},
				 "onerror":[{"id":4,"module":"`+tc.directive+`","version":1}]},
				`+rec(5, "after-{{2.value}}")+`]`, "")
			res := f.run(p, bundle(`{"items":[1,2,3]}`))
			if res.Status != tc.status || len(res.Incomplete) != 0 {
				t.Fatalf("status %s IEs %d", res.Status, len(res.Incomplete))
			}
			if got := f.rec.tags(); !slices.Equal(got, []string{"after-1"}) {
				t.Fatalf("bundles after the directive were processed: %v", got)
			}
			if res.Committed != (tc.status == weft.StatusSuccess) {
				t.Fatalf("committed %t", res.Committed)
			}
		})
	}
}

func TestHandlerFilterSelectsErrorTypes(t *testing.T) {
	f := newFixture(t)
	handler := `"onerror":[{"id":3,"module":"builtin:Ignore","version":1,"filter":{"name":"only data","conditions":[[{"a":"{{2.error.type}}","o":"text:equal","b":"DataError"}]]}}]`
	p := f.plan(`[`+hook+`,`+fail(2, "{{1.t}}", handler)+`]`, "")
	if res := f.run(p, bundle(`{"t":"DataError"}`)); res.Status != weft.StatusSuccess {
		t.Fatalf("DataError: status %s", res.Status)
	}
	// A ConnectionError does not pass the handler's filter: unhandled, so an IE.
	if res := f.run(p, bundle(`{"t":"ConnectionError"}`)); res.Status != weft.StatusWarning || len(res.Incomplete) != 1 {
		t.Fatalf("ConnectionError: status %s IEs %d", res.Status, len(res.Incomplete))
	}
}

func TestErrorInsideHandlerEndsRunWithError(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,`+fail(2, "DataError", `"onerror":[`+fail(3, "ConnectionError")+`,{"id":4,"module":"builtin:Ignore","version":1}]`)+`]`, "")
	res := f.run(p)
	if res.Status != weft.StatusError || res.Error == nil || res.Error.ModuleID != 3 || len(res.Incomplete) != 0 {
		t.Fatalf("status %s error %+v IEs %d", res.Status, res.Error, len(res.Incomplete))
	}
}

func TestMappingFailureIsDataError(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,{"id":2,"module":"test:Record","version":1,"mapper":{"tag":"{{parseDate(1.d; \"YYYY-MM-DD\")}}"}}]`, "")
	res := f.run(p, bundle(`{"d":"not a date"}`))
	if res.Status != weft.StatusWarning || len(res.Incomplete) != 1 || res.Incomplete[0].Error.Type != weft.DataError {
		t.Fatalf("status %s IEs %+v", res.Status, res.Incomplete)
	}
	if res.Incomplete[0].Input != nil {
		t.Fatalf("the input of a module whose mapping failed is unknown, got %v", res.Incomplete[0].Input)
	}
}

func TestRequiredFieldMissingIsDataError(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,{"id":2,"module":"builtin:BasicRepeater","version":1,"mapper":{"repeats":"{{1.missing}}"}}]`, "")
	res := f.run(p)
	if len(res.Incomplete) != 1 || res.Incomplete[0].Error.Type != weft.DataError {
		t.Fatalf("IEs %+v", res.Incomplete)
	}
}

func TestModulePanicIsRuntimeError(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,{"id":2,"module":"test:Panic","version":1}]`, "")
	res := f.run(p)
	if res.Status != weft.StatusError || res.Error.Type != weft.RuntimeError {
		t.Fatalf("status %s error %+v", res.Status, res.Error)
	}
}

func TestModuleTimeout(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,{"id":2,"module":"test:Slow","version":1}]`, "")
	res := f.run(p)
	if len(res.Incomplete) != 1 || res.Incomplete[0].Error.Type != weft.ModuleTimeoutError || !res.Incomplete[0].AutoRetry {
		t.Fatalf("IEs %+v", res.Incomplete)
	}
}

func TestCancellationStopsTheRun(t *testing.T) {
	f := newFixture(t)
	p := f.plan(`[`+hook+`,{"id":2,"module":"test:Slow","version":1}]`, "")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	res, err := f.eng.Run(ctx, p, engine.Input{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != weft.StatusError || len(res.Incomplete) != 0 {
		t.Fatalf("status %s IEs %d", res.Status, len(res.Incomplete))
	}
}
