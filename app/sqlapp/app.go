package sqlapp

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/netpolicy"
)

// Options configure the app.
type Options struct {
	// MaxConns is the size of the connection pool of each Postgres database. A run
	// holds one connection per database from its first statement until its commit or
	// rollback. Defaults to 10.
	MaxConns int32
	// BusyTimeout is how long a SQLite statement waits for another writer's lock before
	// failing with a ConnectionError (retried automatically). Defaults to 5 s.
	BusyTimeout time.Duration
	// MaxRows is the most rows one module call may output; more is a
	// MaxResultsExceededError (a SELECT without a limit on a huge table must not take
	// the process's memory). Defaults to 100 000.
	MaxRows int
	// Net is the outbound network policy for Postgres connections (TCP and Unix
	// sockets); a refusal is an InvalidConfigurationError naming the rule. SQLite files
	// are not connections. Defaults to nil: everything allowed.
	Net *netpolicy.Policy
}

// WithDefaults returns the options with every unset field given its default.
func (o Options) WithDefaults() Options {
	if o.MaxConns <= 0 {
		o.MaxConns = 10
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.MaxRows <= 0 {
		o.MaxRows = 100_000
	}
	return o
}

// App is one registration of the SQL app: its options and the connection pools its
// modules share (one per database, opened on first use). It is also the key of a
// run's transactions in Execution.State.
type App struct {
	opts Options
	mu   sync.Mutex
	dbs  map[string]database
}

// New returns the app configured by o. Close it to close its connection pools.
func New(o Options) *App {
	return &App{opts: o.WithDefaults(), dbs: map[string]database{}}
}

// Register registers the SQL modules with default Options. Their connection pools live
// as long as the process.
func Register(r *app.Registry) error { return New(Options{}).Register(r) }

// Register registers the app's module types: postgres:* and sqlite:*.
func (a *App) Register(r *app.Registry) error {
	for _, s := range a.Specs() {
		if err := r.Register(s); err != nil {
			return fmt.Errorf("sql app: %w", err)
		}
	}
	return nil
}

// Specs returns the module types: ExecuteQuery, SelectRows, InsertRow, UpdateRows and
// DeleteRows for Postgres (postgres:*) and for SQLite database files (sqlite:*).
func (a *App) Specs() []app.Spec {
	var out []app.Spec
	for _, d := range []dialect{postgres, sqlite} {
		for _, def := range defs {
			out = append(out, a.spec(d, def))
		}
	}
	return out
}

// Close closes every connection pool. Runs still using one fail with a
// ConnectionError; a later run opens the pool again.
func (a *App) Close() {
	a.mu.Lock()
	dbs := a.dbs
	a.dbs = map[string]database{}
	a.mu.Unlock()
	for _, db := range dbs {
		db.close()
	}
}

// spec declares one module type of one dialect.
func (a *App) spec(d dialect, def moduleDef) app.Spec {
	name := d.String() + ":" + def.module
	return app.Spec{
		Name:       name,
		Label:      def.label + " (" + d.label() + ")",
		Help:       def.help,
		ACID:       true,
		Parameters: append([]app.Field{paramAccount}, def.params...),
		Mapper:     def.mapper,
		New: func(cfg app.Config) (app.Module, error) {
			ref := cfg.Parameters[paramAccount.Name]
			if ref == nil || ref == "" {
				ref = cfg.Parameters["__IMTCONN__"]
			}
			if ref == nil || ref == "" {
				return nil, weft.Errorf(weft.InvalidConfigurationError, "%s: parameter account: no connection chosen", name)
			}
			return &module{app: a, dialect: d, name: name, account: ref, params: cfg.Parameters, run: def.run}, nil
		},
	}
}

// opFunc is one module type's operation: it builds the statement for the call.
type opFunc func(m *module, c *app.Call) (*statement, error)

// module is one configured SQL module. It holds no run state: the run's transaction
// lives in Execution.State, since one module serves concurrent runs.
type module struct {
	app     *App
	dialect dialect
	name    string
	account any
	params  weft.Bundle
	run     opFunc
}

// Run builds the statement, runs it in the run's transaction on the module's
// database and turns the result into bundles.
func (m *module) Run(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	st, err := m.run(m, c)
	if err != nil {
		return nil, err
	}
	conn, err := c.Exec.Connection(m.account)
	if err != nil {
		return nil, err
	}
	key, db, err := m.app.database(m.dialect, conn)
	if err != nil {
		return nil, err
	}
	res, err := m.app.runs(c.Exec).exec(ctx, key, db, st)
	if err != nil {
		return nil, m.dialect.classify(err, st.what)
	}
	return m.output(st, res)
}

// Commit commits every transaction the run opened through this app (the engine calls
// it after each operation with autoCommit, at the end of the cycle without).
func (m *module) Commit(ctx context.Context, exec app.Execution) error {
	return m.app.runs(exec).end(ctx, true)
}

// Rollback rolls back every transaction the run opened through this app.
func (m *module) Rollback(ctx context.Context, exec app.Execution) error {
	return m.app.runs(exec).end(ctx, false)
}

// database returns the pool of the database conn points at, opening it on first use.
func (a *App) database(d dialect, conn weft.Bundle) (string, database, error) {
	cfg, err := d.parse(conn, a.opts)
	if err != nil {
		return "", nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if db, ok := a.dbs[cfg.key]; ok {
		return cfg.key, db, nil
	}
	db, err := cfg.open()
	if err != nil {
		return "", nil, err
	}
	a.dbs[cfg.key] = db
	return cfg.key, db, nil
}

// output turns a statement's result into the module's bundles.
func (m *module) output(st *statement, res *result) ([]weft.Bundle, error) {
	if len(res.rows) > m.app.opts.MaxRows {
		return nil, &weft.Error{Type: weft.MaxResultsExceededError,
			Message: fmt.Sprintf("%s: %s returned more than %d rows; add a limit or a narrower where",
				m.dialect, st.what, m.app.opts.MaxRows)}
	}
	if st.rowsOut(res) {
		if len(res.rows) == 0 {
			if toBool(m.params[paramContinue.Name]) {
				return []weft.Bundle{{"__IMTLENGTH__": 0.0}}, nil
			}
			return nil, nil
		}
		out := make([]weft.Bundle, len(res.rows))
		n := float64(len(res.rows))
		for i, r := range res.rows {
			b := res.bundle(r)
			b["__IMTINDEX__"], b["__IMTLENGTH__"] = float64(i+1), n
			out[i] = b
		}
		return out, nil
	}
	b := weft.Bundle{"rowsAffected": float64(res.affected)}
	if len(res.columns) > 0 {
		rows := make([]any, len(res.rows))
		for i, r := range res.rows {
			rows[i] = map[string]any(res.bundle(r))
		}
		b["returning"] = rows
	}
	return []weft.Bundle{b}, nil
}

func toBool(v any) bool { b, _ := v.(bool); return b }
