package datastore

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// DefaultStore is the data store of a module whose parameters name none: Make's own
// dedupe example (blueprint 001) ships with empty parameters, and must still run.
const DefaultStore = "default"

// Options configure the app.
type Options struct {
	// NewKey makes the key of a record added with a blank key. Defaults to a random
	// UUID (version 4); tests inject a deterministic one.
	NewKey func() string
}

// WithDefaults returns the options with every unset field given its default.
func (o Options) WithDefaults() Options {
	if o.NewKey == nil {
		o.NewKey = NewUUID
	}
	return o
}

// Register registers the data store modules, backed by backend, with default Options.
func Register(r *app.Registry, backend store.Store) error {
	return RegisterOptions(r, backend, Options{})
}

// RegisterOptions registers the data store modules backed by backend.
func RegisterOptions(r *app.Registry, backend store.Store, o Options) error {
	specs, err := Specs(backend, o)
	if err != nil {
		return err
	}
	for _, s := range specs {
		if err := r.Register(s); err != nil {
			return fmt.Errorf("data store app: %w", err)
		}
	}
	return nil
}

// Specs returns the module types of the app. Every module of one Specs call shares one
// write set per run, so a record added by one module is seen by the next one.
//
// A nil backend declares the modules for validation only (`weft validate` has no data
// folder): building one for a run then fails with an InvalidConfigurationError.
func Specs(backend store.Store, o Options) ([]app.Spec, error) {
	d := &registration{backend: backend, opts: o.WithDefaults()}
	return []app.Spec{
		d.spec(addSpec, (*module).add),
		d.spec(getSpec, (*module).get),
		d.spec(updateSpec, (*module).update),
		d.spec(deleteSpec, (*module).delete),
		d.spec(existSpec, (*module).exist),
		d.spec(searchSpec, (*module).search),
	}, nil
}

// registration is one Specs call: the backend and the options. It is also the key of
// the run's write set in Execution.State (a pointer nobody else holds).
type registration struct {
	backend store.Store
	opts    Options
}

// runFunc is one module type's operation.
type runFunc func(m *module, ctx context.Context, c *app.Call) ([]weft.Bundle, error)

// spec completes a declaration with the parts every data store module shares: the
// datastore parameter, the ACID flag and the constructor.
func (d *registration) spec(s app.Spec, run runFunc) app.Spec {
	s.ACID = true
	s.Parameters = append([]app.Field{paramStore}, s.Parameters...)
	s.New = func(cfg app.Config) (app.Module, error) {
		if d.backend == nil {
			return nil, &weft.Error{Type: weft.InvalidConfigurationError, Err: app.ErrUnavailable,
				Message: s.Name + " needs weft's store: run it with a data folder"}
		}
		name := value.Text(cfg.Parameters[paramStore.Name])
		if name == "" {
			name = DefaultStore
		}
		return &module{reg: d, store: name, params: cfg.Parameters, run: run}, nil
	}
	return s
}

// module is one configured data store module. It holds no run state: the write set
// lives in the run (Execution.State), since one module serves concurrent runs.
type module struct {
	reg    *registration
	store  string
	params weft.Bundle
	run    runFunc
}

// Run performs the module's operation for one bundle.
func (m *module) Run(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	return m.run(m, ctx, c)
}

// Commit applies the run's whole write set (every data store of this app) in one
// backend transaction.
func (m *module) Commit(ctx context.Context, exec app.Execution) error {
	return m.reg.commit(ctx, exec)
}

// Rollback discards the run's write set.
func (m *module) Rollback(_ context.Context, exec app.Execution) error {
	m.reg.txn(exec).take()
	return nil
}

// NewUUID returns a random UUID, version 4, in its 36-character text form.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never returns an error since Go 1.24
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
