package iml

import (
	"errors"
	"strings"
	"testing"
)

// arraysEnv adds module 2 with the arrays and collections the array examples of
// IML.md §2.5 use.
func arraysEnv(t *testing.T) *Env {
	env := testEnv(t)
	s := env.Scope.(scope)
	s[2] = js(t, `{
		"a1234": [1,2,3,4], "a3456": [3,4,5,6], "abc": ["a","b","c"], "bd": ["b","d"], "bcd": ["b","c","d"],
		"dups": [1,2,2,3,1], "nested": [[1,2],[3]], "deep": [[1,[2,[3]]]], "abac": ["a","b","a","c"],
		"abcd": ["a","b","c","d"], "xyz": ["x","y","z"], "mixed": ["c","B","a","C","b","A"],
		"numtext": [10, 9, "1", 2.5],
		"users": [{"name":"Bob","age":22,"role":"admin"},{"name":"Tim","age":23,"role":"user"},{"name":"Ann","age":22,"role":"admin"},{"name":"Bob","age":40}],
		"emails": [{"email":"a@x","label":"work","sender":{"name":"Zed"}},{"email":"b@x","label":"home","sender":{"name":"Amy"}},{"email":"c@x","label":"other","sender":{"name":"Max"}}],
		"reactions": [{"name":"one","users":["U1","U2"]},{"name":"two","users":["U3"]}],
		"coll": {"b":2,"a":1,"c":{"d":4}},
		"user": {"name":"Ann","email":"ann@x","password":"secret"},
		"line": [{"line":"l1"},{"line":"l2"}],
		"empty": []
	}`)
	return env
}

func TestGeneralFunctions(t *testing.T) {
	env := arraysEnv(t)
	runEvalCases(t, env, []evalCase{
		// IML.md §2.1 documented examples
		{"{{get(2.abcd; 1 + 1)}}", "b"},
		{`{{get(2.users; "2.name")}}`, "Tim"},
		{`{{get(2.emails; "1.sender.name")}}`, "Zed"},
		{`{{get(2.coll; "c.d")}}`, 4.0},
		{`{{get(split("Ann Marie Lee"; space); 1)}}`, "Ann"},
		{`{{get(split("Ann Marie Lee"; space); 2)}}`, "Marie"},
		{`{{get(2.abcd; 9)}}`, nil},
		{`{{get(2.coll; "nope.x")}}`, nil},
		{`{{get(1.missing; 1)}}`, nil},
		{"{{if(1 = 1; \"A\"; \"B\")}}", "A"},
		{"{{if(1 = 2; \"A\"; \"B\")}}", "B"},
		{"{{if(1 = 2 and 1 = 2; \"A\"; \"B\")}}", "B"},
		{"{{if(1.flag; 1.n; 1 / 0)}}", 5.0}, // only the chosen branch is evaluated
		{"{{if(1.missing; 1)}}", nil},
		{`{{if("false"; 1; 2)}}`, 2.0},
		{"{{if(1.zero; 1; 2)}}", 1.0}, // 0 is true (type coercion table)
		{"{{ifempty(\"A\"; \"B\")}}", "A"},
		{"{{ifempty(1.unknown; \"B\")}}", "B"},
		{`{{ifempty(""; "B")}}`, "B"},
		{`{{ifempty(2.empty; "B")}}`, "B"},
		{`{{ifempty(1.zero; "B")}}`, 0.0},
		{`{{ifempty(ignore; "B")}}`, "B"},
		{`{{switch("B"; "A"; 1; "B"; 2; "C"; 3)}}`, 2.0},
		{`{{switch("C"; "A"; 1; "B"; 2; "C"; 3)}}`, 3.0},
		{`{{switch("X"; "A"; 1; "B"; 2; "C"; 3; 4)}}`, 4.0},
		{`{{switch("X"; "A"; 1; "B"; 2)}}`, nil},
		{`{{switch(1.n; "5"; "five"; "six")}}`, "five"},
		{`{{omit(2.user; "password")}}`, map[string]any{"name": "Ann", "email": "ann@x"}},
		{`{{pick(2.user; "password"; "email")}}`, map[string]any{"password": "secret", "email": "ann@x"}},
		{`{{omit(1.missing; "x")}}`, nil},
		// ignore passes through if/ifempty/switch so a mapper key can be dropped.
		{`{{if(false; 1; ignore)}}`, Ignore},
		{`{{ifempty(1.x; if(false; "id"; ignore))}}`, Ignore},
	})
}

func TestTextFunctions(t *testing.T) {
	env := testEnv(t)
	runEvalCases(t, env, []evalCase{
		// IML.md §2.3 documented examples
		{`{{ascii("ěMščařžkýáeíé")}}`, "Make"},
		{`{{ascii("ěščřž"; true)}}`, "escrz"},
		{`{{ascii("Straße Øre"; true)}}`, "Strasse Ore"},
		{`{{base64("Make")}}`, "TWFrZQ=="},
		{`{{base64("workfront")}}`, "d29ya2Zyb250"},
		{`{{toString(toBinary("TWFrZQ=="; "base64"))}}`, "Make"},
		{`{{toString(toBinary("V29ya2Zyb250"; "base64"))}}`, "Workfront"},
		{`{{toString(toBinary("4d616b65"; "hex"))}}`, "Make"},
		{`{{length(toBinary("Make"))}}`, 4.0},
		{`{{capitalize("make")}}`, "Make"},
		{`{{capitalize("élan vital")}}`, "Élan vital"},
		{`{{contains("Hello World"; "Hello")}}`, true},
		{`{{contains("Hello World"; "Bye")}}`, false},
		{`{{contains("Hello World"; "hello")}}`, false},
		{`{{decodeURL("Automate%20your%20workflow")}}`, "Automate your workflow"},
		{`{{encodeURL("a b&c")}}`, "a%20b%26c"},
		{`{{encodeURL("ü/?=#-_.!~*'()")}}`, "%C3%BC%2F%3F%3D%23-_.!~*'()"},
		{`{{escapeHTML("<b>Hello</b>")}}`, "&lt;b&gt;Hello&lt;/b&gt;"},
		{`{{escapeHTML("Tom & ""Jerry's""")}}`, "Tom &amp; &quot;Jerry&#39;s&quot;"},
		{`{{escapeMarkdown("# Header")}}`, "&#35; Header"},
		{`{{escapeMarkdown("*bold* _it_")}}`, "&#42;bold&#42; &#95;it&#95;"},
		{`{{escapeJSON("say ""hi""" + newline)}}`, `say \"hi\"\n`},
		{`{{indexOf("Make"; "k")}}`, 2.0},
		{`{{indexOf("We love Make"; "x")}}`, -1.0},
		{`{{indexOf("We love Make"; "e"; 7)}}`, 11.0},
		{`{{indexOf("Workfront"; "o")}}`, 1.0},
		{`{{indexOf("Workfront"; "o"; 3)}}`, 6.0},
		{`{{indexOf("čaj • tea"; "•")}}`, 4.0}, // code points, not bytes
		{`{{indexOf(1.words; "banana")}}`, 2.0},
		{`{{length("hello")}}`, 5.0},
		{`{{length("čaj")}}`, 3.0},
		{`{{length(1.nums)}}`, 3.0},
		{`{{length(1.data)}}`, 2.0},
		{`{{length(1.missing)}}`, 0.0},
		{`{{length(12345)}}`, 5.0},
		{`{{lower("Hello")}}`, "hello"},
		{`{{upper("Hello")}}`, "HELLO"},
		{`{{LOWER("Hello")}}`, "hello"}, // function names ignore case
		{`{{md5("Make")}}`, "529a05ca6c1263aab080ec4f20754411"},
		{`{{sha1("Make")}}`, "a94431ee22f05f141107f9355ed3127d0f0c4d5a"},
		{`{{sha256("Make")}}`, "ccdd25d4230fb997a7ee1166f8afabd157248eb812ea55ec7c3d1b7c8af7fa11"},
		{`{{sha512("Make")}}`, "e8000cd0fb8fae18caa8daa677269b0034380d3ec549e0113a0722d8b8dc05b0f7037f33f32fa09f906b2f1d7c43f2689a55d79aadf6bf09dd93f79407424d34"},
		{`{{sha256("a" + "." + "b"; "base64"; "secret")}}`, "sbh7+OGGafGEtAYeHeo5APUejXcSJjSgpMkJURRbDuA="},
		{`{{sha256("a.b"; "hex"; "736563726574"; "hex")}}`, "b1b87bf8e18669f184b4061e1dea3900f51e8d77122634a0a4c90951145b0ee0"},
		{`{{replace("Hello World"; "Hello"; "Hi")}}`, "Hi World"},
		{`{{replace("a:b:c"; ":"; emptystring)}}`, "abc"}, // plain text: every occurrence
		{`{{replace("say ""hi"""; """"; emptystring)}}`, "say hi"},
		{`{{replace("a$b"; "$"; "$&$&")}}`, "a$&$&b"}, // plain text: replacement is literal
		{`{{replace("All these numbers 187 23 1 9565 will be replaced with X"; "/\d+/g"; "X")}}`, "All these numbers X X X X will be replaced with X"},
		{`{{replace("Phone number is 777111222"; "/\d+/g"; "+420$&")}}`, "Phone number is +420777111222"},
		{`{{replace("Phone number is 777111222"; "/ is (\d)/"; "+42$1")}}`, "Phone number+42777111222"}, // the docs print a garbled result (IML.md §2.3)
		{`{{replace("a1b2"; "/\d/"; "#")}}`, "a#b2"},                                                    // without g: the first match
		{`{{replace("AbAb"; "/a/gi"; "x")}}`, "xbxb"},                                                   // flags
		{`{{replace("2024-05"; "/(?<y>\d+)-(?<m>\d+)/"; "$<m>/$<y>")}}`, "05/2024"},
		{`{{replace("abc"; "/(?<=a)b/"; "X")}}`, "aXc"},         // look-behind (ECMAScript)
		{`{{replace("x.y"; "/" + "\." + "/g"; "-")}}`, "x-y"},   // a pattern built at run time
		{`{{replace("/usr/bin"; "/usr"; "/opt")}}`, "/opt/bin"}, // not a regex literal: plain text
		{`{{replace("hello"; ""; "x")}}`, "hello"},
		{`{{replace(1.n; 5; 6)}}`, "6"},
		{`{{replaceEmojiCharacters("Hi 👋🏽 there 🎉!")}}`, "Hi  there !"},
		{`{{replaceEmojiCharacters("Go 👨‍👩‍👧 🇨🇿 1️⃣ ❤️ ok"; "?")}}`, "Go ? ? ? ? ok"},
		{`{{replaceEmojiCharacters("© 2024 • 5 # x")}}`, "© 2024 • 5 # x"},
		{`{{split("John, George, Paul"; ",")}}`, []any{"John", " George", " Paul"}},
		{`{{split("a b"; space)}}`, []any{"a", "b"}},
		{`{{split(""; ",")}}`, []any{}},
		{`{{split("abc"; "")}}`, []any{"a", "b", "c"}},
		{`{{split("a,b")}}`, []any{"a", ",", "b"}}, // no separator: characters
		{`{{startcase("hello WORLD")}}`, "Hello World"},
		{`{{startcase("jean-luc  picard")}}`, "Jean-luc  Picard"},
		{`{{stripHTML("<b>Hello</b>")}}`, "Hello"},
		{`{{stripHtml("<p class=""x"">a &amp; b<br/>c</p><!-- note -->")}}`, "a &amp; bc"},
		{`{{stripHTML("1 < 2 and 3 > 2")}}`, "1 < 2 and 3 > 2"},
		{`{{substring("Hello"; 0; 3)}}`, "Hel"},
		{`{{substring("Hello"; 1; 3)}}`, "el"},
		{`{{substring("Hello"; 3)}}`, "lo"},
		{`{{substring("Hello"; 3; 1)}}`, "el"}, // swapped, as JavaScript
		{`{{substring("Hello"; -2; 99)}}`, "Hello"},
		{`{{substring("žluťoučký"; 0; 4)}}`, "žluť"},
		{`{{substring("Predicted • yes"; 0; indexOf("Predicted • yes"; "•"))}}`, "Predicted "},
		{`{{toString(1.n)}}`, "5"},
		{`{{toString(1.data)}}`, `{"list":[1,2,3],"name":"inner"}`},
		{`{{toString(1.flag)}}`, "true"},
		{`{{toString(1.missing)}}`, ""},
		{`{{trim("  Hi there  ")}}`, "Hi there"},
		{`{{trim(tab + nbsp + "x" + newline)}}`, "x"},
		{`{{trim(1.n)}}`, "5"},
	})
	if got := evalT(t, env, `{{toBinary("Make")}}`); string(got.([]byte)) != "Make" {
		t.Errorf("toBinary = %#v", got)
	}
}

func TestMathFunctions(t *testing.T) {
	env := arraysEnv(t)
	runEvalCases(t, env, []evalCase{
		// IML.md §2.2 documented examples
		{"{{abs(-5)}}", 5.0},
		{"{{abs(5)}}", 5.0},
		{"{{abs(0)}}", 0.0},
		{"{{abs(-3.7)}}", 3.7},
		{"{{average(1; 2; 6)}}", 3.0},
		{"{{average(2.a1234)}}", 2.5},
		{"{{ceil(1.2)}}", 2.0},
		{"{{ceil(4)}}", 4.0},
		{"{{floor(1.2)}}", 1.0},
		{"{{floor(1.9)}}", 1.0},
		{"{{floor(4)}}", 4.0},
		{`{{floor("7.9")}}`, 7.0},
		{"{{floor(1.missing)}}", nil},
		{"{{round(1.2)}}", 1.0},
		{"{{round(1.5)}}", 2.0},
		{"{{round(1.7)}}", 2.0},
		{"{{round(2)}}", 2.0},
		{"{{round(-1.5)}}", -1.0}, // JavaScript Math.round
		{"{{round(1.005; 2)}}", 1.01},
		{"{{max(3; 9; 4)}}", 9.0},
		{"{{min(3; 9; 4)}}", 3.0},
		{"{{sum(3; 9; 4)}}", 16.0},
		{"{{sum(2.a1234)}}", 10.0},
		{"{{sum(2.a1234; 5)}}", 15.0},
		{"{{sum(2.empty)}}", 0.0},
		{"{{max(2.empty)}}", nil},
		{`{{max(2.numtext)}}`, 10.0}, // numeric text counts
		{"{{median(3; 5; 7)}}", 5.0},
		{"{{median(2; 3; 5; 8)}}", 4.0},
		{"{{median(2.5; 3.5; 2; 4.5; 1)}}", 2.5},
		{"{{stdevP(1; 2; 3; 4; 5)}}", 1.4142135623730951},
		{"{{stdevS(1; 2; 3; 4; 5)}}", 1.5811388300841898},
		{"{{stdevS(4)}}", nil},
		{"{{trunc(3.789)}}", 3.0},
		{"{{trunc(-3.789)}}", -3.0},
		{"{{trunc(3.789; 2)}}", 3.78},
		{"{{trunc(1234.5; -2)}}", 1200.0},
		{`{{parseNumber("1 756,456"; ",")}}`, 1756.456},
		{`{{parseNumber("1,756.456")}}`, 1756.456},
		{`{{parseNumber("1.234.567,8"; ",")}}`, 1234567.8},
		{`{{parseNumber("-42")}}`, -42.0},
		{`{{parseNumber("")}}`, nil},
		{`{{formatNumber(123456789; 3; ","; ".")}}`, "123.456.789,000"},
		{`{{formatNumber(123456789; 3)}}`, "123.456.789,000"}, // defaults: "," and "."
		{`{{formatNumber(1234.5678; 2; "."; ",")}}`, "1,234.57"},
		{`{{formatNumber(1.005; 2; "."; ",")}}`, "1.01"},
		{`{{formatNumber(-0.004; 2; "."; ",")}}`, "0.00"},
		{`{{formatNumber(-1234.5; 0; "."; " ")}}`, "-1 235"},
		{`{{formatNumber(999; 0)}}`, "999"},
		{"{{floor(random * 6) + 1}}", 2.0}, // dice with random = 0.25
		{"{{floor(random * (4)) + 1}}", 2.0},
		{"{{floor(3725 / 3600)}}", 1.0}, // seconds → H:M:S (MK-DATE)
		{"{{floor((3725 % 3600) / 60)}}", 2.0},
		{"{{(3725 % 3600) % 60}}", 5.0},
	})
}

func TestArrayFunctions(t *testing.T) {
	env := arraysEnv(t)
	runEvalCases(t, env, []evalCase{
		{"{{add(emptyarray; 6)}}", []any{6.0}},
		{"{{add(2.a1234; 5; 6)}}", []any{1.0, 2.0, 3.0, 4.0, 5.0, 6.0}},
		{"{{arrayDiff(2.a1234; 2.a3456)}}", []any{1.0, 2.0}},
		{"{{arrayDiff(2.abc; 2.bd)}}", []any{"a", "c"}},
		{"{{arrayIntersect(2.a1234; 2.a3456)}}", []any{3.0, 4.0}},
		{"{{arrayIntersect(2.abc; 2.bcd)}}", []any{"b", "c"}},
		{`{{contains(2.abc; "b")}}`, true},
		{`{{contains(2.a1234; "3")}}`, true}, // equality of =
		{`{{contains(2.abc; "z")}}`, false},
		{"{{deduplicate(2.dups)}}", []any{1.0, 2.0, 3.0}},
		{"{{distinct(2.dups)}}", []any{1.0, 2.0, 3.0}},
		{`{{map(distinct(2.users; "name"); "age")}}`, []any{22.0, 23.0, 22.0}},
		{"{{first(2.xyz)}}", "x"},
		{"{{last(2.xyz)}}", "z"},
		{"{{first(2.empty)}}", nil},
		{"{{flatten(2.nested)}}", []any{1.0, 2.0, 3.0}},
		{"{{flatten(2.deep)}}", []any{1.0, []any{2.0, []any{3.0}}}},
		{"{{flatten(2.deep; 5)}}", []any{1.0, 2.0, 3.0}},
		{`{{flatten(map(2.reactions; "users"))}}`, []any{"U1", "U2", "U3"}},
		{`{{join(map(2.line; "line"); ", ")}}`, "l1, l2"},
		{`{{join(2.a1234; "-")}}`, "1-2-3-4"},
		{`{{join(2.abc)}}`, "a, b, c"},
		{`{{join(1.missing; ",")}}`, ""},
		{"{{keys(2.coll)}}", []any{"a", "b", "c"}},
		{"{{keys(2.xyz)}}", []any{"0", "1", "2"}},
		{"{{length(2.a1234)}}", 4.0},
		{`{{map(2.emails; "email")}}`, []any{"a@x", "b@x", "c@x"}},
		{`{{map(2.emails; "email"; "label"; "work,home")}}`, []any{"a@x", "b@x"}},
		{`{{map(2.emails; "sender.name")}}`, []any{"Zed", "Amy", "Max"}},
		{`{{map(2.users; "role")}}`, []any{"admin", "user", "admin"}}, // elements without the key are left out
		{"{{merge(2.a1234; 2.a3456)}}", []any{1.0, 2.0, 3.0, 4.0, 3.0, 4.0, 5.0, 6.0}},
		{`{{merge(2.abc; "z")}}`, []any{"a", "b", "c", "z"}},
		{`{{remove(2.abac; "a")}}`, []any{"b", "c"}},
		{"{{reverse(2.a1234)}}", []any{4.0, 3.0, 2.0, 1.0}},
		{"{{slice(2.abcd; 1; 3)}}", []any{"b", "c"}},
		{"{{slice(2.abcd; 2)}}", []any{"c", "d"}},
		{"{{slice(2.abcd; -1)}}", []any{"d"}},
		{"{{slice(2.abcd; 3; 1)}}", []any{}},
		{"{{sort(2.mixed)}}", []any{"A", "B", "C", "a", "b", "c"}},
		{`{{sort(2.mixed; "asc ci")}}`, []any{"A", "a", "B", "b", "C", "c"}},
		{`{{sort(2.mixed; "desc")}}`, []any{"c", "b", "a", "C", "B", "A"}},
		{`{{sort(2.mixed; "desc ci")}}`, []any{"C", "c", "B", "b", "A", "a"}}, // Make's help: …, C, c, B, b, A, a
		{"{{sort(2.numtext)}}", []any{2.5, 9.0, 10.0, "1"}},                   // numbers first, numerically
		{`{{map(sort(2.users; "name"); "age")}}`, []any{22.0, 22.0, 40.0, 23.0}},
		{`{{map(sort(2.users; "desc"; "age"); "name")}}`, []any{"Bob", "Tim", "Bob", "Ann"}},
		{`{{map(sort(2.emails; "sender.name"); "email")}}`, []any{"b@x", "c@x", "a@x"}},
		{"{{toArray(2.user)}}", []any{
			map[string]any{"key": "email", "value": "ann@x"},
			map[string]any{"key": "name", "value": "Ann"},
			map[string]any{"key": "password", "value": "secret"}}},
		{`{{toCollection(2.users; "name"; "age")}}`, map[string]any{"Bob": 40.0, "Tim": 23.0, "Ann": 22.0}},
		{"{{shuffle(2.a1234)}}", []any{4.0, 3.0, 1.0, 2.0}}, // Fisher–Yates with random = 0.25
	})
}

func TestFunctionErrors(t *testing.T) {
	env := arraysEnv(t)
	cases := []struct{ src, fn, msg string }{
		{`{{sort(2.abc; "sideways"; "x")}}`, "sort", "unknown order"},
		{`{{omit("text"; "a")}}`, "omit", "expected a collection"},
		{`{{toBinary("zz"; "hex")}}`, "toBinary", "not valid hex"},
		{`{{toBinary("x"; "ebcdic")}}`, "toBinary", "unknown encoding"},
		{`{{decodeURL("%zz")}}`, "decodeURL", "malformed percent-encoding"},
		{`{{sha1("x"; "octal")}}`, "sha1", "unknown output encoding"},
		{`{{parseNumber("12abc")}}`, "parseNumber", "is not a number"},
		{`{{sum(1; "x")}}`, "sum", `text "x" is not a number`},
		{`{{substring("abc"; "x")}}`, "substring", "start must be a number"},
		{`{{formatDate("not a date"; "YYYY")}}`, "formatDate", `text "not a date" is not a date`},
		{`{{addDays(now; "x")}}`, "addDays", "is not a number"},
		{`{{setMonth(now; "smarch")}}`, "setMonth", "is not a number"},
		{`{{setHour(now; 1.5)}}`, "setHour", "is not a whole number"},
	}
	for _, c := range cases {
		tpl, err := ParseTemplate(c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		_, err = tpl.Eval(env)
		var ee *EvalError
		if !errors.As(err, &ee) {
			t.Errorf("%s: error %v (%T), want *EvalError", c.src, err, err)
			continue
		}
		if ee.Func != c.fn || !strings.Contains(ee.Msg, c.msg) {
			t.Errorf("%s: got {Func:%q Msg:%q}, want %q containing %q", c.src, ee.Func, ee.Msg, c.fn, c.msg)
		}
	}
}

// TestEveryBriefFunctionExists guards the function list of the brief and of Make's
// panel (IML.md §2.6).
func TestEveryBriefFunctionExists(t *testing.T) {
	list := `get replace if ifempty switch omit pick formatDate parseDate addSeconds addMinutes addHours addDays addMonths
addYears setSecond setMinute setHour setDay setDate setMonth setYear trim toString toBinary split join lower upper
capitalize startcase contains encodeURL decodeURL escapeHTML escapeMarkdown stripHTML indexOf length substring
replaceEmojiCharacters ascii base64 md5 sha1 sha256 sha512 map first last flatten keys slice merge remove add sort
reverse distinct deduplicate toArray toCollection arrayDiff arrayIntersect shuffle floor ceil round trunc abs max min
sum average median stdevP stdevS parseNumber formatNumber escapeJSON`
	for _, name := range strings.Fields(list) {
		if funcs[strings.ToLower(name)] == nil {
			t.Errorf("function %s is missing", name)
		}
	}
	if n := len(Functions()); n != len(funcs) {
		t.Errorf("Functions() lists %d of %d", n, len(funcs))
	}
}
