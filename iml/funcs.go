package iml

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/weftworks/weft/limits"
	"github.com/weftworks/weft/value"
)

// funcDef is a library function. Exactly one of call and lazy is set: lazy functions
// (if, ifempty, switch) evaluate only the arguments they need.
type funcDef struct {
	name     string // canonical spelling, used in errors and docs
	min, max int    // argument count; max < 0 means no upper bound
	call     func(c callCtx, args []any) (any, error)
	lazy     func(env *Env, args []node) (any, error)
	// pure functions depend on their arguments only, so calls with constant arguments
	// are evaluated once at compile time.
	pure bool
	// prepare runs at compile time (e.g. to compile a constant regex argument).
	prepare func(c *callNode) error
	// arrays: the function reads arrays and collections as such; every other function
	// reads its arguments as text, so an array or collection argument is checked
	// against the run's maxTextBytes before the call.
	arrays bool
	// label names the function in limit errors ("split()"), made once.
	label string
}

func (f *funcDef) arity() string {
	switch {
	case f.min == f.max && f.min == 1:
		return "1 argument"
	case f.min == f.max:
		return fmt.Sprintf("%d arguments", f.min)
	case f.max < 0:
		return fmt.Sprintf("at least %d arguments", f.min)
	}
	return fmt.Sprintf("%d to %d arguments", f.min, f.max)
}

// funcs is the library, keyed by lower-cased name: Make resolves function names
// without regard to case (exports contain both stripHtml and stripHTML).
var funcs = map[string]*funcDef{}

func register(defs ...*funcDef) {
	for _, d := range defs {
		key := strings.ToLower(d.name)
		if _, dup := funcs[key]; dup {
			panic("iml: function registered twice: " + d.name)
		}
		d.label = d.name + "()"
		funcs[key] = d
	}
}

// Functions lists the canonical names of every library function, sorted.
func Functions() []string {
	names := make([]string, 0, len(funcs))
	for _, f := range funcs {
		names = append(names, f.name)
	}
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return names
}

// pure builds a function whose result depends only on its arguments.
func pure(name string, min, max int, fn func(args []any) (any, error)) *funcDef {
	return &funcDef{name: name, min: min, max: max, pure: true,
		call: func(_ callCtx, args []any) (any, error) { return fn(args) }}
}

// pureCtx builds a pure function that needs the call context: the run's limits, for
// functions whose result can grow far beyond their arguments or that loop over data.
func pureCtx(name string, min, max int, fn func(c callCtx, args []any) (any, error)) *funcDef {
	return &funcDef{name: name, min: min, max: max, pure: true, call: fn}
}

// withEnv builds a function that reads the environment (time zone, clock, randomness).
func withEnv(name string, min, max int, fn func(c callCtx, args []any) (any, error)) *funcDef {
	return &funcDef{name: name, min: min, max: max, call: fn}
}

// fold evaluates a pure call whose arguments are all constants. Only scalar results
// are folded (arrays and collections must be fresh per evaluation because callers may
// modify them); a call that fails is left for run time, where the error is reported
// with the data that caused it.
func fold(c *callNode) node {
	if !c.fn.pure || c.re != nil {
		// A constant regex is compiled once but searched at run time, within the run's
		// regex budget: a catastrophic pattern must not stall compiling.
		return c
	}
	for _, a := range c.args {
		if _, ok := a.(*constNode); !ok {
			return c
		}
	}
	// Folding runs under the default limits, so nested constant calls cannot build a
	// huge value while a blueprint compiles; a call over them is left for run time,
	// where the run's limits report it.
	env := Env{Limits: limits.Start(limits.Default(), limits.Limits{}, nil)}
	v, err := c.eval(&env)
	if err != nil {
		return c
	}
	switch v.(type) {
	case nil, bool, float64, int64, string:
		return &constNode{v}
	}
	return c
}

// arg returns args[i] or nil when the optional argument was not given.
func arg(args []any, i int) any {
	if i < len(args) {
		return args[i]
	}
	return nil
}

// text converts an argument to text (Make's text coercion).
func text(v any) string { return value.Text(v) }

// intArg reads an integer argument; def is used when it is absent or empty.
func intArg(fn string, args []any, i int, what string, def int) (int, error) {
	v := arg(args, i)
	if value.IsEmpty(v) {
		return def, nil
	}
	f, ok := value.Number(v)
	if !ok {
		return 0, evalErr(fn, "%s must be a number, got %s", what, describeValue(v))
	}
	if f != f || f > 1<<53 || f < -(1<<53) {
		return 0, evalErr(fn, "%s is out of range: %s", what, describeValue(v))
	}
	return int(f), nil
}

// describeValue renders a value for an error message, shortened.
func describeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "empty"
	case string:
		if len(x) > 40 {
			x = x[:40] + "…"
		}
		return fmt.Sprintf("text %q", x)
	case time.Time:
		return "date " + value.Text(x)
	}
	s := value.Text(v)
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return value.Kind(v) + " " + s
}

// General functions (IML.md §2.1).
func init() {
	register(
		&funcDef{name: "if", min: 2, max: 3, lazy: fnIf},
		&funcDef{name: "ifempty", min: 2, max: 2, lazy: fnIfEmpty},
		&funcDef{name: "switch", min: 3, max: -1, lazy: fnSwitch},
		pure("get", 2, 2, fnGet),
		pure("omit", 1, -1, func(args []any) (any, error) { return pickOmit("omit", args, false) }),
		pure("pick", 1, -1, func(args []any) (any, error) { return pickOmit("pick", args, true) }),
	)
	readsArrays("get", "omit", "pick")
}

// readsArrays marks functions that read arrays and collections as such (funcDef.arrays).
func readsArrays(names ...string) {
	for _, name := range names {
		f, ok := funcs[strings.ToLower(name)]
		if !ok {
			panic("iml: readsArrays: unknown function " + name)
		}
		f.arrays = true
	}
}

// evalArg evaluates a lazy argument; Ignore is passed through so that
// {{if(x; 1.a; ignore)}} can drop a mapper key.
func evalArg(env *Env, n node) (any, error) { return n.eval(env) }

func fnIf(env *Env, args []node) (any, error) {
	c, err := evalArg(env, args[0])
	if err != nil {
		return nil, err
	}
	if isIgnore(c) {
		c = nil
	}
	if value.Bool(c) {
		return evalArg(env, args[1])
	}
	if len(args) < 3 {
		return nil, nil
	}
	return evalArg(env, args[2])
}

func fnIfEmpty(env *Env, args []node) (any, error) {
	v, err := evalArg(env, args[0])
	if err != nil {
		return nil, err
	}
	if !isIgnore(v) && !value.IsEmpty(v) {
		return v, nil
	}
	return evalArg(env, args[1])
}

func fnSwitch(env *Env, args []node) (any, error) {
	x, err := evalArg(env, args[0])
	if err != nil {
		return nil, err
	}
	if isIgnore(x) {
		x = nil
	}
	i := 1
	for ; i+1 < len(args); i += 2 {
		v, err := evalArg(env, args[i])
		if err != nil {
			return nil, err
		}
		if isIgnore(v) {
			v = nil
		}
		if value.Equal(x, v) {
			return evalArg(env, args[i+1])
		}
	}
	if i < len(args) { // the odd trailing argument is the default
		return evalArg(env, args[i])
	}
	return nil, nil
}

// fnGet reads a path: dots go into collections, numbers index arrays 1-based.
func fnGet(args []any) (any, error) {
	v, p := args[0], args[1]
	if v == nil || p == nil {
		return nil, nil
	}
	if f, ok := p.(float64); ok {
		return index(v, f), nil
	}
	for _, part := range strings.Split(text(p), ".") {
		if v == nil {
			return nil, nil
		}
		if a, ok := v.([]any); ok {
			if f, ok := value.Number(part); ok {
				v = index(a, f)
				continue
			}
		}
		v = member(v, part)
	}
	return v, nil
}

func pickOmit(fn string, args []any, keep bool) (any, error) {
	if args[0] == nil {
		return nil, nil
	}
	m, ok := args[0].(map[string]any)
	if !ok {
		return nil, evalErr(fn, "expected a collection, got %s", describeValue(args[0]))
	}
	keys := map[string]bool{}
	for _, k := range args[1:] {
		// A key argument may be an array of keys (a mapped list of names).
		if a, ok := k.([]any); ok {
			for _, e := range a {
				keys[text(e)] = true
			}
			continue
		}
		keys[text(k)] = true
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		if keys[k] == keep {
			out[k] = v
		}
	}
	return out, nil
}
