package iml

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/weftworks/weft/value"
)

// Value is a compiled mapper value: a JSON value whose strings are templates. It is
// immutable and safe for concurrent use.
type Value struct {
	root vnode
	refs []PointedRef
}

type vnode interface {
	eval(env *Env) (any, error)
}

// CompileValue compiles every string inside v (maps, arrays and scalars, as decoded
// from a blueprint) as a template. The error is a *PathError whose Pointer locates the
// failing string, e.g. "/headers/0/value".
func CompileValue(v any) (*Value, error) {
	c := &Value{}
	root, err := c.compile(v, "")
	if err != nil {
		return nil, err
	}
	c.root = root
	return c, nil
}

// MustCompileValue is CompileValue for values fixed in code; it panics on error.
func MustCompileValue(v any) *Value {
	c, err := CompileValue(v)
	if err != nil {
		panic(err)
	}
	return c
}

func (c *Value) compile(v any, ptr string) (vnode, error) {
	switch x := v.(type) {
	case string:
		t, err := ParseTemplate(x)
		if err != nil {
			return nil, &PathError{Pointer: ptr, Err: err}
		}
		if k, ok := t.Const(); ok {
			return vconst{k}, nil
		}
		for _, r := range t.refs {
			c.refs = append(c.refs, PointedRef{Pointer: ptr, Ref: r})
		}
		return vtemplate{t, ptr}, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys) // deterministic Refs order and error reporting
		m := vmap{keys: keys, vals: make([]vnode, len(keys))}
		for i, k := range keys {
			n, err := c.compile(x[k], ptr+"/"+escapePointer(k))
			if err != nil {
				return nil, err
			}
			m.vals[i] = n
		}
		return m, nil
	case []any:
		a := varray{elems: make([]vnode, len(x))}
		for i, e := range x {
			n, err := c.compile(e, ptr+"/"+strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			a.elems[i] = n
		}
		return a, nil
	case nil, bool, float64, int64:
		return vconst{x}, nil
	case json.Number, int, int32, uint64, float32, map[string]string, []string:
		return c.compile(value.Normalize(x), ptr)
	}
	return nil, &PathError{Pointer: ptr, Err: fmt.Errorf("unsupported value of Go type %T", v)}
}

// escapePointer escapes a key for an RFC 6901 pointer.
func escapePointer(k string) string {
	if !strings.ContainsAny(k, "~/") {
		return k
	}
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}

// Eval evaluates the value. Collections drop keys whose value is Ignore and arrays drop
// Ignore elements; containers are always fresh, so the caller may modify the result.
// The error is a *PathError wrapping the template's *EvalError.
func (c *Value) Eval(env *Env) (any, error) {
	if env == nil {
		env = &zeroEnv
	}
	return c.root.eval(env)
}

// Refs lists every module reference with the pointer of the string holding it.
func (c *Value) Refs() []PointedRef { return slices.Clone(c.refs) }

type vconst struct{ v any }

func (n vconst) eval(*Env) (any, error) { return n.v, nil }

type vtemplate struct {
	t   *Template
	ptr string
}

func (n vtemplate) eval(env *Env) (any, error) {
	v, err := n.t.Eval(env)
	if err != nil {
		return nil, &PathError{Pointer: n.ptr, Err: err}
	}
	return v, nil
}

type vmap struct {
	keys []string
	vals []vnode
}

func (n vmap) eval(env *Env) (any, error) {
	out := make(map[string]any, len(n.keys))
	for i, k := range n.keys {
		v, err := n.vals[i].eval(env)
		if err != nil {
			return nil, err
		}
		if isIgnore(v) {
			continue
		}
		out[k] = v
	}
	return out, nil
}

type varray struct{ elems []vnode }

func (n varray) eval(env *Env) (any, error) {
	out := make([]any, 0, len(n.elems))
	for _, e := range n.elems {
		v, err := e.eval(env)
		if err != nil {
			return nil, err
		}
		if isIgnore(v) {
			continue
		}
		out = append(out, v)
	}
	return out, nil
}
