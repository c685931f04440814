package iml

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestValueEval(t *testing.T) {
	env := testEnv(t)
	mapper := js(t, `{
		"url": "https://api.example.com/users/{{1.n}}",
		"method": "POST",
		"count": 3,
		"retry": "{{true}}",
		"items": "{{1.nums}}",
		"optional": "{{if(1.missing; 1.missing; ignore)}}",
		"cleared": "{{erase}}",
		"empty": "{{1.missing}}",
		"headers": [
			{"name": "X-User", "value": "{{1.email}}"},
			"{{ignore}}",
			{"name": "a/b~c", "value": "{{3.data.name}}"}
		],
		"nested": {"deep": {"x": "{{1.data.list[2]}}", "skip": "{{ignore}}"}},
		"nul": null
	}`)
	v, err := CompileValue(mapper)
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Eval(env)
	if err != nil {
		t.Fatal(err)
	}
	want := js(t, `{
		"url": "https://api.example.com/users/5",
		"method": "POST",
		"count": 3,
		"retry": true,
		"items": [3,1,2],
		"cleared": null,
		"empty": null,
		"headers": [
			{"name": "X-User", "value": "Ann@Example.com"},
			{"name": "a/b~c", "value": "three"}
		],
		"nested": {"deep": {"x": 2}},
		"nul": null
	}`)
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("got  %s\nwant %s", g, w)
	}
	// Containers are fresh: modifying one result does not change the next.
	got.(map[string]any)["method"] = "changed"
	got.(map[string]any)["headers"].([]any)[0].(map[string]any)["name"] = "changed"
	again, _ := v.Eval(env)
	if again.(map[string]any)["method"] != "POST" || again.(map[string]any)["headers"].([]any)[0].(map[string]any)["name"] != "X-User" {
		t.Error("a second evaluation saw the caller's modification")
	}

	wantRefs := []PointedRef{
		{"/empty", Ref{1, []string{"missing"}}},
		{"/headers/0/value", Ref{1, []string{"email"}}},
		{"/headers/2/value", Ref{3, []string{"data", "name"}}},
		{"/items", Ref{1, []string{"nums"}}},
		{"/nested/deep/x", Ref{1, []string{"data", "list"}}},
		{"/optional", Ref{1, []string{"missing"}}},
		{"/url", Ref{1, []string{"n"}}},
	}
	if refs := v.Refs(); !reflect.DeepEqual(refs, wantRefs) {
		t.Errorf("Refs = %v\nwant %v", refs, wantRefs)
	}
}

func TestValueScalarsAndGoTypes(t *testing.T) {
	cases := []struct {
		in   any
		want any
	}{
		{"{{1.n}}", 5.0},
		{"text", "text"},
		{nil, nil},
		{true, true},
		{2.5, 2.5},
		{int64(1) << 60, int64(1) << 60},
		{7, 7.0},
		{json.Number("12"), 12.0},
		{map[string]string{"a": "{{1.n}}"}, map[string]any{"a": 5.0}},
		{[]string{"{{1.n}}", "x"}, []any{5.0, "x"}},
		{"{{ignore}}", Ignore}, // the caller decides what a top-level Ignore means
	}
	env := testEnv(t)
	for _, c := range cases {
		v, err := CompileValue(c.in)
		if err != nil {
			t.Errorf("%#v: %v", c.in, err)
			continue
		}
		got, err := v.Eval(env)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%#v: got %#v, %v; want %#v", c.in, got, err, c.want)
		}
	}
}

func TestValueErrors(t *testing.T) {
	_, err := CompileValue(js(t, `{"headers":[{"name":"x","value":"{{1.a"}]}`))
	var pe *PathError
	var se *SyntaxError
	if !errors.As(err, &pe) || pe.Pointer != "/headers/0/value" || !errors.As(err, &se) {
		t.Fatalf("got %v, want a PathError at /headers/0/value wrapping a SyntaxError", err)
	}
	if !strings.HasPrefix(err.Error(), "/headers/0/value: syntax error at offset 0") {
		t.Errorf("message %q", err.Error())
	}
	_, err = CompileValue(map[string]any{"a~/b": []any{"{{foo(}}"}})
	if !errors.As(err, &pe) || pe.Pointer != "/a~0~1b/0" {
		t.Errorf("escaped pointer: %v", err)
	}
	_, err = CompileValue(map[string]any{"ch": make(chan int)})
	if !errors.As(err, &pe) || pe.Pointer != "/ch" || !strings.Contains(err.Error(), "unsupported value of Go type chan int") {
		t.Errorf("unsupported type: %v", err)
	}

	v := MustCompileValue(map[string]any{"list": []any{"ok", "{{1.n / 0}}"}})
	_, err = v.Eval(testEnv(t))
	var ee *EvalError
	if !errors.As(err, &pe) || pe.Pointer != "/list/1" || !errors.As(err, &ee) {
		t.Errorf("eval error: %v, want a PathError at /list/1 wrapping an EvalError", err)
	}
}
