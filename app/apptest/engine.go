package apptest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/builtin"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/value"
)

// An app's tests run its modules through the real engine, not a copy of its rules:
// what the engine does with an error type (SPEC §3.2) is what a user gets. Importing
// the engine here means the packages the engine itself depends on (app/builtin, iml,
// blueprint) can use apptest only from external (package x_test) tests.

// Engine returns a real engine whose registry holds the built-in modules (the webhook
// trigger, routers, directives…) and specs. Its clock and time zone are exec's (a
// fixed clock), its connections are looked up in exec.Connections, and its execution
// ids are "exec-1", "exec-2"… It is safe for concurrent runs. A nil exec is NewExec().
func Engine(exec *Exec, specs ...*app.Spec) (*engine.Engine, error) {
	if exec == nil {
		exec = NewExec()
	}
	reg := app.NewRegistry()
	if err := builtin.Register(reg); err != nil {
		return nil, fmt.Errorf("apptest: register built-in modules: %w", err)
	}
	for _, s := range specs {
		if err := reg.Register(*s); err != nil {
			return nil, fmt.Errorf("apptest: %w", err)
		}
	}
	var ids atomic.Int64 // runs may be concurrent
	return engine.New(engine.Options{
		Registry:    reg,
		Clock:       func() time.Time { return exec.Clock },
		Location:    exec.Loc,
		Connections: exec.Connection,
		NewID:       func() string { return fmt.Sprintf("exec-%d", ids.Add(1)) },
		Random:      func() float64 { return 0.5 },
	})
}

// Compile parses a blueprint given as its flow (a JSON array of modules) and its
// scenario settings (a JSON object; "" for weft's defaults: dlq on, auto-commit on) and
// compiles it with eng. A blueprint the engine refuses is returned as its error
// (*engine.InvalidError for validation problems and modules that cannot be built).
func Compile(eng *engine.Engine, flow, settings string) (*engine.Plan, error) {
	if settings == "" {
		settings = "{}"
	}
	doc := fmt.Sprintf(`{"name":"apptest","flow":%s,"metadata":{"version":1,"scenario":%s}}`, flow, settings)
	bp, err := blueprint.Parse([]byte(doc))
	if err != nil {
		return nil, fmt.Errorf("apptest: parse blueprint: %w", err)
	}
	return eng.Compile(bp)
}

// ModuleFlow returns the flow of the scenario RunEngine runs: a custom webhook
// (module 1) followed by the module name (module 2) with params, whose mapper maps each
// key of mapper from the webhook's bundle ({{1.`key`}}). Run it with mapper as the
// webhook payload: every value then reaches the module with its type (a whole-field
// {{…}} keeps it), including dates and binary data, which blueprint JSON cannot hold.
func ModuleFlow(name string, params, mapper weft.Bundle) (string, error) {
	keys := make([]string, 0, len(mapper))
	for k := range mapper {
		if strings.Contains(k, "`") {
			return "", fmt.Errorf("apptest: mapper key %q holds a backtick, which a mapping cannot quote", k)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	m := make(map[string]string, len(keys))
	for _, k := range keys {
		m[k] = "{{1.`" + k + "`}}"
	}
	mj, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("apptest: mapper: %w", err)
	}
	if params == nil {
		params = weft.Bundle{}
	}
	nj, err := json.Marshal(name)
	if err != nil {
		return "", fmt.Errorf("apptest: module name: %w", err)
	}
	// value.JSON keeps big integers exact, as blueprint JSON does.
	return fmt.Sprintf(`[{"id":1,"module":"gateway:CustomWebHook","version":1,"parameters":{},"mapper":{}},`+
		`{"id":2,"module":%s,"version":1,"parameters":%s,"mapper":%s}]`, nj, value.JSON(params), mj), nil
}

// RunEngine runs spec once through the real engine, as module 2 of the scenario
// "webhook → module" (ModuleFlow) with weft's default settings, and returns how the
// run ended: its status, log, incomplete executions. It is Run with everything the
// engine adds around a module: compiling (parameters checked, the module built once),
// the time limit, error classification and what SPEC §3.2 does with a failure. A
// blueprint the engine refuses (a parameter that fails its field) is the error.
// exec provides the clock and the connections (nil: NewExec()).
func RunEngine(ctx context.Context, spec *app.Spec, params, mapper weft.Bundle, exec *Exec) (*engine.Result, error) {
	if exec == nil {
		exec = NewExec()
	}
	eng, err := Engine(exec, spec)
	if err != nil {
		return nil, err
	}
	flow, err := ModuleFlow(spec.Name, params, mapper)
	if err != nil {
		return nil, err
	}
	plan, err := Compile(eng, flow, "")
	if err != nil {
		return nil, err
	}
	payload := make(weft.Bundle, len(mapper))
	for k, v := range mapper {
		payload[k] = v
	}
	return eng.Run(ctx, plan, engine.Input{Trigger: [][]weft.Bundle{{payload}}})
}
