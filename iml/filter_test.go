package iml

import (
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"
)

type condCase struct {
	a    any
	o    string
	b    any
	want bool
}

func runConds(t *testing.T, env *Env, cases []condCase) {
	t.Helper()
	for _, c := range cases {
		f, err := CompileFilter([][]Condition{{{A: c.a, O: c.o, B: c.b}}})
		if err != nil {
			t.Errorf("%v %s %v: compile: %v", c.a, c.o, c.b, err)
			continue
		}
		got, err := f.Match(env)
		if err != nil {
			t.Errorf("%v %s %v: match: %v", c.a, c.o, c.b, err)
			continue
		}
		if got != c.want {
			t.Errorf("%#v %s %#v = %v, want %v", c.a, c.o, c.b, got, c.want)
		}
	}
}

func filterEnv(t *testing.T) *Env {
	env := arraysEnv(t)
	env.Scope.(scope)[4] = js(t, `{"v":"1.10.0","pre":"2.0.0-rc.1","t":"09:30","t2":"9:30:00","d":"2026-11-27T08:00:00.000Z",
		"obj":{},"arr":[],"names":["Ann","bob"],"n":[1,2,3],"s":"Hello World","bool":"false","yes":true}`)
	return env
}

func TestFilterExist(t *testing.T) {
	env := filterEnv(t)
	runConds(t, env, []condCase{
		{"{{1.email}}", "exist", nil, true},
		{"{{1.missing}}", "exist", nil, false},
		{"{{1.nul}}", "exist", nil, false},
		{"{{1.empty}}", "exist", nil, false}, // "" does not exist
		{"{{4.arr}}", "exist", nil, false},   // [] does not exist
		{"{{4.obj}}", "exist", nil, true},    // {} does
		{"{{1.zero}}", "exist", nil, true},   // 0 does
		{"{{1.off}}", "exist", nil, true},    // false does
		{"{{ignore}}", "exist", nil, false},  //
		{"{{1.missing}}", "notexist", nil, true},
		{"{{1.email}}", "notexist", nil, false},
		{"{{1.empty}}", "notexist", "ignored b", true}, // b is not read
		{"literal", "exist", nil, true},
		{nil, "exist", nil, false},
	})
}

func TestFilterText(t *testing.T) {
	env := filterEnv(t)
	runConds(t, env, []condCase{
		{"{{4.s}}", "text:equal", "Hello World", true},
		{"{{4.s}}", "text:equal", "hello world", false},
		{"{{4.s}}", "text:equal:ci", "hello world", true},
		{"{{4.s}}", "text:notequal", "hello world", true},
		{"{{4.s}}", "text:notequal:ci", "HELLO WORLD", false},
		{"{{4.s}}", "text:contain", "lo W", true},
		{"{{4.s}}", "text:contain", "LO W", false},
		{"{{4.s}}", "text:contain:ci", "LO W", true},
		{"{{4.s}}", "text:notcontain", "xyz", true},
		{"{{4.s}}", "text:notcontain:ci", "WORLD", false},
		{"{{4.s}}", "text:startwith", "Hell", true},
		{"{{4.s}}", "text:startwith:ci", "hell", true},
		{"{{4.s}}", "text:notstartwith", "World", true},
		{"{{4.s}}", "text:notstartwith:ci", "HELLO", false},
		{"{{4.s}}", "text:endwith", "World", true},
		{"{{4.s}}", "text:endwith:ci", "WORLD", true},
		{"{{4.s}}", "text:notendwith", "Hello", true},
		{"{{4.s}}", "text:notendwith:ci", "world", false},
		{"{{4.s}}", "text:pattern", `^H\w+ W`, true},
		{"{{4.s}}", "text:pattern", `world$`, false},
		{"{{4.s}}", "text:pattern:ci", `world$`, true},
		{"{{4.s}}", "text:pattern", `o W`, true}, // a search, not anchored
		{"{{4.s}}", "text:notpattern", `\d`, true},
		{"{{4.s}}", "text:notpattern:ci", `hello`, false},
		{"RT //@x: hi", "text:notpattern:ci", `(Repost)|(转发微博)|(\/\/)`, false}, // bp 023
		{"{{4.s}}", "text:pattern", "{{\"^\" + \"Hello\"}}", true},             // dynamic pattern
		{"{{1.n}}", "text:equal", "5", true},                                   // numbers as text
		{"{{1.flag}}", "text:equal", "true", true},
		{"{{1.missing}}", "text:equal", "", true}, // empty is the empty text
		{"{{1.missing}}", "text:notequal", "", false},
		{"{{trim(1.name)}}", "text:notequal", "", true},
		{"ÉCOLE", "text:equal:ci", "école", true}, // Unicode case folding
		{"{{1.email}}", "text:contain", "@", true},
		{"{{1.score}}", "text:equal", "{{1.score}}", true},
	})
}

func TestFilterNumber(t *testing.T) {
	env := filterEnv(t)
	runConds(t, env, []condCase{
		{"{{1.score}}", "number:greater", "50", true},
		{"{{1.score}}", "number:greater", "72", false},
		{"{{1.score}}", "number:greaterorequal", "72", true},
		{"{{1.score}}", "number:less", "100", true},
		{"{{1.score}}", "number:lessorequal", "71.5", false},
		{"{{1.score}}", "number:equal", 72.0, true},
		{"{{1.score}}", "number:equal", "72.0", true},
		{"{{1.score}}", "number:notequal", "72", false},
		{"{{length(2.a1234)}}", "number:greater", "0", true},
		{"{{length(2.empty)}}", "number:equal", "0", true},
		{"{{25.`__IMTINDEX__`}}", "number:greater", "{{25.`__IMTLENGTH__` - 5}}", true},
		// Operands that are not numbers: the positive operators are false, notequal true.
		{"abc", "number:greater", "1", false},
		{"abc", "number:less", "1", false},
		{"abc", "number:equal", "abc", false},
		{"abc", "number:notequal", "1", true},
		{"{{1.missing}}", "number:equal", "0", false},
		{"{{1.missing}}", "number:lessorequal", "0", false},
		{"{{1.missing}}", "number:notequal", "0", true},
		{"{{now}}", "number:greater", "1764000000000", true}, // a date is its milliseconds
		{"{{4.d}}", "number:greater", "0", false},            // ISO text is not a number
	})
}

func TestFilterDateTime(t *testing.T) {
	env := filterEnv(t)
	runConds(t, env, []condCase{
		{"{{now}}", "date:greater", "2026-11-27", true},
		{"{{now}}", "date:less", "2026-11-28", true},
		{"{{4.d}}", "date:equal", "2026-11-27T08:00:00Z", true},
		{"{{4.d}}", "date:equal", "{{parseDate(\"2026-11-27 08:00\"; \"YYYY-MM-DD HH:mm\")}}", true},
		{"{{4.d}}", "date:notequal", "2026-11-27", true},
		{"{{4.d}}", "date:greaterorequal", "2026-11-27T08:00:00Z", true},
		{"{{4.d}}", "date:lessorequal", "2026-11-27T07:59:59Z", false},
		{"{{4.d}}", "date:less", "{{now}}", true},
		{"not a date", "date:less", "{{now}}", false},
		{"not a date", "date:notequal", "{{now}}", true},
		{"{{4.t}}", "time:equal", "9:30", true},
		{"{{4.t}}", "time:equal", "{{4.t2}}", true},
		{"{{4.t}}", "time:notequal", "09:31", true},
		{"{{4.t}}", "time:greater", "09:29:59", true},
		{"{{4.t}}", "time:less", "10:00", true},
		{"{{4.t}}", "time:greaterorequal", "09:30:00", true},
		{"{{4.t}}", "time:lessorequal", "09:00", false},
		{"{{4.d}}", "time:equal", "08:00", true},  // a date's wall time in the scenario zone (UTC)
		{"25:00", "time:greater", "00:00", false}, // not a time
		{"{{4.v}}", "semver:greater", "1.9.9", true},
		{"{{4.v}}", "semver:less", "1.10.1", true},
		{"{{4.v}}", "semver:equal", "v1.10", true},
		{"{{4.v}}", "semver:notequal", "1.10.0+build.5", false},
		{"{{4.v}}", "semver:greaterorequal", "1.10.0", true},
		{"{{4.v}}", "semver:lessorequal", "1.2.0", false},
		{"{{4.pre}}", "semver:less", "2.0.0", true},
		{"2.0.0-rc.1", "semver:greater", "2.0.0-beta.11", true},
		{"2.0.0-alpha.2", "semver:less", "2.0.0-alpha.10", true},
		{"2.0.0-alpha", "semver:less", "2.0.0-alpha.1", true},
		{"one", "semver:equal", "one", false},
	})
}

func TestFilterArrayAndBoolean(t *testing.T) {
	env := filterEnv(t)
	runConds(t, env, []condCase{
		{"{{4.names}}", "array:contain", "Ann", true},
		{"{{4.names}}", "array:contain", "ann", false},
		{"{{4.names}}", "array:contain:ci", "ann", true},
		{"{{4.names}}", "array:notcontain", "Bob", true},
		{"{{4.names}}", "array:notcontain:ci", "BOB", false},
		{"{{4.n}}", "array:contain", "2", true}, // equality of =
		{"{{keys(2.coll)}}", "array:contain", "c", true},
		{`{{map(2.reactions; "name")}}`, "array:contain", "{{replace(\":two:\"; \":\"; emptystring)}}", true},
		{`{{flatten(map(2.reactions; "users"))}}`, "array:notcontain:ci", "u3", false},
		{"{{4.s}}", "array:contain", "Hello World", true}, // a single value is a one-element array
		{"{{4.n}}", "array:equal", "3", true},
		{"{{4.n}}", "array:notequal", "3", false},
		{"{{4.n}}", "array:greater", "0", true},
		{"{{4.arr}}", "array:greater", "0", false},
		{"{{1.missing}}", "array:equal", 0.0, true},
		{"{{4.n}}", "array:less", "4", true},
		{"{{4.n}}", "array:greaterorequal", "3", true},
		{"{{4.n}}", "array:lessorequal", "2", false},
		{"{{4.n}}", "array:greater", "x", false},
		{"{{4.yes}}", "boolean:equal", "{{true}}", true},
		{"{{4.yes}}", "boolean:equal", "true", true},
		{"{{4.bool}}", "boolean:equal", "false", true}, // the text "false" is false
		{"{{1.missing}}", "boolean:equal", "false", true},
		{"{{1.zero}}", "boolean:equal", true, true}, // every number is true
		{"{{4.yes}}", "boolean:notequal", "{{true}}", false},
		{"{{1.off}}", "boolean:notequal", "{{true}}", true},
	})
}

func TestFilterGroups(t *testing.T) {
	env := filterEnv(t)
	yes := Condition{A: "{{1.n}}", O: "number:equal", B: "5"}
	no := Condition{A: "{{1.n}}", O: "number:equal", B: "6"}
	cases := []struct {
		name   string
		groups [][]Condition
		want   bool
	}{
		{"no groups", nil, true},
		{"empty group", [][]Condition{{}}, true},
		{"and: all true", [][]Condition{{yes, yes}}, true},
		{"and: one false", [][]Condition{{yes, no}}, false},
		{"or: second group", [][]Condition{{no}, {yes}}, true},
		{"or: none", [][]Condition{{no}, {yes, no}}, false},
	}
	for _, c := range cases {
		f := MustCompileFilter(c.groups)
		got, err := f.Match(env)
		if err != nil || got != c.want {
			t.Errorf("%s: got %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	var nilFilter *Filter
	if ok, err := nilFilter.Match(env); !ok || err != nil {
		t.Errorf("nil filter: %v %v", ok, err)
	}
}

func TestFilterCompileErrors(t *testing.T) {
	cases := []struct {
		groups       [][]Condition
		group, index int
		field, msg   string
	}{
		{[][]Condition{{{A: "x", O: "text:startswith", B: "y"}}}, 0, 0, "o", "did you mean text:startwith"},
		{[][]Condition{{{A: "x", O: "text:endswith", B: "y"}}}, 0, 0, "o", "did you mean text:endwith"},
		{[][]Condition{{{A: "x", O: "exist"}}, {{A: "x", O: "exist"}, {A: "x", O: "date:before", B: "y"}}}, 1, 1, "o", "did you mean date:less"},
		{[][]Condition{{{A: "x", O: "date:after", B: "y"}}}, 0, 0, "o", "unknown filter operator"},
		{[][]Condition{{{A: "x", O: "number:equal:ci", B: "y"}}}, 0, 0, "o", "unknown filter operator"},
		{[][]Condition{{{A: "x", O: "", B: "y"}}}, 0, 0, "o", "missing operator"},
		{[][]Condition{{{A: "x", O: "Text:Equal", B: "y"}}}, 0, 0, "o", "unknown filter operator"},
		{[][]Condition{{{A: "{{1.x", O: "exist"}}}, 0, 0, "a", "missing }}"},
		{[][]Condition{{{A: "x", O: "text:equal", B: "{{nope(1)}}"}}}, 0, 0, "b", "unknown function nope"},
		{[][]Condition{{{A: "x", O: "text:pattern", B: "(unclosed"}}}, 0, 0, "b", "invalid regular expression"},
		{[][]Condition{{{A: map[string]any{"k": "{{"}, O: "exist"}}}, 0, 0, "a", "/k: syntax error"},
	}
	for _, c := range cases {
		_, err := CompileFilter(c.groups)
		var fe *FilterError
		if !errors.As(err, &fe) {
			t.Errorf("%+v: error %v, want *FilterError", c.groups, err)
			continue
		}
		if fe.Group != c.group || fe.Index != c.index || fe.Field != c.field || !strings.Contains(fe.Error(), c.msg) {
			t.Errorf("got %d/%d %q %v; want %d/%d %q containing %q", fe.Group, fe.Index, fe.Field, fe, c.group, c.index, c.field, c.msg)
		}
	}
}

func TestFilterMatchErrorAndRefs(t *testing.T) {
	env := filterEnv(t)
	f := MustCompileFilter([][]Condition{
		{{A: "{{1.n}}", O: "number:equal", B: "6"}},
		{{A: "{{2.abc}}", O: "exist"}, {A: "{{3.data.name}}", O: "text:equal", B: "{{1 / 0}}"}},
	})
	_, err := f.Match(env)
	var fe *FilterError
	var ee *EvalError
	if !errors.As(err, &fe) || fe.Group != 1 || fe.Index != 1 || fe.Field != "b" || !errors.As(err, &ee) {
		t.Fatalf("got %v, want a FilterError at 1/1 b wrapping an EvalError", err)
	}
	// A bad dynamic pattern is an evaluation error.
	g := MustCompileFilter([][]Condition{{{A: "x", O: "text:pattern", B: "{{\"(\"}}"}}})
	if _, err := g.Match(env); !errors.As(err, &ee) || !strings.Contains(ee.Msg, "invalid regular expression") {
		t.Errorf("dynamic bad pattern: %v", err)
	}
	want := []Ref{{1, []string{"n"}}, {2, []string{"abc"}}, {3, []string{"data", "name"}}}
	if got := f.Refs(); !reflect.DeepEqual(got, want) {
		t.Errorf("Refs = %v, want %v", got, want)
	}
}

// TestOperatorList: exactly the codes of Make's forman schema (IML_FILTER_OPERATORS).
func TestOperatorList(t *testing.T) {
	want := strings.Fields(`exist notexist
text:equal text:equal:ci text:notequal text:notequal:ci text:contain text:contain:ci text:notcontain text:notcontain:ci
text:startwith text:startwith:ci text:notstartwith text:notstartwith:ci text:endwith text:endwith:ci text:notendwith
text:notendwith:ci text:pattern text:pattern:ci text:notpattern text:notpattern:ci
number:equal number:notequal number:greater number:less number:greaterorequal number:lessorequal
date:equal date:notequal date:greater date:less date:greaterorequal date:lessorequal
time:equal time:notequal time:greater time:less time:greaterorequal time:lessorequal
semver:equal semver:notequal semver:greater semver:less semver:greaterorequal semver:lessorequal
array:contain array:contain:ci array:notcontain array:notcontain:ci array:equal array:notequal array:greater
array:less array:greaterorequal array:lessorequal boolean:equal boolean:notequal`)
	sort.Strings(want)
	if got := Operators(); !reflect.DeepEqual(got, want) {
		t.Errorf("Operators() = %v\nwant %v", got, want)
	}
	for _, code := range want {
		if !IsOperator(code) {
			t.Errorf("IsOperator(%q) = false", code)
		}
	}
	for _, bad := range []string{"text:startswith", "text:endswith", "date:before", "date:after", "number:equal:ci", "", "equal"} {
		if IsOperator(bad) {
			t.Errorf("IsOperator(%q) = true", bad)
		}
	}
}
