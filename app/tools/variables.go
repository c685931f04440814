package tools

import (
	"context"
	"fmt"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

// scopeField is the variable lifetime of every setter. Make's default is "One cycle".
var scopeField = app.Field{
	Name: "scope", Label: "Variable lifetime", Type: app.TypeSelect,
	Options: []string{string(app.ScopeRoundtrip), string(app.ScopeExecution)},
	Default: string(app.ScopeRoundtrip),
	Help:    "roundtrip: the variable lives for one cycle; execution: for the whole run.",
}

var nameField = app.Field{Name: "name", Label: "Variable name", Type: app.TypeText, Required: true}

var setVariableSpec = app.Spec{
	Name: "util:SetVariable", Label: "Set variable (legacy)",
	Timeout: noDeadline,
	Help:    "Stores a value under a name for later Get variable modules; outputs it as `value`.",
	Mapper:  []app.Field{nameField, scopeField, {Name: "value", Label: "Variable value", Type: app.TypeAny}},
	New: newStatic(func(_ context.Context, c *app.Call) ([]weft.Bundle, error) {
		v := c.Input["value"]
		c.Exec.SetVariable(value.Text(c.Input["name"]), scopeOf(c.Input), v)
		return one(weft.Bundle{"value": v}), nil
	}),
}

var setVariable2Spec = app.Spec{
	Name: "util:SetVariable2", Label: "Set variable",
	Timeout: noDeadline,
	Help:    "Stores a value under a name for later Get variable modules; outputs it under its name.",
	Mapper:  []app.Field{nameField, scopeField, {Name: "value", Label: "Variable value", Type: app.TypeAny}},
	New: newStatic(func(_ context.Context, c *app.Call) ([]weft.Bundle, error) {
		name, v := value.Text(c.Input["name"]), c.Input["value"]
		c.Exec.SetVariable(name, scopeOf(c.Input), v)
		return one(weft.Bundle{name: v}), nil
	}),
}

var setVariablesSpec = app.Spec{
	Name: "util:SetVariables", Label: "Set multiple variables",
	Timeout: noDeadline,
	Help:    "Stores several values at once; outputs one field per variable.",
	Mapper: []app.Field{
		{Name: "variables", Label: "Variables", Type: app.TypeArray, Spec: []app.Field{
			nameField, {Name: "value", Label: "Variable value", Type: app.TypeAny},
		}},
		scopeField,
	},
	New: newStatic(func(_ context.Context, c *app.Call) ([]weft.Bundle, error) {
		scope := scopeOf(c.Input)
		vars := value.Array(c.Input["variables"])
		out := make(weft.Bundle, len(vars))
		for i, e := range vars {
			item, ok := e.(map[string]any)
			if !ok {
				return nil, weft.Errorf(weft.DataError, "variables/%d: %s is not a {name, value} collection", i, value.Kind(e))
			}
			name := value.Text(item["name"])
			if name == "" {
				return nil, weft.Errorf(weft.DataError, "variables/%d/name: missing variable name", i)
			}
			// Every entry sees the run's variables as they were before this module:
			// the mapper was evaluated before Run (later duplicates win).
			c.Exec.SetVariable(name, scope, item["value"])
			out[name] = item["value"]
		}
		return one(out), nil
	}),
}

var getVariableSpec = app.Spec{
	Name: "util:GetVariable", Label: "Get variable (legacy)",
	Timeout: noDeadline,
	Help:    "Reads a variable set earlier in the run; outputs it as `value` (empty when never set).",
	Mapper:  []app.Field{nameField},
	New: newStatic(func(_ context.Context, c *app.Call) ([]weft.Bundle, error) {
		v, _ := c.Exec.Variable(value.Text(c.Input["name"]))
		return one(weft.Bundle{"value": v}), nil
	}),
}

var getVariable2Spec = app.Spec{
	Name: "util:GetVariable2", Label: "Get variable",
	Timeout: noDeadline,
	Help:    "Reads a variable set earlier in the run; outputs it under its name (empty when never set).",
	Mapper:  []app.Field{nameField},
	New: newStatic(func(_ context.Context, c *app.Call) ([]weft.Bundle, error) {
		name := value.Text(c.Input["name"])
		v, _ := c.Exec.Variable(name)
		return one(weft.Bundle{name: v}), nil
	}),
}

var getVariablesSpec = app.Spec{
	Name: "util:GetVariables", Label: "Get multiple variables",
	Timeout: noDeadline,
	Help:    "Reads several variables; outputs one field per name (empty when never set).",
	Mapper:  []app.Field{{Name: "variables", Label: "Variable names", Type: app.TypeArray}},
	New: newStatic(func(_ context.Context, c *app.Call) ([]weft.Bundle, error) {
		names := value.Array(c.Input["variables"])
		out := make(weft.Bundle, len(names))
		for i, e := range names {
			name, err := variableName(e, i)
			if err != nil {
				return nil, err
			}
			v, _ := c.Exec.Variable(name)
			out[name] = v
		}
		return one(out), nil
	}),
}

// variableName reads one entry of Get multiple variables: a name (numbers and booleans
// are taken as their text, since a mapping may produce them).
func variableName(e any, i int) (string, error) {
	switch x := e.(type) {
	case string:
		if x != "" {
			return x, nil
		}
	case float64, int64, bool:
		return value.Text(x), nil
	default:
		return "", weft.Errorf(weft.DataError, "variables/%d: %s is not a variable name", i, value.Kind(e))
	}
	return "", weft.Errorf(weft.DataError, "variables/%d: empty variable name", i)
}

func scopeOf(in weft.Bundle) app.Scope {
	if s := value.Text(in["scope"]); s != "" {
		return app.Scope(s)
	}
	return app.ScopeRoundtrip
}

// counterVariable is the hidden variable that holds an Increment module's counter. The
// prefix cannot collide with a name typed in Make's UI in practice, and keeping the
// counter in the execution's variable space gives it the scope's lifetime for free.
func counterVariable(moduleID int) string { return fmt.Sprintf("\x00weft.increment.%d", moduleID) }
