package service_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// faultStore is a real SQLite store whose writes fail on demand as they do on a full
// disk: the write's statements run, then it is rolled back and the caller gets
// store.ErrFull, so nothing of it is kept. It also tells the test about every write
// that committed, by the names of the store methods it called, so a test can act at
// an exact point between two writes (cancel a context, fill the disk).
//
// Reads always work, as they do on a full disk.
type faultStore struct {
	store.Store

	mu   sync.Mutex
	full bool // every write fails
	// failOps: a write that calls one of these methods fails, as many more times as
	// the count says.
	failOps map[string]int
	// committed is called after each successful write with the methods it called.
	committed func(ops []string)
}

func newFaultStore(st store.Store) *faultStore {
	return &faultStore{Store: st, failOps: map[string]int{}}
}

// setFull makes every write fail (true) or work again (false).
func (f *faultStore) setFull(full bool) {
	f.mu.Lock()
	f.full = full
	f.mu.Unlock()
}

// failNext makes the next n writes that call op fail.
func (f *faultStore) failNext(op string, n int) {
	f.mu.Lock()
	f.failOps[op] += n
	f.mu.Unlock()
}

// onCommit sets the hook called after each successful write.
func (f *faultStore) onCommit(fn func(ops []string)) {
	f.mu.Lock()
	f.committed = fn
	f.mu.Unlock()
}

// check decides whether a write that called ops fails.
func (f *faultStore) check(ops []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.full {
		return fmt.Errorf("commit: %w: database or disk is full (injected by the test)", store.ErrFull)
	}
	for _, op := range ops {
		if f.failOps[op] > 0 {
			f.failOps[op]--
			return fmt.Errorf("commit: %w: database or disk is full (injected at %s)", store.ErrFull, op)
		}
	}
	return nil
}

func (f *faultStore) after(ops []string) {
	f.mu.Lock()
	fn := f.committed
	f.mu.Unlock()
	if fn != nil {
		fn(ops)
	}
}

func (f *faultStore) InTx(ctx context.Context, fn func(q store.Queries) error) error {
	var ops []string
	err := f.Store.InTx(ctx, func(q store.Queries) error {
		ops = ops[:0]
		if err := fn(&spyQueries{Queries: q, ops: &ops}); err != nil {
			return err
		}
		return f.check(ops) // an error rolls the transaction back
	})
	if err == nil {
		f.after(slices.Clone(ops))
	}
	return err
}

// write runs one write method called on the store itself (its own transaction).
func (f *faultStore) write(op string, do func() error) error {
	if err := f.check([]string{op}); err != nil {
		return err
	}
	if err := do(); err != nil {
		return err
	}
	f.after([]string{op})
	return nil
}

func (f *faultStore) CreateExecution(ctx context.Context, e *weft.Execution) error {
	return f.write("CreateExecution", func() error { return f.Store.CreateExecution(ctx, e) })
}

func (f *faultStore) Enqueue(ctx context.Context, item *weft.QueueItem) error {
	return f.write("Enqueue", func() error { return f.Store.Enqueue(ctx, item) })
}

func (f *faultStore) ReleaseQueued(ctx context.Context, id int64) error {
	return f.write("ReleaseQueued", func() error { return f.Store.ReleaseQueued(ctx, id) })
}

func (f *faultStore) ClaimQueued(ctx context.Context, limit int, skip []int64, newID func() string) (out []*weft.QueueItem, err error) {
	err = f.write("ClaimQueued", func() error { out, err = f.Store.ClaimQueued(ctx, limit, skip, newID); return err })
	return out, err
}

func (f *faultStore) ClaimQueuedBatch(ctx context.Context, scenarioID int64, limit int, execID string) (out []*weft.QueueItem, err error) {
	err = f.write("ClaimQueuedBatch", func() error {
		out, err = f.Store.ClaimQueuedBatch(ctx, scenarioID, limit, execID)
		return err
	})
	return out, err
}

func (f *faultStore) ClaimDue(ctx context.Context, now time.Time, limit, perScenario int, skip []int64) (out []*weft.Incomplete, err error) {
	err = f.write("ClaimDue", func() error { out, err = f.Store.ClaimDue(ctx, now, limit, perScenario, skip); return err })
	return out, err
}

func (f *faultStore) ClaimDueSchedules(ctx context.Context, now time.Time, limit int, next func(*weft.Scenario) *time.Time) (out []*weft.Scenario, err error) {
	err = f.write("ClaimDueSchedules", func() error {
		out, err = f.Store.ClaimDueSchedules(ctx, now, limit, next)
		return err
	})
	return out, err
}

func (f *faultStore) ReleaseOrphanedQueued(ctx context.Context) (n int, err error) {
	err = f.write("ReleaseOrphanedQueued", func() error { n, err = f.Store.ReleaseOrphanedQueued(ctx); return err })
	return n, err
}

func (f *faultStore) Requeue(ctx context.Context, sel store.Selection, at time.Time) (n int, err error) {
	err = f.write("Requeue", func() error { n, err = f.Store.Requeue(ctx, sel, at); return err })
	return n, err
}

func (f *faultStore) UpdateScenario(ctx context.Context, sc *weft.Scenario) error {
	return f.write("UpdateScenario", func() error { return f.Store.UpdateScenario(ctx, sc) })
}

// spyQueries records the write methods a transaction calls.
type spyQueries struct {
	store.Queries
	ops *[]string
}

func (q *spyQueries) note(op string) { *q.ops = append(*q.ops, op) }

func (q *spyQueries) CreateExecution(ctx context.Context, e *weft.Execution) error {
	q.note("CreateExecution")
	return q.Queries.CreateExecution(ctx, e)
}

func (q *spyQueries) UpdateExecution(ctx context.Context, e *weft.Execution) error {
	q.note("UpdateExecution")
	return q.Queries.UpdateExecution(ctx, e)
}

func (q *spyQueries) AddAttempt(ctx context.Context, a *weft.Attempt) error {
	q.note("AddAttempt")
	return q.Queries.AddAttempt(ctx, a)
}

func (q *spyQueries) UpdateAttempt(ctx context.Context, a *weft.Attempt) error {
	q.note("UpdateAttempt")
	return q.Queries.UpdateAttempt(ctx, a)
}

func (q *spyQueries) CreateIncomplete(ctx context.Context, ie *weft.Incomplete) error {
	q.note("CreateIncomplete")
	return q.Queries.CreateIncomplete(ctx, ie)
}

func (q *spyQueries) UpdateIncomplete(ctx context.Context, ie *weft.Incomplete) error {
	q.note("UpdateIncomplete")
	return q.Queries.UpdateIncomplete(ctx, ie)
}

func (q *spyQueries) UpdateScenario(ctx context.Context, sc *weft.Scenario) error {
	q.note("UpdateScenario")
	return q.Queries.UpdateScenario(ctx, sc)
}

func (q *spyQueries) ReleaseQueued(ctx context.Context, id int64) error {
	q.note("ReleaseQueued")
	return q.Queries.ReleaseQueued(ctx, id)
}

func (q *spyQueries) DeleteQueued(ctx context.Context, id int64) error {
	q.note("DeleteQueued")
	return q.Queries.DeleteQueued(ctx, id)
}
