package jsregex

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseLiteral(t *testing.T) {
	tests := []struct {
		in             string
		pattern, flags string
		ok             bool
	}{
		{`/\d+/g`, `\d+`, "g", true},
		{`/=/g`, `=`, "g", true},
		{`/a/`, `a`, "", true},
		{`/a\/b/gimsuy`, `a\/b`, "gimsuy", true},
		{`/ is (\d)/`, ` is (\d)`, "", true},
		{`/usr/local`, "", "", false}, // "local" is not a set of flags: plain text
		{`/a/gg`, "", "", false},      // duplicate flag
		{`/a/x`, "", "", false},
		{`//`, "", "", false}, // empty pattern (a comment in JavaScript)
		{`/`, "", "", false},
		{`abc`, "", "", false},
		{``, "", "", false},
		{`/a`, "", "", false},
	}
	for _, tt := range tests {
		p, f, ok := ParseLiteral(tt.in)
		if p != tt.pattern || f != tt.flags || ok != tt.ok {
			t.Errorf("ParseLiteral(%q) = %q, %q, %v; want %q, %q, %v", tt.in, p, f, ok, tt.pattern, tt.flags, tt.ok)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		pattern, flags string
		want           string
	}{
		{`(`, "", "invalid regular expression /(/: "},
		{`[a-`, "", "invalid regular expression /[a-/: "},
		{`*a`, "", "invalid regular expression /*a/: "},
		{`a`, "gx", `invalid regular expression /a/gx: unknown flag 'x' (allowed: g, i, m, s, u, y)`},
		{`a`, "gig", `invalid regular expression /a/gig: flag 'g' given twice`},
		{`(?<n>a)(?<n>b)`, "", "invalid regular expression /(?<n>a)(?<n>b)/: "},
	}
	for _, tt := range tests {
		_, err := Compile(tt.pattern, tt.flags)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Compile(%q, %q) error = %v; want a *SyntaxError", tt.pattern, tt.flags, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), tt.want) || se.Pattern != tt.pattern || se.Flags != tt.flags {
			t.Errorf("Compile(%q, %q) error = %q; want prefix %q", tt.pattern, tt.flags, err, tt.want)
		}
	}
}

func TestMatchString(t *testing.T) {
	tests := []struct {
		pattern, flags, s string
		want              bool
	}{
		{`^.*?(?={)`, "", `prefix {"a":1}`, true}, // lookahead (blueprint 020)
		{`^.*?(?={)`, "", `no brace`, false},
		{`(?<=\$)\d+`, "", `cost $42`, true}, // lookbehind
		{`(?<!\$)\b\d+`, "", `$42`, false},
		{`abc`, "", "ABC", false},
		{`abc`, "i", "ABC", true},
		{`^b$`, "", "a\nb\nc", false},
		{`^b$`, "m", "a\nb\nc", true},
		{`a$`, "", "a\n", false}, // JavaScript's $ is the very end, unlike .NET's
		{`a.b`, "", "a\nb", false},
		{`a.b`, "", "a\rb", false}, // . excludes every line terminator
		{`a.b`, "s", "a\nb", true},
		{`01.\.png$`, "", "image-01a.png", true}, // blueprint 022 Switch pattern
		{`b`, "y", "ab", false},                  // sticky: only at 0
		{`a`, "y", "ab", true},
		{`(a)\1`, "", "aa", true}, // back-reference
		{`\k<x>(?<x>a)`, "", "a", true},
		{`\u{1F600}`, "u", "😀", true},
		{`^.$`, "u", "😀", true},
	}
	for _, tt := range tests {
		r, err := Compile(tt.pattern, tt.flags)
		if err != nil {
			t.Fatalf("Compile(%q, %q): %v", tt.pattern, tt.flags, err)
		}
		got, err := r.MatchString(tt.s)
		if err != nil || got != tt.want {
			t.Errorf("/%s/%s.test(%q) = %v, %v; want %v", tt.pattern, tt.flags, tt.s, got, err, tt.want)
		}
	}
}

func TestFindAll(t *testing.T) {
	tests := []struct {
		pattern, flags, s string
		limit             int
		want              []*Match
	}{
		{`(?<json>\{[\s\S]*\})`, "", "Here you go:\n{\"a\": {\"b\": 1}}\nThanks", -1, // blueprint 049
			[]*Match{{Text: "{\"a\": {\"b\": 1}}", Index: 13, Groups: []Group{{"json", "{\"a\": {\"b\": 1}}", true}}}}},
		{`(\d+)-(?<word>[a-z]+)`, "", "1-a 22-bb", -1, []*Match{
			{Text: "1-a", Index: 0, Groups: []Group{{"", "1", true}, {"word", "a", true}}},
			{Text: "22-bb", Index: 4, Groups: []Group{{"", "22", true}, {"word", "bb", true}}},
		}},
		{`\d`, "", "a1b2c3", 2, []*Match{{Text: "1", Index: 1, Groups: []Group{}}, {Text: "2", Index: 3, Groups: []Group{}}}},
		{`\d`, "", "abc", -1, nil},
		{`\d`, "", "a1", 0, nil},
		{`(a)|(b)`, "", "b", -1, []*Match{{Text: "b", Index: 0, Groups: []Group{{"", "", false}, {"", "b", true}}}}},
		{`l`, "", "héllo", -1, []*Match{{Text: "l", Index: 3, Groups: []Group{}}, {Text: "l", Index: 4, Groups: []Group{}}}},
		{`x*`, "", "ab", -1, []*Match{{Text: "", Index: 0, Groups: []Group{}}, {Text: "", Index: 1, Groups: []Group{}}, {Text: "", Index: 2, Groups: []Group{}}}},
		{`a`, "y", "aaba", -1, []*Match{{Text: "a", Index: 0, Groups: []Group{}}, {Text: "a", Index: 1, Groups: []Group{}}}},
		// Each repetition clears the captures of the previous one (ECMAScript).
		{`(?:(a)|b)+`, "", "ab", -1, []*Match{{Text: "ab", Index: 0, Groups: []Group{{"", "", false}}}}},
	}
	for _, tt := range tests {
		r := MustCompile(tt.pattern, tt.flags)
		got, err := r.FindAll(tt.s, tt.limit)
		if err != nil {
			t.Fatalf("/%s/%s FindAll(%q): %v", tt.pattern, tt.flags, tt.s, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("/%s/%s FindAll(%q, %d) =\n%s\nwant\n%s", tt.pattern, tt.flags, tt.s, tt.limit, dump(got), dump(tt.want))
		}
	}
}

func dump(ms []*Match) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "  %q @%d %+v\n", m.Text, m.Index, m.Groups)
	}
	return b.String()
}

func TestAccessors(t *testing.T) {
	r := MustCompile(`(\d+)(?<unit>[a-z]+)(x)?`, "gi")
	if !r.Global() || r.Pattern() != `(\d+)(?<unit>[a-z]+)(x)?` || r.Flags() != "gi" ||
		r.String() != `/(\d+)(?<unit>[a-z]+)(x)?/gi` {
		t.Errorf("accessors: global=%v pattern=%q flags=%q string=%q", r.Global(), r.Pattern(), r.Flags(), r.String())
	}
	if got := r.GroupNames(); !reflect.DeepEqual(got, []string{"", "unit", ""}) {
		t.Errorf("GroupNames = %q", got)
	}
	if MustCompile("a", "").Global() {
		t.Error("Global() without g = true")
	}
}

func TestTimeout(t *testing.T) {
	// (a+)+b backtracks exponentially when there is no b.
	r, err := CompileTimeout(`^(a+)+b$`, "", 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Repeat("a", 40)
	for name, run := range map[string]func() error{
		"MatchString": func() error { _, err := r.MatchString(s); return err },
		"FindAll":     func() error { _, err := r.FindAll(s, -1); return err },
		"Replace":     func() error { _, err := r.Replace(s, "x", true); return err },
	} {
		err := run()
		if !errors.Is(err, ErrTimeout) && !errors.Is(err, ErrTooComplex) {
			t.Errorf("%s: error = %v; want ErrTimeout or ErrTooComplex", name, err)
			continue
		}
		if !strings.Contains(err.Error(), "/^(a+)+b$/") || len(err.Error()) > 200 {
			t.Errorf("%s: error %q should name the pattern and not quote the input", name, err)
		}
	}
}

func TestCache(t *testing.T) {
	c := NewCache(2)
	a1, err := c.Compile(`a+`, "g")
	if err != nil {
		t.Fatal(err)
	}
	a2, _ := c.Compile(`a+`, "g")
	ai, _ := c.Compile(`a+`, "i")
	if a1 != a2 || a1 == ai || ai.Flags() != "i" {
		t.Errorf("cache returned %p %p %p; want the same regex for the same pattern and flags only", a1, a2, ai)
	}
	if c.Len() != 2 {
		t.Errorf("Len = %d; want 2", c.Len())
	}
	if _, err := c.Compile(`(`, ""); err == nil || c.Len() != 2 {
		t.Errorf("bad pattern: err %v, Len %d; want an error and nothing cached", err, c.Len())
	}
	c.Compile(`b`, "") // full: starts over
	if c.Len() != 1 {
		t.Errorf("Len after overflow = %d; want 1", c.Len())
	}
}
