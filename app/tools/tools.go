// Package tools is Make's "Tools" app (util:*): variables, Compose a string, Switch,
// Sleep, Increment and the text and numeric aggregators. Routers, if/else, iterators,
// the array aggregator, repeaters and directives are flow control the engine performs
// (app/builtin); see docs/modules-tools.md for every field and decision.
package tools

import (
	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
)

// Specs returns the module types of the Tools app without a counter store: an
// Increment module that never resets (reset "scenario") cannot be built.
func Specs() []app.Spec { return SpecsOptions(Options{}) }

// SpecsOptions returns the module types of the Tools app configured by o.
func SpecsOptions(o Options) []app.Spec {
	return []app.Spec{
		setVariableSpec, setVariable2Spec, setVariablesSpec,
		getVariableSpec, getVariable2Spec, getVariablesSpec,
		composeSpec, switcherSpec, sleepSpec, incrementSpec(o),
		textAggregatorSpec, numericAggregatorSpec,
	}
}

// noDeadline (a negative Spec.Timeout) runs a module without a per-bundle deadline:
// these modules do no I/O and their work is linear in their input, so they cannot hang.
const noDeadline = -1

// Register adds every Tools module type to r, without a counter store (see Specs).
func Register(r *app.Registry) error { return RegisterOptions(r, Options{}) }

// RegisterOptions adds every Tools module type to r, configured by o.
func RegisterOptions(r *app.Registry, o Options) error {
	for _, s := range SpecsOptions(o) {
		if err := r.Register(s); err != nil {
			return err
		}
	}
	return nil
}

// newStatic builds a Module with no per-instance state from a run function.
func newStatic(run app.ModuleFunc) func(app.Config) (app.Module, error) {
	return func(app.Config) (app.Module, error) { return run, nil }
}

// one wraps a single output bundle.
func one(b weft.Bundle) []weft.Bundle { return []weft.Bundle{b} }
