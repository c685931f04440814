package iml

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/weftworks/weft/value"
)

// scope is a Scope over fixed module outputs.
type scope map[int]any

func (s scope) Output(id int) (any, bool) {
	v, ok := s[id]
	return v, ok
}

// js decodes JSON into canonical values (test data is easier to read as JSON).
func js(t testing.TB, s string) any {
	t.Helper()
	v, err := value.DecodeJSON([]byte(s))
	if err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return v
}

var fixedNow = time.Date(2026, 11, 27, 14, 30, 15, 123e6, time.UTC)

// testEnv is the environment of most table tests: module 1 holds a typical webhook
// bundle, the clock and randomness are fixed.
func testEnv(t testing.TB) *Env {
	return &Env{
		Scope: scope{
			1: js(t, `{"email":"Ann@Example.com","name":"Ann Lee","score":"72","n":5,"zero":0,
				"flag":true,"off":false,"empty":"","nul":null,
				"Customer Name":"ACME","0":"col0","$1":"g1",
				"items":[{"title":"first","price":10,"tags":["a","b"]},{"title":"second","price":2.5,"tags":["c"]}],
				"data":{"name":"inner","list":[1,2,3]},
				"words":["pear","Apple","banana"],
				"nums":[3,1,2],
				"date":"2018-10-01T07:32:00.000Z"}`),
			3:  js(t, `{"data":{"name":"three"},"value":"x"}`),
			25: js(t, `{"__IMTMATCH__":["whole","g1","g2","g3"],"__IMTLENGTH__":4,"__IMTINDEX__":2}`),
		},
		Now:         func() time.Time { return fixedNow },
		ExecutionID: "exec-42",
		Variables: map[string]any{
			"scenario": map[string]any{"name": "My scenario", "url": "https://weft.example/s/1"},
			"input":    map[string]any{"prompt_id": "p-7"},
		},
		Random: func() float64 { return 0.25 },
	}
}

// evalT parses and evaluates src, failing the test on any error.
func evalT(t testing.TB, env *Env, src string) any {
	t.Helper()
	tpl, err := ParseTemplate(src)
	if err != nil {
		t.Fatalf("ParseTemplate(%q): %v", src, err)
	}
	v, err := tpl.Eval(env)
	if err != nil {
		t.Fatalf("Eval(%q): %v", src, err)
	}
	return v
}

// same compares values, treating int-valued float64 and JSON-decoded numbers alike.
func same(got, want any) bool {
	if reflect.DeepEqual(got, want) {
		return true
	}
	if _, ok := got.(time.Time); ok {
		return false
	}
	g, err1 := json.Marshal(got)
	w, err2 := json.Marshal(want)
	return err1 == nil && err2 == nil && string(g) == string(w) && reflect.TypeOf(got) == reflect.TypeOf(want)
}

type evalCase struct {
	src  string
	want any
}

func runEvalCases(t *testing.T, env *Env, cases []evalCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.src, func(t *testing.T) {
			got := evalT(t, env, c.src)
			if !same(got, c.want) {
				t.Errorf("%s\n got %#v (%T)\nwant %#v (%T)", c.src, got, got, c.want, c.want)
			}
		})
	}
}
