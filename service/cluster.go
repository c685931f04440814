package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// Several processes on one store (docs/storage.md, "Several processes").
//
// With a store several processes share (store.Shared: PostgreSQL), what the in-process
// gate keeps apart in one process must hold across all of them, so the store decides:
//
//   - a run starts (its execution row is written) only in a transaction holding its
//     scenario's lock (LockScenario) that finds no retry of the scenario in progress;
//     the store's ClaimDue takes the same lock and claims no retry beside a running
//     run, so a retry and a run of one scenario never overlap, in any two processes;
//   - in the same step a sequential scenario's queued run finds no incomplete
//     execution to resolve, and a polling run finds no other run of its scenario;
//   - ClaimDue counts a scenario's retries in progress under that lock, so the limit
//     per scenario holds across processes;
//   - queued payloads, due retries and schedule ticks are claimed in the store, once.
//
// The in-process gate then only counts this process's runs and retries (for the worker's
// own choices) and never waits. Each process owns what it claims; the work of a process
// whose lease expired is taken over (takeOver) by the worker of another.

// errRetryInProgress: a run must wait until the scenario's retries end.
var errRetryInProgress = errors.New("a retry of the scenario is in progress")

// errRunInProgress: a retry must wait until the scenario's live runs end.
var errRunInProgress = errors.New("a run of the scenario is in progress")

// sharedWait is how often a run (or a person's retry) waiting for the other kind to end
// in another process looks again.
const sharedWait = 100 * time.Millisecond

// takeoverEvery is how often the worker of a shared store looks for dead processes'
// work: a killed process's runs are taken over within its lease plus this.
const takeoverEvery = time.Second

// startChecks are what a run's start must find in a shared store.
type startChecks struct {
	// sequential: a queued run of a sequential scenario finds no incomplete execution
	// to resolve (SPEC §5.5).
	sequential bool
	// alone: no other run of the scenario is live (a polling run).
	alone bool
}

// startExecution records a run's start. In a shared store it waits until no retry of
// the scenario is in progress anywhere, and checks and records in one transaction
// under the scenario's lock; ErrBusy when a check fails.
func (s *Service) startExecution(ctx context.Context, ex *weft.Execution, c startChecks) error {
	if s.shared == nil {
		return s.st.CreateExecution(ctx, ex)
	}
	for {
		err := s.st.InTx(ctx, func(q store.Queries) error {
			// Shared: runs start side by side; a retry's claim (exclusive) waits or
			// passes the scenario over. A polling run must be alone: exclusive.
			lock := q.LockScenarioShared
			if c.alone {
				lock = q.LockScenario
			}
			if err := lock(ctx, ex.ScenarioID); err != nil {
				return err
			}
			n, err := q.CountIncomplete(ctx, store.IncompleteFilter{ScenarioID: ex.ScenarioID,
				Status: []weft.IncompleteStatus{weft.IncompleteInProgress}})
			if err != nil {
				return err
			}
			if n > 0 {
				return errRetryInProgress
			}
			if c.sequential {
				n, err := q.CountIncomplete(ctx, store.IncompleteFilter{ScenarioID: ex.ScenarioID,
					Status: []weft.IncompleteStatus{weft.IncompleteUnresolved, weft.IncompletePending}})
				if err != nil {
					return err
				}
				if n > 0 {
					return fmt.Errorf("%w: scenario %d processes sequentially and has %d incomplete execution(s) to resolve first", ErrBusy, ex.ScenarioID, n)
				}
			}
			if c.alone {
				live, err := liveRun(ctx, q, ex.ScenarioID)
				if err != nil {
					return err
				}
				if live {
					return fmt.Errorf("%w: scenario %d is polling its trigger in another run", ErrBusy, ex.ScenarioID)
				}
			}
			return q.CreateExecution(ctx, ex)
		})
		if !errors.Is(err, errRetryInProgress) {
			return err
		}
		if err := sleep(ctx, sharedWait); err != nil {
			return err
		}
	}
}

// liveRun reports whether a run (not a retry) of the scenario is recorded as running.
func liveRun(ctx context.Context, q store.Queries, scenarioID int64) (bool, error) {
	ex, err := q.ListExecutions(ctx, store.ExecutionFilter{ScenarioID: scenarioID, Status: weft.ExecutionRunning, Limit: 10})
	if err != nil {
		return false, err
	}
	for _, e := range ex {
		if e.Kind == weft.KindRun {
			return true, nil
		}
	}
	return false, nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Shared reports whether the service's store is shared by several processes.
func (s *Service) Shared() bool { return s.shared != nil }

// Fenced is closed when this process lost (or can no longer renew) its lease on a
// shared store: its runs must stop, the other processes take them over. Never closed
// for a store one process owns.
func (s *Service) Fenced() <-chan struct{} {
	if s.shared == nil {
		return nil
	}
	return s.shared.Fenced()
}

// takeOver recovers the work of every process whose lease expired (or that stopped
// with work left): its unrecorded queue claims and unstarted retries are handed back
// by the store, its running executions are recovered here as after a crash.
func (s *Service) takeOver(ctx context.Context) (int, error) {
	recovered := 0
	for {
		tk, err := s.shared.TakeOver(ctx, s.now())
		if err != nil {
			return recovered, fmt.Errorf("take over: %w", err)
		}
		if tk == nil {
			return recovered, nil
		}
		for _, ex := range tk.Running {
			if err := s.recoverExecution(ctx, ex); err != nil {
				// Left owned by this process: if it dies too, the next one takes it over.
				return recovered, fmt.Errorf("take over execution %s of process %s: %w", ex.ID, tk.Process, err)
			}
		}
		n := len(tk.Running) + tk.Released + tk.Due
		recovered += n
		s.log.Info("took over the work of a process whose lease expired", "process", tk.Process,
			"runs", len(tk.Running), "queue_claims", tk.Released, "retries", tk.Due)
		if n > 0 {
			s.notify()
		}
	}
}
