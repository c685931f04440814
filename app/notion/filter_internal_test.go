package notion

import (
	"testing"

	"github.com/weftworks/weft/value"
)

// Make's filter groups become Notion's compound filter: one condition as it is, a group
// as "and", several groups as "or"; each operator's value as Notion takes it.
func TestQueryFilter(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`[]`, `null`},
		{`[[{"a": "Posted |&*^%$#@| checkbox", "o": "checkbox:equals", "b": "false"}]]`,
			`{"property":"Posted","checkbox":{"equals":false}}`},
		{`[[{"a": "Steps |&*^%$#@| number", "o": "number:greater_than", "b": "1000"}, {"a": "Tags |&*^%$#@| multi_select", "o": "multiselect:contains", "b": "gym"}],
		   [{"a": "Due |&*^%$#@| date", "o": "date:is_empty"}]]`,
			`{"or":[{"and":[{"property":"Steps","number":{"greater_than":1000}},{"property":"Tags","multi_select":{"contains":"gym"}}]},
			        {"property":"Due","date":{"is_empty":true}}]}`},
		{`[[{"a": "TDEE |&*^%$#@| formula", "o": "formula:number-less_than", "b": 2500}, {"a": "Label |&*^%$#@| formula", "o": "formula:text-contains", "b": "x"}]]`,
			`{"and":[{"property":"TDEE","formula":{"number":{"less_than":2500}}},{"property":"Label","formula":{"string":{"contains":"x"}}}]}`},
		{`[[{"a": "Status |&*^%$#@| status", "o": "select:equals", "b": "Done"}]]`, `{"property":"Status","status":{"equals":"Done"}}`},
		{`[[{"a": "Name", "o": "text:starts_with", "b": "A"}]]`, `{"property":"Name","rich_text":{"starts_with":"A"}}`},
	} {
		v, _ := value.DecodeJSON([]byte(tc.in))
		got, err := queryFilter(v)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		w, _ := value.DecodeJSON([]byte(tc.want))
		if g, e := string(value.JSON(got)), string(value.JSON(w)); g != e && !(got == nil && tc.want == "null") {
			t.Errorf("%s:\n got %s\nwant %s", tc.in, g, e)
		}
	}
	for _, bad := range []string{`[{"a":"x"}]`, `[[{"a": "", "o": "text:equals"}]]`, `[[{"a": "x", "o": "equals"}]]`, `[[{"a": "x", "o": "formula:equals"}]]`} {
		v, _ := value.DecodeJSON([]byte(bad))
		if _, err := queryFilter(v); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestNotionID(t *testing.T) {
	for in, want := range map[string]string{
		"2a1b2541331a80988f37e438237855e8":                                        "2a1b2541331a80988f37e438237855e8",
		"200c003d-3b7a-410d-840c-8e19b0667edc":                                    "200c003d-3b7a-410d-840c-8e19b0667edc",
		"https://www.notion.so/team/Tasks-12e84d3243c58088996cf5914c12cf99?v=abc": "12e84d3243c58088996cf5914c12cf99",
		" page-1 ": "page-1",
	} {
		if got := notionID(in); got != want {
			t.Errorf("notionID(%q) = %q; want %q", in, got, want)
		}
	}
}
