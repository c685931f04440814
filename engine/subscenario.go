package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/scenarios"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/value"
)

// Sub-scenarios (docs/subscenarios.md). A run calls another scenario through
// Options.Scenarios, which the service implements: the engine runs one scenario and
// does not know where others are stored, how their runs are recorded or how their
// incomplete executions are kept.

// Scenarios runs other scenarios for scenario-service:CallSubscenario.
type Scenarios interface {
	// Call runs the scenario to its end and returns what it returned. When the called
	// run kept the call's bundle as an incomplete execution, the error is a *weft.Error
	// of that incomplete execution's type wrapping a *Wait: the calling module waits
	// for it. Any other failure is a *weft.Error of the type the caller's module fails
	// with (docs/subscenarios.md lists them).
	Call(ctx context.Context, c SubCall) (*SubResult, error)
	// Start queues a run of the scenario and returns without waiting for it.
	Start(ctx context.Context, c SubCall) error
}

// SubCall is one call of a scenario.
type SubCall struct {
	// Scenario is the called scenario's id.
	Scenario int64
	// Inputs are the mapped inputs (checked against the called scenario's declaration
	// by the implementation, which knows it).
	Inputs weft.Bundle
	// Caller names the calling run; its Chain ends with the caller's own scenario.
	Caller weft.Caller
	// Deadline is the calling run's: a called run that is waited for ends by it.
	Deadline time.Time
}

// SubResult is what a called scenario returned.
type SubResult struct {
	// ExecutionID is the called run's execution.
	ExecutionID string
	// Outputs are what its Return output module returned (empty when none was reached).
	Outputs weft.Bundle
}

// Wait is a call that waits for the called scenario's incomplete execution: resolving
// that one continues the caller (docs/subscenarios.md). It travels as the Err of the
// *weft.Error the call fails with, and into the caller's incomplete execution
// (Incomplete.Waits).
type Wait struct {
	// Incomplete is the called scenario's incomplete execution.
	Incomplete string `json:"incomplete"`
	// Scenario and Execution are the called scenario and the run that stored it.
	Scenario  int64  `json:"scenario"`
	Execution string `json:"execution"`
}

func (w *Wait) Error() string {
	return fmt.Sprintf("waiting for incomplete execution %s of scenario %d", w.Incomplete, w.Scenario)
}

// waitOf returns the Wait an error carries, or nil.
func waitOf(err error) *Wait {
	var w *Wait
	if errors.As(err, &w) {
		return w
	}
	return nil
}

// The run is what the Scenarios app's modules call scenarios through.
var _ scenarios.Runner = (*run)(nil)

// CallScenario implements scenarios.Runner. The called run gets the calling run's
// context — stopping weft stops both — without its log hook (the called run has an
// execution of its own).
func (r *run) CallScenario(_ context.Context, id int64, inputs weft.Bundle, wait bool) (weft.Bundle, error) {
	sc := r.e.opts.Scenarios
	if sc == nil {
		return nil, weft.Errorf(weft.InvalidConfigurationError, "scenario %d cannot be called: this engine runs no other scenarios", id)
	}
	self, _ := strconv.ParseInt(r.scenario, 10, 64)
	moduleID := 0
	if r.current != nil {
		moduleID = r.current.id
	}
	c := SubCall{Scenario: id, Inputs: inputs, Deadline: r.lim.Deadline(),
		Caller: weft.Caller{ExecutionID: r.id, ScenarioID: self, ModuleID: moduleID,
			Chain: append(slices.Clone(r.chain), self)}}
	ctx := WithLogHook(r.ctx, nil)
	if !wait {
		return weft.Bundle{}, sc.Start(ctx, c)
	}
	res, err := sc.Call(ctx, c)
	if err != nil {
		return nil, err
	}
	if res.Outputs == nil {
		return weft.Bundle{}, nil
	}
	return res.Outputs, nil
}

// ReturnOutputs implements scenarios.Runner: the first Return output reached sets the
// run's outputs; the run ends when the module returns (step).
func (r *run) ReturnOutputs(out weft.Bundle) error {
	checked, err := checkParams(r.p.iface.Outputs, r.p.iface.OutputsDeclared, out, "output")
	if err != nil {
		return err
	}
	if !r.res.Returned {
		r.res.Returned, r.res.Outputs = true, checked
	}
	r.returning = true
	return nil
}

// endReturned ends the run after a Return output module: Make's Return output works
// like return in a program — the other routes and bundles do not run, and the cycle
// commits.
func (r *run) endReturned(n *node) {
	r.returning = false
	r.stopped, r.commit = true, true
	r.note(n, "returned the scenario's outputs: the run ends")
}

// Interface returns the scenario's declared inputs and outputs.
func (p *Plan) Interface() blueprint.Interface { return p.iface }

// CheckInputs checks inputs against the scenario's declared inputs: declared fields are
// coerced to their type, defaults fill absent ones, required ones must be present.
// Undeclared keys pass through. The error is a DataError naming the input.
func (p *Plan) CheckInputs(in weft.Bundle) (weft.Bundle, error) {
	return checkParams(p.iface.Inputs, p.iface.InputsDeclared, in, "input")
}

// takesInputs: the scenario starts with Start scenario, whose bundle is its inputs.
func (p *Plan) takesInputs() bool { return p.trigger != nil && p.trigger.typ == scenarios.Start }

// scenarioInputs gives a run that starts with Start scenario its inputs — the caller's
// (in.Inputs) or the trigger bundle it was started with — checked against the
// declaration; they are the trigger's bundle and {{var.input.*}}. Inputs that fail the
// declaration fail the trigger (SPEC §3.2: the run stops, nothing is stored).
func (r *run) scenarioInputs(in *Input) (cycles [][]weft.Bundle, ok bool) {
	if !r.p.takesInputs() {
		return in.Trigger, true
	}
	inputs := in.Inputs
	if inputs == nil && len(in.Trigger) > 0 && len(in.Trigger[0]) > 0 {
		inputs = in.Trigger[0][0]
	}
	checked, err := r.p.CheckInputs(inputs)
	if err != nil {
		t := r.p.trigger
		r.cyc = 1
		start := r.e.opts.Clock()
		r.log(t, inputs, nil, err, start)
		r.fail(t, err, nil)
		return nil, false
	}
	r.env.Variables["input"] = map[string]any(checked)
	return [][]weft.Bundle{{checked}}, true
}

// resumeSupplied continues an incomplete execution after its failing module with an
// output supplied from outside (a called scenario's incomplete execution was resolved:
// its outputs are what the waiting call returns), instead of running the module again.
func (r *run) resumeSupplied(n *node, out weft.Bundle, note string) {
	if out == nil {
		out = weft.Bundle{}
	}
	start := r.e.opts.Clock()
	if err := r.takeOutput([]weft.Bundle{out}); err != nil {
		r.log(n, nil, nil, err, start)
		r.fail(n, err, nil)
		return
	}
	r.log(n, nil, []weft.Bundle{out}, nil, start)
	if note == "" {
		note = "the called scenario's incomplete execution was resolved: its outputs continue the run"
	}
	r.note(n, note)
	if next := r.emit(n, []weft.Bundle{out}); next != nil {
		r.walk(next, false)
	}
}

// checkParams checks a bundle against declared inputs or outputs (side names which).
// Without a declaration anything passes.
func checkParams(ps []blueprint.Param, declared bool, in weft.Bundle, side string) (weft.Bundle, error) {
	if in == nil {
		in = weft.Bundle{}
	}
	if !declared || len(ps) == 0 {
		return in, nil
	}
	out := maps.Clone(in)
	for i := range ps {
		p := &ps[i]
		v, present := out[p.Name]
		if !present || value.IsEmpty(v) {
			switch {
			case p.Default != nil:
				v = p.Default
			case p.Required:
				return nil, &weft.Error{Type: weft.DataError,
					Message: fmt.Sprintf("scenario %s %s: missing value of a required %s", side, p.Name, side),
					Err:     &app.FieldError{Path: p.Name, Message: "missing value of required field", Missing: true}}
			default:
				if present && v != nil && p.Type != app.TypeText && p.Type != app.TypeAny && p.Type != app.TypeArray {
					delete(out, p.Name) // an empty text in a number, date… means "not set"
				}
				continue
			}
		}
		cv, err := app.Coerce(&p.Field, v)
		if err == nil && p.Item != nil {
			cv, err = coerceItems(p, cv)
		}
		if err != nil {
			we := weft.AsError(err)
			return nil, &weft.Error{Type: weft.DataError, Message: fmt.Sprintf("scenario %s %s", side, we.Message), Err: err}
		}
		out[p.Name] = cv
	}
	return out, nil
}

// coerceItems coerces the elements of an array of plain values to the declared item.
func coerceItems(p *blueprint.Param, v any) (any, error) {
	arr, _ := v.([]any)
	out := make([]any, len(arr))
	for i, e := range arr {
		item := *p.Item
		item.Name = p.Name + "/" + strconv.Itoa(i)
		cv, err := app.Coerce(&item, e)
		if err != nil {
			return nil, err
		}
		out[i] = cv
	}
	return out, nil
}
