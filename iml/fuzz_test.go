package iml

import (
	"errors"
	"testing"
	"time"
)

var fuzzSeeds = []string{
	"{{1.email}}",
	"Hello {{1.name}}!",
	"{{1.items[1].title}} {{1.items[].x}} {{1.`Customer Name`}} {{`1`}}",
	`{{replace(1.a; "/\d+/g"; "$&-")}}`,
	`{{if(1.a = "x" and 2 > 1 or 3.b; 1; ignore)}}`,
	`{{formatDate(addDays(addMonths(formatDate(now; "YYYY-MM-01"); 1); -1); "YYYY-MM-DD")}}`,
	`{{join(map(4.array; "line"); ", ")}}`,
	`{{"[""" + 29.` + "`3`" + ` + """]"}}`,
	`{{parseNumber("1 756,456"; ",")}} {{formatNumber(1; 2)}}`,
	`{{sort(1.a; "desc ci"; "x.y")}} {{slice(1.a; -2)}} {{substring(1.a; 1; -1)}}`,
	"{{var.scenario.name}} {{executionId}} {{uuid}} {{random}} {{emptyarray}}",
	"{{{1.a}}}",
	"{{ }}",
	"{{1.",
	`{{"unterminated`,
	"{{((((1))))}}",
	"{{-(-(-1))}}",
	"{{1 mod 0}}",
	"{{setDay(now; \"monday\")}} {{setMonth(now; 13)}} {{parseDate(\"x\"; \"X\")}}",
	"{{sha256(1.a; \"base64\"; \"k\"; \"hex\")}}",
	"{{replaceEmojiCharacters(\"👨‍👩‍👧\u200d\")}}",
	"{{formatDate(now; YYYY-MM-DD)}} {{ifempty(1.a; 'x')}} {{if(1.a, 2)}} {{escapeJSON()}}",
	`{{replace(1.a; /[;)]\//g; ")} {{upper(a "b;) (c)}}{{lower(\ + "x\")}}`,
}

func FuzzParseTemplate(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := ParseTemplate(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SyntaxError", err)
			}
			if se.Offset < 0 || se.Offset > len(src) {
				t.Fatalf("offset %d outside the source (%d bytes)", se.Offset, len(src))
			}
			return
		}
		if tpl.Source() != src {
			t.Fatal("Source() differs")
		}
		for _, r := range tpl.Refs() {
			if r.Module < 0 {
				t.Fatalf("negative module id in %v", r)
			}
		}
	})
}

// FuzzEval parses and then evaluates against an empty environment and against a
// populated one: evaluation may fail, but only with an *EvalError.
func FuzzEval(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	full := &Env{
		Scope: scope{1: map[string]any{"a": "x,y", "n": 3.0, "items": []any{map[string]any{"title": "t"}}},
			3: map[string]any{"b": true}, 4: map[string]any{"array": []any{map[string]any{"line": 1.0}}}},
		Now:      func() time.Time { return fixedNow },
		Location: time.UTC,
		Random:   func() float64 { return 0.5 },
	}
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := ParseTemplate(src)
		if err != nil {
			return
		}
		for _, env := range []*Env{{}, full} {
			if _, err := tpl.Eval(env); err != nil {
				var ee *EvalError
				if !errors.As(err, &ee) {
					t.Fatalf("%q: error %v (%T) is not an *EvalError", src, err, err)
				}
			}
		}
	})
}
