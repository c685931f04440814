// Package scenarios is Make's Scenarios app ("scenario-service"): a scenario calls
// another one and waits for what it returns, or only starts it (CallSubscenario); the
// called scenario starts with its inputs (StartSubscenario) and hands its outputs back
// (ReturnData). The modules reach other scenarios through the running execution
// (Runner), which the engine provides: runs, records and incomplete executions of the
// called scenario are the service's business, not the module's. See
// docs/subscenarios.md.
package scenarios

import (
	"context"
	"strconv"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

// The module types of the app.
const (
	Start  = "scenario-service:StartSubscenario"
	Call   = "scenario-service:CallSubscenario"
	Return = "scenario-service:ReturnData"
)

// Runner is what a running execution offers the Scenarios modules. The engine's run
// implements it; an execution without it (a module test's fake) cannot call scenarios.
type Runner interface {
	// CallScenario runs scenario id with the inputs. With wait it returns the outputs
	// the scenario returned; without, it only starts the run and returns at once.
	CallScenario(ctx context.Context, id int64, inputs weft.Bundle, wait bool) (weft.Bundle, error)
	// ReturnOutputs hands the scenario's outputs to whatever called it and ends the run
	// once the module returns. Outputs that fail the scenario's declared outputs are a
	// DataError.
	ReturnOutputs(outputs weft.Bundle) error
}

// Register adds the app's module types to r.
func Register(r *app.Registry) error {
	for _, s := range Specs() {
		if err := r.Register(s); err != nil {
			return err
		}
	}
	return nil
}

// Specs returns the app's module types. None counts as an operation: Make does not
// bill them either.
func Specs() []app.Spec {
	return []app.Spec{
		{Name: Start, Label: "Start scenario", Kind: app.KindTrigger, NoOperation: true,
			Help: "Starts the scenario when another scenario calls it; its bundle is the scenario's inputs " +
				"(also {{var.input.NAME}}), checked against the inputs the scenario declares."},
		{Name: Call, Label: "Call a subscenario", NoOperation: true, OpenMapper: true,
			// The call is bounded by the called run's own limits and by what is left of
			// the caller's run time, not by a module deadline (a called scenario may run
			// longer than 40 s).
			Timeout: -1,
			Help: "Runs another scenario with the mapped inputs. Waiting, this module outputs what the " +
				"scenario returned; not waiting, it queues the run and outputs nothing.",
			Parameters: []app.Field{
				{Name: "scenario", Label: "Scenario", Type: app.TypeText, Required: true,
					Help: "The id of the weft scenario to call."},
				{Name: "shouldWaitForExecutionEnd", Label: "Wait for subscenario output", Type: app.TypeBoolean,
					Default: true, Help: "Wait for the scenario's outputs (default), or only start it."},
			},
			New: newCall},
		{Name: Return, Label: "Return output", NoOperation: true, OpenMapper: true, Timeout: -1,
			Help: "Returns the mapped outputs to the caller and ends the run: it must be the last module " +
				"of its route, and only the first one reached returns.",
			New: func(app.Config) (app.Module, error) {
				return app.ModuleFunc(func(_ context.Context, c *app.Call) ([]weft.Bundle, error) {
					r, ok := c.Exec.(Runner)
					if !ok {
						return nil, weft.Errorf(weft.InvalidConfigurationError, "%s cannot return outputs here: this execution is not run by weft's engine", Return)
					}
					return nil, r.ReturnOutputs(c.Input)
				}), nil
			}},
	}
}

func newCall(cfg app.Config) (app.Module, error) {
	id, err := Target(cfg.Parameters["scenario"])
	if err != nil {
		return nil, err
	}
	wait := true
	if w, ok := cfg.Parameters["shouldWaitForExecutionEnd"]; ok && w != nil {
		wait = value.Bool(w)
	}
	return app.ModuleFunc(func(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
		r, ok := c.Exec.(Runner)
		if !ok {
			return nil, weft.Errorf(weft.InvalidConfigurationError, "%s cannot call scenario %d here: this execution is not run by weft's engine", Call, id)
		}
		out, err := r.CallScenario(ctx, id, Inputs(c.Input), wait)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = weft.Bundle{}
		}
		return []weft.Bundle{out}, nil
	}), nil
}

// Inputs returns the called scenario's inputs from a CallSubscenario's evaluated
// mapper. Make's module keeps them in one collection, "data" ("Scenario Inputs": the
// mapper of an export is {"data": {"prompt_id": …, "lock_token": …}}, corpus 045), so
// a mapper whose only field is a collection named data passes that collection. Any
// other mapper is itself the inputs (each mapped field one input, weft's shorter
// form). A single collection input named data is therefore written the way Make
// writes it: {"data": {"data": {…}}}.
func Inputs(mapper weft.Bundle) weft.Bundle {
	if len(mapper) == 1 {
		if data, ok := mapper["data"].(map[string]any); ok {
			return data
		}
	}
	return mapper
}

// Target reads a CallSubscenario's scenario parameter: a weft scenario id. Make's own
// ids ("SCN_5282214" in an export) name scenarios of a Make account, not of this
// server: the parameter must be set to the weft scenario after import.
func Target(v any) (int64, error) {
	s := strings.TrimSpace(value.Text(v))
	id, err := strconv.ParseInt(s, 10, 64)
	if err == nil && id > 0 {
		return id, nil
	}
	if strings.HasPrefix(s, "SCN_") {
		return 0, weft.Errorf(weft.InvalidConfigurationError,
			"scenario: %q is a Make scenario id; set the id of the weft scenario to call", s)
	}
	return 0, weft.Errorf(weft.InvalidConfigurationError, "scenario: %q is not a scenario id", s)
}
