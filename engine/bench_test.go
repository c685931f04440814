package engine_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/limits"
)

func benchPlan(b *testing.B, eng *engine.Engine, flow string) *engine.Plan {
	b.Helper()
	bp, err := blueprint.Parse([]byte(`{"name":"bench","flow":` + flow + `,"metadata":{"version":1}}`))
	if err != nil {
		b.Fatal(err)
	}
	p, err := eng.Compile(bp)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func benchEngine(b *testing.B) *engine.Engine {
	reg, err := all.Registry()
	if err != nil {
		b.Fatal(err)
	}
	eng, err := engine.New(engine.Options{Registry: reg, NewID: func() string { return "bench" }})
	if err != nil {
		b.Fatal(err)
	}
	return eng
}

// BenchmarkModuleOverhead measures the engine's own cost per module per bundle: a chain
// of 20 built-in modules that do almost nothing (Set variable with a constant), log on.
// Reported as ns per module-bundle.
func BenchmarkModuleOverhead(b *testing.B) {
	eng := benchEngine(b)
	const chain = 20
	mods := []string{`{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}}`}
	for i := 2; i <= chain+1; i++ {
		mods = append(mods, fmt.Sprintf(`{"id":%d,"module":"util:SetVariable2","version":1,"mapper":{"name":"v%d","scope":"roundtrip","value":"x"}}`, i, i))
	}
	p := benchPlan(b, eng, "["+strings.Join(mods, ",")+"]")
	in := engine.Input{Trigger: [][]weft.Bundle{{{"a": 1.0}}}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, _ := eng.Run(b.Context(), p, in)
		if res.Operations != chain+1 {
			b.Fatalf("operations %d", res.Operations)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*(chain+1)), "ns/module")
}

// BenchmarkModuleOverheadMapped is the same chain where each module maps an upstream
// value and uses a function: the realistic cost of a module with a mapping.
func BenchmarkModuleOverheadMapped(b *testing.B) {
	eng := benchEngine(b)
	const chain = 20
	mods := []string{`{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}}`}
	for i := 2; i <= chain+1; i++ {
		mods = append(mods, fmt.Sprintf(`{"id":%d,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"{{1.user.name}} {{lower(%d.value)}}"}}`, i, i-1))
	}
	mods[1] = `{"id":2,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"{{1.user.name}}"}}`
	p := benchPlan(b, eng, "["+strings.Join(mods, ",")+"]")
	in := engine.Input{Trigger: [][]weft.Bundle{{{"user": map[string]any{"name": "Ada"}}}}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if res, _ := eng.Run(b.Context(), p, in); res.Status != weft.StatusSuccess {
			b.Fatal(res.Error)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*(chain+1)), "ns/module")
}

// BenchmarkIterator10k: an iterator over 10,000 items into an array aggregator.
func BenchmarkIterator10k(b *testing.B) {
	eng := benchEngine(b)
	p := benchPlan(b, eng, `[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"builtin:BasicFeeder","version":1,"mapper":{"array":"{{1.items}}"}},
		{"id":3,"module":"builtin:BasicAggregator","version":1,"parameters":{"feeder":2},"mapper":{"id":"{{2.id}}","name":"{{2.name}}"}}]`)
	items := make([]any, 10000)
	for i := range items {
		items[i] = map[string]any{"id": float64(i), "name": fmt.Sprintf("item %d", i)}
	}
	in := engine.Input{Trigger: [][]weft.Bundle{{{"items": items}}}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, _ := eng.Run(b.Context(), p, in)
		if res.Operations != 3 {
			b.Fatalf("operations %d", res.Operations)
		}
		out := res.Log[len(res.Log)-1].Output[0]["array"].([]any)
		if len(out) != 10000 {
			b.Fatalf("aggregated %d", len(out))
		}
	}
}

// BenchmarkCompileNestedRouters parses and compiles n routers nested one in another
// (2n+1 modules), with the depth and size limits raised so the whole flow is analyzed:
// validating and compiling must cost time linear in the flow's size, so ns/module stays
// flat as n grows (2,000 nested routers took 11.6 s to parse and 640 ms to compile).
func BenchmarkCompileNestedRouters(b *testing.B) {
	reg, err := all.Registry()
	if err != nil {
		b.Fatal(err)
	}
	eng, err := engine.New(engine.Options{Registry: reg, Limits: limits.Limits{MaxDepth: 100_000, MaxModules: 100_000}})
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{500, 1000, 2000} { // Go's JSON decoder stops at 10,000 levels (2,500 routers)
		raw := nestedRouters(n)
		b.Run(fmt.Sprintf("routers=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bp, err := blueprint.Parse(raw)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := eng.Compile(bp); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*(2*n+1)), "ns/module")
		})
	}
}
