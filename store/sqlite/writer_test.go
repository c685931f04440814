package sqlite

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// batchHarness builds batches of exactly the writes a test wants: a blocker write holds
// the writer goroutine while the test queues its writes one by one (in order), and
// run releases it, so the queued writes form the next batch.
type batchHarness struct {
	t       *testing.T
	s       *Store
	queued  chan struct{}
	release chan struct{}
	blocker <-chan outcome
	batches int64
	funcs   int64
}

type outcome struct {
	err   error
	panic any
}

func newBatchHarness(t *testing.T) *batchHarness {
	t.Helper()
	h := &batchHarness{t: t, s: openTemp(t), queued: make(chan struct{}, 10000),
		release: make(chan struct{})}
	h.s.w.mu.Lock()
	h.s.w.afterEnqueue = func() { h.queued <- struct{}{} }
	h.s.w.mu.Unlock()
	started := make(chan struct{})
	h.blocker = h.submitFn(func(q *queries) error {
		close(started)
		<-h.release
		return nil
	})
	<-started
	h.batches, h.funcs = h.s.w.batches.Load(), h.s.w.funcs.Load()
	return h
}

// submit queues call (a Store write) from its own goroutine and returns once it is
// queued; the outcome arrives on the channel.
func (h *batchHarness) submit(call func() error) <-chan outcome {
	res := make(chan outcome, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				res <- outcome{panic: p}
			}
		}()
		res <- outcome{err: call()}
	}()
	<-h.queued
	return res
}

// submitFn queues a raw write function.
func (h *batchHarness) submitFn(fn func(q *queries) error) <-chan outcome {
	return h.submit(func() error { return h.s.write(context.Background(), fn) })
}

// run releases the blocker: the writes queued meanwhile form the next batch.
func (h *batchHarness) run() {
	h.t.Helper()
	close(h.release)
	if o := <-h.blocker; o.err != nil || o.panic != nil {
		h.t.Fatalf("blocker: %+v", o)
	}
}

// checkOneBatch checks that everything after the blocker ran as one batch of n.

func (h *batchHarness) checkOneBatch(n int) {
	h.t.Helper()
	b, f := h.s.w.batches.Load()-h.batches, h.s.w.funcs.Load()-h.funcs
	if b != 1 || f != int64(n) {
		h.t.Fatalf("after the blocker: %d batches of %d functions, want 1 of %d", b, f, n)
	}
}

func put(s *Store, key string) func() error {
	return func() error { return s.PutRecord(context.Background(), "ds", key, weft.Bundle{"k": key}, false) }
}

// recordKeys lists the keys of data store "ds".
func recordKeys(t *testing.T, s *Store) []string {
	t.Helper()
	recs, err := s.ListRecords(t.Context(), "ds", 0)
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{}
	for _, r := range recs {
		keys = append(keys, r.Key)
	}
	return keys
}

func wantKeys(t *testing.T, s *Store, want ...string) {
	t.Helper()
	if got := recordKeys(t, s); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("records: got %v, want %v", got, want)
	}
}

// One batch: each function in its own savepoint. A failing or panicking one is undone
// and gets its own outcome; later ones see the earlier ones' writes; the rest commit.
func TestGroupCommitSavepoints(t *testing.T) {
	h := newBatchHarness(t)
	ctx := context.Background()
	boom := errors.New("boom")
	a := h.submit(put(h.s, "a"))
	b := h.submit(func() error {
		return h.s.InTx(ctx, func(q store.Queries) error {
			if err := q.PutRecord(ctx, "ds", "b", weft.Bundle{}, false); err != nil {
				return err
			}
			return boom
		})
	})
	c := h.submit(func() error {
		return h.s.InTx(ctx, func(q store.Queries) error {
			if err := q.PutRecord(ctx, "ds", "c", weft.Bundle{}, false); err != nil {
				return err
			}
			panic("c panics")
		})
	})
	dup := h.submit(put(h.s, "a")) // sees a's uncommitted write
	d := h.submit(func() error {
		return h.s.InTx(ctx, func(q store.Queries) error {
			// b's and c's writes were undone before d ran.
			for _, k := range []string{"b", "c"} {
				if _, err := q.GetRecord(ctx, "ds", k); !errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("record %s seen by a later function: %v", k, err)
				}
			}
			return q.PutRecord(ctx, "ds", "d", weft.Bundle{}, false)
		})
	})
	h.run()
	if o := <-a; o.err != nil || o.panic != nil {
		t.Fatalf("a: %+v", o)
	}
	if o := <-b; !errors.Is(o.err, boom) {
		t.Fatalf("b: got %+v, want its own error", o)
	}
	if o := <-c; o.panic != "c panics" {
		t.Fatalf("c: got %+v, want its own panic", o)
	}
	if o := <-dup; !errors.Is(o.err, store.ErrExists) {
		t.Fatalf("second put of a: got %+v, want ErrExists", o)
	}
	if o := <-d; o.err != nil || o.panic != nil {
		t.Fatalf("d: %+v", o)
	}
	h.checkOneBatch(5)
	wantKeys(t, h.s, "a", "d")
}

// A commit that fails fails every function whose writes it carried, and writes
// nothing; the store stays usable. The failure is real: a deferred foreign key
// violation is only checked at COMMIT.
func TestGroupCommitCommitFailure(t *testing.T) {
	h := newBatchHarness(t)
	ctx := context.Background()
	a := h.submit(put(h.s, "a"))
	bad := h.submitFn(func(q *queries) error {
		if _, err := q.db.ExecContext(ctx, "PRAGMA defer_foreign_keys = ON"); err != nil {
			return err
		}
		_, err := q.db.ExecContext(ctx, `INSERT INTO queue_item (scenario_id, enqueued_at) VALUES (404, 0)`)
		return err
	})
	failing := h.submit(func() error {
		return h.s.InTx(ctx, func(q store.Queries) error { return errors.New("own error") })
	})
	c := h.submit(put(h.s, "c"))
	h.run()
	for name, ch := range map[string]<-chan outcome{"a": a, "bad": bad, "c": c} {
		o := <-ch
		if o.err == nil || !strings.Contains(o.err.Error(), "commit: ") || !strings.Contains(o.err.Error(), "FOREIGN KEY") {
			t.Errorf("%s: got %+v, want the commit's error", name, o)
		}
	}
	if o := <-failing; o.err == nil || o.err.Error() != "own error" {
		t.Errorf("the function that failed on its own: got %+v, want its own error", o)
	}
	h.checkOneBatch(4)
	wantKeys(t, h.s)
	n, err := h.s.QueueDepth(ctx, 0)
	if err != nil || n != 0 {
		t.Fatalf("queue after the failed commit: %d, %v", n, err)
	}
	if err := put(h.s, "after")(); err != nil {
		t.Fatalf("write after a failed commit: %v", err)
	}
	wantKeys(t, h.s, "after")
}

// When SQLite itself rolls the transaction back under a function (it does for some
// I/O, memory and disk-full errors; here a raw ROLLBACK stands in), the earlier
// functions' writes are gone: they get an error, never a false success, and the
// functions after it run in a new transaction.
func TestGroupCommitLostTransaction(t *testing.T) {
	h := newBatchHarness(t)
	ctx := context.Background()
	a := h.submit(put(h.s, "a"))
	killer := h.submitFn(func(q *queries) error {
		_, err := q.db.ExecContext(ctx, "ROLLBACK")
		return err
	})
	c := h.submit(put(h.s, "c"))
	h.run()
	for name, ch := range map[string]<-chan outcome{"a": a, "killer": killer} {
		if o := <-ch; o.err == nil || !strings.Contains(o.err.Error(), "write transaction lost") {
			t.Errorf("%s: got %+v, want the lost transaction's error", name, o)
		}
	}
	if o := <-c; o.err != nil {
		t.Fatalf("c, after the lost transaction: %v", o.err)
	}
	wantKeys(t, h.s, "c")
}

// SQLITE_FULL inside a batch: SQLite rolls the whole transaction back (as it may for
// a full disk), so the function that hit it gets store.ErrFull, the one before it an
// error that also says storage is full (its writes are gone), and the one after it
// commits in a new transaction. A function that swallows the error and carries on has
// its later statements refused: they would run outside any transaction.
func TestGroupCommitFullInBatch(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	var pages int
	if err := s.writer.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := s.writer.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages+4)); err != nil {
		t.Fatal(err)
	}
	h := &batchHarness{t: t, s: s, queued: make(chan struct{}, 100), release: make(chan struct{})}
	s.w.mu.Lock()
	s.w.afterEnqueue = func() { h.queued <- struct{}{} }
	s.w.mu.Unlock()
	started := make(chan struct{})
	h.blocker = h.submitFn(func(*queries) error {
		close(started)
		<-h.release
		return nil
	})
	<-started
	h.batches, h.funcs = s.w.batches.Load(), s.w.funcs.Load()

	a := h.submit(put(s, "a"))
	var refused error
	big := h.submit(func() error {
		return s.InTx(ctx, func(q store.Queries) error {
			err := q.PutRecord(ctx, "ds", "big", weft.Bundle{"v": strings.Repeat("x", 64<<10)}, false)
			if !errors.Is(err, store.ErrFull) {
				return fmt.Errorf("big record: got %v, want ErrFull", err)
			}
			refused = q.PutRecord(ctx, "ds", "after-full", weft.Bundle{}, false)
			return nil // swallowed
		})
	})
	c := h.submit(put(s, "c"))
	h.run()
	if o := <-a; !errors.Is(o.err, store.ErrFull) || !strings.Contains(o.err.Error(), "write transaction lost") {
		t.Fatalf("a, before the full write: got %+v, want its writes reported lost to a full disk", o)
	}
	if o := <-big; !errors.Is(o.err, store.ErrFull) {
		t.Fatalf("the function that hit the full disk: got %+v, want ErrFull", o)
	}
	if refused == nil || !strings.Contains(refused.Error(), "refused") {
		t.Fatalf("a statement after SQLITE_FULL: got %v, want it refused", refused)
	}
	if o := <-c; o.err != nil {
		t.Fatalf("c: %v", o.err)
	}
	h.checkOneBatch(3)
	wantKeys(t, s, "c")
}

// A caller whose context ends while its write is queued gets its error at once and
// the write never runs; one whose context ends while its function runs has its writes
// undone; the others of the batch are unaffected.
func TestGroupCommitCancel(t *testing.T) {
	h := newBatchHarness(t)
	queuedCtx, cancelQueued := context.WithCancel(context.Background())
	withdrawn := h.submit(func() error {
		return h.s.PutRecord(queuedCtx, "ds", "withdrawn", weft.Bundle{}, false)
	})
	cancelQueued()
	// The blocker still holds the writer: the answer cannot have come from a batch.
	if o := <-withdrawn; !errors.Is(o.err, context.Canceled) {
		t.Fatalf("withdrawn write: got %+v, want context.Canceled", o)
	}
	runCtx, cancelRun := context.WithCancel(context.Background())
	during := h.submit(func() error {
		return h.s.InTx(runCtx, func(q store.Queries) error {
			if err := q.PutRecord(runCtx, "ds", "during", weft.Bundle{}, false); err != nil {
				return err
			}
			cancelRun()
			// Statements are not interrupted by the caller's context: an interrupt
			// would roll back the whole batch.
			return q.PutRecord(runCtx, "ds", "during2", weft.Bundle{}, false)
		})
	})
	b := h.submit(put(h.s, "b"))
	h.run()
	if o := <-during; !errors.Is(o.err, context.Canceled) {
		t.Fatalf("write cancelled while it ran: got %+v, want context.Canceled", o)
	}
	if o := <-b; o.err != nil {
		t.Fatalf("b: %v", o.err)
	}
	h.checkOneBatch(2) // the withdrawn write was never taken
	wantKeys(t, h.s, "b")
	if err := h.s.PutRecord(queuedCtx, "ds", "late", weft.Bundle{}, false); !errors.Is(err, context.Canceled) {
		t.Fatalf("write with a done context: got %v", err)
	}
}

// A function that ends its goroutine (t.FailNow inside InTx) fails its batch but not
// the store: a new writer goroutine carries on.
func TestGroupCommitGoexit(t *testing.T) {
	h := newBatchHarness(t)
	a := h.submit(put(h.s, "a"))
	exit := h.submitFn(func(*queries) error {
		runtime.Goexit()
		return nil
	})
	h.run()
	for name, ch := range map[string]<-chan outcome{"a": a, "exit": exit} {
		if o := <-ch; !errors.Is(o.err, errGoexit) {
			t.Errorf("%s: got %+v, want errGoexit", name, o)
		}
	}
	if err := put(h.s, "b")(); err != nil {
		t.Fatalf("write after Goexit: %v", err)
	}
	wantKeys(t, h.s, "b")
}

// Close commits the writes already queued and refuses later ones.
func TestGroupCommitClose(t *testing.T) {
	h := newBatchHarness(t)
	a := h.submit(put(h.s, "a"))
	closed := make(chan error, 1)
	go func() { closed <- h.s.Close() }()
	// Close marks the writer closed, then waits for the queue (the blocker holds it).
	for {
		h.s.w.mu.Lock()
		c := h.s.w.closed
		h.s.w.mu.Unlock()
		if c {
			break
		}
		runtime.Gosched()
	}
	if err := put(h.s, "refused")(); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("write after close: got %v, want refused", err)
	}
	h.run()
	if o := <-a; o.err != nil {
		t.Fatalf("write queued before close: %v", o.err)
	}
	if err := <-closed; err != nil {
		t.Fatalf("close: %v", err)
	}
	s, err := Open(t.Context(), h.s.Path(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wantKeys(t, s, "a")
}

// Many goroutines writing at once, under the race detector: every write that returned
// nil is in the database, every one that failed, panicked or was cancelled is not.
func TestGroupCommitStress(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	sc := &weft.Scenario{Name: "stress"}
	if err := s.CreateScenario(ctx, sc, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	const goroutines, each = 32, 60
	boom := errors.New("boom")
	type result struct {
		key string
		ok  bool
	}
	results := make(chan result, goroutines*each)
	errs := make(chan error, goroutines*each)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				key := fmt.Sprintf("g%02d-%03d", g, i)
				switch i % 5 {
				case 0: // a plain write
					err := s.PutRecord(ctx, "ds", key, weft.Bundle{"g": int64(g)}, false)
					if err != nil {
						errs <- fmt.Errorf("%s: %w", key, err)
					}
					results <- result{key, err == nil}
				case 1: // a transaction that fails after writing
					err := s.InTx(ctx, func(q store.Queries) error {
						if err := q.PutRecord(ctx, "ds", key, weft.Bundle{}, false); err != nil {
							return err
						}
						return boom
					})
					if !errors.Is(err, boom) {
						errs <- fmt.Errorf("%s: got %v, want boom", key, err)
					}
					results <- result{key, false}
				case 2: // a transaction that panics after writing
					func() {
						defer func() {
							if p := recover(); p != "stress panic" {
								errs <- fmt.Errorf("%s: recovered %v", key, p)
							}
						}()
						_ = s.InTx(ctx, func(q store.Queries) error {
							_ = q.PutRecord(ctx, "ds", key, weft.Bundle{}, false)
							panic("stress panic")
						})
					}()
					results <- result{key, false}
				case 3: // several writes in one transaction
					err := s.InTx(ctx, func(q store.Queries) error {
						if err := q.PutRecord(ctx, "ds", key, weft.Bundle{}, false); err != nil {
							return err
						}
						return q.Enqueue(ctx, &weft.QueueItem{ScenarioID: sc.ID, Payload: []byte(`{}`)})
					})
					if err != nil {
						errs <- fmt.Errorf("%s: %w", key, err)
					}
					results <- result{key, err == nil}
				case 4: // a caller that gives up at some point: either outcome, but honest
					cctx, cancel := context.WithCancel(ctx)
					go cancel()
					err := s.PutRecord(cctx, "ds", key, weft.Bundle{}, false)
					cancel()
					if err != nil && !errors.Is(err, context.Canceled) {
						errs <- fmt.Errorf("%s: %w", key, err)
					}
					results <- result{key, err == nil}
				}
			}
		})
	}
	wg.Wait()
	close(results)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	want := map[string]bool{}
	for r := range results {
		if r.ok {
			want[r.key] = true
		}
	}
	got := recordKeys(t, s)
	if len(got) != len(want) {
		t.Fatalf("%d records stored, %d writes succeeded", len(got), len(want))
	}
	for _, k := range got {
		if !want[k] {
			t.Fatalf("record %s stored, but its write did not succeed", k)
		}
	}
	n, err := s.QueueDepth(ctx, sc.ID)
	if err != nil || n != goroutines*each/5 {
		t.Fatalf("queue: %d items, %v; want %d", n, err, goroutines*each/5)
	}
	if b, f := s.w.batches.Load(), s.w.funcs.Load(); b >= f {
		t.Logf("no batch held two writes (%d batches, %d writes): the machine ran them one by one", b, f)
	}
}

// A lone write runs at once in a batch of its own: nothing waits for company.
func TestGroupCommitLoneWrite(t *testing.T) {
	s := openTemp(t)
	b0, f0 := s.w.batches.Load(), s.w.funcs.Load()
	if err := put(s, "a")(); err != nil {
		t.Fatal(err)
	}
	if b, f := s.w.batches.Load()-b0, s.w.funcs.Load()-f0; b != 1 || f != 1 {
		t.Fatalf("%d batches of %d writes, want 1 of 1", b, f)
	}
	wantKeys(t, s, "a")
}
