package declarative

import (
	"fmt"
	"maps"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/weftworks/weft/iml"
	"github.com/weftworks/weft/value"
)

// Transforms reshape values where the mapping language has no function for it (Make's
// custom apps write these as custom JavaScript IML functions, which weft does not run).
// A transform is an object with exactly one key naming it:
//
//	{"$parseJSON": "{{parameters.blocks}}"}        JSON text → value (empty → null)
//	{"$merge": [a, b, …]}                           collections merged, later keys win
//	{"$indexed": "{{item}}"}                        array → {"0": …, "1": …}
//	{"$positional": "{{parameters.values}}"}        {"0": …, "3": …} → [v0, null, null, v3]
//	{"$compact": "{{parameters.record}}"}           collection without empty keys and values
//	{"$map": {"over": "{{…}}", "to": {…item…}}}     each element (item, index) → to
//	{"$if": {"condition": …, "then": …, "else": …}} then or else (absent: null)
//	{"$cell": {"row": "{{item}}", "column": "C"}}   a row array's cell by column letters
//	{"$literal": {…}}                               the value as is, no templates
//	{"$file": {"name": …, "data": …}}               a file for a multipart or binary body
//	{"$object": {"over": …, "key": …, "value": …}}  a collection with computed keys
//	{"$byHeader": {"headers": …, "values": …}}      {"Name": a} → a row array by header
var transforms map[string]func(arg any, ptr string, sc scope) (node, error)

// The table is filled in init: its entries compile their arguments, which may hold
// transforms again.
func init() {
	transforms = map[string]func(arg any, ptr string, sc scope) (node, error){
		"$literal": func(arg any, _ string, _ scope) (node, error) {
			return constNode{value.Normalize(arg)}, nil
		},
		"$parseJSON": unary(func(v any) (any, error) {
			s, ok := v.(string)
			if !ok {
				return v, nil // already structured (mapped as a collection)
			}
			if strings.TrimSpace(s) == "" {
				return nil, nil
			}
			out, err := value.DecodeJSON([]byte(s))
			if err != nil {
				return nil, fmt.Errorf("invalid JSON: %v", err)
			}
			return out, nil
		}),
		"$indexed": unary(func(v any) (any, error) {
			if v == nil {
				return nil, nil
			}
			a, ok := v.([]any)
			if !ok {
				return nil, fmt.Errorf("$indexed needs an array, got %s", value.Kind(v))
			}
			out := make(map[string]any, len(a))
			for i, e := range a {
				out[strconv.Itoa(i)] = e
			}
			return out, nil
		}),
		"$positional": unary(positional),
		"$byHeader":   unary(byHeader), // transform_headers.go
		"$compact":    unary(compact),
		"$file":       compileFile,   // files.go
		"$object":     compileObject, // files.go
		"$cell": func(arg any, ptr string, sc scope) (node, error) {
			m, ok := arg.(map[string]any)
			if !ok || len(m) != 2 || m["row"] == nil || m["column"] == nil {
				return nil, errAt(ptr, `$cell takes {"row": …, "column": …}`)
			}
			row, err := compileNode(m["row"], ptr+"/row", sc)
			if err != nil {
				return nil, err
			}
			col, err := compileNode(m["column"], ptr+"/column", sc)
			if err != nil {
				return nil, err
			}
			return cellNode{row: row, col: col}, nil
		},
		"$if": func(arg any, ptr string, sc scope) (node, error) {
			m, ok := arg.(map[string]any)
			if !ok {
				return nil, errAt(ptr, `$if takes {"condition": …, "then": …, "else": …}`)
			}
			for k := range m {
				if k != "condition" && k != "then" && k != "else" {
					return nil, errAt(ptr+"/"+escape(k), `unknown key (an $if has "condition", "then" and "else")`)
				}
			}
			if _, ok := m["condition"]; !ok {
				return nil, errAt(ptr, `$if needs "condition"`)
			}
			var n ifNode
			var err error
			if n.cond, err = compileNode(m["condition"], ptr+"/condition", sc); err != nil {
				return nil, err
			}
			if n.then, err = compileNode(m["then"], ptr+"/then", sc); err != nil {
				return nil, err
			}
			if n.els, err = compileNode(m["else"], ptr+"/else", sc); err != nil {
				return nil, err
			}
			return n, nil
		},
		"$merge": func(arg any, ptr string, sc scope) (node, error) {
			list, ok := arg.([]any)
			if !ok {
				return nil, errAt(ptr, "$merge takes an array of collections")
			}
			n, err := compileNode(list, ptr, sc)
			if err != nil {
				return nil, err
			}
			return mergeNode{parts: n.(arrayNode), ptr: ptr}, nil
		},
		"$map": func(arg any, ptr string, sc scope) (node, error) {
			m, ok := arg.(map[string]any)
			if !ok {
				return nil, errAt(ptr, `$map takes {"over": …, "to": …}`)
			}
			for k := range m {
				if k != "over" && k != "to" {
					return nil, errAt(ptr+"/"+escape(k), `unknown key (a $map has "over" and "to")`)
				}
			}
			if _, ok := m["over"]; !ok {
				return nil, errAt(ptr, `$map needs "over"`)
			}
			over, err := compileNode(m["over"], ptr+"/over", sc)
			if err != nil {
				return nil, err
			}
			to, err := compileNode(m["to"], ptr+"/to", sc.with(rootItem, rootIndex))
			if err != nil {
				return nil, err
			}
			return mapEachNode{over: over, to: to}, nil
		},
	}
}

func compileTransform(name string, arg any, ptr string, sc scope) (node, error) {
	f, ok := transforms[name]
	if !ok {
		names := make([]string, 0, len(transforms))
		for k := range transforms {
			names = append(names, k)
		}
		sort.Strings(names)
		return nil, errAt(ptr, "unknown transform %s (one of %s; wrap a literal object in $literal)", name, strings.Join(names, ", "))
	}
	return f(arg, ptr, sc)
}

// unary builds a transform applying f to one compiled argument.
func unary(f func(any) (any, error)) func(arg any, ptr string, sc scope) (node, error) {
	return func(arg any, ptr string, sc scope) (node, error) {
		in, err := compileNode(arg, ptr, sc)
		if err != nil {
			return nil, err
		}
		return funcNode{in: in, f: f, ptr: ptr}, nil
	}
}

type funcNode struct {
	in  node
	f   func(any) (any, error)
	ptr string
}

func (n funcNode) eval(env *iml.Env) (any, error) {
	v, err := n.in.eval(env)
	if err != nil {
		return nil, err
	}
	if v == iml.Ignore {
		return v, nil
	}
	out, err := n.f(v)
	if err != nil {
		return nil, &evalError{ptr: n.ptr, err: err}
	}
	return out, nil
}

// positional turns a collection keyed by positions into an array, null where no key
// is given (Google Sheets' values {"0": "a", "4": "e"}). The largest position is
// bounded so a mapped key cannot allocate without limit.
func positional(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if a, ok := v.([]any); ok {
		return a, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$positional needs a collection keyed by position, got %s", value.Kind(v))
	}
	const maxPositions = 18278 // column ZZZ
	last := -1
	for k := range m {
		i, err := strconv.Atoi(strings.TrimSpace(k))
		if err != nil || i < 0 {
			return nil, fmt.Errorf("key %q is not a position (0, 1, 2, …)", k)
		}
		if i >= maxPositions {
			return nil, fmt.Errorf("position %d is beyond the last allowed (%d)", i, maxPositions-1)
		}
		last = max(last, i)
	}
	out := make([]any, last+1)
	for k, e := range m {
		i, _ := strconv.Atoi(strings.TrimSpace(k))
		out[i] = e
	}
	return out, nil
}

// compact drops the keys of a collection whose value is null or empty text, and an
// empty key: a field mapped to nothing is not sent (Make's rule for update modules:
// an empty value leaves the target unchanged).
func compact(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$compact needs a collection, got %s", value.Kind(v))
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		if strings.TrimSpace(k) == "" || e == nil || e == iml.Ignore {
			continue
		}
		if s, ok := e.(string); ok && s == "" {
			continue
		}
		out[k] = e
	}
	return out, nil
}

// cellNode reads one cell of a row (an array) by spreadsheet column letters ("A" is
// the first element, "AA" the 27th) or a 1-based column number; anything else, or a
// column beyond the row, is null.
type cellNode struct{ row, col node }

func (n cellNode) eval(env *iml.Env) (any, error) {
	r, err := n.row.eval(env)
	if err != nil {
		return nil, err
	}
	c, err := n.col.eval(env)
	if err != nil {
		return nil, err
	}
	row, ok := r.([]any)
	if !ok {
		return nil, nil
	}
	i := columnIndex(c)
	if i < 0 || i >= len(row) {
		return nil, nil
	}
	return row[i], nil
}

// columnIndex is the 0-based index of column letters or a 1-based number; -1 if neither.
func columnIndex(c any) int {
	if f, ok := c.(float64); ok {
		if f >= 1 && f == math.Trunc(f) && f < 1<<20 {
			return int(f) - 1
		}
		return -1
	}
	s := strings.ToUpper(strings.TrimSpace(value.Text(c)))
	if s == "" || len(s) > 4 {
		return -1
	}
	n := 0
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return -1
		}
		n = n*26 + int(r-'A') + 1
	}
	return n - 1
}

type ifNode struct{ cond, then, els node }

func (n ifNode) eval(env *iml.Env) (any, error) {
	c, err := n.cond.eval(env)
	if err != nil {
		return nil, err
	}
	if c != iml.Ignore && value.Bool(c) {
		return n.then.eval(env)
	}
	return n.els.eval(env)
}

type mergeNode struct {
	parts arrayNode
	ptr   string
}

func (n mergeNode) eval(env *iml.Env) (any, error) {
	out := map[string]any{}
	for i, p := range n.parts.elems {
		v, err := p.eval(env)
		if err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case nil:
		case map[string]any:
			maps.Copy(out, x)
		default:
			if v == iml.Ignore {
				continue
			}
			return nil, &evalError{ptr: n.ptr + "/" + strconv.Itoa(i),
				err: fmt.Errorf("$merge needs collections, got %s", value.Kind(v))}
		}
	}
	return out, nil
}

type mapEachNode struct {
	over, to node
}

func (n mapEachNode) eval(env *iml.Env) (any, error) {
	v, err := n.over.eval(env)
	if err != nil {
		return nil, err
	}
	if v == nil || v == iml.Ignore {
		return nil, nil
	}
	in := value.Array(v)
	out := make([]any, 0, len(in))
	vars := maps.Clone(env.Variables)
	if vars == nil {
		vars = map[string]any{}
	}
	inner := *env
	inner.Variables = vars
	for i, e := range in {
		vars[rootItem] = e
		vars[rootIndex] = float64(i + 1)
		r, err := n.to.eval(&inner)
		if err != nil {
			return nil, err
		}
		if r == iml.Ignore {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// number reads a limit or a count; ok is false when v is empty or not a number.
func number(v any) (int, bool) {
	if value.IsEmpty(v) {
		return 0, false
	}
	f, ok := value.Number(v)
	if !ok || math.IsNaN(f) {
		return 0, false
	}
	if f > math.MaxInt32 {
		return math.MaxInt32, true
	}
	return int(f), true
}
