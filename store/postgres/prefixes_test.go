package postgres

import "testing"

// prefixEnd never sends text Postgres refuses (invalid UTF-8): past a non-ASCII tail
// it raises an earlier ASCII byte, or leaves the range open.
func TestPrefixEnd(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"ab", "ac", true},
		{"a\u00e9", "b", true},
		{"\u00e9", "", false},
		{"a\x7f", "", false},
	} {
		got, ok := prefixEnd(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("prefixEnd(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
