package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

const (
	workers    = 6
	concurrent = 120 // rows each concurrency test hands out
)

// Several goroutines claiming due retries at once never get the same row twice, and
// between them get every row.
func testConcurrentClaimDue(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	var scs []*weft.Scenario
	for i := range 8 {
		scs = append(scs, newScenario(t, s, fmt.Sprintf("S%d", i)))
	}
	for i := range concurrent {
		pending(t, s, idf("p%03d", i), scs[i%len(scs)].ID, i%7)
	}
	var (
		mu   sync.Mutex
		seen = map[string]int{}
		wg   sync.WaitGroup
		errs = make(chan error, workers)
	)
	// A big per-scenario limit so that every row can be handed out; the rows stay in
	// progress, so each is claimable at most once.
	for range workers {
		wg.Go(func() {
			for {
				got, err := s.ClaimDue(ctx, at(100), 7, concurrent, nil)
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, ie := range got {
					seen[ie.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent ClaimDue: %v", err)
	}
	equal(t, len(seen), concurrent, "rows claimed")
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("%s claimed %d times", id, n)
		}
	}
}

// Several goroutines claiming queued items, each finishing (deleting) what it took,
// never hold two items of one scenario at once and never take an item twice.
func testConcurrentClaimQueued(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	var scs []*weft.Scenario
	for i := range 5 {
		scs = append(scs, newScenario(t, s, fmt.Sprintf("Q%d", i)))
	}
	for i := range concurrent {
		must(t, s.Enqueue(ctx, &weft.QueueItem{ScenarioID: scs[i%len(scs)].ID, EnqueuedAt: at(i)}), "enqueue")
	}
	var (
		mu       sync.Mutex
		taken    = map[int64]int{}
		inFlight = map[int64]bool{} // scenario → an item of it is held
		order    = map[int64][]int64{}
		ids      atomic.Int64
		wg       sync.WaitGroup
		errs     = make(chan error, workers)
	)
	newID := func() string { return fmt.Sprintf("c%d", ids.Add(1)) }
	for range workers {
		wg.Go(func() {
			for {
				got, err := s.ClaimQueued(ctx, 2, nil, newID)
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					n, err := s.QueueDepth(ctx, 0)
					if err != nil {
						errs <- err
						return
					}
					if n == 0 {
						return
					}
					continue // others hold the remaining scenarios' heads
				}
				mu.Lock()
				for _, it := range got {
					taken[it.ID]++
					if inFlight[it.ScenarioID] {
						errs <- fmt.Errorf("scenario %d: a second item taken while one is held", it.ScenarioID)
					}
					inFlight[it.ScenarioID] = true
					order[it.ScenarioID] = append(order[it.ScenarioID], it.ID)
				}
				mu.Unlock()
				for _, it := range got {
					mu.Lock()
					inFlight[it.ScenarioID] = false
					mu.Unlock()
					if err := s.DeleteQueued(ctx, it.ID); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent ClaimQueued: %v", err)
	}
	equal(t, len(taken), concurrent, "items taken")
	for id, n := range taken {
		if n != 1 {
			t.Fatalf("item %d taken %d times", id, n)
		}
	}
	for sc, items := range order {
		for i := 1; i < len(items); i++ {
			if items[i] < items[i-1] {
				t.Fatalf("scenario %d: items taken out of arrival order: %v", sc, items)
			}
		}
	}
}

// Several goroutines claiming due retries at once never put more than the per-scenario
// limit of one scenario in progress: in a store several processes share, two claimers
// counting a scenario's free slots at the same moment would each take them all.
func testConcurrentClaimDuePerScenario(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	const scenarios, perScenario = 4, 3
	var scs []*weft.Scenario
	for i := range scenarios {
		scs = append(scs, newScenario(t, s, fmt.Sprintf("L%d", i)))
	}
	for i := range 80 {
		pending(t, s, idf("l%03d", i), scs[i%scenarios].ID, i%5)
	}
	var (
		mu    sync.Mutex
		bySc  = map[int64]int{}
		wg    sync.WaitGroup
		errs  = make(chan error, workers)
		start = make(chan struct{})
	)
	for range workers {
		wg.Go(func() {
			<-start
			// Nothing finishes, so once every scenario is at its limit no claim gets
			// anything; a few rounds each make the claims overlap.
			for range 4 {
				got, err := s.ClaimDue(ctx, at(100), 2, perScenario, nil)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				for _, ie := range got {
					bySc[ie.ScenarioID]++
				}
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent ClaimDue: %v", err)
	}
	// Whatever interleaving: never more than the limit; and a final claim fills what
	// the races left free (a claimer may pass over a scenario another one holds).
	got, err := s.ClaimDue(ctx, at(100), scenarios*perScenario, perScenario, nil)
	must(t, err, "final claim")
	for _, ie := range got {
		bySc[ie.ScenarioID]++
	}
	for _, sc := range scs {
		equal(t, bySc[sc.ID], perScenario, fmt.Sprintf("scenario %d in progress", sc.ID))
		n, err := s.CountIncomplete(ctx, store.IncompleteFilter{ScenarioID: sc.ID, Status: []weft.IncompleteStatus{weft.IncompleteInProgress}})
		must(t, err, "count in progress")
		equal(t, n, perScenario, fmt.Sprintf("scenario %d stored in progress", sc.ID))
	}
}

// LockScenario holds off every other transaction that locks the same scenario until
// its own ends: read-modify-writes under it lose no update.
func testLockScenario(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	sc := newScenario(t, s, "K")
	other := newScenario(t, s, "O")
	must(t, s.PutRecord(ctx, "lock", "n", weft.Bundle{"n": float64(0)}, false), "counter")
	const each = 10
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range each {
				err := s.InTx(ctx, func(q store.Queries) error {
					if err := q.LockScenario(ctx, other.ID); err != nil { // another scenario's lock: no wait
						return err
					}
					if err := q.LockScenario(ctx, sc.ID); err != nil {
						return err
					}
					rec, err := q.GetRecord(ctx, "lock", "n")
					if err != nil {
						return err
					}
					n, _ := rec["n"].(float64)
					return q.PutRecord(ctx, "lock", "n", weft.Bundle{"n": n + 1}, true)
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("InTx with LockScenario: %v", err)
	}
	rec, err := s.GetRecord(ctx, "lock", "n")
	must(t, err, "counter")
	equal(t, rec["n"], any(float64(workers*each)), "updates under the scenario's lock")
	must(t, s.LockScenario(ctx, sc.ID), "LockScenario outside a transaction")
}

// A read and a write of the same row inside one InTx are one step: concurrent
// read-modify-writes of a scenario (a run's end counting errors) or of an incomplete
// execution (a person's edit) lose no update, as the service relies on.
func testInTxReadModifyWrite(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	sc := newScenario(t, s, "RMW")
	createIE(t, s, newIE("rmw", sc.ID, weft.IncompleteUnresolved, t0))
	const each = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for range each {
				err := s.InTx(ctx, func(q store.Queries) error {
					if w%2 == 0 {
						got, err := q.GetScenario(ctx, sc.ID)
						if err != nil {
							return err
						}
						got.ConsecutiveErrors++
						return q.UpdateScenario(ctx, got)
					}
					ie, err := q.GetIncomplete(ctx, "rmw")
					if err != nil {
						return err
					}
					ie.Attempts++
					return q.UpdateIncomplete(ctx, ie)
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("read-modify-write: %v", err)
	}
	got, err := s.GetScenario(ctx, sc.ID)
	must(t, err, "scenario")
	equal(t, got.ConsecutiveErrors, workers/2*each, "scenario updates")
	ie, err := s.GetIncomplete(ctx, "rmw")
	must(t, err, "incomplete execution")
	equal(t, ie.Attempts, workers/2*each, "incomplete execution updates")
}
