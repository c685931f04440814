// Package all assembles the registry of every app weft ships. Each app registers
// through the same public app.Registry API a third-party app uses.
package all

import (
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/builtin"
	"github.com/weftworks/weft/app/httpmod"
	"github.com/weftworks/weft/app/jsonmod"
	"github.com/weftworks/weft/app/markdown"
	"github.com/weftworks/weft/app/textparser"
	"github.com/weftworks/weft/app/tools"
)

// Registry returns a registry holding every built-in app.
func Registry() (*app.Registry, error) {
	r := app.NewRegistry()
	for _, register := range []func(*app.Registry) error{
		builtin.Register, tools.Register, jsonmod.Register, textparser.Register,
		markdown.Register, httpmod.Register,
	} {
		if err := register(r); err != nil {
			return nil, err
		}
	}
	return r, nil
}
