package iml

import (
	"errors"
	"fmt"
	"strings"

	"github.com/weftworks/weft/jsregex"
	"github.com/weftworks/weft/value"
)

// Condition is one filter condition as a blueprint stores it: operands A and B are
// templates or plain JSON values, O is an operator code such as "text:equal:ci".
type Condition struct {
	A any    `json:"a"`
	O string `json:"o"`
	B any    `json:"b,omitempty"`
}

// Filter is a compiled filter: groups are OR'ed, the conditions inside a group AND'ed.
// It is immutable and safe for concurrent use.
type Filter struct {
	groups [][]cond
	refs   []Ref
}

type cond struct {
	a, b *Value
	op   *operator
	// re is the compiled pattern of text:pattern when B is a constant.
	re *jsregex.Regexp
}

// CompileFilter compiles condition groups. The error is a *FilterError naming the
// group, the condition and the field ("a", "o" or "b") at fault.
func CompileFilter(groups [][]Condition) (*Filter, error) {
	f := &Filter{groups: make([][]cond, len(groups))}
	var refs []offRef
	n := 0
	for gi, g := range groups {
		f.groups[gi] = make([]cond, len(g))
		for ci, c := range g {
			op, err := lookupOperator(c.O)
			if err != nil {
				return nil, &FilterError{Group: gi, Index: ci, Field: "o", Err: err}
			}
			a, err := compileOperand(c.A)
			if err != nil {
				return nil, &FilterError{Group: gi, Index: ci, Field: "a", Err: err}
			}
			var b *Value
			if !op.unary {
				if b, err = compileOperand(c.B); err != nil {
					return nil, &FilterError{Group: gi, Index: ci, Field: "b", Err: err}
				}
			}
			cc := cond{a: a, b: b, op: op}
			if op.family == "text" && (op.name == "pattern" || op.name == "notpattern") {
				if k, ok := b.root.(vconst); ok {
					re, err := compilePattern(value.Text(k.v), op.ci)
					if err != nil {
						return nil, &FilterError{Group: gi, Index: ci, Field: "b", Err: err}
					}
					cc.re = re
				}
			}
			f.groups[gi][ci] = cc
			for _, v := range []*Value{a, b} {
				if v == nil {
					continue
				}
				for _, r := range v.refs {
					refs = append(refs, offRef{off: n, Ref: r.Ref})
					n++
				}
			}
		}
	}
	f.refs = dedupeRefs(refs)
	return f, nil
}

// MustCompileFilter is CompileFilter for filters fixed in code; it panics on error.
func MustCompileFilter(groups [][]Condition) *Filter {
	f, err := CompileFilter(groups)
	if err != nil {
		panic(err)
	}
	return f
}

func compileOperand(v any) (*Value, error) {
	c, err := CompileValue(v)
	if err != nil {
		var pe *PathError
		if errors.As(err, &pe) && pe.Pointer == "" {
			return nil, pe.Err
		}
		return nil, err
	}
	return c, nil
}

// Match reports whether the bundle passes: true when any group has all its conditions
// true; a filter without conditions passes. An evaluation error is a *FilterError
// wrapping the *EvalError.
func (f *Filter) Match(env *Env) (bool, error) {
	if f == nil || len(f.groups) == 0 {
		return true, nil
	}
	if env == nil {
		env = &zeroEnv
	}
	for gi, g := range f.groups {
		ok := true
		for ci := range g {
			c := &g[ci]
			r, field, err := c.match(env)
			if err != nil {
				return false, &FilterError{Group: gi, Index: ci, Field: field, Err: unwrapRootPath(err)}
			}
			if !r {
				ok = false
				break
			}
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// unwrapRootPath drops a PathError with an empty pointer (an operand that is itself a
// template) so the FilterError wraps the EvalError directly.
func unwrapRootPath(err error) error {
	if pe, ok := err.(*PathError); ok && pe.Pointer == "" {
		return pe.Err
	}
	return err
}

// Refs lists the module references of every operand, without duplicates.
func (f *Filter) Refs() []Ref {
	out := make([]Ref, len(f.refs))
	copy(out, f.refs)
	return out
}

func (c *cond) match(env *Env) (bool, string, error) {
	a, err := c.a.Eval(env)
	if err != nil {
		return false, "a", err
	}
	a = unignore(a)
	var b any
	if c.b != nil {
		if b, err = c.b.Eval(env); err != nil {
			return false, "b", err
		}
		b = unignore(b)
	}
	if env.Limits != nil && c.op.family == "text" {
		// Text operators compare text forms: an array or collection operand must not
		// turn into more text than a run may hold.
		if err := env.Limits.AsText(a, "filter operand a"); err != nil {
			return false, "a", err
		}
		if err := env.Limits.AsText(b, "filter operand b"); err != nil {
			return false, "b", err
		}
	}
	r, err := c.op.test(env, c, a, b)
	if err != nil {
		return false, "b", err
	}
	return r != c.op.negate, "", nil
}

// operator is one filter operator code. Every "not" code is the exact negation of its
// positive code, also when an operand does not convert (docs/mapping.md).
type operator struct {
	code   string
	family string // "", text, number, date, time, semver, array, boolean
	name   string // equal, contain, greaterorequal…
	ci     bool
	unary  bool
	negate bool
	test   func(env *Env, c *cond, a, b any) (bool, error)
}

var operators = map[string]*operator{}

// IsOperator reports whether code is a filter operator code Make knows.
func IsOperator(code string) bool {
	_, ok := operators[code]
	return ok
}

// Operators lists every operator code.
func Operators() []string {
	out := make([]string, 0, len(operators))
	for k := range operators {
		out = append(out, k)
	}
	return sortedStrings(out)
}

func lookupOperator(code string) (*operator, error) {
	if op, ok := operators[code]; ok {
		return op, nil
	}
	if code == "" {
		return nil, errors.New("missing operator")
	}
	hint := ""
	switch code {
	case "text:startswith":
		hint = " (did you mean text:startwith?)"
	case "text:endswith":
		hint = " (did you mean text:endwith?)"
	case "date:before":
		hint = " (did you mean date:less?)"
	case "date:after":
		hint = " (did you mean date:greater?)"
	}
	return nil, fmt.Errorf("unknown filter operator %q%s", code, hint)
}

func init() {
	add := func(family, name string, ci, negate bool, test func(env *Env, c *cond, a, b any) (bool, error)) {
		code := name
		if family != "" {
			code = family + ":" + name
		}
		if ci {
			code += ":ci"
		}
		operators[code] = &operator{code: code, family: family, name: name, ci: ci,
			unary: family == "", negate: negate, test: test}
	}
	add("", "exist", false, false, func(_ *Env, _ *cond, a, _ any) (bool, error) { return !value.IsEmpty(a), nil })
	add("", "notexist", false, true, func(_ *Env, _ *cond, a, _ any) (bool, error) { return !value.IsEmpty(a), nil })
	for _, ci := range []bool{false, true} {
		for _, t := range []struct {
			name string
			test func(env *Env, c *cond, a, b any) (bool, error)
		}{
			{"equal", textTest(func(a, b string) bool { return a == b })},
			{"contain", textTest(strings.Contains)},
			{"startwith", textTest(strings.HasPrefix)},
			{"endwith", textTest(strings.HasSuffix)},
			{"pattern", testPattern},
		} {
			add("text", t.name, ci, false, t.test)
			add("text", "not"+t.name, ci, true, t.test)
		}
		add("array", "contain", ci, false, testArrayContain)
		add("array", "notcontain", ci, true, testArrayContain)
	}
	for _, family := range []string{"number", "date", "time", "semver", "array"} {
		cmp := comparers[family]
		add(family, "equal", false, false, ordered(cmp, func(c int) bool { return c == 0 }))
		add(family, "notequal", false, true, ordered(cmp, func(c int) bool { return c == 0 }))
		add(family, "greater", false, false, ordered(cmp, func(c int) bool { return c > 0 }))
		add(family, "less", false, false, ordered(cmp, func(c int) bool { return c < 0 }))
		add(family, "greaterorequal", false, false, ordered(cmp, func(c int) bool { return c >= 0 }))
		add(family, "lessorequal", false, false, ordered(cmp, func(c int) bool { return c <= 0 }))
	}
	add("boolean", "equal", false, false, testBoolEqual)
	add("boolean", "notequal", false, true, testBoolEqual)
}
