package sqlapp

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/weftworks/weft/app"
)

// database is one database's connection pool, shared by every run.
type database interface {
	// begin opens a transaction on a connection of its own. write says whether the
	// first statement writes (SQLite then takes the write lock at once).
	begin(ctx context.Context, write bool) (session, error)
	// name says which database this is in messages, without credentials.
	name() string
	close()
}

// session is one open transaction on one connection.
type session interface {
	run(ctx context.Context, st *statement) (*result, error)
	// savepoint, rollbackTo and release protect a transaction's earlier writes from a
	// failing statement: the statement is undone, the transaction goes on.
	savepoint(ctx context.Context) error
	rollbackTo(ctx context.Context) error
	release(ctx context.Context) error
	commit(ctx context.Context) error
	rollback(ctx context.Context) error
}

// txn is the run's transaction on one database.
type txn struct {
	key  string
	name string
	sess session
	// ops counts the statements that succeeded in it. A transaction with none is
	// rolled back as soon as its statement fails: no module is tracked for it, so no
	// Commit or Rollback would ever end it.
	ops int
	// wrote is set once a statement in it changed rows.
	wrote bool
	// broken is why the transaction can no longer be committed (a failed statement
	// could not be undone on its own); its commit then fails rather than half apply.
	broken error
}

// runTxns is a run's open transactions, one per database, in first-use order. The
// engine runs one module at a time per run, but the lock keeps State's contract
// (modules may be called concurrently) honest.
type runTxns struct {
	mu   sync.Mutex
	open *openTxns
}

// openTxns is held apart from runTxns so the cleanup that rolls back what a lost run
// left open (see runs) can reach it without keeping the run alive.
type openTxns struct {
	mu   sync.Mutex
	list []*txn
}

// runs returns the run's transactions, creating the set on first use. The engine ends
// every transaction through Commit or Rollback; as a last guard, a transaction still
// open when the run is garbage collected (a module whose success the engine turned
// into a timeout is never tracked) is rolled back then, so its connection and locks
// are not held for ever.
func (a *App) runs(exec app.Execution) *runTxns {
	return exec.State(a, func() any {
		rt := &runTxns{open: &openTxns{}}
		runtime.AddCleanup(rt, func(o *openTxns) { o.abandon() }, rt.open)
		return rt
	}).(*runTxns)
}

// exec runs one statement in the run's transaction on db, opening it if needed.
func (rt *runTxns) exec(ctx context.Context, key string, db database, st *statement) (*result, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	t := rt.open.find(key)
	if t != nil && t.broken != nil {
		return nil, fmt.Errorf("the run's transaction on this database failed earlier and was rolled back: %w", t.broken)
	}
	if t == nil {
		sess, err := db.begin(ctx, st.write)
		if err != nil {
			return nil, err
		}
		t = &txn{key: key, name: db.name(), sess: sess}
		rt.open.add(t)
	}
	if t.ops > 0 {
		if err := t.sess.savepoint(ctx); err != nil {
			t.broken = err
			return nil, err
		}
	}
	res, err := t.sess.run(ctx, st)
	if err == nil && ctx.Err() != nil {
		// Done, but after the module's deadline: the engine reports a timeout and will
		// not commit this module, so the statement must not stay.
		err = ctx.Err()
	}
	if err != nil {
		rt.undo(t)
		return nil, err
	}
	if t.ops > 0 {
		if err := t.sess.release(context.WithoutCancel(ctx)); err != nil {
			t.broken = err
			return nil, err
		}
	}
	t.ops++
	t.wrote = t.wrote || st.write || res.write
	return res, nil
}

// undo takes back a failed statement: the whole transaction when it held nothing
// else, else back to the savepoint taken before the statement.
func (rt *runTxns) undo(t *txn) {
	ctx := context.Background() // the statement's context may be the reason it failed
	if t.ops == 0 {
		rt.open.remove(t)
		_ = t.sess.rollback(ctx) // nothing of value in it; a dead connection is dropped by the pool
		return
	}
	if err := t.sess.rollbackTo(ctx); err != nil {
		// The transaction is gone (a dead connection, or SQLite rolled it back on an
		// interrupt): the earlier writes are lost, the commit must say so.
		t.broken = err
	}
}

// end commits or rolls back every open transaction of the run. Each is ended even
// when another fails: committed data stays committed (SPEC §2.6).
func (rt *runTxns) end(ctx context.Context, commit bool) error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	var errs []error
	txs := rt.open.take()
	// Read-only transactions end first: in SQLite's rollback-journal mode a reader's
	// shared lock (the same run reading the file through another connection) would
	// make the writer's COMMIT wait for a lock this very loop releases later.
	slices.SortStableFunc(txs, func(a, b *txn) int {
		switch {
		case a.wrote == b.wrote:
			return 0
		case a.wrote:
			return 1
		}
		return -1
	})
	for _, t := range txs {
		var err error
		switch {
		case t.broken != nil && commit:
			_ = t.sess.rollback(ctx)
			err = fmt.Errorf("its writes were lost when a later statement failed: %w", t.broken)
		case commit:
			err = t.sess.commit(ctx)
		case t.broken != nil:
			// Already undone by the database (SQLite ends a transaction on a full disk
			// or an interrupt): the rollback's "no transaction" is the wanted outcome.
			_ = t.sess.rollback(ctx)
		default:
			err = t.sess.rollback(ctx)
		}
		if err != nil {
			phase := "commit"
			if !commit {
				phase = "rollback"
			}
			errs = append(errs, fmt.Errorf("%s transaction on %s: %w", phase, t.name, err))
		}
	}
	return errors.Join(errs...)
}

func (o *openTxns) find(key string) *txn {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, t := range o.list {
		if t.key == key {
			return t
		}
	}
	return nil
}

func (o *openTxns) add(t *txn) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.list = append(o.list, t)
}

func (o *openTxns) remove(t *txn) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, x := range o.list {
		if x == t {
			o.list = append(o.list[:i], o.list[i+1:]...)
			return
		}
	}
}

func (o *openTxns) take() []*txn {
	o.mu.Lock()
	defer o.mu.Unlock()
	l := o.list
	o.list = nil
	return l
}

// abandon rolls back what a collected run left open.
func (o *openTxns) abandon() {
	for _, t := range o.take() {
		_ = t.sess.rollback(context.Background())
	}
}
