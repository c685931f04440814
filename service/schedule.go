package service

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/schedule"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// SetSchedule validates and stores when a scenario runs on its own. An active
// scenario's next run is computed from now (a schedule set anew starts anew); an
// inactive one gets its next run when it is activated. A once-time must lie ahead.
func (s *Service) SetSchedule(ctx context.Context, scenarioID int64, sch weft.Schedule) (*weft.Scenario, error) {
	if err := schedule.Validate(sch); err != nil {
		return nil, fmt.Errorf("scenario %d: %w", scenarioID, err)
	}
	now := s.now()
	if sch.Type == schedule.Once && !sch.At.After(now) {
		return nil, fmt.Errorf("scenario %d: %w", scenarioID, &schedule.Error{Field: "at",
			Msg: fmt.Sprintf("%s is not in the future (now is %s)", sch.At.UTC().Format(time.RFC3339), now.Format(time.RFC3339))})
	}
	var sc *weft.Scenario
	err := s.st.InTx(ctx, func(q store.Queries) error {
		var err error
		if sc, err = q.GetScenario(ctx, scenarioID); err != nil {
			return err
		}
		sc.Schedule, sc.UpdatedAt = sch, now
		sc.NextRunAt = nextRunAt(sc, now)
		return q.UpdateScenario(ctx, sc)
	})
	if err != nil {
		return nil, fmt.Errorf("scenario %d: set schedule: %w", scenarioID, err)
	}
	s.notify()
	return sc, nil
}

// nextRunAt is a scenario's next due time after its schedule or activation changed at
// now: none while it is inactive or runs on demand.
func nextRunAt(sc *weft.Scenario, now time.Time) *time.Time {
	if !sc.Active || sc.Schedule.Type == schedule.OnDemand {
		return nil
	}
	return schedule.Next(sc.Schedule, now)
}

// activationNextRun is the next due time SetActive stores. A scenario activated
// anew starts its schedule from now; one that stays active (activated again to clear
// a pause) keeps the due time it has, so re-activating does not shift an interval.
func activationNextRun(sc *weft.Scenario, wasActive bool, now time.Time) *time.Time {
	if sc.Active && wasActive && sc.NextRunAt != nil {
		return sc.NextRunAt
	}
	return nextRunAt(sc, now)
}

// FireDue starts the scheduled runs that are due and returns how many ran. Claiming a
// due scenario moves its next run past now in the same store transaction, so ticks
// missed while weft was down collapse into one run (as Make does), and concurrent
// callers or a restarted process never fire one tick twice. Each claimed scenario
// then runs unless it cannot now, which skips this tick: it is paused, it still runs
// from an earlier tick, or it processes sequentially and has incomplete executions to
// resolve. A scenario started by a webhook processes its queued payloads (RunQueued);
// any other runs one cycle with an empty trigger bundle.
func (s *Service) FireDue(ctx context.Context) (int, error) {
	now := s.now()
	claimed, err := s.st.ClaimDueSchedules(ctx, now, s.cfg.Workers, func(sc *weft.Scenario) *time.Time {
		due := now
		if sc.NextRunAt != nil {
			due = *sc.NextRunAt
		}
		return schedule.Following(sc.Schedule, due, now)
	})
	if err != nil {
		return 0, fmt.Errorf("claim due schedules: %w", err)
	}
	var wg sync.WaitGroup
	ran := make([]bool, len(claimed))
	errs := make([]error, len(claimed))
	for i, sc := range claimed {
		wg.Go(func() {
			ran[i], errs[i] = s.fire(ctx, sc)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("scheduled run of scenario %d: %w", sc.ID, errs[i])
			}
		})
	}
	wg.Wait()
	n := 0
	for _, r := range ran {
		if r {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// fire carries out one claimed tick; false: the tick was skipped (or found nothing to
// process).
func (s *Service) fire(ctx context.Context, sc *weft.Scenario) (bool, error) {
	ctx = withTrigger(ctx, weft.TriggerSchedule) // recorded on the run (startedby.go)
	skip := func(why string) (bool, error) {
		s.log.Info("scheduled run skipped", "scenario", sc.ID, "due", sc.NextRunAt, "reason", why)
		return false, nil
	}
	if sc.Paused != "" {
		return skip("paused: " + sc.Paused)
	}
	s.gate.mu.Lock()
	live := s.gate.live[sc.ID] > 0
	s.gate.mu.Unlock()
	if !live && s.shared != nil {
		// A run in another process (cluster.go).
		var err error
		if live, err = liveRun(ctx, s.st, sc.ID); err != nil {
			return false, err
		}
	}
	if live {
		// Make does not start a scheduled run over one still going; the next tick runs.
		return skip("a run of the scenario is still in progress")
	}
	var rr *RunResult
	var err error
	if sc.Instant {
		rr, err = s.RunQueued(ctx, sc.ID)
	} else {
		rr, err = s.Run(ctx, sc.ID, []weft.Bundle{{}})
	}
	if errors.Is(err, ErrBusy) {
		return skip(err.Error())
	}
	return rr != nil, err
}

// RunQueued runs a scenario started by a webhook on its queued payloads: up to its
// roundtrips setting ("max number of cycles") of them, oldest first, one per cycle of
// ONE execution, as Make does for a scheduled webhook scenario. It returns nil and no
// error when no payload is waiting or a run of the scenario still consumes its oldest
// one (no execution is recorded for nothing), and ErrBusy when the scenario processes
// sequentially and has incomplete executions to resolve.
func (s *Service) RunQueued(ctx context.Context, scenarioID int64) (*RunResult, error) {
	sc, err := s.st.GetScenario(ctx, scenarioID)
	if err != nil {
		return nil, scenarioErr(scenarioID, err)
	}
	plan, _, err := s.versionPlan(ctx, sc)
	if err != nil {
		// Nothing is claimed: the payloads wait while the scenario cannot run.
		return nil, fmt.Errorf("scenario %d cannot run: %w", sc.ID, err)
	}
	if plan.Settings.Sequential {
		n, err := s.st.CountIncomplete(ctx, store.IncompleteFilter{ScenarioID: sc.ID,
			Status: []weft.IncompleteStatus{weft.IncompleteUnresolved, weft.IncompletePending, weft.IncompleteInProgress}})
		if err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, fmt.Errorf("%w: scenario %d processes sequentially and has %d incomplete execution(s) to resolve first", ErrBusy, sc.ID, n)
		}
	}
	execID := s.cfg.NewID()
	items, err := s.claimQueuedOf(ctx, sc.ID, max(plan.Settings.Roundtrips, 1), execID)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, nil
	}
	var size int64
	for _, it := range items {
		size += int64(len(it.Payload))
	}
	release, err := s.ReservePayload(ctx, size)
	if err != nil {
		s.handBackQueued(ctx, items)
		return nil, err
	}
	defer release()
	cycles := make([][]weft.Bundle, len(items))
	stored := make([][]byte, len(items))
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i], stored[i] = it.ID, it.Payload
		payload, err := value.UnmarshalTagged(it.Payload)
		b, ok := payload.(map[string]any)
		if err != nil || !ok {
			s.handBackQueued(ctx, items)
			return nil, fmt.Errorf("queued payload %d of scenario %d is not a stored bundle: %v", it.ID, sc.ID, err)
		}
		cycles[i] = []weft.Bundle{b}
	}
	return s.runCycles(ctx, sc.ID, sc, cycles, stored, ids, execID)
}

// handBackQueued releases claimed items whose run never started (owed if that fails).
func (s *Service) handBackQueued(ctx context.Context, items []*weft.QueueItem) {
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	if len(ids) > 0 {
		s.releaseQueued(context.WithoutCancel(ctx), items[0].ScenarioID, ids)
	}
}

// claimQueuedOf takes up to limit queued payloads of one scenario for execID.
func (s *Service) claimQueuedOf(ctx context.Context, scenarioID int64, limit int, execID string) ([]*weft.QueueItem, error) {
	items, err := s.st.ClaimQueuedBatch(ctx, scenarioID, limit, execID)
	if err != nil {
		return nil, fmt.Errorf("claim queued payloads of scenario %d: %w", scenarioID, err)
	}
	return items, nil
}
