package jsregex

import "testing"

func TestReplace(t *testing.T) {
	tests := []struct {
		pattern, flags, s, repl string
		global                  bool
		want                    string
	}{
		// Examples of Make's replace() documentation.
		{`\d+`, "g", "All these numbers 187 23 1 9565 will be replaced with X", "X", true,
			"All these numbers X X X X will be replaced with X"},
		{`\d+`, "g", "Phone number is 777111222", "+420$&", true, "Phone number is +420777111222"},
		{` is (\d)`, "", "Phone number is 777111222", "+42$1", false, "Phone number+42777111222"},
		// global false replaces the first match only.
		{`a`, "", "banana", "o", false, "bonana"},
		{`a`, "", "banana", "o", true, "bonono"},
		{`x`, "", "banana", "o", true, "banana"},
		// Tokens.
		{`a`, "", "aaa", "$$", true, "$$$"},
		{`b`, "", "abc", "[$`|$'|$&]", false, "a[a|c|b]c"},
		{`(\w+)\s(\w+)`, "", "John Smith", "$2, $1", false, "Smith, John"},
		{`(b)`, "", "abc", "$0", false, "a$0c"},
		{`(b)`, "", "abc", "$11", false, "ab1c"}, // one group: $1 then a literal 1
		{`(b)`, "", "abc", "$01", false, "abc"},
		{`(b)`, "", "abc", "$2", false, "a$2c"},
		{`(b)`, "", "abc", "$", false, "a$c"},
		{`(b)`, "", "abc", "$x", false, "a$xc"},
		{`(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)`, "", "abcdefghij", "$10-$9", false, "j-i"},
		{`(a)|(b)`, "", "b", "[$1|$2]", false, "[|b]"}, // a group that did not take part is empty
		{`(?<y>\d+)-(?<m>\d+)`, "", "2024-05", "$<m>/$<y>", false, "05/2024"},
		{`(?<y>\d+)-(?<m>\d+)`, "", "2024-05", "$2/$1", false, "05/2024"},
		{`(b)`, "", "abc", "$<x>", false, "a$<x>c"},     // no named groups: literal
		{`(?<n>b)`, "", "abc", "[$<x>]", false, "a[]c"}, // unknown name: empty
		{`(?<n>b)`, "", "abc", "$<n", false, "a$<nc"},   // unterminated: literal
		// Empty matches, sticky and Unicode.
		{`x*`, "", "abc", "-", true, "-a-b-c-"},
		{`a`, "y", "aaba", "x", true, "xxba"},
		{`a`, "y", "baaa", "x", false, "baaa"},
		{`ö`, "", "héllo wörld", "o", true, "héllo world"},
		// Real blueprint patterns.
		{`^.*?(?={)`, "", "Sure! {\"a\":1}", "", false, "{\"a\":1}"}, // 020
		{`"`, "", `say "hi"`, "'", true, "say 'hi'"},                 // 025 module 50
		{`[\r\n]+`, "", "a\r\nb\n\nc", " ", true, "a b c"},           // 043 module 61
		// 017 module 16: literal "\n" sequences, [n], runs of spaces and of quotes.
		{`(\\n+|\\+|[\n+])|(\[\d\]|(\s{2,})|(\"{2,}))`, "gm", "a\\nb[1]c  d\"\"e", "", true, "abcde"},
		{`abc`, "i", "xABCx", "-", false, "x-x"},
		{`^b`, "m", "a\nb", "B", false, "a\nB"},
	}
	for _, tt := range tests {
		r, err := Compile(tt.pattern, tt.flags)
		if err != nil {
			t.Fatalf("Compile(%q, %q): %v", tt.pattern, tt.flags, err)
		}
		got, err := r.Replace(tt.s, tt.repl, tt.global)
		if err != nil || got != tt.want {
			t.Errorf("%q.replace(/%s/%s, %q) global=%v = %q, %v; want %q", tt.s, tt.pattern, tt.flags, tt.repl, tt.global, got, err, tt.want)
		}
	}
}

func BenchmarkReplace(b *testing.B) {
	r := MustCompile(`(\d+)-(?<w>[a-z]+)`, "g")
	s := "order 12-ab, item 345-cd, note 6-e and some filler text to search through"
	for b.Loop() {
		if _, err := r.Replace(s, "$<w>:$1", true); err != nil {
			b.Fatal(err)
		}
	}
}
