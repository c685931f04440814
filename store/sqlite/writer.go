package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Group commit. SQLite has one writer and a durable commit costs an fsync (about half a
// millisecond here), so committing each write alone caps the server near 2,000 writes a
// second however many runs are in flight. Instead one goroutine owns the writer
// connection; callers queue their write functions and wait. The goroutine takes every
// function already queued (up to maxBatch; it never waits for more), runs each in its
// own SAVEPOINT of one transaction, commits once, and only then answers each caller.
//
//   - A function that fails (or panics) is rolled back to its savepoint and gets its own
//     error (or panic); the others of the batch are unaffected.
//   - A commit that fails fails every function whose writes it carried.
//   - Durability is unchanged: no caller returns success before its commit is fsync'd.
//   - A lone write runs at once, in a plain transaction (no savepoint).
//   - A caller whose context ends while its function is still queued withdraws it and
//     returns at once; one whose function has been taken waits for the outcome (the
//     batch is never left half-known). A function whose caller's context ended before it
//     ran is not run; one whose context ended while it ran is rolled back.

// maxBatch caps the functions one transaction carries: past a few dozen the fsync is
// no longer the cost, and a huge batch only delays its first caller's answer.
const maxBatch = 128

// Request states: queued until the writer takes it or its caller withdraws it.
const (
	reqQueued int32 = iota
	reqTaken
	reqWithdrawn
)

// errGoexit answers the functions of a batch in which a function called runtime.Goexit
// (t.FailNow in a test): the batch's transaction is rolled back.
var errGoexit = errors.New("write function ended its goroutine (runtime.Goexit, e.g. t.FailNow); the batch was rolled back")

// writeReq is one queued write function and, once answered, its outcome.
type writeReq struct {
	ctx   context.Context
	fn    func(q *queries) error
	state atomic.Int32
	done  chan struct{} // closed once err/panicked are final

	// Set by the writer goroutine before done is closed.
	err      error
	panicked bool
	panicVal any
	answered bool
}

func (r *writeReq) failed() bool { return r.err != nil || r.panicked }

// answer gives the caller its outcome; err, when not nil, replaces a success.
func (r *writeReq) answer(err error) {
	if err != nil && !r.panicked {
		r.err = err
	}
	r.answered = true
	close(r.done)
}

// call runs the function, turning a panic into an outcome the caller re-raises.
func (r *writeReq) call(q *queries) {
	defer func() {
		if p := recover(); p != nil {
			r.panicked, r.panicVal = true, p
		}
	}()
	r.err = r.fn(q)
}

// writer owns the writer connection.
type writer struct {
	db *sql.DB

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []*writeReq
	closed  bool
	stopped chan struct{}

	// Writer goroutine only: the open batch transaction, and the statement cache.
	tx      *sql.Tx
	stmts   map[string]*sql.Stmt // prepared on db, reused by every batch
	unknown map[string]bool      // run in this batch unprepared; prepared after it

	// batches and funcs count batches and the functions they carried (benchmarks
	// report the mean batch size).
	batches, funcs atomic.Int64

	// afterEnqueue, when set by a test before any write, runs after each request is
	// queued, so a test can build a batch of exactly the requests it wants.
	afterEnqueue func()
}

func newWriter(db *sql.DB) *writer {
	w := &writer{db: db, stopped: make(chan struct{}), stmts: map[string]*sql.Stmt{}, unknown: map[string]bool{}}
	w.cond = sync.NewCond(&w.mu)
	go w.loop()
	return w
}

// write runs fn in the writer's next batch and returns its outcome once its commit is
// durable (or re-raises its panic).
func (w *writer) write(ctx context.Context, fn func(q *queries) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("begin write transaction: %w", err)
	}
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan struct{})}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return errors.New("begin write transaction: the store is closed")
	}
	w.queue = append(w.queue, r)
	w.cond.Signal()
	hook := w.afterEnqueue
	w.mu.Unlock()
	if hook != nil {
		hook()
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		if r.state.CompareAndSwap(reqQueued, reqWithdrawn) {
			return fmt.Errorf("begin write transaction: %w", ctx.Err())
		}
		<-r.done // taken: the batch decides, and soon
	}
	if r.panicked {
		panic(r.panicVal)
	}
	return r.err
}

// close stops taking writes, runs those already queued and waits for the goroutine.
func (w *writer) close() {
	w.mu.Lock()
	w.closed = true
	w.cond.Broadcast()
	w.mu.Unlock()
	<-w.stopped
	for q, st := range w.stmts {
		_ = st.Close()
		delete(w.stmts, q)
	}
}

func (w *writer) loop() {
	for {
		batch := w.take()
		if batch == nil {
			close(w.stopped)
			return
		}
		w.runBatch(batch)
	}
}

// take waits for queued requests and takes up to maxBatch of them (skipping withdrawn
// ones); nil once the writer is closed and the queue empty.
func (w *writer) take() []*writeReq {
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		for len(w.queue) == 0 && !w.closed {
			w.cond.Wait()
		}
		if len(w.queue) == 0 {
			return nil
		}
		n := min(len(w.queue), maxBatch)
		batch := make([]*writeReq, 0, n)
		for _, r := range w.queue[:n] {
			if r.state.CompareAndSwap(reqQueued, reqTaken) {
				batch = append(batch, r)
			}
		}
		rest := copy(w.queue, w.queue[n:])
		clear(w.queue[rest:])
		w.queue = w.queue[:rest]
		if len(batch) > 0 {
			return batch
		}
	}
}

func (w *writer) runBatch(batch []*writeReq) {
	w.batches.Add(1)
	w.funcs.Add(int64(len(batch)))
	finished := false
	defer func() {
		if !finished {
			w.afterGoexit(batch)
		}
	}()
	for rest := batch; len(rest) > 0; {
		rest = w.runTx(rest)
	}
	w.prepareUnknown()
	finished = true
}

// afterGoexit cleans up after a write function ended the writer goroutine: the batch
// is rolled back and answered, and a new goroutine carries on with the queue.
func (w *writer) afterGoexit(batch []*writeReq) {
	if w.tx != nil {
		_ = w.tx.Rollback()
		w.tx = nil
	}
	for _, r := range batch {
		if !r.answered {
			r.answer(errGoexit)
		}
	}
	go w.loop()
}

// runTx runs as many of reqs as one transaction can hold and answers them. It returns
// the requests still to run when SQLite rolled the transaction back under one of them.
func (w *writer) runTx(reqs []*writeReq) (rest []*writeReq) {
	tx, err := w.db.BeginTx(context.Background(), nil)
	if err != nil {
		err = fmt.Errorf("begin write transaction: %w", classify(err))
		for _, r := range reqs {
			r.answer(err)
		}
		return nil
	}
	// Kept for afterGoexit (rolling back a finished transaction is a harmless no-op).
	w.tx = tx
	savepoints := len(reqs) > 1
	var in []*writeReq // functions whose writes this transaction holds
	for i, r := range reqs {
		if err := r.ctx.Err(); err != nil {
			r.answer(fmt.Errorf("begin write transaction: %w", err))
			continue
		}
		if lost := w.apply(tx, r, savepoints); lost != nil {
			_ = tx.Rollback()
			for _, p := range in {
				p.answer(lost)
			}
			if r.failed() {
				r.answer(nil) // its own error (or panic) says more
			} else {
				r.answer(lost)
			}
			return reqs[i+1:]
		}
		if !r.failed() {
			in = append(in, r)
			continue
		}
		if !savepoints {
			_ = tx.Rollback()
			r.answer(nil)
			return nil
		}
		r.answer(nil) // its writes are undone: nothing of it waits for the commit
	}
	if len(in) == 0 {
		_ = tx.Rollback()
		return nil
	}
	var commitErr error
	if err := tx.Commit(); err != nil {
		commitErr = fmt.Errorf("commit: %w", classify(err))
	}
	for _, r := range in {
		r.answer(commitErr)
	}
	return nil
}

const (
	spBegin    = "SAVEPOINT weft_write"
	spRelease  = "RELEASE weft_write"
	spRollback = "ROLLBACK TO weft_write"
)

// apply runs r's function in tx (in a savepoint when the transaction is shared) and
// leaves r's own outcome in r. It returns an error when the transaction no longer holds
// what earlier functions wrote: SQLite rolls a whole transaction back on some errors
// (I/O errors, out of memory, some disk-full cases), and the savepoint is gone then.
func (w *writer) apply(tx *sql.Tx, r *writeReq, savepoint bool) (lost error) {
	bg := context.Background()
	if savepoint {
		if _, err := tx.ExecContext(bg, spBegin); err != nil {
			return fmt.Errorf("write transaction lost: begin savepoint: %w", classify(err))
		}
	}
	st := &stmtTx{tx: tx, w: w}
	r.call(&queries{db: st})
	if !r.failed() {
		switch {
		case st.fatal != nil:
			// fn went on after an error that may have ended the transaction: what it
			// meant to write is not all there.
			r.err = st.fatal
		case r.ctx.Err() != nil:
			// Its caller gave up while it ran: as with a transaction of its own, a
			// cancelled write writes nothing.
			r.err = fmt.Errorf("write cancelled: %w", r.ctx.Err())
		}
	}
	if !savepoint {
		return nil // the caller commits or rolls back the whole transaction
	}
	cause := func(err error) error {
		if st.fatal != nil {
			return fmt.Errorf("write transaction lost: SQLite rolled it back with its whole batch: %w", st.fatal)
		}
		return fmt.Errorf("write transaction lost: %w", classify(err))
	}
	if !r.failed() {
		if _, err := tx.ExecContext(bg, spRelease); err != nil {
			return cause(err)
		}
		return nil
	}
	if _, err := tx.ExecContext(bg, spRollback); err != nil {
		return cause(err)
	}
	if _, err := tx.ExecContext(bg, spRelease); err != nil {
		return cause(err)
	}
	return nil
}

// stmtTx runs a write function's statements in the batch transaction.
//
// It detaches them from the caller's context: the driver interrupts a statement whose
// context ends, and SQLite answers an interrupted write by rolling back the whole
// transaction, which holds other callers' writes. (A cancelled caller's function is
// rolled back to its savepoint after it returns instead.)
//
// After an error that may have ended the transaction it refuses every further
// statement, which SQLite would otherwise run outside any transaction, each committed
// on its own.
type stmtTx struct {
	tx    *sql.Tx
	w     *writer
	fatal error
}

func (t *stmtTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if t.fatal != nil {
		return nil, t.refused()
	}
	ctx = context.WithoutCancel(ctx)
	var res sql.Result
	var err error
	if st := t.w.prepared(ctx, t.tx, query); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = t.tx.ExecContext(ctx, query, args...)
	}
	t.check(err)
	return res, err
}

func (t *stmtTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if t.fatal != nil {
		return nil, t.refused()
	}
	ctx = context.WithoutCancel(ctx)
	var rows *sql.Rows
	var err error
	if st := t.w.prepared(ctx, t.tx, query); st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = t.tx.QueryContext(ctx, query, args...)
	}
	t.check(err)
	return rows, err
}

func (t *stmtTx) QueryRowContext(ctx context.Context, query string, args ...any) rowScanner {
	if t.fatal != nil {
		return errRow{t.refused()}
	}
	ctx = context.WithoutCancel(ctx)
	if st := t.w.prepared(ctx, t.tx, query); st != nil {
		return checkedRow{row: st.QueryRowContext(ctx, args...), t: t}
	}
	return checkedRow{row: t.tx.QueryRowContext(ctx, query, args...), t: t}
}

// maxStmts bounds the statement cache. The store's statements are a fixed set of a few
// dozen; the bound only guards against text built per call (lists are bound as one
// JSON parameter, so none is today).
const maxStmts = 256

// prepared returns query's cached statement bound to tx, or nil when it has none yet.
//
// SQLite parses and plans a statement on every prepare, a third of a small write's
// cost. The writer connection is the pool's only one and the batch transaction holds
// it, so a statement cannot be prepared on the pool during a batch: a new one runs
// unprepared and is prepared once the batch ends (prepareUnknown). database/sql then
// reuses the prepared statement inside each transaction on the same connection.
func (w *writer) prepared(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt {
	if st, ok := w.stmts[query]; ok {
		return tx.StmtContext(ctx, st)
	}
	if len(w.stmts)+len(w.unknown) < maxStmts {
		w.unknown[query] = true
	}
	return nil
}

// prepareUnknown prepares the statements the last batch ran unprepared. A statement
// that fails to prepare here (it failed in the batch too) is simply not cached.
func (w *writer) prepareUnknown() {
	for q := range w.unknown {
		delete(w.unknown, q)
		if st, err := w.db.PrepareContext(context.Background(), q); err == nil {
			w.stmts[q] = st
		}
	}
}

func (t *stmtTx) refused() error {
	return fmt.Errorf("statement refused after an error that may have ended the transaction: %w", t.fatal)
}

// check remembers an error after which SQLite may have rolled the transaction back
// (https://sqlite.org/lang_transaction.html, "Response To Errors Within A Transaction").
func (t *stmtTx) check(err error) {
	var se *sqlite.Error
	if err == nil || t.fatal != nil || !errors.As(err, &se) {
		return
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_NOMEM,
		sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_CORRUPT:
		t.fatal = classify(err)
	}
}

type checkedRow struct {
	row *sql.Row
	t   *stmtTx
}

func (r checkedRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	r.t.check(err)
	return err
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
