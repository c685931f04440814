package textparser

import (
	"context"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

func TestReplace(t *testing.T) {
	tests := []struct {
		name   string
		mapper weft.Bundle
		want   string
	}{
		// 017 module 16: strip escaped newlines, [n] markers, runs of spaces and quotes.
		{"017", weft.Bundle{"text": "a\\nb[1]c  d\"\"e", "value": "", "global": true,
			"pattern": `(\\n+|\\+|[\n+])|(\[\d\]|(\s{2,})|(\"{2,}))`, "multiline": true, "sensitive": false, "singleline": false},
			"abcde"},
		// 025 module 50: double quotes become single quotes.
		{"025", weft.Bundle{"text": `He said "hi" and "bye"`, "value": "'", "global": true, "pattern": `"`,
			"multiline": false, "sensitive": true, "singleline": false}, `He said 'hi' and 'bye'`},
		// 043 module 61: line breaks become spaces.
		{"043", weft.Bundle{"text": "Line one\r\nLine two\n\nLine three", "value": " ", "global": true,
			"pattern": `[\r\n]+`, "multiline": false, "sensitive": true, "singleline": false}, "Line one Line two Line three"},
		{"first only", weft.Bundle{"text": "a-a-a", "value": "+", "pattern": "a"}, "+-a-a"},
		{"case-insensitive", weft.Bundle{"text": "Make MAKE make", "value": "X", "pattern": "make",
			"global": true, "sensitive": false}, "X X X"},
		{"case-sensitive by default", weft.Bundle{"text": "Make make", "value": "X", "pattern": "make", "global": true}, "Make X"},
		{"back-references", weft.Bundle{"text": "John Smith", "value": "$2, $1", "pattern": `(\w+)\s(\w+)`}, "Smith, John"},
		{"named groups and $&", weft.Bundle{"text": "2024-05", "value": "$<m>/$<y> ($&)", "pattern": `(?<y>\d+)-(?<m>\d+)`}, "05/2024 (2024-05)"},
		{"multiline anchors", weft.Bundle{"text": "a\nb", "value": "> ", "pattern": "^", "global": true, "multiline": true}, "> a\n> b"},
		{"singleline dot", weft.Bundle{"text": "<x>\n</x>", "value": "", "pattern": "<x>.*</x>", "singleline": true}, ""},
		{"no match", weft.Bundle{"text": "abc", "value": "z", "pattern": `\d`}, "abc"},
		{"empty new value", weft.Bundle{"text": "a1b2", "pattern": `\d`, "global": true}, "ab"},
		{"empty text", weft.Bundle{"pattern": `\d`, "value": "x"}, ""},
	}
	s := spec(t, "regexp:Replace")
	for _, tt := range tests {
		got, err := apptest.Run(context.Background(), s, nil, tt.mapper, nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if len(got) != 1 || got[0]["text"] != tt.want {
			t.Errorf("%s: got %q; want %q", tt.name, got, tt.want)
		}
	}
	_, err := apptest.Run(context.Background(), s, nil, weft.Bundle{"pattern": "a)", "text": "a"}, nil)
	wantError(t, err, weft.InvalidConfigurationError, "pattern: invalid regular expression /a)/: ")
	_, err = apptest.Run(context.Background(), s, nil, weft.Bundle{"text": "a"}, nil)
	wantError(t, err, weft.DataError, "pattern: missing value of required field")
}

func TestSearchLimits(t *testing.T) {
	// A pattern that backtracks over a long text exceeds the engine's backtracking memory:
	// this bundle's data is the problem, so it is a DataError, not a hang.
	long := strings.Repeat("a", 200000)
	_, err := apptest.Run(context.Background(), spec(t, "regexp:Replace"), nil,
		weft.Bundle{"pattern": `(a|b)*c`, "text": long, "value": ""}, nil)
	wantError(t, err, weft.DataError, "text: search with /(a|b)*c/: regular expression needs too much backtracking memory")
	_, err = apptest.Run(context.Background(), spec(t, "regexp:Parser"), weft.Bundle{"pattern": `(a|b)*c`},
		weft.Bundle{"text": long}, nil)
	wantError(t, err, weft.DataError, "text: search with /(a|b)*c/: regular expression needs too much backtracking memory")
}
