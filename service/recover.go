package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/scenarios"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/store"
)

// Recover puts the store back in order after the process stopped without finishing
// its work (a crash, SIGKILL, power loss). It must run before anything else, in the
// one process that owns the data folder. For every execution still marked running:
//
//   - a run that consumed a queued payload: the payload goes back to the queue (the
//     run's uncommitted data store writes were never applied), so it runs again;
//   - a run started directly (`weft run`): its trigger input becomes an incomplete
//     execution at the start of the flow, waiting for a person — it may have done
//     part of its work, so weft does not repeat it on its own;
//   - a retry attempt: the attempt is recorded as interrupted (it does not count) and
//     the incomplete execution is due again at once.
//
// Incomplete executions left in progress without a running attempt are due again.
//
// With a store several processes share, Recover recovers only the work of processes
// whose lease expired (or that stopped with work left): the running executions of the
// others are theirs (cluster.go).
func (s *Service) Recover(ctx context.Context) (recovered int, err error) {
	if s.shared != nil {
		return s.takeOver(ctx)
	}
	running, err := s.st.RunningExecutions(ctx)
	if err != nil {
		return 0, fmt.Errorf("recover: %w", err)
	}
	for _, ex := range running {
		if err := s.recoverExecution(ctx, ex); err != nil {
			return recovered, fmt.Errorf("recover execution %s: %w", ex.ID, err)
		}
		recovered++
	}
	// Queue claims whose run was never recorded (a crash between the claim and the
	// run's record): the payload goes back to the queue.
	orphans, err := s.st.ReleaseOrphanedQueued(ctx)
	if err != nil {
		return recovered, fmt.Errorf("recover: %w", err)
	}
	recovered += orphans
	// Claimed but never started (a crash between the claim and the attempt's record).
	stuck, err := s.st.ListIncomplete(ctx, store.IncompleteFilter{Status: []weft.IncompleteStatus{weft.IncompleteInProgress}, Limit: 10000})
	if err != nil {
		return recovered, fmt.Errorf("recover: %w", err)
	}
	now := s.now()
	for _, ie := range stuck {
		err := s.st.InTx(ctx, func(q store.Queries) error {
			return s.handBackTx(ctx, q, ie.ID, weft.IncompletePending, now)
		})
		if err != nil {
			return recovered, fmt.Errorf("recover incomplete execution %s: %w", ie.ID, err)
		}
		recovered++
	}
	if recovered > 0 {
		s.log.Info("recovered interrupted work", "count", recovered)
	}
	return recovered, nil
}

const interrupted = "interrupted: weft stopped before this run finished"

func (s *Service) recoverExecution(ctx context.Context, ex *weft.Execution) error {
	now := s.now()
	return s.st.InTx(ctx, func(q store.Queries) error {
		full, err := q.GetExecution(ctx, ex.ID)
		if err != nil {
			return err
		}
		full.Status, full.ErrorType, full.ErrorMsg, full.FinishedAt = weft.ExecutionError, weft.RuntimeError, interrupted, &now
		input := full.Input
		full.Input = nil
		switch {
		case full.Kind == weft.KindRetry:
			atts, err := q.ListAttempts(ctx, full.IncompleteID)
			if err != nil {
				return err
			}
			for i := range atts {
				if atts[i].ExecutionID == full.ID && atts[i].FinishedAt == nil {
					atts[i].FinishedAt, atts[i].Outcome = &now, weft.AttemptInterrupted
					if err := q.UpdateAttempt(ctx, &atts[i]); err != nil {
						return err
					}
				}
			}
			if err := s.handBackTx(ctx, q, full.IncompleteID, weft.IncompletePending, now); err != nil {
				return err
			}
			if err := s.unknownAfterCrash(ctx, q, full.IncompleteID, now); err != nil {
				return err
			}
		case full.QueueItemID != 0:
			if err := q.ReleaseQueued(ctx, full.QueueItemID); err != nil && !isNotFound(err) {
				return err
			}
			full.ErrorMsg = interrupted + "; its queued trigger payload runs again"
		case s.pollRunOf(ctx, q, full):
			// Its trigger's position did not move: the next run polls the same items
			// again (with the same idempotency keys), so nothing waits for a person.
			full.ErrorMsg = interrupted + "; its polling trigger's position did not move, so the next run emits its items again"
		default:
			if err := s.storeInterrupted(ctx, q, full, input, now); err != nil {
				return err
			}
		}
		return q.UpdateExecution(ctx, full)
	})
}

// unknownAfterCrash: weft stopped in the middle of an attempt, perhaps while the
// failing module was calling its service. When that module says repeating its call is
// not safe (app.Repeatable; the HTTP app without an Idempotency-Key), the incomplete
// execution waits for a person with its outcome unknown instead of being sent again.
func (s *Service) unknownAfterCrash(ctx context.Context, q store.Queries, id string, now time.Time) error {
	ie, err := q.GetIncomplete(ctx, id)
	if err != nil || ie.Status == weft.IncompleteResolved {
		return err
	}
	plan, err := s.plan(ie.Blueprint)
	if err != nil {
		return nil // the attempt will say why it cannot run
	}
	if safe, known := plan.RepeatSafe(ie.FailedModuleID); safe || !known {
		return nil
	}
	ie.OutcomeUnknown, ie.Status, ie.NextAttemptAt, ie.UpdatedAt = true, weft.IncompleteUnresolved, nil, now
	ie.ErrorMessage = fmt.Sprintf("weft stopped during an attempt, perhaps while module %d was calling its service: "+
		"whether the call took effect is unknown (before: %s: %s)", ie.FailedModuleID, ie.ErrorType, ie.ErrorMessage)
	return q.UpdateIncomplete(ctx, ie)
}

// storeInterrupted keeps a directly started run's input as an incomplete execution
// from the start of the flow.
func (s *Service) storeInterrupted(ctx context.Context, q store.Queries, ex *weft.Execution, input []byte, now time.Time) error {
	v, err := q.GetVersion(ctx, ex.ScenarioID, ex.Version)
	if err != nil {
		return err
	}
	bp, err := blueprint.Parse(v.Blueprint)
	if err != nil || len(bp.Flow) == 0 {
		return fmt.Errorf("scenario %d version %d: cannot read its blueprint: %v", ex.ScenarioID, ex.Version, err)
	}
	bundles, err := decodeBundles(input)
	if err != nil {
		return err
	}
	first := bp.Flow[0]
	outputs := map[int]any{}
	if spec, ok := s.cfg.Registry.Lookup(first.Type); ok && spec.Kind == app.KindTrigger && len(bundles) > 0 && first.HasID {
		outputs[first.ID] = map[string]any(bundles[0])
	}
	sc, err := q.GetScenario(ctx, ex.ScenarioID)
	if err != nil {
		return err
	}
	e := &engine.Incomplete{ModuleID: first.ID, Outputs: outputs, Cycle: 1, Origin: ex.ID, Path: []int32{0},
		Error: &weft.Error{Type: weft.RuntimeError, Message: interrupted + "; modules may have run in part — check before retrying"}}
	if first.Type == scenarios.Start && len(bundles) > 0 {
		e.Inputs = bundles[0] // a called run: its trigger bundle is its inputs ({{var.input.*}})
	}
	ie, err := s.newIncomplete(sc.ID, ex.ID, ex.Version, v.Blueprint, e, bp.Metadata.Scenario.Confidential, now)
	if err != nil {
		return err
	}
	return q.CreateIncomplete(ctx, ie)
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// pollRunOf reports whether an execution ran a version that starts with a polling
// trigger (service/poll.go).
func (s *Service) pollRunOf(ctx context.Context, q store.Queries, ex *weft.Execution) bool {
	v, err := q.GetVersion(ctx, ex.ScenarioID, ex.Version)
	return err == nil && s.isPollRun(v.Blueprint)
}
