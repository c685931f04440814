// Package app is the module contract: how a module type declares itself (Spec, with its
// parameters and mapper fields), how it runs (Module, Call, Execution) and the Registry
// every app registers into. Built-in apps use exactly this public API, so a third-party
// app is written the same way (compare Benthos' public component API).
//
// A module type is registered once per process:
//
//	reg := app.NewRegistry()
//	reg.MustRegister(app.Spec{Name: "demo:Echo", Kind: app.KindAction,
//		Mapper: []app.Field{{Name: "text", Type: app.TypeText, Required: true}},
//		New: func(app.Config) (app.Module, error) { return echo{}, nil }})
//
// The engine builds one Module per blueprint module when it compiles a blueprint
// version (so static parameters such as a regular expression are compiled once), then
// calls Run once per incoming bundle with the evaluated, type-checked mapper.
package app
