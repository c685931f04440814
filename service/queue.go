package service

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// Enqueue stores a trigger payload for a scenario; the worker runs it (in arrival order
// per scenario, while the scenario is active, and for a sequential scenario only once
// its incomplete executions are resolved).
func (s *Service) Enqueue(ctx context.Context, scenarioID int64, payload weft.Bundle) (*weft.QueueItem, error) {
	if _, err := s.st.GetScenario(ctx, scenarioID); err != nil {
		return nil, scenarioErr(scenarioID, err)
	}
	raw, err := storedPayload(Payload{Bundle: payload})
	if err != nil {
		return nil, err
	}
	item := &weft.QueueItem{ScenarioID: scenarioID, Payload: raw, EnqueuedAt: s.now()}
	if err := s.st.Enqueue(ctx, item); err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	s.notify()
	return item, nil
}

// DrainQueue runs queued payloads (one per scenario at a time, up to Workers at once)
// and returns how many it started.
func (s *Service) DrainQueue(ctx context.Context) (int, error) {
	skip, err := s.blockedScenarios(ctx)
	if err != nil {
		return 0, err
	}
	items, err := s.st.ClaimQueued(ctx, s.cfg.Workers, skip, s.cfg.NewID)
	if err != nil {
		return 0, fmt.Errorf("claim queued payloads: %w", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(items))
	for i, it := range items {
		wg.Go(func() {
			// The claim stays while the payload waits for the decode budget; if weft
			// stops meanwhile, Recover hands it back at the next start.
			release, err := s.ReservePayload(ctx, int64(len(it.Payload)))
			if err != nil {
				errs[i] = fmt.Errorf("queued payload %d: %w", it.ID, err)
				return
			}
			defer release()
			payload, err := value.UnmarshalTagged(it.Payload)
			if err != nil {
				errs[i] = fmt.Errorf("queued payload %d: %w", it.ID, err)
				return
			}
			b, _ := payload.(map[string]any)
			ctx := ctx
			if it.Caller != nil {
				// Queued by a call that does not wait (subscenario.go): linked to it.
				ctx = withChildCall(ctx, &childCall{caller: it.Caller, inputs: b})
			}
			_, errs[i] = s.runCycles(ctx, it.ScenarioID, nil, [][]weft.Bundle{{b}}, [][]byte{it.Payload},
				[]int64{it.ID}, it.ExecutionID)
		})
	}
	wg.Wait()
	return len(items), errors.Join(errs...)
}

// blockedScenarios are the scenarios whose queued payloads must wait: inactive or
// paused ones, sequential ones with incomplete executions to resolve (SPEC §5.5),
// those retrying right now, and webhook scenarios with a schedule (FireDue processes
// their payloads on the schedule, as cycles of one run).
func (s *Service) blockedScenarios(ctx context.Context) ([]int64, error) {
	scs, err := s.st.ListScenarios(ctx)
	if err != nil {
		return nil, fmt.Errorf("list scenarios: %w", err)
	}
	s.gate.mu.Lock()
	retrying := make(map[int64]bool, len(s.gate.retries))
	for id := range s.gate.retries {
		retrying[id] = true
	}
	s.gate.mu.Unlock()
	var skip []int64
	for _, sc := range scs {
		if !sc.Active || sc.Paused != "" || retrying[sc.ID] || (sc.Instant && sc.Schedule.Type != "") {
			skip = append(skip, sc.ID)
			continue
		}
		seq, err := s.sequential(ctx, sc)
		if err != nil {
			return nil, err
		}
		if !seq {
			continue
		}
		n, err := s.st.CountIncomplete(ctx, store.IncompleteFilter{ScenarioID: sc.ID,
			Status: []weft.IncompleteStatus{weft.IncompleteUnresolved, weft.IncompletePending, weft.IncompleteInProgress}})
		if err != nil {
			return nil, err
		}
		if n > 0 {
			skip = append(skip, sc.ID)
		}
	}
	return skip, nil
}

func (s *Service) sequential(ctx context.Context, sc *weft.Scenario) (bool, error) {
	p, bp, err := s.versionPlan(ctx, sc)
	if err != nil {
		if bp == nil {
			return false, err
		}
		return false, nil // cannot run anyway; the run itself reports why
	}
	return p.Settings.Sequential, nil
}

// ListQueue lists queued payloads (arrival order, without payloads): waiting ones,
// the ones runs consume now, and dead ones set aside after an error run (SPEC §3.4,
// docs/incomplete-executions.md).
func (s *Service) ListQueue(ctx context.Context, f store.QueueFilter) ([]*weft.QueueItem, error) {
	items, err := s.st.ListQueued(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list the queue: %w", err)
	}
	return items, nil
}

// GetQueued returns one queued payload of a scenario (scenarioID 0: of any). Its
// Payload is nil when the scenario is confidential: the payload is kept for its run
// but never shown; confidential says so.
func (s *Service) GetQueued(ctx context.Context, scenarioID, id int64) (it *weft.QueueItem, confidential bool, err error) {
	it, err = s.st.GetQueued(ctx, id)
	if err != nil {
		return nil, false, err // the store's error names the payload
	}
	if scenarioID != 0 && it.ScenarioID != scenarioID {
		return nil, false, fmt.Errorf("queued payload %d is not scenario %d's: %w", id, scenarioID, store.ErrNotFound)
	}
	sc, err := s.st.GetScenario(ctx, it.ScenarioID)
	if err != nil {
		return nil, false, scenarioErr(it.ScenarioID, err)
	}
	if confidential = s.confidential(ctx, sc); confidential {
		it.Payload = nil
	}
	return it, confidential, nil
}

// confidential reports the confidential setting of a scenario's current version, read
// from its blueprint when the version cannot be compiled.
func (s *Service) confidential(ctx context.Context, sc *weft.Scenario) bool {
	p, bp, err := s.versionPlan(ctx, sc)
	if err == nil {
		return p.Settings.Confidential
	}
	if bp == nil {
		return true // unreadable: show nothing rather than too much
	}
	parsed, perr := blueprint.Parse(bp)
	return perr != nil || parsed.Metadata.Scenario.Confidential
}

// RetryQueued puts the selected dead payloads back in their scenario's queue, in their
// arrival place, and returns how many: they run next once the scenario is active (the
// worker is woken). Waiting and running payloads are left as they are.
func (s *Service) RetryQueued(ctx context.Context, sel store.QueueSelection) (int, error) {
	sel.Status = nil
	n, err := s.st.RequeueQueued(ctx, sel)
	if err != nil {
		return 0, fmt.Errorf("retry queued payloads: %w", err)
	}
	if n > 0 {
		s.notify()
	}
	return n, nil
}

// DeleteQueued deletes the selected queued payloads that no run consumes now (waiting
// and dead ones) and returns how many; a payload being run is kept (its run settles
// it).
func (s *Service) DeleteQueued(ctx context.Context, sel store.QueueSelection) (int, error) {
	n, err := s.st.DeleteQueuedItems(ctx, sel)
	if err != nil {
		return 0, fmt.Errorf("delete queued payloads: %w", err)
	}
	return n, nil
}
