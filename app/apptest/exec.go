// Package apptest helps test an app's modules: a recording Execution (NewExec) and Run,
// which calls a module once with its input prepared exactly as the engine does; RunEngine
// and Engine, which run it inside a scenario on the real engine; and CheckErrors, which
// checks an app's error table end to end — the type of each failure and what weft then
// does with the bundle (SPEC §3.2). docs/app-sdk.md shows them in use.
package apptest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
)

// Exec is an app.Execution for tests: a fixed clock, an in-memory variable space,
// recorded responses and connections given by the test.
type Exec struct {
	mu          sync.Mutex
	ExecID      string
	Clock       time.Time
	Loc         *time.Location
	Vars        map[string]any
	Responses   []app.Response
	Secret      bool
	Connections map[string]weft.Bundle
	Key         string // IdempotencyKey's answer
	state       map[any]any
}

// NewExec returns an Exec with id "test-exec", clock 2026-01-02T03:04:05Z and UTC.
func NewExec() *Exec {
	return &Exec{ExecID: "test-exec", Clock: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Loc: time.UTC, Vars: map[string]any{}, Connections: map[string]weft.Bundle{}}
}

func (e *Exec) ID() string               { return e.ExecID }
func (e *Exec) Now() time.Time           { return e.Clock }
func (e *Exec) Location() *time.Location { return e.Loc }
func (e *Exec) Confidential() bool       { return e.Secret }

func (e *Exec) Variable(name string) (any, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, ok := e.Vars[name]
	return v, ok
}

func (e *Exec) SetVariable(name string, _ app.Scope, v any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.Vars[name] = v
}

func (e *Exec) Respond(r app.Response) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.Responses = append(e.Responses, r)
	return len(e.Responses) == 1
}

func (e *Exec) Connection(ref any) (weft.Bundle, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	key := weftText(ref)
	c, ok := e.Connections[key]
	if !ok {
		return nil, weft.Errorf(weft.InvalidConfigurationError, "connection %q not found", key)
	}
	return c, nil
}

// IdempotencyKey returns Key, or "test-key" when it is empty.
func (e *Exec) IdempotencyKey() string {
	if e.Key != "" {
		return e.Key
	}
	return "test-key"
}

func (e *Exec) State(key any, init func() any) any {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state == nil {
		e.state = map[any]any{}
	}
	v, ok := e.state[key]
	if !ok {
		v = init()
		e.state[key] = v
	}
	return v
}

// Run builds the module from spec with params, prepares mapper as the engine does and
// runs it once. mapper's top level is converted in place, as the engine does with the
// map its mapping evaluates to.
func Run(ctx context.Context, spec *app.Spec, params, mapper weft.Bundle, exec app.Execution) ([]weft.Bundle, error) {
	out, _, err := runStaged(ctx, spec, params, mapper, exec)
	return out, err
}

// runStaged is Run that also tells whether the module was built: an error before that
// is one the engine reports when it compiles the blueprint, not when it runs.
func runStaged(ctx context.Context, spec *app.Spec, params, mapper weft.Bundle, exec app.Execution) (out []weft.Bundle, built bool, err error) {
	p, err := app.PrepareParameters(spec, params)
	if err != nil {
		return nil, false, err
	}
	if spec.New == nil {
		return nil, false, fmt.Errorf("apptest: %s has no New: a %s is not run as a module", spec.Name, spec.Kind)
	}
	m, err := spec.New(app.Config{ModuleID: 1, Version: 1, Parameters: p})
	if err != nil {
		return nil, false, err
	}
	in, err := app.PrepareInput(spec, mapper)
	if err != nil {
		return nil, true, err
	}
	if exec == nil {
		exec = NewExec()
	}
	out, err = m.Run(ctx, &app.Call{ModuleID: 1, Input: in, Params: p, Exec: exec})
	return out, true, err
}
