package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// testIncompleteOutcomeAndBreakerKey: an incomplete execution keeps whether its
// outcome is unknown and its breaker key through create and update, and listings
// select by breaker key.
func testIncompleteOutcomeAndBreakerKey(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	sc := newScenario(t, s, "OB")
	a := newIE("a", sc.ID, weft.IncompleteUnresolved, at(0))
	a.OutcomeUnknown, a.BreakerKey = true, "host:api.test:443"
	createIE(t, s, a)
	createIE(t, s, newIE("b", sc.ID, weft.IncompletePending, at(1)))
	got, err := s.GetIncomplete(ctx, "a")
	must(t, err, "get a")
	equal(t, got, a, "stored incomplete execution")
	got.OutcomeUnknown, got.BreakerKey = false, "connection:7"
	must(t, s.UpdateIncomplete(ctx, got), "update a")
	again, err := s.GetIncomplete(ctx, "a")
	must(t, err, "get a again")
	equal(t, again, got, "updated incomplete execution")
	list, err := s.ListIncomplete(ctx, store.IncompleteFilter{BreakerKey: "connection:7"})
	must(t, err, "list by breaker key")
	equal(t, ids(list), []string{"a"}, "listed by breaker key")
	if list[0].OutcomeUnknown || list[0].BreakerKey != "connection:7" {
		t.Fatalf("listed %+v", list[0])
	}
	n, err := s.CountIncomplete(ctx, store.IncompleteFilter{BreakerKey: "host:none:1"})
	must(t, err, "count by breaker key")
	equal(t, n, 0, "count of another key")
}

// testBreakers: open breakers are stored by key, replaced, listed, closed; releasing a
// key makes its pending incomplete executions due, and only those.
func testBreakers(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	_, err := s.GetBreaker(ctx, "host:x:80")
	wantErr(t, err, store.ErrNotFound, "get a closed breaker")
	wantErr(t, s.DeleteBreaker(ctx, "host:x:80"), store.ErrNotFound, "close a closed breaker")
	b := &weft.Breaker{Key: "host:x:80", OpenedAt: at(0), NextProbeAt: at(1), Failures: 0,
		ErrorType: weft.ConnectionError, ErrorMessage: "connection refused"}
	must(t, s.PutBreaker(ctx, b), "open")
	c := &weft.Breaker{Key: "connection:3", OpenedAt: at(2), NextProbeAt: at(5), ProbeID: "p",
		Failures: 2, ErrorType: weft.RateLimitError, ErrorMessage: "429"}
	must(t, s.PutBreaker(ctx, c), "open another")
	got, err := s.GetBreaker(ctx, "host:x:80")
	must(t, err, "get")
	equal(t, got, b, "stored breaker")
	b.ProbeID, b.Failures, b.NextProbeAt = "ie9", 1, at(3)
	must(t, s.PutBreaker(ctx, b), "replace")
	list, err := s.ListBreakers(ctx)
	must(t, err, "list")
	equal(t, list, []*weft.Breaker{c, b}, "listed by key")
	must(t, s.DeleteBreaker(ctx, "connection:3"), "close")
	list, err = s.ListBreakers(ctx)
	must(t, err, "list after close")
	equal(t, list, []*weft.Breaker{b}, "listed after close")

	sc := newScenario(t, s, "BR")
	mk := func(id, key string, status weft.IncompleteStatus, next time.Time) {
		ie := newIE(id, sc.ID, status, at(0))
		ie.BreakerKey = key
		if status == weft.IncompletePending {
			ie.NextAttemptAt = ptr(next)
		}
		createIE(t, s, ie)
	}
	mk("held1", "host:x:80", weft.IncompletePending, at(600))
	mk("held2", "host:x:80", weft.IncompletePending, at(700))
	mk("early", "host:x:80", weft.IncompletePending, at(5))
	mk("other", "host:y:80", weft.IncompletePending, at(600))
	mk("unres", "host:x:80", weft.IncompleteUnresolved, at(0))
	n, err := s.ReleaseBreaker(ctx, "host:x:80", at(10))
	must(t, err, "release")
	equal(t, n, 2, "released")
	for id, want := range map[string]time.Time{"held1": at(10), "held2": at(10), "early": at(5), "other": at(600)} {
		ie, err := s.GetIncomplete(ctx, id)
		must(t, err, "get "+id)
		if ie.NextAttemptAt == nil || !ie.NextAttemptAt.Equal(want) || ie.Status != weft.IncompletePending {
			t.Fatalf("%s: %s next %v, want pending at %v", id, ie.Status, ie.NextAttemptAt, want)
		}
	}
	if ie, _ := s.GetIncomplete(ctx, "unres"); ie.NextAttemptAt != nil || ie.Status != weft.IncompleteUnresolved {
		t.Fatalf("an unresolved one was released: %+v", ie)
	}
}

// testConcurrentBreakers: a breaker read and written back in one InTx is one step, even
// while it is not open yet (no row to lock): breakers opened and counted by concurrent
// transactions lose no update, and exactly one of them makes its retry the probe — what
// the service relies on when several processes share a store.
func testConcurrentBreakers(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	const key, each = "host:race:443", 4
	var wg sync.WaitGroup
	errs := make(chan error, 2*workers)
	for range workers {
		wg.Go(func() {
			for range each {
				err := s.InTx(ctx, func(q store.Queries) error {
					b, err := q.GetBreaker(ctx, key)
					switch {
					case errors.Is(err, store.ErrNotFound):
						b = &weft.Breaker{Key: key, OpenedAt: at(0), NextProbeAt: at(1)}
					case err != nil:
						return err
					}
					b.Failures++
					return q.PutBreaker(ctx, b)
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	b, err := s.GetBreaker(ctx, key)
	must(t, err, "breaker")
	equal(t, b.Failures, workers*each, "failures counted by concurrent transactions")

	var probes atomic.Int32
	for w := range workers {
		wg.Go(func() {
			err := s.InTx(ctx, func(q store.Queries) error {
				b, err := q.GetBreaker(ctx, key)
				if err != nil || b.ProbeID != "" {
					return err
				}
				b.ProbeID = fmt.Sprintf("ie%d", w)
				probes.Add(1)
				return q.PutBreaker(ctx, b)
			})
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("breaker read-modify-write: %v", err)
	}
	equal(t, int(probes.Load()), 1, "probes chosen")
}
