// Package all assembles the registry of every app weft ships. Each app registers
// through the same public app.Registry API a third-party app uses.
package all

import (
	"io/fs"

	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/builtin"
	"github.com/weftworks/weft/app/datastore"
	"github.com/weftworks/weft/app/declarative"
	"github.com/weftworks/weft/app/email"
	"github.com/weftworks/weft/app/files"
	"github.com/weftworks/weft/app/gmail"
	"github.com/weftworks/weft/app/httpmod"
	"github.com/weftworks/weft/app/jsonmod"
	"github.com/weftworks/weft/app/markdown"
	"github.com/weftworks/weft/app/msexcel"
	"github.com/weftworks/weft/app/notion"
	"github.com/weftworks/weft/app/rss"
	"github.com/weftworks/weft/app/scenarios"
	"github.com/weftworks/weft/app/sqlapp"
	"github.com/weftworks/weft/app/textparser"
	"github.com/weftworks/weft/app/tools"
	"github.com/weftworks/weft/netpolicy"
	"github.com/weftworks/weft/store"
)

// Deps are what some apps need from the process.
type Deps struct {
	// Store backs the data store modules and the counters of Increment modules that
	// never reset (nil: declared for validation only).
	Store store.Store
	// FilesBase confines the files app: every root must lie inside it ("": any folder).
	FilesBase string
	// Definitions are extra declarative app definitions (e.g. DATA/apps).
	Definitions []fs.FS
	// Net is the outbound network policy of every app that opens connections (HTTP,
	// declarative apps, SMTP, Postgres); nil allows everything.
	Net *netpolicy.Policy
}

// Registry returns a registry holding every built-in app, for validation and for runs
// that need no store (the data store modules are declared but cannot be built).
func Registry() (*app.Registry, error) { return New(Deps{}) }

// WithStore returns a registry holding every built-in app, the data store modules
// working on st.
func WithStore(st store.Store) (*app.Registry, error) { return New(Deps{Store: st}) }

// New returns a registry holding every built-in app wired to deps.
func New(deps Deps) (*app.Registry, error) {
	r := app.NewRegistry()
	for _, register := range []func(*app.Registry) error{
		builtin.Register, jsonmod.Register, textparser.Register,
		markdown.Register,
		// Apps that open connections: each checks them against deps.Net.
		func(r *app.Registry) error { return httpmod.RegisterOptions(r, httpmod.Options{Net: deps.Net}) },
		func(r *app.Registry) error { return rss.RegisterOptions(r, rss.Options{Net: deps.Net}) },
		func(r *app.Registry) error { return notion.RegisterOptions(r, notion.Options{Net: deps.Net}) },
		func(r *app.Registry) error { return msexcel.RegisterOptions(r, msexcel.Options{Net: deps.Net}) },
		func(r *app.Registry) error { return email.RegisterOptions(r, email.Options{Net: deps.Net}) },
		func(r *app.Registry) error { return gmail.RegisterOptions(r, gmail.Options{Net: deps.Net}) },
		func(r *app.Registry) error { return sqlapp.New(sqlapp.Options{Net: deps.Net}).Register(r) },
		scenarios.Register, // sub-scenarios (docs/subscenarios.md)
		func(r *app.Registry) error { return tools.RegisterOptions(r, tools.Options{Counters: deps.Store}) },
		func(r *app.Registry) error { return datastore.Register(r, deps.Store) },
		func(r *app.Registry) error { return files.RegisterOptions(r, files.Options{Base: deps.FilesBase}) },
		func(r *app.Registry) error {
			return declarative.Register(r, declarative.Options{Extra: deps.Definitions, Net: deps.Net})
		},
	} {
		if err := register(r); err != nil {
			return nil, err
		}
	}
	return r, nil
}
