// Package iml is Make's mapping language ("IML", docs/mapping.md): the {{…}} templates
// inside mapped values, the function library (get, formatDate, replace, map…) and the
// filter operators of routes and if/else branches.
//
// Everything is compiled once per blueprint version (ParseTemplate, CompileValue,
// CompileFilter) and evaluated many times against an Env that names the module outputs
// visible to the bundle being processed. Compiled values are immutable, so one compiled
// blueprint serves parallel runs.
package iml

import (
	"fmt"
	"time"

	"github.com/weftworks/weft/limits"
)

// Scope gives access to the output bundles of upstream modules.
type Scope interface {
	// Output returns the output bundle of the module with the given blueprint id; ok is
	// false when that module has not produced one on this path.
	Output(moduleID int) (any, bool)
}

// Env is what an evaluation may read besides its own source.
type Env struct {
	Scope Scope
	// Now returns the current time (keywords now and timestamp). Defaults to time.Now.
	Now func() time.Time
	// Location is the scenario's time zone, the default of every date function.
	// Defaults to UTC.
	Location *time.Location
	// ExecutionID is the value of the executionId variable.
	ExecutionID string
	// Variables holds the roots of var.*: "scenario" → map, "input" → map, …
	Variables map[string]any
	// Random returns a number in [0, 1) (random, uuid, shuffle). Defaults to math/rand/v2.
	Random func() float64
	// Limits are the run's limits: the largest array and text a function may make, the
	// run's deadline (checked every few hundred calls and inside loops over data) and
	// its regex budget. nil: no limits.
	Limits *limits.Run

	// calls counts function calls, to check the deadline every checkEvery calls.
	calls uint32
}

// checkEvery is how many function calls (or loop iterations, inside a function) pass
// between two looks at the run's deadline: often enough to stop CPU-bound work within
// milliseconds, rarely enough to cost nothing next to the work.
const checkEvery = 256

// tick counts one call and looks at the deadline every checkEvery calls.
func (e *Env) tick() error {
	if e.Limits == nil {
		return nil
	}
	e.calls++
	if e.calls%checkEvery != 0 {
		return nil
	}
	return e.Limits.Check()
}

// every looks at the deadline on every 4096th iteration i of a loop over data.
func (e *Env) every(i int) error {
	if i&4095 != 4095 || e.Limits == nil {
		return nil
	}
	return e.Limits.Check()
}

// ignoreType is the type of Ignore. Its text form is empty, so an ignored value that
// ends up inside text (value.Text uses fmt for unknown types) disappears.
type ignoreType struct{}

func (*ignoreType) String() string { return "" }

// Ignore is the value of the keyword `ignore`: a mapper key whose template evaluates to
// it is dropped (the field is "not sent"), and an array element evaluating to it is
// left out. Inside text and function arguments it is empty.
var Ignore any = &ignoreType{}

// isIgnore reports whether v is the Ignore sentinel.
func isIgnore(v any) bool {
	p, ok := v.(*ignoreType)
	return ok && p != nil
}

// Ref is a reference to a module's output: {{3.data.name}} is {3, ["data","name"]}.
// Array indexes are omitted from Path.
type Ref struct {
	Module int
	Path   []string
}

// PointedRef is a Ref together with the JSON pointer (RFC 6901) of the mapped value
// holding it, relative to the value given to CompileValue.
type PointedRef struct {
	Pointer string
	Ref
}

// SyntaxError is a template that does not compile. Offset is a byte offset in the
// template's source.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("syntax error at offset %d: %s", e.Offset, e.Msg)
}

// EvalError is a failure while evaluating a compiled template; Func names the function
// that failed ("" for an operator or a reference). Make reports these as DataError.
type EvalError struct {
	Func string
	Msg  string
}

func (e *EvalError) Error() string {
	if e.Func == "" {
		return e.Msg
	}
	return "function " + e.Func + ": " + e.Msg
}

// PathError locates an error inside a mapped value: Pointer is an RFC 6901 JSON pointer
// relative to the value given to CompileValue ("" for the value itself).
type PathError struct {
	Pointer string
	Err     error
}

func (e *PathError) Error() string {
	if e.Pointer == "" {
		return e.Err.Error()
	}
	return e.Pointer + ": " + e.Err.Error()
}

func (e *PathError) Unwrap() error { return e.Err }

// FilterError locates an error in a filter: Group and Index are 0-based positions in
// the condition groups, Field is "a", "o" or "b".
type FilterError struct {
	Group, Index int
	Field        string
	Err          error
}

func (e *FilterError) Error() string {
	return fmt.Sprintf("filter condition %d/%d field %q: %v", e.Group, e.Index, e.Field, e.Err)
}

func (e *FilterError) Unwrap() error { return e.Err }

// evalErr builds an *EvalError for a function or an operator.
func evalErr(fn, format string, args ...any) *EvalError {
	return &EvalError{Func: fn, Msg: fmt.Sprintf(format, args...)}
}

var zeroEnv Env

// loc returns the default time zone of date functions.
func (e *Env) loc() *time.Location {
	if e.Location == nil {
		return time.UTC
	}
	return e.Location
}

func (e *Env) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}
