// Package jsonmod is Make's JSON app: json:ParseJSON, json:CreateJSON and
// json:TransformToJSON. See docs/modules-tools.md for fields and decisions.
package jsonmod

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

// Specs returns the module types of the JSON app.
func Specs() []app.Spec { return []app.Spec{parseSpec, createSpec, transformSpec} }

// noDeadline (a negative Spec.Timeout) runs a module without a per-bundle deadline:
// these modules do no I/O and their work is linear in their input, so they cannot hang.
const noDeadline = -1

// Register adds every JSON module type to r.
func Register(r *app.Registry) error {
	for _, s := range Specs() {
		if err := r.Register(s); err != nil {
			return err
		}
	}
	return nil
}

// typeField is the data structure a blueprint names by id. weft has no data structures
// yet, so it is accepted and ignored: the JSON itself decides the output's shape.
var typeField = app.Field{Name: "type", Label: "Data structure", Type: app.TypeAny,
	Help: "Data structure id; accepted for compatibility and not used."}

// spaceField is the indentation of the JSON text Make's Create/Transform modules write.
var spaceField = app.Field{Name: "space", Label: "Indentation", Type: app.TypeSelect,
	Options: []string{"", "tab", "2", "4"},
	Help:    `Empty for compact JSON, "tab", "2" or "4" spaces per level.`}

var parseSpec = app.Spec{
	Name: "json:ParseJSON", Label: "Parse JSON",
	Timeout: noDeadline,
	Help: "Parses JSON text: an object gives one bundle of its keys, an array one bundle " +
		"per element (with __IMTINDEX__ and __IMTLENGTH__).",
	Parameters: []app.Field{typeField},
	Mapper:     []app.Field{{Name: "json", Label: "JSON string", Type: app.TypeText, Required: true}},
	New: func(app.Config) (app.Module, error) {
		return app.ModuleFunc(func(_ context.Context, c *app.Call) ([]weft.Bundle, error) {
			return Parse(value.Text(c.Input["json"]))
		}), nil
	},
}

// Parse turns JSON text into the bundles Parse JSON emits. Invalid JSON is a DataError
// naming the line, column and byte offset of the problem.
func Parse(text string) ([]weft.Bundle, error) {
	v, err := value.DecodeJSON([]byte(text))
	if err != nil {
		return nil, &weft.Error{Type: weft.DataError, Message: "json: " + describe(text, err), Err: err}
	}
	switch x := v.(type) {
	case map[string]any:
		return []weft.Bundle{x}, nil
	case []any:
		out := make([]weft.Bundle, len(x))
		for i, e := range x {
			b, ok := e.(map[string]any)
			if !ok {
				b = weft.Bundle{"value": e} // a primitive or nested array, as the iterator does
			}
			b["__IMTINDEX__"] = float64(i + 1)
			b["__IMTLENGTH__"] = float64(len(x))
			out[i] = b
		}
		return out, nil
	}
	// A bare string, number, boolean or null is valid JSON too.
	return []weft.Bundle{{"value": v}}, nil
}

// describe says what is wrong with text and where, for a person fixing the data.
func describe(text string, err error) string {
	var syn *json.SyntaxError
	switch {
	case strings.TrimSpace(text) == "":
		return "no JSON: the text is empty or only white space"
	case errors.As(err, &syn):
		// Offset counts the offending byte as read; point at it instead.
		return fmt.Sprintf("invalid JSON at %s: %s", position(text, max(syn.Offset-1, 0)), syn.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("invalid JSON: the text ends at %s before the value is complete",
			position(text, int64(len(text))))
	}
	return "invalid JSON: " + err.Error()
}

// position renders a byte offset as "line L, column C (offset N)"; columns count
// characters, not bytes, as an editor does.
func position(text string, offset int64) string {
	if offset > int64(len(text)) {
		offset = int64(len(text))
	}
	before := text[:offset]
	line := strings.Count(before, "\n") + 1
	col := len([]rune(before[strings.LastIndexByte(before, '\n')+1:])) + 1
	return fmt.Sprintf("line %d, column %d (offset %d)", line, col, offset)
}

var createSpec = app.Spec{
	Name: "json:CreateJSON", Label: "Create JSON",
	Timeout:    noDeadline,
	Help:       "Serialises the mapped fields (the whole mapper) as JSON text; outputs `json`.",
	Parameters: []app.Field{typeField, spaceField},
	OpenMapper: true,
	New: func(cfg app.Config) (app.Module, error) {
		indent, err := indentation(cfg.Parameters)
		if err != nil {
			return nil, err
		}
		return app.ModuleFunc(func(_ context.Context, c *app.Call) ([]weft.Bundle, error) {
			obj := c.Input
			if obj == nil {
				obj = weft.Bundle{}
			}
			return []weft.Bundle{{"json": string(value.JSONIndent(map[string]any(obj), indent))}}, nil
		}), nil
	},
}

var transformSpec = app.Spec{
	Name: "json:TransformToJSON", Label: "Transform to JSON",
	Timeout:    noDeadline,
	Help:       "Writes any value as JSON text (a text becomes a quoted, escaped JSON string); outputs `json`.",
	Parameters: []app.Field{spaceField},
	Mapper:     []app.Field{{Name: "object", Label: "Object", Type: app.TypeAny}},
	New: func(cfg app.Config) (app.Module, error) {
		indent, err := indentation(cfg.Parameters)
		if err != nil {
			return nil, err
		}
		return app.ModuleFunc(func(_ context.Context, c *app.Call) ([]weft.Bundle, error) {
			return []weft.Bundle{{"json": string(value.JSONIndent(c.Input["object"], indent))}}, nil
		}), nil
	},
}

// indentation maps the space parameter to an indent string.
func indentation(params weft.Bundle) (string, error) {
	switch s := value.Text(params["space"]); s {
	case "":
		return "", nil
	case "tab":
		return "\t", nil
	case "2":
		return "  ", nil
	case "4":
		return "    ", nil
	default:
		return "", weft.Errorf(weft.InvalidConfigurationError, `space: %q is not one of "", "tab", "2", "4"`, s)
	}
}
