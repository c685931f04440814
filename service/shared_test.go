package service_test

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/internal/pgtest"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store/postgres"
)

// sharedServices opens n services on one PostgreSQL database, each on a store of its
// own: n processes sharing the database. newID wraps each one's id generator.
func sharedServices(t *testing.T, clk *clock, newID func(i int, next func() string) func() string, n int) []*service.Service {
	t.Helper()
	url := pgtest.NewDatabase(t)
	var ids atomic.Int64
	out := make([]*service.Service, n)
	for i := range n {
		st, err := postgres.Open(t.Context(), url, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		reg, err := all.WithStore(st)
		if err != nil {
			t.Fatal(err)
		}
		next := func() string { return fmt.Sprintf("p%did%04d", i, ids.Add(1)) }
		if out[i], err = service.New(service.Config{Store: st, Registry: reg, Clock: clk.Now, NewID: newID(i, next),
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// Two processes poll one trigger: process A reads the trigger's position, then, before
// its run is recorded, process B runs a whole poll and stores a newer position. A's
// run must start from B's position, not emit B's items a second time (the in-process
// poll gate cannot see B).
func TestPollAcrossProcessesEmitsOnce(t *testing.T) {
	clk := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	var hold atomic.Bool
	reached, proceed := make(chan struct{}), make(chan struct{})
	svcs := sharedServices(t, clk, func(i int, next func() string) func() string {
		if i != 0 {
			return next
		}
		// A's run takes its execution id after reading the position and before
		// recording the run: it waits there once, while B polls.
		return func() string {
			if hold.CompareAndSwap(true, false) {
				close(reached)
				<-proceed
			}
			return next()
		}
	}, 2)
	a, b := svcs[0], svcs[1]
	ctx := t.Context()
	feed, out := newFeed(t), newSink(t)
	t0 := clk.Now().Add(-time.Hour)
	feed.add(t0, "old")
	bp := fmt.Sprintf(`{"name":"news","flow":%s,"metadata":{"version":1}}`, rssFlow(feed.URL, out.URL, 10))
	sc, err := a.CreateScenario(ctx, []byte(bp), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.SetActive(ctx, sc.ID, true); err != nil { // from now on: "old" is not emitted
		t.Fatal(err)
	}
	feed.add(t0.Add(10*time.Minute), "n1", "n2")

	hold.Store(true)
	type result struct {
		rr  *service.RunResult
		err error
	}
	aDone := make(chan result, 1)
	go func() {
		rr, err := a.Run(ctx, sc.ID, []weft.Bundle{{}})
		aDone <- result{rr, err}
	}()
	<-reached
	rr, err := b.Run(ctx, sc.ID, []weft.Bundle{{}})
	if err != nil || rr.Result.Status != weft.StatusSuccess {
		t.Fatalf("B's poll: %v %+v", err, rr)
	}
	wantItems(t, "B's poll", out.items(), "n1", "n2")
	close(proceed)
	res := <-aDone
	if res.err != nil || res.rr.Result.Status != weft.StatusSuccess {
		t.Fatalf("A's poll: %v %+v", res.err, res.rr)
	}
	wantItems(t, "after A's poll", out.items(), "n1", "n2")

	// The position moves on from there, in either process.
	feed.add(t0.Add(20*time.Minute), "n3")
	if _, err := a.Run(ctx, sc.ID, []weft.Bundle{{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Run(ctx, sc.ID, []weft.Bundle{{}}); err != nil {
		t.Fatal(err)
	}
	wantItems(t, "n3 once", out.items(), "n1", "n2", "n3")
}

// Two processes retry the incomplete executions held by one circuit breaker at once:
// the down service still sees one probe per interval in all (the breaker is read and
// written under its key's lock in the database, so only one process makes a retry the
// probe), and the probe's success releases every one of them, in either process.
func TestBreakerAcrossProcesses(t *testing.T) {
	const n = 40
	clk := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	svcs := sharedServices(t, clk, func(_ int, next func() string) func() string { return next }, 2)
	ctx := t.Context()
	s := newStandIn(t, answer{status: 503})
	bp := fmt.Sprintf(`{"name":"orders","flow":%s,"metadata":{"version":1}}`, loopFlow(s.URL))
	sc, err := svcs[0].CreateScenario(ctx, []byte(bp), "")
	if err != nil {
		t.Fatal(err)
	}
	rr, err := svcs[0].Run(ctx, sc.ID, []weft.Bundle{bundle(items(n))})
	if err != nil || len(rr.Incomplete) != n {
		t.Fatalf("run: %v, %d incomplete executions, want %d", err, len(rr.Incomplete), n)
	}
	// drain runs the due retries in both processes at once until neither finds any.
	drain := func() {
		var wg sync.WaitGroup
		errs := make(chan error, len(svcs))
		for _, svc := range svcs {
			wg.Go(func() {
				for {
					k, err := svc.RunDue(ctx)
					if err != nil {
						errs <- err
						return
					}
					if k == 0 {
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("RunDue: %v", err)
		}
	}
	calls := len(s.requests())
	for minute := 1; minute <= 4; minute++ {
		clk.Add(time.Minute)
		drain()
		if got := len(s.requests()) - calls; got != 1 {
			t.Fatalf("minute %d: the down service got %d calls from two processes, want one probe", minute, got)
		}
		calls = len(s.requests())
	}
	s.set(answer{status: 200})
	clk.Add(time.Minute)
	drain()
	if got := len(s.requests()) - calls; got != n {
		t.Fatalf("after recovery the service got %d calls, want %d (each incomplete execution once)", got, n)
	}
	for _, ie := range rr.Incomplete {
		got, err := svcs[1].Store().GetIncomplete(ctx, ie.ID)
		if err != nil || got.Status != weft.IncompleteResolved {
			t.Fatalf("%s after recovery: %v, %v; want resolved", ie.ID, got, err)
		}
	}
	if bs, err := svcs[1].Breakers(ctx); err != nil || len(bs) != 0 {
		t.Fatalf("breakers after recovery: %+v, %v", bs, err)
	}
}
