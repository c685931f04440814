package tools

import (
	"context"
	"reflect"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
)

// registry registers the app the way the engine does; tests look specs up by name.
func registry(t *testing.T) *app.Registry {
	t.Helper()
	r := app.NewRegistry()
	if err := Register(r); err != nil {
		t.Fatalf("Register: %v", err)
	}
	return r
}

func spec(t *testing.T, name string) *app.Spec {
	t.Helper()
	return apptest.Spec(t, Register, name)
}

// wantError checks err's weft type and that its message contains want.
func wantError(t *testing.T, err error, typ weft.ErrorType, want string) {
	t.Helper()
	apptest.WantError(t, err, typ, want)
}

func TestRegisterAll(t *testing.T) {
	var names []string
	for _, s := range registry(t).Specs() {
		names = append(names, s.Name)
	}
	want := []string{
		"util:ComposeTransformer", "util:FunctionAggregator2", "util:FunctionIncrement",
		"util:FunctionSleep", "util:GetVariable", "util:GetVariable2", "util:GetVariables",
		"util:SetVariable", "util:SetVariable2", "util:SetVariables", "util:Switcher",
		"util:TextAggregator",
	}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("registered %q; want %q", names, want)
	}
	if err := Register(registry(t)); err == nil {
		t.Error("registering twice: no error")
	}
}

func TestCompose(t *testing.T) {
	tests := []struct {
		mapper weft.Bundle
		want   any
	}{
		{weft.Bundle{"value": "Expedited: order 42 ships today"}, "Expedited: order 42 ships today"}, // 004
		{weft.Bundle{"value": 12.5}, "12.5"},
		{weft.Bundle{"value": []any{"a", "b"}}, "a, b"},
		{weft.Bundle{"value": map[string]any{"a": 1.0}}, `{"a":1}`},
		{weft.Bundle{}, ""},
	}
	s := spec(t, "util:ComposeTransformer")
	for _, tt := range tests {
		got, err := apptest.Run(context.Background(), s, nil, tt.mapper, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := []weft.Bundle{{"value": tt.want}}; !reflect.DeepEqual(got, want) {
			t.Errorf("Compose(%v) = %v; want %v", tt.mapper, got, want)
		}
	}
}

func TestSwitcher(t *testing.T) {
	cases := func(pairs ...any) []any {
		var out []any
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, map[string]any{"pattern": pairs[i], "output": pairs[i+1]})
		}
		return out
	}
	tests := []struct {
		name   string
		mapper weft.Bundle
		want   any
	}{
		{"equal text", weft.Bundle{"input": "b", "useRegExpMatch": false,
			"casesTable": cases("a", "first", "b", "second"), "elseOutput": "none"}, "second"},
		{"equality, not substring", weft.Bundle{"input": "abc", "useRegExpMatch": false,
			"casesTable": cases("b", "contains"), "elseOutput": "none"}, "none"},
		{"case sensitive", weft.Bundle{"input": "A", "useRegExpMatch": false,
			"casesTable": cases("a", "lower"), "elseOutput": "none"}, "none"},
		{"first match wins", weft.Bundle{"input": "x", "useRegExpMatch": "false",
			"casesTable": cases("x", 1.0, "x", 2.0)}, 1.0},
		{"number input as text", weft.Bundle{"input": 200.0, "casesTable": cases("200", "ok")}, "ok"},
		// Blueprint 022 uses regular expressions on file names.
		{"regexp search", weft.Bundle{"input": "report-01a.png", "useRegExpMatch": true,
			"casesTable": cases(`02.\.png$`, "two", `01.\.png$`, "one"), "elseOutput": "other"}, "one"},
		{"regexp else", weft.Bundle{"input": "report.gif", "useRegExpMatch": "true",
			"casesTable": cases(`\.png$`, "png"), "elseOutput": "other"}, "other"},
		{"no match, no else", weft.Bundle{"input": "z", "casesTable": cases("a", "A")}, nil},
		{"output keeps its type", weft.Bundle{"input": "a",
			"casesTable": cases("a", map[string]any{"k": true})}, map[string]any{"k": true}},
		{"no cases", weft.Bundle{"input": "a", "elseOutput": "else"}, "else"},
	}
	s := spec(t, "util:Switcher")
	for _, tt := range tests {
		got, err := apptest.Run(context.Background(), s, nil, tt.mapper, nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if want := []weft.Bundle{{"output": tt.want}}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %v; want %v", tt.name, got, want)
		}
	}

	_, err := apptest.Run(context.Background(), s, nil, weft.Bundle{"input": "a", "useRegExpMatch": true,
		"casesTable": cases("a", "ok", "(", "broken")}, nil)
	if err != nil {
		t.Errorf("a broken pattern after the matching case must not be compiled: %v", err)
	}
	_, err = apptest.Run(context.Background(), s, nil, weft.Bundle{"input": "b", "useRegExpMatch": true,
		"casesTable": cases("a", "ok", "(", "broken")}, nil)
	wantError(t, err, weft.InvalidConfigurationError, "casesTable/1/pattern: invalid regular expression /(/")
	_, err = apptest.Run(context.Background(), s, nil, weft.Bundle{"input": "b", "casesTable": []any{"a"}}, nil)
	wantError(t, err, weft.DataError, "casesTable/0")
}

func TestSwitcherReusesModule(t *testing.T) {
	s := spec(t, "util:Switcher")
	m, err := s.New(app.Config{ModuleID: 7})
	if err != nil {
		t.Fatal(err)
	}
	table := []any{map[string]any{"pattern": `^\d+$`, "output": "digits"}}
	for _, in := range []string{"12", "x", "345"} {
		call := &app.Call{ModuleID: 7, Exec: apptest.NewExec(),
			Input: weft.Bundle{"input": in, "useRegExpMatch": true, "casesTable": table}}
		out, err := m.Run(context.Background(), call)
		if err != nil {
			t.Fatal(err)
		}
		want := any("digits")
		if in == "x" {
			want = nil
		}
		if out[0]["output"] != want {
			t.Errorf("input %q: output %v; want %v", in, out[0]["output"], want)
		}
	}
	if n := m.(*switcher).cache.Len(); n != 1 {
		t.Errorf("cached %d patterns; want 1", n)
	}
}
