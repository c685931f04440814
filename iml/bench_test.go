package iml

import (
	"fmt"
	"strings"
	"testing"

	"github.com/weftworks/weft/limits"
)

// benchEnv evaluates under a run's default limits, as the engine does.
func benchEnv(b *testing.B) *Env {
	env := testEnv(b)
	env.Scope.(scope)[1].(map[string]any)["a"] = map[string]any{"b": "value"}
	env.Limits = limits.Start(limits.Default(), limits.Limits{}, nil)
	return env
}

func benchTemplate(b *testing.B, src string, want any) {
	env := benchEnv(b)
	tpl := MustParseTemplate(src)
	if got, err := tpl.Eval(env); err != nil || got != want {
		b.Fatalf("%s = %#v, %v; want %#v", src, got, err, want)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := tpl.Eval(env); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRef: the most common mapping, a nested field (target ≤ 200 ns).
func BenchmarkRef(b *testing.B) { benchTemplate(b, "{{1.a.b}}", "value") }

// BenchmarkThreeExprTwoCalls: text with three expressions and two function calls
// (target ≤ 2 µs).
func BenchmarkThreeExprTwoCalls(b *testing.B) {
	benchTemplate(b, `Dear {{upper(1.name)}}, your score {{1.score}} was recorded on {{formatDate(now; "YYYY-MM-DD")}}.`,
		"Dear ANN LEE, your score 72 was recorded on 2026-11-27.")
}

func BenchmarkArithmetic(b *testing.B) {
	benchTemplate(b, "{{if(1.n * 2 + 1 > 10 & 1.flag; \"big\"; \"small\")}}", "big")
}

func BenchmarkRegexReplace(b *testing.B) {
	benchTemplate(b, `{{replace(1.email; "/[@.]/g"; "_")}}`, "Ann_Example_com")
}

func BenchmarkParse(b *testing.B) {
	src := `Dear {{upper(1.name)}}, your score {{1.score}} was recorded on {{formatDate(now; "YYYY-MM-DD")}}.`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseTemplate(src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFilter(b *testing.B) {
	env := benchEnv(b)
	f := MustCompileFilter([][]Condition{
		{{A: "{{1.score}}", O: "number:greater", B: "50"}, {A: "{{1.email}}", O: "text:contain:ci", B: "example"}},
	})
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := f.Match(env); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkMapperValue(b *testing.B) {
	env := benchEnv(b)
	v := MustCompileValue(js(b, `{"url":"https://x/{{1.n}}","method":"POST","headers":[{"name":"a","value":"{{1.email}}"}],"body":"{{1.data}}"}`))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Eval(env); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseTextArguments parses a call of n arguments read as text, each starting
// with a "/" that no other closes and holding a quote that nothing closes (the worst
// cases for finding where an argument ends): the time per op grows linearly with n
// (go test ./iml -run '^$' -bench ParseTextArguments).
func BenchmarkParseTextArguments(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		src := `{{merge("a"` + strings.Repeat(`; /y 1 '"`, n) + ")}}"
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := ParseTemplate(src); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
