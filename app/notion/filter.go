package notion

import (
	"fmt"
	"strings"

	"github.com/weftworks/weft/value"
)

// propSep separates a property's name from its type in a filter condition's operand,
// as Make's Notion module writes it: "Date |&*^%$#@| title".
const propSep = " |&*^%$#@| "

// queryFilter turns Make's filter (condition groups [[{a, o, b}]], groups OR'ed,
// conditions AND'ed) into a Notion database query filter. a is "Name |&*^%$#@| type",
// o is "category:operator" (text:equals, number:greater_than, multiselect:contains,
// formula:text-equals, date:on_or_after, checkbox:equals, …), b the value. nil when
// there is no condition.
func queryFilter(v any) (map[string]any, error) {
	if value.IsEmpty(v) {
		return nil, nil
	}
	groups, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("filter must be an array of condition groups, got %s", value.Kind(v))
	}
	var ors []any
	for gi, g := range groups {
		conds, ok := g.([]any)
		if !ok {
			return nil, fmt.Errorf("filter/%d must be an array of conditions, got %s", gi, value.Kind(g))
		}
		var ands []any
		for ci, c := range conds {
			m, ok := c.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("filter/%d/%d must be a condition {a, o, b}, got %s", gi, ci, value.Kind(c))
			}
			f, err := condition(m)
			if err != nil {
				return nil, fmt.Errorf("filter/%d/%d: %v", gi, ci, err)
			}
			ands = append(ands, f)
		}
		switch len(ands) {
		case 0:
		case 1:
			ors = append(ors, ands[0])
		default:
			ors = append(ors, map[string]any{"and": ands})
		}
	}
	switch len(ors) {
	case 0:
		return nil, nil
	case 1:
		return ors[0].(map[string]any), nil
	}
	return map[string]any{"or": ors}, nil
}

// categoryType is the property filter's key for an operator category when the operand
// does not name the property's type.
var categoryType = map[string]string{
	"text": "rich_text", "number": "number", "date": "date", "checkbox": "checkbox", "file": "files",
	"select": "select", "status": "status", "multiselect": "multi_select", "people": "people",
	"relation": "relation", "formula": "formula",
}

func condition(c map[string]any) (map[string]any, error) {
	a, o := value.Text(c["a"]), value.Text(c["o"])
	name, typ, hasType := strings.Cut(a, propSep)
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, fmt.Errorf("a names no property")
	}
	category, op, ok := strings.Cut(o, ":")
	if !ok || op == "" {
		return nil, fmt.Errorf("operator %q is not category:operator (text:equals, number:greater_than, …)", o)
	}
	if !hasType || strings.TrimSpace(typ) == "" {
		typ = categoryType[category]
		if typ == "" {
			return nil, fmt.Errorf("operator %q: unknown category %q", o, category)
		}
	}
	typ = strings.TrimSpace(typ)
	inner := map[string]any{}
	if category == "formula" {
		// formula:text-equals → {"formula": {"string": {"equals": b}}}
		kind, fop, ok := strings.Cut(op, "-")
		if !ok {
			return nil, fmt.Errorf("operator %q: a formula condition is formula:type-operator", o)
		}
		if kind == "text" {
			kind = "string"
		}
		cond, err := operand(kind, fop, c["b"])
		if err != nil {
			return nil, err
		}
		inner[kind] = cond
		return map[string]any{"property": name, "formula": inner}, nil
	}
	cond, err := operand(category, op, c["b"])
	if err != nil {
		return nil, err
	}
	return map[string]any{"property": name, typ: cond}, nil
}

// operand is {op: value} with the value as the operator takes it: true for the
// emptiness tests, a number for number comparisons, a boolean for checkboxes, text
// otherwise.
func operand(category, op string, b any) (map[string]any, error) {
	switch op {
	case "is_empty", "is_not_empty":
		return map[string]any{op: true}, nil
	}
	switch category {
	case "number":
		f, ok := value.Number(b)
		if !ok {
			return nil, fmt.Errorf("%s compares numbers; %q is not one", op, value.Text(b))
		}
		return map[string]any{op: f}, nil
	case "checkbox":
		return map[string]any{op: value.Bool(b)}, nil
	}
	return map[string]any{op: value.Text(b)}, nil
}

// querySorts turns Make's sorts [{select: property|timestamp, property, timestamp,
// direction}] into Notion's.
func querySorts(v any) []any {
	var out []any
	for _, e := range value.Array(v) {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		dir := value.Text(m["direction"])
		if dir == "" {
			dir = "ascending"
		}
		switch {
		case value.Text(m["select"]) == "timestamp" || (value.IsEmpty(m["property"]) && !value.IsEmpty(m["timestamp"])):
			ts := value.Text(m["timestamp"])
			if ts == "" {
				ts = "created_time"
			}
			out = append(out, map[string]any{"timestamp": ts, "direction": dir})
		case !value.IsEmpty(m["property"]):
			prop, _, _ := strings.Cut(value.Text(m["property"]), propSep)
			out = append(out, map[string]any{"property": prop, "direction": dir})
		}
	}
	return out
}
