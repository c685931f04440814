package declarative

import (
	"slices"
	"testing"
)

func TestRewriteRoots(t *testing.T) {
	for _, tc := range []struct {
		src, want string
		used      []string
	}{
		{"plain {text} parameters", "plain {text} parameters", nil},
		{"{{parameters.x}}", "{{var.parameters.x}}", []string{"parameters"}},
		{"/{{ body.items[1].id }}/{{statusCode}}", "/{{ var.body.items[1].id }}/{{var.statusCode}}", []string{"body", "statusCode"}},
		// Path steps after a dot, string literals and backtick names stay.
		{`{{body.parameters}}`, `{{var.body.parameters}}`, []string{"body"}},
		{`{{get(item; "body")}}`, `{{get(var.item; "body")}}`, []string{"item"}},
		{`{{"say ""body"" " + body}}`, `{{"say ""body"" " + var.body}}`, []string{"body"}},
		{"{{`body`}}", "{{`body`}}", nil},
		{"{{if(index > 1; item; null)}}", "{{if(var.index > 1; var.item; null)}}", []string{"index", "item"}},
		// Literal text between expressions keeps braces and names.
		{"{\"a\": \"{{temp.a}}\", \"body\": 1}", "{\"a\": \"{{var.temp.a}}\", \"body\": 1}", []string{"temp"}},
		{"{{{parameters.x}}}", "{{{var.parameters.x}}}", []string{"parameters"}},
		{"{{bodyText}}", "{{bodyText}}", nil},
	} {
		got, used, _ := rewriteRoots(tc.src)
		if got != tc.want || !slices.Equal(used, tc.used) {
			t.Errorf("rewriteRoots(%q) = %q %v, want %q %v", tc.src, got, used, tc.want, tc.used)
		}
	}
}

func TestColumnIndex(t *testing.T) {
	for _, tc := range []struct {
		col  any
		want int
	}{
		{"A", 0}, {"c", 2}, {" Z ", 25}, {"AA", 26}, {"CZ", 103}, {"ZZZ", 18277}, {3.0, 2},
		{"", -1}, {"A1", -1}, {0.0, -1}, {1.5, -1}, {nil, -1}, {"ABCDE", -1},
	} {
		if got := columnIndex(tc.col); got != tc.want {
			t.Errorf("columnIndex(%v) = %d, want %d", tc.col, got, tc.want)
		}
	}
}
