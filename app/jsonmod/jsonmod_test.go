package jsonmod

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
)

func spec(t *testing.T, name string) *app.Spec {
	t.Helper()
	return apptest.Spec(t, Register, name)
}

func wantError(t *testing.T, err error, typ weft.ErrorType, want string) {
	t.Helper()
	apptest.WantError(t, err, typ, want)
}

func TestParseJSON(t *testing.T) {
	tests := []struct {
		name   string
		params weft.Bundle
		json   any
		want   []weft.Bundle
	}{
		{"object (011)", nil, `{"email":"a@example.com","news":[{"headline":"h"}]}`,
			[]weft.Bundle{{"email": "a@example.com", "news": []any{map[string]any{"headline": "h"}}}}},
		{"data structure id is ignored (017)", weft.Bundle{"type": 150366.0}, `{"a":1}`,
			[]weft.Bundle{{"a": 1.0}}},
		{"empty data structure (025)", weft.Bundle{"type": ""}, `{"entry":{"id":"x"}}`,
			[]weft.Bundle{{"entry": map[string]any{"id": "x"}}}},
		{"array of objects (045)", nil, `[{"factor_key":"a"},{"factor_key":"b"}]`, []weft.Bundle{
			{"factor_key": "a", "__IMTINDEX__": 1.0, "__IMTLENGTH__": 2.0},
			{"factor_key": "b", "__IMTINDEX__": 2.0, "__IMTLENGTH__": 2.0},
		}},
		{"array of primitives", nil, `[1,"two",null,[3]]`, []weft.Bundle{
			{"value": 1.0, "__IMTINDEX__": 1.0, "__IMTLENGTH__": 4.0},
			{"value": "two", "__IMTINDEX__": 2.0, "__IMTLENGTH__": 4.0},
			{"value": nil, "__IMTINDEX__": 3.0, "__IMTLENGTH__": 4.0},
			{"value": []any{3.0}, "__IMTINDEX__": 4.0, "__IMTLENGTH__": 4.0},
		}},
		{"empty array", nil, `[]`, []weft.Bundle{}},
		{"empty object", nil, ` {} `, []weft.Bundle{{}}},
		{"bare string", nil, `"hi"`, []weft.Bundle{{"value": "hi"}}},
		{"bare number", nil, `42`, []weft.Bundle{{"value": 42.0}}},
		{"large ids stay exact", nil, `{"id":1234567890123456789}`, []weft.Bundle{{"id": int64(1234567890123456789)}}},
		{"number mapped into the field", nil, 5.0, []weft.Bundle{{"value": 5.0}}},
	}
	s := spec(t, "json:ParseJSON")
	for _, tt := range tests {
		got, err := apptest.Run(context.Background(), s, tt.params, weft.Bundle{"json": tt.json}, nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %v; want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseJSONErrors(t *testing.T) {
	tests := []struct {
		json any
		typ  weft.ErrorType
		want string
	}{
		{`{"a":1,}`, weft.DataError, "json: invalid JSON at line 1, column 8 (offset 7): invalid character '}' looking for beginning of object key string"},
		{"{\n  \"a\": tru\n}", weft.DataError, "json: invalid JSON at line 2, column 11 (offset 12): invalid character '\\n' in literal true (expecting 'e')"},
		{"{\"é\": x}", weft.DataError, "json: invalid JSON at line 1, column 7 (offset 7): invalid character 'x' looking for beginning of value"},
		{`{"a": [1, 2`, weft.DataError, "json: invalid JSON: the text ends at line 1, column 12 (offset 11) before the value is complete"},
		{`{"a":1} {"b":2}`, weft.DataError, "json: invalid JSON: unexpected data after the JSON value"},
		// A language model's answer wrapped in a Markdown fence (021, 025) is not JSON.
		{"```json\n{\"a\":1}\n```", weft.DataError, "json: invalid JSON at line 1, column 1 (offset 0): invalid character '`' looking for beginning of value"},
		{"   ", weft.DataError, "json: no JSON: the text is empty or only white space"},
		{"", weft.DataError, "json: missing value of required field"},
		{nil, weft.DataError, "json: missing value of required field"},
	}
	s := spec(t, "json:ParseJSON")
	for _, tt := range tests {
		_, err := apptest.Run(context.Background(), s, nil, weft.Bundle{"json": tt.json}, nil)
		wantError(t, err, tt.typ, tt.want)
	}
}

func TestCreateJSON(t *testing.T) {
	// 031 module 11: an LLM request body.
	body := weft.Bundle{
		"model":    "llama-3.1-8b-instant",
		"messages": []any{map[string]any{"role": "system", "content": "Line 1\r\nSay \"hi\" <b>&</b>"}},
	}
	date := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		params weft.Bundle
		mapper weft.Bundle
		want   string
	}{
		{"compact (031)", weft.Bundle{"type": "<DATASTRUCT_01>", "space": ""}, body,
			`{"messages":[{"content":"Line 1\r\nSay \"hi\" <b>&</b>","role":"system"}],"model":"llama-3.1-8b-instant"}`},
		{"two spaces", weft.Bundle{"type": 1.0, "space": "2"}, weft.Bundle{"a": 1.0, "b": []any{true, nil}},
			"{\n  \"a\": 1,\n  \"b\": [\n    true,\n    null\n  ]\n}"},
		{"four spaces, number given as a number", weft.Bundle{"type": 1.0, "space": 4.0}, weft.Bundle{"a": "x"},
			"{\n    \"a\": \"x\"\n}"},
		{"tab", weft.Bundle{"type": 1.0, "space": "tab"}, weft.Bundle{"a": "x"}, "{\n\t\"a\": \"x\"\n}"},
		{"dates and empty values", nil, weft.Bundle{"when": date, "note": "", "none": nil},
			`{"none":null,"note":"","when":"2026-01-02T03:04:05.000Z"}`},
		{"nothing mapped", nil, nil, `{}`},
	}
	s := spec(t, "json:CreateJSON")
	for _, tt := range tests {
		got, err := apptest.Run(context.Background(), s, tt.params, tt.mapper, nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if want := []weft.Bundle{{"json": tt.want}}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %q; want %q", tt.name, got[0]["json"], tt.want)
		}
	}
	_, err := apptest.Run(context.Background(), s, weft.Bundle{"space": "3"}, body, nil)
	wantError(t, err, weft.InvalidConfigurationError, `space: "3" is not one of , tab, 2, 4`)
	_, err = s.New(app.Config{Parameters: weft.Bundle{"space": "3"}})
	wantError(t, err, weft.InvalidConfigurationError, `space: "3" is not one of "", "tab", "2", "4"`)
}

func TestTransformToJSON(t *testing.T) {
	tests := []struct {
		params weft.Bundle
		object any
		want   string
	}{
		// A text becomes a quoted JSON string, ready to splice into a JSON body.
		{nil, "He said \"hi\"\n", `"He said \"hi\"\n"`},
		{nil, map[string]any{"b": 2.0, "a": []any{"x"}}, `{"a":["x"],"b":2}`},
		{weft.Bundle{"space": "2"}, map[string]any{"a": 1.0}, "{\n  \"a\": 1\n}"},
		{nil, 3.5, `3.5`},
		{nil, true, `true`},
		{nil, []byte("hi"), `"aGk="`},
		{nil, nil, `null`},
	}
	s := spec(t, "json:TransformToJSON")
	for _, tt := range tests {
		got, err := apptest.Run(context.Background(), s, tt.params, weft.Bundle{"object": tt.object}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := []weft.Bundle{{"json": tt.want}}; !reflect.DeepEqual(got, want) {
			t.Errorf("TransformToJSON(%v) = %q; want %q", tt.object, got[0]["json"], tt.want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	// Create JSON's output parses back to what was mapped.
	in := weft.Bundle{"a": "x", "n": []any{1.0, map[string]any{"k": false}}}
	out, err := apptest.Run(context.Background(), spec(t, "json:CreateJSON"), weft.Bundle{"space": "tab"}, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(out[0]["json"].(string))
	if err != nil || !reflect.DeepEqual(back, []weft.Bundle{in}) {
		t.Errorf("round trip = %v, %v; want %v", back, err, in)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `[1,{"b":2}]`, `"x"`, `{"a":`, "{\n\"é\": x}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		bs, err := Parse(s)
		if err != nil {
			if weft.TypeOf(err) != weft.DataError {
				t.Fatalf("Parse(%q) error type %s", s, weft.TypeOf(err))
			}
			return
		}
		if len(bs) == 0 && !strings.Contains(s, "[") {
			t.Fatalf("Parse(%q) gave no bundles", s)
		}
	})
}
