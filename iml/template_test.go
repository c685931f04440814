package iml

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestReferences(t *testing.T) {
	env := testEnv(t)
	runEvalCases(t, env, []evalCase{
		{"{{1.email}}", "Ann@Example.com"},
		{"{{1.n}}", 5.0},
		{"{{1.flag}}", true},
		{"{{3.data.name}}", "three"},
		{"{{1.items[1].title}}", "first"},
		{"{{1.items[2].title}}", "second"},
		{"{{1.items[1 + 1].price}}", 2.5},
		{"{{1.items[1.n - 3].title}}", "second"},
		{"{{1.items[].title}}", "first"},    // [] = first element
		{"{{1.items[-1].title}}", "second"}, // negative counts from the end
		{"{{1.items[0].title}}", nil},       // 0 does not exist
		{"{{1.items[3].title}}", nil},       // out of range
		{"{{1.items[1.5].title}}", nil},     // not an integer
		{"{{1.items[-99999999999999999999]}}", nil},
		{"{{1.items[99999999999999999999]}}", nil},
		{"{{1.items.title}}", "first"},     // a key through an array reads the first element
		{"{{1.items[2].tags[1]}}", "c"},    // nested
		{"{{1.data.list[3]}}", 3.0},        // numbers keep their type
		{"{{1.data[\"name\"]}}", "inner"},  // a text index on a collection is a key
		{"{{1.`Customer Name`}}", "ACME"},  // backticks
		{"{{1.`0`}}", "col0"},              // numeric-looking key
		{"{{1.$1}}", "g1"},                 // text parser group names
		{"{{25.`__IMTMATCH__`[3]}}", "g2"}, // system fields
		{"{{25.__IMTLENGTH__}}", 4.0},      // without backticks
		{"{{25.`__IMTINDEX__`}}", 2.0},     //
		{"{{1.missing}}", nil},             // missing paths are empty, never errors
		{"{{1.missing.deeper[2].x}}", nil}, //
		{"{{1.email.x}}", nil},             // a key of text
		{"{{99.anything}}", nil},           // module without output
		{"{{executionId}}", "exec-42"},     //
		{"{{executionID}}", "exec-42"},     // keywords ignore case (Fusion spelling)
		{"{{var.scenario.name}}", "My scenario"},
		{"{{var.scenario.executionId}}", "exec-42"}, // always known
		{"{{var.input.prompt_id}}", "p-7"},
		{"{{var.input.nothing}}", nil},
		{"{{var.other.x}}", nil},
		{"{{airtableBaseId}}", nil}, // unknown bare names (placeholders) are empty
		{"{{N.error.message}}", nil},
	})
	// `1` is the whole bundle.
	got := evalT(t, env, "{{`3`}}")
	if m, ok := got.(map[string]any); !ok || m["value"] != "x" {
		t.Errorf("{{`3`}} = %#v, want module 3's bundle", got)
	}
	if got := evalT(t, env, "{{`3`.value}}"); got != "x" {
		t.Errorf("{{`3`.value}} = %#v", got)
	}
	// Whole-segment templates keep arrays and collections.
	if got := evalT(t, env, "{{1.nums}}"); !reflect.DeepEqual(got, []any{3.0, 1.0, 2.0}) {
		t.Errorf("{{1.nums}} = %#v", got)
	}
}

func TestLiteralsAndKeywords(t *testing.T) {
	env := testEnv(t)
	runEvalCases(t, env, []evalCase{
		{`{{"text"}}`, "text"},
		{`{{""""}}`, `"`}, // a quote is written twice
		{`{{"{""alg"":""HS256""}"}}`, `{"alg":"HS256"}`},
		{`{{"a}}b"}}`, "a}}b"}, // }} inside a string does not close
		{`{{"\n"}}`, `\n`},     // backslashes are literal
		{`{{"/\d+/g"}}`, `/\d+/g`},
		{`{{""}}`, ""},
		{"{{12}}", 12.0},
		{"{{1.5}}", 1.5},
		{"{{-2}}", -2.0},
		{"{{true}}", true},
		{"{{false}}", false},
		{"{{null}}", nil},
		{"{{erase}}", nil},
		{"{{emptystring}}", ""},
		{"{{space}}", " "},
		{"{{nbsp}}", "\u00a0"},
		{"{{tab}}", "\t"},
		{"{{newline}}", "\n"},
		{"{{carriagereturn}}", "\r"},
		{"{{pi}}", math.Pi},
		{"{{random}}", 0.25},
		{"{{timestamp}}", float64(fixedNow.Unix())},
		{"{{TRUE}}", true},
		{"{{ 1.n }}", 5.0}, // spaces inside the braces
		{"{{\n1.n\n}}", 5.0},
	})
	if got := evalT(t, env, "{{now}}"); got != fixedNow {
		t.Errorf("now = %v", got)
	}
	if got := evalT(t, env, "{{emptyarray}}"); !reflect.DeepEqual(got, []any{}) {
		t.Errorf("emptyarray = %#v", got)
	}
	if got := evalT(t, env, "{{uuid}}"); got != "40404040-4040-4040-8040-404040404040" {
		t.Errorf("uuid = %#v", got)
	}
	if got := evalT(t, env, "{{ignore}}"); got != Ignore {
		t.Errorf("ignore = %#v", got)
	}
}

func TestTextTemplates(t *testing.T) {
	env := testEnv(t)
	runEvalCases(t, env, []evalCase{
		{"Hello {{1.name}}!", "Hello Ann Lee!"},
		{"{{1.name}} <{{1.email}}>", "Ann Lee <Ann@Example.com>"},
		{"n={{1.n}}", "n=5"},
		{"{{1.n}}{{1.n}}", "55"},                            // two segments: text
		{"{{1.nums}} ", "3, 1, 2 "},                         // arrays as text: ", "
		{"{{1.data}}!", `{"list":[1,2,3],"name":"inner"}!`}, // collections as JSON
		{"[{{1.missing}}]", "[]"},
		{"a{{ignore}}b", "ab"},
		{"{{1.flag}}/{{1.off}}", "true/false"},
		{"{{parseDate(\"2016-12-28\"; \"YYYY-MM-DD\")}}.", "2016-12-28T00:00:00.000Z."},
		{"plain text", "plain text"},
		{"", ""},
		{"a }} b", "a }} b"},
		{`{"a":{{{1.n}}}}`, `{"a":{5}}`}, // braces before {{ are text
		{"{{{1.n}}}", "{5}"},
		{"x {{0.1 + 0.2}}", "x 0.30000000000000004"},
	})
}

func TestOperators(t *testing.T) {
	env := testEnv(t)
	runEvalCases(t, env, []evalCase{
		{"{{1 + 2}}", 3.0},
		{"{{1 + 2 * 3}}", 7.0},
		{"{{(1 + 2) * 3}}", 9.0},
		{"{{10 - 4 - 3}}", 3.0}, // left-associative
		{"{{12 / 4 / 3}}", 1.0},
		{"{{7 % 3}}", 1.0},
		{"{{7 mod 3}}", 1.0},
		{"{{-7 % 3}}", -1.0}, // sign of the dividend, as JavaScript
		{"{{2 * -3}}", -6.0},
		{"{{-(1 + 2)}}", -3.0},
		{"{{-1.n}}", -5.0},
		{"{{1.score + 1}}", "721"}, // text + number concatenates (JavaScript +)
		{"{{1.score * 2}}", 144.0}, // numeric text in arithmetic
		{"{{1.score - 2}}", 70.0},  //
		{`{{"-" + 3}}`, "-3"},      // MK-DATE's "-" + 1.dow
		{`{{"a" + "b"}}`, "ab"},
		{"{{1.missing + 1}}", 1.0},   // empty is 0 next to a number
		{`{{1.missing + "x"}}`, "x"}, // and empty text next to text
		{"{{1.missing * 3}}", 0.0},
		{"{{true + 1}}", 2.0},
		{"{{1 = 1}}", true},
		{"{{1 = 2}}", false},
		{`{{1 = "1"}}`, true}, // numeric text equals its number
		{`{{"a" = "A"}}`, false},
		{"{{1.missing = null}}", true},
		{`{{1.empty = null}}`, true},
		{"{{1 != 2}}", true},
		{"{{2 > 1}}", true},
		{"{{2 < 1}}", false},
		{"{{2 >= 2}}", true},
		{"{{2 <= 1.5}}", false},
		{"{{1.score > 100}}", false}, // "72" read as a number next to a number
		{"{{1.score > 9}}", true},
		{`{{"10" > "9"}}`, true}, // two numeric texts compare as numbers
		{`{{"b" > "a"}}`, true},
		{`{{"B" > "a"}}`, false}, // code point order
		{`{{"abc" > 1}}`, false}, // cannot be ordered: false
		{`{{now > "2020-01-01"}}`, true},
		{`{{parseDate("2016-12-28"; "YYYY-MM-DD") < parseDate("2016-12-29"; "YYYY-MM-DD")}}`, true},
		{`{{(parseDate("2016-12-29"; "YYYY-MM-DD") - parseDate("2016-12-28"; "YYYY-MM-DD")) / 1000 / 60 / 60 / 24}}`, 1.0},
		{"{{true & false}}", false},
		{"{{true and true}}", true},
		{"{{false | true}}", true},
		{"{{false or false}}", false},
		{"{{1.flag & 1.score}}", true},         // truthiness of §5
		{"{{1.zero | false}}", true},           // every number is true, even 0
		{`{{"false" | 1.empty}}`, false},       // "false" and "" are false
		{"{{1 = 2 and 1 = 2 or 3 > 2}}", true}, // and binds tighter than or
		{"{{1 < 2 = true}}", true},             // comparison binds tighter than =
		{"{{1 + 1 = 2 & 3 * 2 = 6}}", true},
		{"{{1.n + 1 > 5}}", true},
		{"{{(1.n)}}", 5.0},
		{"{{2 * (3 + (4 - 1))}}", 12.0},
	})
}

func TestEvalErrors(t *testing.T) {
	env := testEnv(t)
	cases := []struct{ src, fn, msg string }{
		{"{{1 / 0}}", "", "division by zero"},
		{"{{1 % 0}}", "", "modulo by zero"},
		{`{{"abc" * 2}}`, "", `operator * needs numbers, got text "abc"`},
		{"{{1.items - 1}}", "", "operator - needs numbers"},
		{`{{floor("x")}}`, "floor", `text "x" is not a number`},
		{`{{upper(floor("x"))}}`, "floor", "is not a number"}, // the innermost function is named
		{`{{replace("a"; "/(" + 1.name + "/"; "b")}}`, "replace", "invalid regular expression"},
	}
	for _, c := range cases {
		tpl, err := ParseTemplate(c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		_, err = tpl.Eval(env)
		var ee *EvalError
		if !errors.As(err, &ee) {
			t.Fatalf("%s: error %v (%T), want *EvalError", c.src, err, err)
		}
		if ee.Func != c.fn || !strings.Contains(ee.Msg, c.msg) {
			t.Errorf("%s: got {Func:%q Msg:%q}, want func %q and message containing %q", c.src, ee.Func, ee.Msg, c.fn, c.msg)
		}
	}
}

func TestSyntaxErrors(t *testing.T) {
	cases := []struct {
		src    string
		offset int
		msg    string
	}{
		{"{{", 0, "missing }}"},
		{"ab {{1.x", 3, "missing }}"},
		{"{{}}", 0, "empty expression"},
		{"{{ }}", 0, "empty expression"},
		{"{{foo(1)}}", 2, "unknown function foo"},
		{"{{now()}}", 2, "now is a keyword"},
		{"{{toJSON(now)}}", 2, "unknown function toJSON"},
		{"{{1.x +}}", 7, "expected a value, found }}"},
		{"{{(1}}", 4, "expected )"},
		{"{{upper(1.x}}", 7, "missing ) to close upper("},
		{"{{upper(1.x 2}}", 7, "missing ) to close upper("},
		{"{{upper('a}}", 7, "missing ) to close upper("},
		{`{{"abc}}`, 2, "unterminated string"},
		{"{{1.`abc}}", 4, "unterminated backtick"},
		{"{{1.x[1}}", 5, "missing ]"},
		{"{{1.}}", 3, "expected a field name"},
		{"{{1 2}}", 4, "expected }} or an operator"},
		{"{{!1.x}}", 2, "no negation"},
		{"{{1.x == 2}}", 7, "expected a value"},
		{"{{1.x && 2}}", 7, "expected a value"},
		{"{{a # b}}", 4, "unexpected character"},
		{"{{and 1}}", 2, "needs a value on its left"},
		{`{{replace(1.x; "/(/g"; "")}}`, 2, "invalid regular expression"},
		{"x {{1.a}} {{1.b", 10, "missing }}"},
		{"{{1.x}", 5, "unexpected }"},
		{"{{var}}", 2, ""}, // var alone is an unknown name: valid
	}
	for _, c := range cases {
		_, err := ParseTemplate(c.src)
		if c.msg == "" {
			if err != nil {
				t.Errorf("%s: unexpected error %v", c.src, err)
			}
			continue
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%s: error %v (%T), want *SyntaxError", c.src, err, err)
			continue
		}
		if se.Offset != c.offset || !strings.Contains(se.Msg, c.msg) {
			t.Errorf("%s: got offset %d %q, want offset %d containing %q", c.src, se.Offset, se.Msg, c.offset, c.msg)
		}
	}
}

func TestNestingLimit(t *testing.T) {
	deep := "{{" + strings.Repeat("(", 1000) + "1" + strings.Repeat(")", 1000) + "}}"
	_, err := ParseTemplate(deep)
	var se *SyntaxError
	if !errors.As(err, &se) || !strings.Contains(se.Msg, "nested too deeply") {
		t.Fatalf("got %v, want a nesting error", err)
	}
	ok := "{{" + strings.Repeat("(", 50) + "1" + strings.Repeat(")", 50) + "}}"
	if _, err := ParseTemplate(ok); err != nil {
		t.Fatalf("50 levels: %v", err)
	}
}

func TestTemplateAccessors(t *testing.T) {
	tpl := MustParseTemplate("{{1.a.b}} {{3.items[2.i].name}} {{1.a.b}} {{`4`}} {{get(5.x; 1)}} {{foo}}")
	want := []Ref{{1, []string{"a", "b"}}, {3, []string{"items", "name"}}, {2, []string{"i"}}, {4, nil}, {5, []string{"x"}}}
	if got := tpl.Refs(); !reflect.DeepEqual(got, want) {
		t.Errorf("Refs = %#v\nwant %#v", got, want)
	}
	if got := tpl.UnknownNames(); !reflect.DeepEqual(got, []string{"foo"}) {
		t.Errorf("UnknownNames = %#v", got)
	}
	if _, ok := tpl.Const(); ok {
		t.Error("Const of a template with expressions reported ok")
	}
	if tpl.Source() != "{{1.a.b}} {{3.items[2.i].name}} {{1.a.b}} {{`4`}} {{get(5.x; 1)}} {{foo}}" {
		t.Error("Source changed")
	}
	c := MustParseTemplate("just text")
	if v, ok := c.Const(); !ok || v != "just text" {
		t.Errorf("Const = %v %v", v, ok)
	}
	if c.Refs() != nil {
		t.Errorf("constant template has refs %v", c.Refs())
	}
	if v, err := c.Eval(nil); err != nil || v != "just text" {
		t.Errorf("Eval(nil) = %v %v", v, err)
	}
	// A nil Env is an empty environment: references are empty.
	if v, err := MustParseTemplate("{{1.a}}").Eval(nil); err != nil || v != nil {
		t.Errorf("Eval(nil) of a reference = %v %v", v, err)
	}
}

func TestConcurrentEval(t *testing.T) {
	tpl := MustParseTemplate(`{{upper(1.name)}} {{join(map(1.items; "title"); "/")}} {{formatDate(now; "YYYY")}}`)
	env := testEnv(t)
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				v, err := tpl.Eval(env)
				if err != nil || v != "ANN LEE first/second 2026" {
					errs <- "got " + v.(string)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

func TestDefaultClockAndRandom(t *testing.T) {
	env := &Env{}
	before := time.Now()
	v := evalT(t, env, "{{now}}").(time.Time)
	if v.Before(before.Add(-time.Second)) || v.After(time.Now().Add(time.Second)) {
		t.Errorf("now without Env.Now = %v, want the wall clock", v)
	}
	r := evalT(t, env, "{{random}}").(float64)
	if r < 0 || r >= 1 {
		t.Errorf("random = %v", r)
	}
	u := evalT(t, env, "{{uuid}}").(string)
	if len(u) != 36 || u[14] != '4' {
		t.Errorf("uuid = %q", u)
	}
}
