package iml

import (
	"reflect"
	"strings"
	"testing"
)

// Make reads a function argument that is not an expression as text, and bare words in
// an argument as the text they spell (the mapping panel's notation, used by Make's and
// Fusion's help pages). These are the documented examples and the shapes real exports
// were refused for.
func TestTolerantArguments(t *testing.T) {
	env := arraysEnv(t)
	runEvalCases(t, env, []evalCase{
		// Help-page notation: text arguments without quotes.
		{"{{formatDate(1.date; YYYY-MM-DD)}}", "2018-10-01"},
		{"{{formatDate(1.date; MM/DD/YYYY)}}", "10/01/2018"},
		{"{{formatDate(1.date; DD.MM.YYYY HH:mm; UTC)}}", "01.10.2018 07:32"},
		{"{{formatDate(1.date; YYYY-MM-DD hh:mm A)}}", "2018-10-01 07:32 AM"},
		{"{{formatDate(1.date; X)}}", "1538379120"},
		{"{{if(1 = 1; A; B)}}", "A"},
		{"{{if(1 = 2 and 1 = 2; A; B)}}", "B"},
		{"{{switch(B; A; 1; B; 2; C; 3)}}", 2.0},
		{"{{switch(X; A; 1; B; 2; C; 3; 4)}}", 4.0},
		{"{{replace(Hello World; Hello; Hi)}}", "Hi World"},
		{"{{contains(Hello World; Bye)}}", false},
		{"{{indexOf(We love Make; e; 7)}}", 11.0},
		{"{{parseNumber(1 756,456; ,)}}", 1756.456},
		{"{{formatNumber(123456789; 3; ,; .)}}", "123.456.789,000"},
		{"{{split(John, George, Paul; ,)}}", []any{"John", " George", " Paul"}},
		{"{{get(2.coll; c.d)}}", 4.0},
		{"{{map(2.emails; email; label; work)}}", []any{"a@x"}},
		{"{{sort(2.abc; desc)}}", []any{"c", "b", "a"}},
		{"{{toString(toBinary(V29ya2Zyb250; base64))}}", "Workfront"},
		{"{{replace(Phone number is 777111222; /\\d+/g; +420$&)}}", "Phone number is +420777111222"},
		// A word next to a reference is its own text; keywords keep their meaning.
		{"{{if(1.n = 5; yes; no)}}", "yes"},
		{"{{if(1.name = Ann; yes; no)}}", "no"},
		{"{{if(2.user.name = Ann; yes; no)}}", "yes"},
		{"{{split(A B; space)}}", []any{"A", "B"}},
		{"{{ifempty(1.empty; null)}}", nil},
		// A quoted argument is a string, as always.
		{`{{formatDate(1.date; "YYYY-MM-DD")}}`, "2018-10-01"},
		// Not expressions: single quotes and backslashes are characters in Make.
		{"{{ifempty(1.empty; 'warm')}}", "'warm'"},
		{"{{ifempty(1.empty; '')}}", "''"},
		{`{{ifempty(1.empty; '{"orderNumber": null}')}}`, `'{"orderNumber": null}'`},
		{`{{join(2.abc; '", "')}}`, `a'", "'b'", "'c`},
		{`{{if(true; \"hot\"; \"nurture\")}}`, `\"hot\"`},
		// The text is the format \ + "YYYY-MM-DD\" (a backslash escapes in moment's tokens).
		{`{{formatDate(1.date; \ + "YYYY-MM-DD\")}}`, ` + "2018-10-01"`},
		{"{{if(1.n, 1.n, 180)}}", nil},
		// A regular expression literal, even with ; ( ) / or backticks inside.
		{"{{replace(\"a1b22\"; /\\d+/g; #)}}", "a#b#"},
		{"{{replace(\"a;b;c\"; /;/g; -)}}", "a-b-c"},
		{"{{replace(\"f(x)\"; /\\(/g; [)}}", "f[x)"},
		{"{{replace(\"a/b\"; /[/]/g; _)}}", "a_b"},
		{"{{replace(replace(\"```json\n{}\n```\"; /```json\\n?/g; \"\"); /```\\n?/g; \"\")}}", "{}\n"},
		// Parentheses inside text read as text are balanced; strings are skipped over.
		{"{{ifempty(1.empty; 1 (x; y) z)}}", "1 (x; y) z"},
		{`{{ifempty(1.empty; a "b;)" c)}}`, `a "b;)" c`},
	})
	runDateCases(t, env, []evalCase{
		{"{{parseDate(2016-12-28 16:03; YYYY-MM-DD HH:mm)}}", "2016-12-28T16:03:00.000Z"},
		{"{{setDay(2018-06-27T11:36:39.138Z; monday)}}", "2018-06-25T11:36:39.138Z"},
		{"{{addDays(2016-12-08T15:55:57.536Z; 2)}}", "2016-12-10T15:55:57.536Z"},
	})
}

// A call with fewer arguments than the function takes gets empty ones; extra ones are
// ignored and not evaluated (Make evaluates such calls, as JavaScript does).
func TestArgumentCount(t *testing.T) {
	env := testEnv(t)
	runEvalCases(t, env, []evalCase{
		{"{{escapeJSON()}}", ""},
		{"{{lower()}}", ""},
		{"{{if(1.flag)}}", nil},
		{`{{ifempty(1.empty; ""; ", ""x"": 1")}}`, ""},
		{`{{ifempty(1.name; ""; 1 / 0)}}`, "Ann Lee"}, // the extra argument is not evaluated
		{`{{lower("AB"; 1 / 0)}}`, "ab"},
		// formatDate without a format prints moment's default, ISO 8601.
		{`{{formatDate("2025-09-22T00:00:00Z")}}`, "2025-09-22T00:00:00Z"},
		{`{{formatDate("2025-09-22T00:00:00Z"; )}}`, "2025-09-22T00:00:00Z"},
	})
}

func TestTolerantNotes(t *testing.T) {
	cases := []struct {
		src   string
		notes []Note
	}{
		{"{{formatDate(now; YYYY-MM-DD)}}", nil},
		{`{{formatDate(now; "YYYY")}}`, nil},
		{"{{ifempty(1.x; 'warm')}}", []Note{{15, `argument 2 of ifempty is not an expression of the mapping language; it is read as the text "'warm'"`}}},
		{"{{escapeJSON()}}", []Note{{2, "escapeJSON takes 1 argument, got 0: the missing ones are empty"}}},
		{"{{ifempty(1.a; 1; 2)}}", []Note{{2, "ifempty takes 2 arguments, got 3: the extra ones are ignored"}}},
		{"a {{upper(x, y)}} {{lower()}}", []Note{
			{10, `argument 1 of upper is not an expression of the mapping language; it is read as the text "x, y"`},
			{20, "lower takes 1 argument, got 0: the missing ones are empty"}}},
		// A note inside an argument that is then read as text is dropped with it.
		{"{{upper(lower() x)}}", []Note{{8, `argument 1 of upper is not an expression of the mapping language; it is read as the text "lower() x"`}}},
	}
	for _, c := range cases {
		tpl, err := ParseTemplate(c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if got := tpl.Notes(); !reflect.DeepEqual(got, c.notes) {
			t.Errorf("%s: notes\n got %#v\nwant %#v", c.src, got, c.notes)
		}
	}
}

// Reading arguments as text must not hide what is broken: an unclosed call, a bad
// regular expression, the nesting limit; and bare names outside a function are still
// unknown names (placeholders), not text.
func TestTolerantLimits(t *testing.T) {
	for _, c := range []struct{ src, msg string }{
		{"{{formatDate(now; 'YYYY}}", "missing ) to close formatDate("},
		{"{{upper(a b}}", "missing ) to close upper("},
		{"{{upper(lower(x; y}}", "missing ) to close"},
		{"{{replace(1.x; /(/g; b)}}", "invalid regular expression"},
		{"{{replace(1.x; /[/g; b)}}", "invalid regular expression"},
		{"{{1.a == 2}}", "expected a value"},
		// An unknown function or a bad constant argument inside an argument is not text.
		{"{{length(filter(3.data; 'leadScore'; '>='; 70))}}", "unknown function filter"},
		{"{{if(or(1.a, 1.b); 1; 2)}}", "unknown function or"},
		{"{{upper(now() x)}}", "now is a keyword"},
		{`{{upper(replace(1.x; "/(/"; y) z)}}`, "invalid regular expression"},
		{"{{upper(" + strings.Repeat("(", 300) + "1 x" + strings.Repeat(")", 300) + ")}}", "nested too deeply"},
	} {
		_, err := ParseTemplate(c.src)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: got %v, want an error containing %q", c.src, err, c.msg)
		}
	}
	tpl := MustParseTemplate("{{airtableBaseId}} {{upper(airtableBaseId)}}")
	if got := tpl.UnknownNames(); !reflect.DeepEqual(got, []string{"airtableBaseId"}) {
		t.Errorf("UnknownNames = %v, want only the name outside a function", got)
	}
	if v := evalT(t, testEnv(t), "{{airtableBaseId}}|{{upper(airtableBaseId)}}"); v != "|AIRTABLEBASEID" {
		t.Errorf("got %q", v)
	}
}
