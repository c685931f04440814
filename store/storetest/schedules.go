package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// A scenario's schedule and next run round-trip through create, get, list and update.
func testScheduleFields(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	sc := &weft.Scenario{Name: "cron", Active: true, CreatedAt: t0, UpdatedAt: t0,
		Schedule:  weft.Schedule{Type: "cron", Cron: "*/5 * * * *", Timezone: "Europe/Prague"},
		NextRunAt: ptr(at(5))}
	must(t, s.CreateScenario(ctx, sc, []byte(`{}`)), "create")
	got, err := s.GetScenario(ctx, sc.ID)
	must(t, err, "get")
	equal(t, got, sc, "cron scenario")

	// A once-schedule's time comes back as the same instant in UTC.
	zone := time.FixedZone("UTC-3", -3*3600)
	sc.Schedule = weft.Schedule{Type: "once", At: ptr(at(60).In(zone))}
	sc.NextRunAt, sc.UpdatedAt = ptr(at(60).In(zone)), at(1)
	must(t, s.UpdateScenario(ctx, sc), "update to once")
	got, err = s.GetScenario(ctx, sc.ID)
	must(t, err, "get once")
	equal(t, got.Schedule, weft.Schedule{Type: "once", At: ptr(at(60))}, "once schedule")
	equal(t, got.NextRunAt, ptr(at(60)), "next run of once")

	sc.Schedule, sc.NextRunAt = weft.Schedule{Type: "interval", Interval: 15}, nil
	must(t, s.UpdateScenario(ctx, sc), "update to interval without a next run")
	list, err := s.ListScenarios(ctx)
	must(t, err, "list")
	equal(t, list[0].Schedule, weft.Schedule{Type: "interval", Interval: 15}, "listed schedule")
	if list[0].NextRunAt != nil {
		t.Fatalf("next run: got %v, want nil", *list[0].NextRunAt)
	}

	// The zero schedule (on demand) stays the zero value.
	plain := newScenario(t, s, "plain")
	got, err = s.GetScenario(ctx, plain.ID)
	must(t, err, "get plain")
	equal(t, got.Schedule, weft.Schedule{}, "zero schedule")
}

// scheduled stores an active scenario due at the given minute (nil: never).
func scheduled(t *testing.T, s store.Store, name string, active bool, due *time.Time) *weft.Scenario {
	t.Helper()
	sc := &weft.Scenario{Name: name, Active: active, CreatedAt: t0, UpdatedAt: t0,
		Schedule: weft.Schedule{Type: "interval", Interval: 60}, NextRunAt: due}
	must(t, s.CreateScenario(ctxT(t), sc, []byte(`{}`)), "create "+name)
	return sc
}

func nextRunOf(t *testing.T, s store.Store, id int64) *time.Time {
	t.Helper()
	sc, err := s.GetScenario(ctxT(t), id)
	must(t, err, "get scenario")
	return sc.NextRunAt
}

func testClaimDueSchedules(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	a := scheduled(t, s, "A", true, ptr(at(1)))
	b := scheduled(t, s, "B", true, ptr(at(3)))
	c := scheduled(t, s, "C later", true, ptr(at(10)))
	scheduled(t, s, "D inactive", false, ptr(at(0)))
	scheduled(t, s, "E no next run", true, nil)
	f := scheduled(t, s, "F", true, ptr(at(1))) // ties with A: stored later, claimed later

	var seen []string
	hourLater := func(sc *weft.Scenario) *time.Time {
		seen = append(seen, fmt.Sprintf("%s@%s", sc.Name, sc.NextRunAt.Format("15:04")))
		return ptr(sc.NextRunAt.Add(time.Hour))
	}
	got, err := s.ClaimDueSchedules(ctx, at(5), 2, hourLater)
	must(t, err, "claim 2")
	equal(t, names(got), []string{"A", "F"}, "earliest first, ties in id order")
	equal(t, got[0].NextRunAt, ptr(at(1)), "returned with the due time being fired")
	equal(t, seen, []string{"A@12:01", "F@12:01"}, "next sees each scenario with its due time")
	equal(t, nextRunOf(t, s, a.ID), ptr(at(61)), "A moved to its next run")
	equal(t, nextRunOf(t, s, f.ID), ptr(at(61)), "F moved to its next run")
	sa, err := s.GetScenario(ctx, a.ID)
	must(t, err, "get A")
	equal(t, sa.UpdatedAt, t0, "a claim is not an edit: updated-at stays")

	// B is the last one due; nil from next leaves it without a next run.
	got, err = s.ClaimDueSchedules(ctx, at(5), 10, func(*weft.Scenario) *time.Time { return nil })
	must(t, err, "claim the rest")
	equal(t, names(got), []string{"B"}, "the rest")
	if n := nextRunOf(t, s, b.ID); n != nil {
		t.Fatalf("B's next run: got %v, want nil", *n)
	}
	got, err = s.ClaimDueSchedules(ctx, at(5), 10, hourLater)
	must(t, err, "claim when nothing is due")
	equal(t, len(got), 0, "nothing due")

	// A next run not after the fired one is refused, naming the scenario, and the
	// claim writes nothing (C, first, was moved before A was refused).
	_, err = s.ClaimDueSchedules(ctx, at(61), 10, func(sc *weft.Scenario) *time.Time {
		if sc.ID == a.ID {
			return sc.NextRunAt
		}
		return ptr(sc.NextRunAt.Add(time.Hour))
	})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("scenario %d:", a.ID)) {
		t.Fatalf("next run equal to the fired one: got %v, want an error naming scenario %d", err, a.ID)
	}
	equal(t, nextRunOf(t, s, c.ID), ptr(at(10)), "C after the refused claim")
	equal(t, nextRunOf(t, s, a.ID), ptr(at(61)), "A after the refused claim")

	got, err = s.ClaimDueSchedules(ctx, at(5), 0, hourLater)
	must(t, err, "limit 0")
	equal(t, len(got), 0, "limit 0 claims nothing")
	if _, err := s.ClaimDueSchedules(ctx, at(5), -1, hourLater); err == nil {
		t.Error("negative limit: want an error")
	}
	if _, err := s.ClaimDueSchedules(ctx, at(5), 1, nil); err == nil {
		t.Error("nil next: want an error")
	}
}

// Concurrent claims between them fire every tick of every scenario exactly once: each
// scenario is due every 30 minutes and the claims run at minute 100, so each fires at
// its first due minute d and at d+30, d+60 and d+90.
func testConcurrentClaimDueSchedules(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	const scenarios = 40
	var scs []*weft.Scenario
	for i := range scenarios {
		scs = append(scs, scheduled(t, s, fmt.Sprintf("S%02d", i), true, ptr(at(i%10))))
	}
	every30 := func(sc *weft.Scenario) *time.Time { return ptr(sc.NextRunAt.Add(30 * time.Minute)) }
	type tick struct {
		scenario int64
		due      time.Time
	}
	var (
		mu    sync.Mutex
		fired = map[tick]int{}
		wg    sync.WaitGroup
		errs  = make(chan error, workers)
	)
	for range workers {
		wg.Go(func() {
			for {
				got, err := s.ClaimDueSchedules(ctx, at(100), 3, every30)
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, sc := range got {
					fired[tick{sc.ID, *sc.NextRunAt}]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent ClaimDueSchedules: %v", err)
	}
	equal(t, len(fired), scenarios*4, "ticks fired")
	for i, sc := range scs {
		for k := range 4 {
			tk := tick{sc.ID, at(i%10 + 30*k)}
			if fired[tk] != 1 {
				t.Fatalf("scenario %d, tick at minute %d: fired %d times, want 1", sc.ID, i%10+30*k, fired[tk])
			}
		}
		equal(t, nextRunOf(t, s, sc.ID), ptr(at(i%10+120)), fmt.Sprintf("scenario %d's next run", sc.ID))
	}
}

func names(scs []*weft.Scenario) []string {
	out := make([]string, 0, len(scs))
	for _, sc := range scs {
		out = append(out, sc.Name)
	}
	return out
}
