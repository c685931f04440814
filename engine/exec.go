package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
)

// The run is the app.Execution modules see.
var _ app.Execution = (*run)(nil)

func (r *run) ID() string               { return r.id }
func (r *run) Now() time.Time           { return r.e.opts.Clock() }
func (r *run) Location() *time.Location { return r.e.opts.Location }
func (r *run) Confidential() bool       { return r.conf }

// ScenarioID is the id of the scenario being run ({{var.scenario.id}}; "" when the run
// was started without one). Modules that keep state across runs key it by scenario
// (tools.ScenarioExecution: Increment with reset "scenario"). Plans are shared by
// scenarios with the same blueprint, so a module cannot learn its scenario from
// app.Config when it is built; an optional method keeps app.Execution (and every fake
// of it) unchanged.
func (r *run) ScenarioID() string { return r.scenario }

// Sleep waits through the engine's Options.Sleep (tools.Sleeper: util:FunctionSleep),
// injected like the clock; an optional method keeps app.Execution unchanged.
func (r *run) Sleep(ctx context.Context, d time.Duration) error { return r.e.opts.Sleep(ctx, d) }

func (r *run) Variable(name string) (any, bool) {
	v, ok := r.vars[name]
	return v.Value, ok
}

func (r *run) SetVariable(name string, scope app.Scope, v any) {
	if scope != app.ScopeRoundtrip {
		scope = app.ScopeExecution
	}
	r.vars[name] = Variable{Value: v, Scope: scope}
}

func (r *run) Respond(resp app.Response) bool {
	if r.res.Response != nil {
		return false
	}
	r.res.Response = &resp
	return true
}

func (r *run) Connection(ref any) (weft.Bundle, error) { return r.e.opts.Connections(ref) }

func (r *run) State(key any, init func() any) any {
	if r.state == nil {
		r.state = map[any]any{}
	}
	v, ok := r.state[key]
	if !ok {
		v = init()
		r.state[key] = v
	}
	return v
}

func (r *run) IdempotencyKey() string {
	id := 0
	if r.current != nil {
		id = r.current.id
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s|%d", r.origin, id)
	for _, p := range r.path {
		fmt.Fprintf(h, "|%d", p)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// SaveConnection hands renewed credentials to the store (httpmod.ConnectionSaver).
func (r *run) SaveConnection(ctx context.Context, ref any, data weft.Bundle) error {
	if r.e.opts.SaveConnection == nil {
		return fmt.Errorf("connection %v: renewed credentials cannot be stored (no connection store)", ref)
	}
	return r.e.opts.SaveConnection(ctx, ref, data)
}
