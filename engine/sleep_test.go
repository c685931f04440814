package engine_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/limits"
)

// fakeTime is a run clock that moves only when a Sleep module sleeps through it.
type fakeTime struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func (f *fakeTime) Clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }

func (f *fakeTime) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.slept = append(f.slept, d)
	f.now = f.now.Add(d)
	return nil
}

const sleep10 = `{"id":2,"module":"util:FunctionSleep","version":1,"mapper":{"duration":"10"}}`

// The Sleep module waits through engine.Options.Sleep: with a fake one the blueprint's
// duration reaches it unchanged, the run's clock (its log, {{now}}) moves by it, and no
// real time passes.
func TestSleepThroughInjectedSleep(t *testing.T) {
	ft := &fakeTime{now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	f := newFixtureWith(t, func(o *engine.Options) { o.Clock, o.Sleep = ft.Clock, ft.Sleep })
	p := f.plan(`[`+hook+`,`+sleep10+`,`+rec(3, "{{formatDate(now; \"HH:mm:ss\")}}")+`]`, "")
	res := f.run(p)
	if res.Status != weft.StatusSuccess {
		t.Fatalf("status %s error %+v", res.Status, res.Error)
	}
	if !slices.Equal(ft.slept, []time.Duration{10 * time.Second}) {
		t.Fatalf("slept %v; want the blueprint's 10s", ft.slept)
	}
	if tags := f.rec.tags(); !slices.Equal(tags, []string{"05:06:17"}) {
		t.Fatalf("{{now}} after the sleep: %v", tags)
	}
	for _, e := range res.Log {
		if e.ModuleID == 2 && e.Duration != 10*time.Second {
			t.Fatalf("the sleep's log entry lasted %s; want 10s on the run's clock", e.Duration)
		}
	}
}

// A sleep counts toward the run's time limit on the run's clock: past runTimeout the
// next module fails the run, as if the time had really passed.
func TestSleepCountsTowardRunTimeout(t *testing.T) {
	ft := &fakeTime{now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	f := newFixtureWith(t, func(o *engine.Options) {
		o.Clock, o.Sleep = ft.Clock, ft.Sleep
		o.Limits = limits.Limits{RunTimeout: 5 * time.Second}
	})
	p := f.plan(`[`+hook+`,`+sleep10+`,`+rec(3, "after")+`]`, "")
	res := f.run(p)
	wantRunFails(t, res, 3, weft.ModuleTimeoutError, "runTimeout of 5s")
	if len(f.rec.tags()) != 0 {
		t.Fatal("the module after the sleep ran past the run's time limit")
	}
}

// Without an injected Sleep the module waits in real time (here the bubble's fake
// time, which moves only by waiting).
func TestSleepDefaultsToRealTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixtureWith(t, func(o *engine.Options) { o.Clock = time.Now })
		p := f.plan(`[`+hook+`,`+sleep10+`,`+rec(3, "after")+`]`, "")
		start := time.Now()
		res := f.run(p)
		if res.Status != weft.StatusSuccess || time.Since(start) != 10*time.Second {
			t.Fatalf("status %s after %s; want success after 10s", res.Status, time.Since(start))
		}
	})
}
