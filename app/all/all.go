// Package all assembles the registry of every app weft ships. Each app registers
// through the same public app.Registry API a third-party app uses.
package all

import (
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/builtin"
	"github.com/weftworks/weft/app/datastore"
	"github.com/weftworks/weft/app/httpmod"
	"github.com/weftworks/weft/app/jsonmod"
	"github.com/weftworks/weft/app/markdown"
	"github.com/weftworks/weft/app/textparser"
	"github.com/weftworks/weft/app/tools"
	"github.com/weftworks/weft/store"
)

// Registry returns a registry holding every built-in app, for validation and for runs
// that need no store (the data store modules are declared but cannot be built).
func Registry() (*app.Registry, error) { return WithStore(nil) }

// WithStore returns a registry holding every built-in app, the data store modules
// working on st.
func WithStore(st store.Store) (*app.Registry, error) {
	r := app.NewRegistry()
	for _, register := range []func(*app.Registry) error{
		builtin.Register, tools.Register, jsonmod.Register, textparser.Register,
		markdown.Register, httpmod.Register,
		func(r *app.Registry) error { return datastore.Register(r, st) },
	} {
		if err := register(r); err != nil {
			return nil, err
		}
	}
	return r, nil
}
