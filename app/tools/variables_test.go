package tools

import (
	"context"
	"reflect"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
)

// scopedExec records the scope each variable was set with.
type scopedExec struct {
	*apptest.Exec
	scopes map[string]app.Scope
}

func newScopedExec() *scopedExec {
	return &scopedExec{Exec: apptest.NewExec(), scopes: map[string]app.Scope{}}
}

func (e *scopedExec) SetVariable(name string, scope app.Scope, v any) {
	e.scopes[name] = scope
	e.Exec.SetVariable(name, scope, v)
}

func TestSetVariables(t *testing.T) {
	tests := []struct {
		module     string
		mapper     weft.Bundle
		want       weft.Bundle
		wantVars   map[string]any
		wantScopes map[string]app.Scope
	}{
		{"util:SetVariable2", // 009
			weft.Bundle{"name": "lastLeadEmail", "scope": "execution", "value": "a@example.com"},
			weft.Bundle{"lastLeadEmail": "a@example.com"},
			map[string]any{"lastLeadEmail": "a@example.com"},
			map[string]app.Scope{"lastLeadEmail": app.ScopeExecution}},
		{"util:SetVariable2", // 015: names with spaces, numbers kept as mapped
			weft.Bundle{"name": "Limit for pagination", "scope": "roundtrip", "value": "1"},
			weft.Bundle{"Limit for pagination": "1"},
			map[string]any{"Limit for pagination": "1"},
			map[string]app.Scope{"Limit for pagination": app.ScopeRoundtrip}},
		{"util:SetVariable2", // scope defaults to one cycle; a value mapped to ignore is empty
			weft.Bundle{"name": "x"},
			weft.Bundle{"x": nil},
			map[string]any{"x": nil},
			map[string]app.Scope{"x": app.ScopeRoundtrip}},
		{"util:SetVariable", // legacy: output is `value`
			weft.Bundle{"name": "n", "scope": "execution", "value": 3.0},
			weft.Bundle{"value": 3.0},
			map[string]any{"n": 3.0},
			map[string]app.Scope{"n": app.ScopeExecution}},
		{"util:SetVariables", // 033 module 6: empty, boolean and text values
			weft.Bundle{"scope": "roundtrip", "variables": []any{
				map[string]any{"name": "Testing", "value": ""},
				map[string]any{"name": "Relevant Matches Only", "value": true},
				map[string]any{"name": "God Mode In Timer"}, // mapped to ignore
				map[string]any{"name": "Limit", "value": "1"},
			}},
			weft.Bundle{"Testing": "", "Relevant Matches Only": true, "God Mode In Timer": nil, "Limit": "1"},
			map[string]any{"Testing": "", "Relevant Matches Only": true, "God Mode In Timer": nil, "Limit": "1"},
			map[string]app.Scope{"Testing": app.ScopeRoundtrip, "Relevant Matches Only": app.ScopeRoundtrip,
				"God Mode In Timer": app.ScopeRoundtrip, "Limit": app.ScopeRoundtrip}},
		{"util:SetVariables", // a later entry with the same name wins
			weft.Bundle{"scope": "execution", "variables": []any{
				map[string]any{"name": "a", "value": 1.0}, map[string]any{"name": "a", "value": 2.0}}},
			weft.Bundle{"a": 2.0}, map[string]any{"a": 2.0}, map[string]app.Scope{"a": app.ScopeExecution}},
		{"util:SetVariables", weft.Bundle{}, weft.Bundle{}, map[string]any{}, map[string]app.Scope{}},
	}
	for _, tt := range tests {
		exec := newScopedExec()
		got, err := apptest.Run(context.Background(), spec(t, tt.module), nil, tt.mapper, exec)
		if err != nil {
			t.Fatalf("%s %v: %v", tt.module, tt.mapper, err)
		}
		if !reflect.DeepEqual(got, []weft.Bundle{tt.want}) {
			t.Errorf("%s %v: output %v; want %v", tt.module, tt.mapper, got, tt.want)
		}
		if !reflect.DeepEqual(exec.Vars, tt.wantVars) || !reflect.DeepEqual(exec.scopes, tt.wantScopes) {
			t.Errorf("%s %v: variables %v %v; want %v %v", tt.module, tt.mapper, exec.Vars, exec.scopes, tt.wantVars, tt.wantScopes)
		}
	}
}

func TestGetVariables(t *testing.T) {
	vars := map[string]any{"Team 1": "India", "Team 2": "Australia", "Response Sent": true, "n": 0.0}
	tests := []struct {
		module string
		mapper weft.Bundle
		want   weft.Bundle
	}{
		{"util:GetVariable2", weft.Bundle{"name": "Response Sent"}, weft.Bundle{"Response Sent": true}}, // 035
		{"util:GetVariable2", weft.Bundle{"name": "never set"}, weft.Bundle{"never set": nil}},
		{"util:GetVariable", weft.Bundle{"name": "n"}, weft.Bundle{"value": 0.0}},
		{"util:GetVariable", weft.Bundle{"name": "missing"}, weft.Bundle{"value": nil}},
		{"util:GetVariables", weft.Bundle{"variables": []any{"Team 1", "Team 2"}}, // 033 module 119
			weft.Bundle{"Team 1": "India", "Team 2": "Australia"}},
		{"util:GetVariables", weft.Bundle{"variables": []any{"Team 1", "Bonus Question"}},
			weft.Bundle{"Team 1": "India", "Bonus Question": nil}},
		{"util:GetVariables", weft.Bundle{"variables": "Team 2"}, weft.Bundle{"Team 2": "Australia"}},
		{"util:GetVariables", weft.Bundle{}, weft.Bundle{}},
	}
	for _, tt := range tests {
		exec := apptest.NewExec()
		for k, v := range vars {
			exec.Vars[k] = v
		}
		got, err := apptest.Run(context.Background(), spec(t, tt.module), nil, tt.mapper, exec)
		if err != nil {
			t.Fatalf("%s %v: %v", tt.module, tt.mapper, err)
		}
		if !reflect.DeepEqual(got, []weft.Bundle{tt.want}) {
			t.Errorf("%s %v: output %v; want %v", tt.module, tt.mapper, got, tt.want)
		}
	}
}

func TestSetThenGet(t *testing.T) {
	// 025: Set variable sectionText, then Get variable sectionText in a later module.
	exec := apptest.NewExec()
	ctx := context.Background()
	if _, err := apptest.Run(ctx, spec(t, "util:SetVariable2"), nil,
		weft.Bundle{"name": "sectionText", "scope": "roundtrip", "value": "## Intro"}, exec); err != nil {
		t.Fatal(err)
	}
	got, err := apptest.Run(ctx, spec(t, "util:GetVariable2"), nil, weft.Bundle{"name": "sectionText"}, exec)
	if err != nil || !reflect.DeepEqual(got, []weft.Bundle{{"sectionText": "## Intro"}}) {
		t.Errorf("get after set = %v, %v", got, err)
	}
}

func TestVariableErrors(t *testing.T) {
	tests := []struct {
		module string
		mapper weft.Bundle
		typ    weft.ErrorType
		want   string
	}{
		{"util:SetVariable2", weft.Bundle{"value": 1.0}, weft.DataError, "name: missing value of required field"},
		{"util:SetVariable2", weft.Bundle{"name": "a", "scope": "forever"}, weft.DataError, `scope: "forever" is not one of roundtrip, execution`},
		{"util:GetVariable2", weft.Bundle{}, weft.DataError, "name: missing value"},
		{"util:SetVariables", weft.Bundle{"variables": []any{map[string]any{"value": 1.0}}}, weft.DataError, "variables/0/name: missing value"},
		{"util:SetVariables", weft.Bundle{"variables": []any{"a"}}, weft.DataError, "variables/0: text is not a collection"},
		{"util:GetVariables", weft.Bundle{"variables": []any{"a", ""}}, weft.DataError, "variables/1: empty variable name"},
		{"util:GetVariables", weft.Bundle{"variables": []any{map[string]any{}}}, weft.DataError, "variables/0: collection is not a variable name"},
	}
	for _, tt := range tests {
		_, err := apptest.Run(context.Background(), spec(t, tt.module), nil, tt.mapper, nil)
		wantError(t, err, tt.typ, tt.want)
	}
}
