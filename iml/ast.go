package iml

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/weftworks/weft/jsregex"
	"github.com/weftworks/weft/limits"
	"github.com/weftworks/weft/value"
)

// node is one compiled expression. eval must not modify the node: compiled templates
// are shared by concurrent evaluations.
type node interface {
	eval(env *Env) (any, error)
}

// constNode is a literal or a folded constant. Only scalars are folded, so the value
// handed out can never be modified by a caller.
type constNode struct{ v any }

func (n *constNode) eval(*Env) (any, error) { return n.v, nil }

// keyword values that must be computed per evaluation.
type kwKind uint8

const (
	kwNow kwKind = iota
	kwTimestamp
	kwRandom
	kwUUID
	kwEmptyArray
	kwExecutionID
)

type keywordNode struct{ kw kwKind }

func (n *keywordNode) eval(env *Env) (any, error) {
	switch n.kw {
	case kwNow:
		return env.now(), nil
	case kwTimestamp:
		return float64(env.now().Unix()), nil
	case kwRandom:
		return env.random(), nil
	case kwUUID:
		return env.uuid(), nil
	case kwEmptyArray:
		return []any{}, nil
	case kwExecutionID:
		return env.ExecutionID, nil
	}
	return nil, nil
}

func (e *Env) random() float64 {
	if e.Random == nil {
		return rand.Float64()
	}
	f := e.Random()
	if !(f >= 0 && f < 1) { // an injected source out of range must not break shuffle
		f = math.Abs(math.Mod(f, 1))
		if math.IsNaN(f) {
			f = 0
		}
	}
	return f
}

// uuid builds a random RFC 4122 version 4 identifier from the injected random source
// (so tests can pin it).
func (e *Env) uuid() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(e.random() * 256)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&0xf])
	}
	return string(out)
}

// rootKind says where a reference starts.
type rootKind uint8

const (
	rootModule rootKind = iota // 3.data.name, `3`
	rootVar                    // var.scenario.name
	rootName                   // an unknown bare name: always empty (see docs/mapping.md)
	rootValue                  // postfix path on a computed value: get(…).name
)

// step is one element of a path: .key, [index] or [] (first element).
type step struct {
	key   string
	idx   node // nil for .key and []
	first bool // []
}

// refNode reads a path from a module output, a variable or a computed value.
type refNode struct {
	root   rootKind
	module int
	base   node // rootValue only
	steps  []step
}

func (n *refNode) eval(env *Env) (any, error) {
	var v any
	steps := n.steps
	switch n.root {
	case rootModule:
		if env.Scope == nil {
			return nil, nil
		}
		out, ok := env.Scope.Output(n.module)
		if !ok {
			return nil, nil
		}
		v = out
	case rootVar:
		if len(steps) == 0 {
			return nil, nil
		}
		v = env.Variables[steps[0].key]
		if len(steps) == 2 && steps[0].key == "scenario" && steps[1].key == "executionId" {
			// The engine may leave executionId out of var.scenario; it is always known.
			if m, _ := v.(map[string]any); m == nil || m["executionId"] == nil {
				return env.ExecutionID, nil
			}
		}
		steps = steps[1:]
	case rootName:
		return nil, nil
	case rootValue:
		b, err := n.base.eval(env)
		if err != nil {
			return nil, err
		}
		v = b
	}
	for i := range steps {
		if v == nil {
			return nil, nil
		}
		s := &steps[i]
		switch {
		case s.first:
			if a, ok := v.([]any); ok {
				if len(a) == 0 {
					return nil, nil
				}
				v = a[0]
			}
		case s.idx == nil:
			v = member(v, s.key)
		default:
			iv, err := s.idx.eval(env)
			if err != nil {
				return nil, err
			}
			v = index(v, iv)
		}
	}
	return v, nil
}

// member reads a collection key. On an array it reads the key of the first element,
// as Make does for a path through an array without an index ([] = first element).
func member(v any, key string) any {
	for {
		switch x := v.(type) {
		case map[string]any:
			return x[key]
		case []any:
			if len(x) == 0 {
				return nil
			}
			v = x[0]
			continue
		}
		return nil
	}
}

// index applies [i]: 1-based on arrays (negative counts from the end, 0 and out of
// range are empty); on a collection the index is a key.
func index(v, i any) any {
	switch x := v.(type) {
	case []any:
		f, ok := value.Number(i)
		if !ok || f != math.Trunc(f) || math.Abs(f) > float64(len(x)) {
			return nil
		}
		n := int(f)
		switch {
		case n > 0 && n <= len(x):
			return x[n-1]
		case n < 0 && -n <= len(x):
			return x[len(x)+n]
		}
		return nil
	case map[string]any:
		if f, ok := i.(float64); ok {
			return x[strconv.FormatFloat(f, 'f', -1, 64)]
		}
		return x[value.Text(i)]
	}
	return nil
}

// negNode is unary minus.
type negNode struct {
	x   node
	off int
}

func (n *negNode) eval(env *Env) (any, error) {
	v, err := n.x.eval(env)
	if err != nil {
		return nil, err
	}
	f, err := arithOperand("-", v)
	if err != nil {
		return nil, err
	}
	return -f, nil
}

// callNode calls a library function.
type callNode struct {
	fn   *funcDef
	args []node
	off  int
	// re is the regular expression of a constant /pattern/flags argument, compiled once.
	re *jsregex.Regexp
}

func (n *callNode) eval(env *Env) (any, error) {
	if err := env.tick(); err != nil {
		return nil, err
	}
	if n.fn.lazy != nil {
		v, err := n.fn.lazy(env, n.args)
		return v, n.wrap(err)
	}
	var buf [4]any
	args := buf[:0]
	if len(n.args) > len(buf) {
		args = make([]any, 0, len(n.args))
	}
	for _, a := range n.args {
		v, err := a.eval(env)
		if err != nil {
			return nil, err
		}
		if isIgnore(v) {
			v = nil
		}
		if env.Limits != nil && !n.fn.arrays {
			// The function reads its arguments as text: an array or collection must
			// not turn into more text than a run may hold.
			if err := env.Limits.AsText(v, n.fn.label); err != nil {
				return nil, err
			}
		}
		args = append(args, v)
	}
	v, err := n.fn.call(callCtx{env: env, re: n.re}, args)
	if err != nil {
		return v, n.wrap(err)
	}
	if env.Limits != nil {
		switch x := v.(type) {
		case string:
			err = env.Limits.Text(len(x), n.fn.label)
		case []any:
			err = env.Limits.Items(len(x), n.fn.label)
		}
	}
	return v, err
}

// wrap names the function in an error that does not name one yet. A run limit passes
// unchanged: its type (MaxResultsExceededError…) is what the engine reports.
func (n *callNode) wrap(err error) error {
	if err == nil {
		return nil
	}
	if ee, ok := err.(*EvalError); ok {
		if ee.Func == "" {
			ee.Func = n.fn.name
		}
		return ee
	}
	if _, ok := limits.As(err); ok {
		return err
	}
	return &EvalError{Func: n.fn.name, Msg: err.Error()}
}

// callCtx is what an eager function sees besides its arguments.
type callCtx struct {
	env *Env
	re  *jsregex.Regexp
}
