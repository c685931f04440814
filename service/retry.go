package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/store"
)

// RunDue carries out every automatic retry that is due now (up to Workers at once,
// at most RetriesPerScenario per scenario, none for a scenario with a live run) and
// returns how many it started.
func (s *Service) RunDue(ctx context.Context) (int, error) {
	s.gate.mu.Lock()
	s.gate.init()
	skip := make([]int64, 0, len(s.gate.live))
	for id := range s.gate.live {
		skip = append(skip, id)
	}
	claimed, err := s.st.ClaimDue(ctx, s.now(), s.cfg.Workers, s.cfg.RetriesPerScenario, skip)
	if err == nil {
		for _, ie := range claimed {
			s.gate.retries[ie.ScenarioID]++
		}
	}
	s.gate.mu.Unlock()
	if err != nil {
		return 0, fmt.Errorf("claim due retries: %w", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(claimed))
	held := s.heldByBreakers(ctx, claimed)
	for i, ie := range claimed {
		if held[i] {
			continue
		}
		wg.Go(func() {
			_, errs[i] = s.attempt(ctx, ie, false, weft.IncompletePending)
		})
	}
	wg.Wait()
	return len(claimed), errors.Join(errs...)
}

// RetryNow retries one incomplete execution at once, as stored (SPEC §5.4), and
// returns the attempt's outcome.
func (s *Service) RetryNow(ctx context.Context, id string) (*RunResult, *weft.Incomplete, error) {
	return s.retryNow(ctx, id, nil)
}

// MarkDone records that the failing module's call of an incomplete execution took
// effect, with output as what it returned, and continues the run downstream of it
// (the module does not run again). For a call whose outcome is unknown that a person
// checked (docs/incomplete-executions.md §9); it works for any incomplete execution
// that waits, as a Resume directive would have.
func (s *Service) MarkDone(ctx context.Context, id string, output weft.Bundle) (*RunResult, *weft.Incomplete, error) {
	if output == nil {
		output = weft.Bundle{}
	}
	return s.retryNow(ctx, id, &supply{supplied: true, output: output,
		note: "marked done by a person: the given output stands in for the module's answer"})
}

// RetryFrom retries an incomplete execution now from an earlier module of its path
// (from > 0), or from the trigger's bundle (from < 0), instead of the failing module:
// the modules in between run again with the stored outputs before them
// (docs/incomplete-executions.md §12). from 0 is RetryNow.
func (s *Service) RetryFrom(ctx context.Context, id string, from int) (*RunResult, *weft.Incomplete, error) {
	if from == 0 {
		return s.RetryNow(ctx, id)
	}
	ie, err := s.st.GetIncomplete(ctx, id)
	if err != nil {
		return nil, nil, fmt.Errorf("retry %s: %w", id, err)
	}
	plan, err := s.plan(ie.Blueprint)
	if err != nil {
		return nil, nil, fmt.Errorf("retry %s: %w", id, err)
	}
	if _, err := plan.Rewind(from, ie.FailedModuleID); err != nil {
		return nil, nil, fmt.Errorf("retry %s: %w", id, err)
	}
	return s.retryNow(ctx, id, &supply{from: from})
}

// supply changes what an attempt does: the failing module's output given instead of
// running it (supplied), or an earlier module to start from.
type supply struct {
	supplied bool
	output   weft.Bundle
	note     string
	from     int
}

func (s *Service) retryNow(ctx context.Context, id string, sup *supply) (*RunResult, *weft.Incomplete, error) {
	var ie *weft.Incomplete
	var prev weft.IncompleteStatus
	claim := func(q store.Queries) error {
		var err error
		if ie, err = q.GetIncomplete(ctx, id); err != nil {
			return err
		}
		if s.shared != nil {
			// Under the scenario's lock, as a run's start: no retry beside a live run of
			// the scenario, in any process (cluster.go).
			if err := q.LockScenario(ctx, ie.ScenarioID); err != nil {
				return err
			}
			if ie, err = q.GetIncomplete(ctx, id); err != nil {
				return err
			}
			if live, err := liveRun(ctx, q, ie.ScenarioID); err != nil || live {
				return cmp.Or(err, errRunInProgress)
			}
		}
		switch ie.Status {
		case weft.IncompleteInProgress:
			return fmt.Errorf("%w: incomplete execution %s is being retried right now", ErrBusy, id)
		case weft.IncompleteResolved:
			return fmt.Errorf("incomplete execution %s is already resolved", id)
		}
		if err := s.waiting(ctx, q, ie); err != nil {
			return err // a call waiting for the called scenario's incomplete execution
		}
		prev = ie.Status
		ie.Status, ie.UpdatedAt = weft.IncompleteInProgress, s.now()
		return q.UpdateIncomplete(ctx, ie)
	}
	err := s.st.InTx(ctx, claim)
	for errors.Is(err, errRunInProgress) {
		if err = sleep(ctx, sharedWait); err == nil {
			err = s.st.InTx(ctx, claim)
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("retry %s: %w", id, err)
	}
	s.gate.enterRetry(ie.ScenarioID)
	res, err := s.attemptWith(ctx, ie, true, prev, sup)
	if err != nil {
		return res, nil, err
	}
	after, err := s.st.GetIncomplete(ctx, id)
	return res, after, err
}

// Retry schedules the selected incomplete executions for a retry now: the worker runs
// them (at most RetriesPerScenario of a scenario at once). Returns how many.
func (s *Service) Retry(ctx context.Context, sel store.Selection) (int, error) {
	if err := checkSelection(sel); err != nil {
		return 0, err
	}
	var n int
	err := s.st.InTx(ctx, func(q store.Queries) error {
		if err := unknownIDs(ctx, q, sel); err != nil {
			return err
		}
		var err error
		n, err = q.Requeue(ctx, sel, s.now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("queue retries: %w", err)
	}
	s.notify()
	return n, nil
}

// unknownIDs refuses a selection by ids that names incomplete executions which do not
// exist (or belong to another scenario than the one given), so a mistyped id is named
// instead of silently ignored, and nothing of the selection is done.
func unknownIDs(ctx context.Context, q store.Queries, sel store.Selection) error {
	if len(sel.IDs) == 0 || sel.All {
		return nil
	}
	uniq := make(map[string]bool, len(sel.IDs))
	for _, id := range sel.IDs {
		uniq[id] = true
	}
	var unknown []string
	for _, id := range sel.IDs {
		if !uniq[id] {
			continue
		}
		delete(uniq, id)
		ie, err := q.GetIncomplete(ctx, id)
		switch {
		case isNotFound(err):
			unknown = append(unknown, id)
		case err != nil:
			return err
		case sel.ScenarioID != 0 && ie.ScenarioID != sel.ScenarioID:
			unknown = append(unknown, id+" (of scenario "+strconv.FormatInt(ie.ScenarioID, 10)+")")
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	what := "no incomplete execution " + strings.Join(unknown, ", ")
	if sel.ScenarioID != 0 {
		what += " in scenario " + strconv.FormatInt(sel.ScenarioID, 10)
	}
	return fmt.Errorf("%w: %s; nothing was done", store.ErrNotFound, what)
}

// Delete deletes the selected incomplete executions (not those being retried right
// now). Deleting all of a scenario's needs confirmed (SPEC §5.4).
func (s *Service) Delete(ctx context.Context, sel store.Selection, confirmed bool) (int, error) {
	if err := checkSelection(sel); err != nil {
		return 0, err
	}
	if sel.All && !confirmed {
		return 0, fmt.Errorf("deleting all incomplete executions of scenario %d needs an explicit confirmation", sel.ScenarioID)
	}
	var n int
	err := s.st.InTx(ctx, func(q store.Queries) error {
		if err := unknownIDs(ctx, q, sel); err != nil {
			return err
		}
		var err error
		n, err = q.DeleteIncomplete(ctx, sel)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete incomplete executions: %w", err)
	}
	if err := s.unpause(ctx, sel.ScenarioID); err != nil {
		return n, err
	}
	return n, nil
}

func checkSelection(sel store.Selection) error {
	switch {
	case len(sel.IDs) > 0 && sel.All:
		return errors.New("select incomplete executions by id or all of a scenario, not both")
	case sel.All && sel.ScenarioID == 0:
		return errors.New("selecting all incomplete executions needs a scenario")
	case !sel.All && len(sel.IDs) == 0:
		return errors.New("no incomplete execution selected")
	case len(sel.Except) > 0 && !sel.All:
		return errors.New("except only applies to all of a scenario's incomplete executions")
	}
	return nil
}

// unpause lifts a scenario's pause once no unresolved incomplete execution that needs a
// person's fix of configuration or credentials is left (SPEC §3.4).
func (s *Service) unpause(ctx context.Context, scenarioID int64) error {
	if scenarioID == 0 {
		return nil
	}
	return s.st.InTx(ctx, func(q store.Queries) error { return s.unpauseTx(ctx, q, scenarioID) })
}

func (s *Service) unpauseTx(ctx context.Context, q store.Queries, scenarioID int64) error {
	sc, err := q.GetScenario(ctx, scenarioID)
	if err != nil || sc.Paused == "" {
		return err
	}
	open := []weft.IncompleteStatus{weft.IncompleteUnresolved, weft.IncompletePending, weft.IncompleteInProgress}
	for _, t := range []weft.ErrorType{weft.InvalidConfigurationError, weft.InvalidAccessTokenError} {
		n, err := q.CountIncomplete(ctx, store.IncompleteFilter{ScenarioID: scenarioID, Status: open, ErrorType: t})
		if err != nil || n > 0 {
			return err
		}
	}
	sc.Paused, sc.UpdatedAt = "", s.now()
	return q.UpdateScenario(ctx, sc)
}

// attempt runs one retry of ie, already marked in progress and counted in the gate,
// and records its outcome. prev is the status to return to if the attempt is
// interrupted (shutdown).
func (s *Service) attempt(ctx context.Context, ie *weft.Incomplete, manual bool, prev weft.IncompleteStatus) (*RunResult, error) {
	return s.attemptWith(ctx, ie, manual, prev, nil)
}

// attemptWith is attempt; with sup the failing module does not run and sup's output
// continues the run (MarkDone).
func (s *Service) attemptWith(ctx context.Context, ie *weft.Incomplete, manual bool, prev weft.IncompleteStatus, sup *supply) (*RunResult, error) {
	defer s.gate.leaveRetry(ie.ScenarioID)
	if err := s.waiting(ctx, s.st, ie); err != nil {
		// A bulk retry of a call that waits for the called scenario's incomplete
		// execution: nothing runs; it waits on (subscenario.go).
		s.handBack(ie.ID, weft.IncompleteUnresolved)
		return nil, err
	}
	manual = manual || ie.ManualRetry // a bulk retry a person asked for, run by the worker
	execID := s.cfg.NewID()
	now := s.now()
	ex := &weft.Execution{ID: execID, ScenarioID: ie.ScenarioID, Version: ie.Version, Kind: weft.KindRetry,
		Trigger: weft.TriggerRetry, Status: weft.ExecutionRunning, IncompleteID: ie.ID, StartedAt: now}
	// N zero: the store numbers it after the last attempt. ie.Attempts does not count
	// interrupted attempts, so Attempts+1 may already be taken after a crash.
	att := &weft.Attempt{IncompleteID: ie.ID, Manual: manual, StartedAt: now, ExecutionID: execID}
	err := s.st.InTx(ctx, func(q store.Queries) error {
		if err := q.CreateExecution(ctx, ex); err != nil {
			return err
		}
		return q.AddAttempt(ctx, att)
	})
	if err != nil {
		// Nothing ran: hand the incomplete execution back as it was.
		s.handBack(ie.ID, prev)
		return nil, fmt.Errorf("record attempt of %s: %w", ie.ID, err)
	}
	sc, err := s.st.GetScenario(ctx, ie.ScenarioID)
	if err != nil {
		if ctx.Err() != nil {
			// Stopped (SIGTERM) between the attempt's record and its run: nothing ran, so
			// the attempt is interrupted, not failed — recording the cancelled read as its
			// outcome would count it and leave the incomplete execution unresolved with a
			// RuntimeError in place of its own error (the crash test's rare failure).
			s.interruptAttempt(ex, att, ie.ID, prev)
			return nil, fmt.Errorf("retry %s: %w", ie.ID, ctx.Err())
		}
		return nil, s.failAttempt(ex, att, ie.ID, &engine.RunError{Type: weft.RuntimeError, Message: err.Error()})
	}
	plan, err := s.plan(ie.Blueprint)
	if err != nil {
		return nil, s.failAttempt(ex, att, ie.ID, &engine.RunError{Type: weft.InvalidConfigurationError,
			Message: "the incomplete execution's blueprint cannot run: " + err.Error(), ModuleID: ie.FailedModuleID})
	}
	state, err := decodeState(ie)
	if err != nil {
		return nil, s.failAttempt(ex, att, ie.ID, &engine.RunError{Type: weft.RuntimeError, Message: err.Error()})
	}
	returned, supplied := s.supplied(ctx, ie, state) // a waiting call whose called scenario returned
	var note string
	var from int
	called := ie.BreakerKey // the connection or host the attempt calls again
	if sup != nil && sup.supplied {
		called = "" // nothing is called: the attempt says nothing about the service
		returned, supplied, note = sup.output, true, sup.note
	}
	if sup != nil {
		from = sup.from
	}
	res, err := s.eng.Resume(ctx, plan, state, engine.ResumeInput{ExecutionID: execID,
		Scenario: engine.ScenarioInfo{ID: fmt.Sprint(sc.ID), Name: sc.Name}, Inputs: state.Inputs, Caller: state.Caller,
		Supplied: supplied, Output: returned, Note: note, From: from})
	if err != nil {
		return nil, s.failAttempt(ex, att, ie.ID, &engine.RunError{Type: weft.InvalidConfigurationError, Message: err.Error()})
	}
	if ctx.Err() != nil {
		s.interruptAttempt(ex, att, ie.ID, prev)
		return nil, ctx.Err()
	}
	out := &RunResult{Scenario: sc, Execution: ex, Result: res}
	before := *sc
	endAt := s.now()
	startedEx, startedAtt := *ex, *att
	// record writes the attempt's outcome. When that fails it is owed and made again
	// later, the same (owed.go): the attempt has happened and is not run again. Each try
	// starts from the execution and attempt as recorded at the attempt's start.
	record := func(q store.Queries) error {
		ctx := context.WithoutCancel(ctx)
		*ex, *att = startedEx, startedAtt
		// The scenario first, then the incomplete execution: the order a run's end
		// takes them in, so two transactions locking rows (a shared store) never wait
		// for each other in a circle.
		sc, err := q.GetScenario(ctx, ie.ScenarioID)
		if err != nil {
			return err
		}
		cur, err := q.GetIncomplete(ctx, ie.ID)
		if err != nil {
			return err
		}
		now := endAt
		finishExecution(ex, res, now)
		att.FinishedAt = &now
		cur.Attempts++
		if !manual {
			cur.AutoAttempts++
		}
		cur.ManualRetry = false
		cur.UpdatedAt = now
		var rest []*engine.Incomplete
		cur.OutcomeUnknown = false // the latest failure's, set again below when it is unknown
		switch {
		case len(res.Incomplete) > 0:
			// The continuation failed again (here or further on): the incomplete
			// execution moves to where it failed now, keeping what ran.
			first := res.Incomplete[0]
			rest = res.Incomplete[1:]
			if cur.State, err = movedState(cur.State, first); err != nil {
				return err
			}
			cur.FailedModuleID = first.ModuleID
			cur.SizeBytes = int64(len(cur.State) + len(cur.Blueprint))
			s.applyError(cur, first, now)
			if first.Waits != nil { // now a call waiting for a called scenario (subscenario.go)
				if err := s.linkWaiter(ctx, q, cur, first.Waits, now); err != nil {
					return err
				}
			}
			att.Outcome, att.ErrorType, att.ErrorMessage = weft.AttemptFailed, first.Error.Type, first.Error.Message
		case res.Status == weft.StatusError:
			e := res.Error
			if e == nil {
				e = &engine.RunError{Type: weft.RuntimeError, Message: "the run failed"}
			}
			if f := res.Failed; f != nil {
				// It failed for good further on: the incomplete execution moves there with
				// the outputs of the modules that succeeded, so they are not called again.
				if cur.State, err = movedState(cur.State, f); err != nil {
					return err
				}
				cur.FailedModuleID = f.ModuleID
				cur.BreakerKey = f.BreakerKey
				cur.SizeBytes = int64(len(cur.State) + len(cur.Blueprint))
				cur.ErrorDetails = nil
				if f.Error != nil && len(f.Error.Details) > 0 {
					cur.ErrorDetails = map[string]any(f.Error.Details)
				}
			}
			cur.ErrorType, cur.ErrorMessage = e.Type, e.Message
			cur.Status, cur.NextAttemptAt = weft.IncompleteUnresolved, nil
			att.Outcome, att.ErrorType, att.ErrorMessage = weft.AttemptFailed, e.Type, e.Message
		default:
			cur.Status, cur.NextAttemptAt, cur.ResolvedAt = weft.IncompleteResolved, nil, &now
			att.Outcome = weft.AttemptResolved
			// A call waiting for this one continues with its outputs (subscenario.go).
			if err := s.returnToWaiter(ctx, q, cur, res, now); err != nil {
				return err
			}
		}
		var retryAfter time.Duration
		if len(res.Incomplete) > 0 {
			retryAfter = retryAfterOf(res.Incomplete[0])
		}
		if err := q.UpdateIncomplete(ctx, cur); err != nil {
			return err
		}
		if err := s.settleBreaker(ctx, q, called, cur, len(res.Incomplete) > 0, retryAfter, now); err != nil {
			return err
		}
		if err := q.UpdateAttempt(ctx, att); err != nil {
			return err
		}
		if err := q.UpdateExecution(ctx, ex); err != nil {
			return err
		}
		more, discarded, err := s.storeIncompletes(ctx, q, sc, plan.Settings.DataLoss, plan.Settings.Confidential,
			cur.Blueprint, cur.Version, execID, rest)
		if err != nil {
			return err
		}
		out.Incomplete, out.Discarded = more, discarded
		out.Scenario = sc
		if discarded > 0 {
			noteDiscarded(ex, discarded)
			if err := q.UpdateExecution(ctx, ex); err != nil {
				return err
			}
		}
		if cur.ErrorType == weft.InvalidConfigurationError || cur.ErrorType == weft.InvalidAccessTokenError {
			if cur.Status != weft.IncompleteResolved && sc.Paused == "" {
				sc.Paused = fmt.Sprintf("incomplete execution %s has an %s that needs a person", cur.ID, cur.ErrorType)
			}
		}
		return q.UpdateScenario(ctx, sc)
	}
	if err = s.st.InTx(context.WithoutCancel(ctx), record); err != nil {
		// The caller gets a copy: the owed write goes on filling ex and out.
		ended, told := *ex, *out
		told.Execution = &ended
		s.owe(&owedWrite{what: "the end of attempt " + execID + " of incomplete execution " + ie.ID,
			scenario: ie.ScenarioID, running: execID,
			write: func(ctx context.Context, q store.Queries) (func(), error) {
				if err := record(q); err != nil {
					return nil, err
				}
				return func() { s.afterAttempt(ctx, out, before, ie.ScenarioID) }, nil
			}}, err)
		return &told, fmt.Errorf("record attempt of %s (weft writes it again once the store accepts writes): %w", ie.ID, err)
	}
	return out, s.afterAttempt(ctx, out, before, ie.ScenarioID)
}

// afterAttempt lifts the scenario's pause if nothing needs a person any more, tells the
// observer about a recorded attempt, and wakes the worker. The pause is lifted first, so
// an observer told that the last blocking incomplete execution resolved finds the
// scenario running again.
func (s *Service) afterAttempt(ctx context.Context, out *RunResult, before weft.Scenario, scenarioID int64) error {
	defer s.notify()
	uerr := s.unpause(context.WithoutCancel(ctx), scenarioID)
	s.observeRun(out, before.Active, before.Paused)
	if err := uerr; err != nil {
		// Left paused, the scenario would wait for a person with nothing to fix.
		s.oweTx(fmt.Sprintf("the end of scenario %d's pause", scenarioID), scenarioID, err,
			func(ctx context.Context, q store.Queries) error { return s.unpauseTx(ctx, q, scenarioID) })
		return fmt.Errorf("lift the pause of scenario %d (weft writes it again once the store accepts writes): %w", scenarioID, err)
	}
	return nil
}

// failAttempt records an attempt that could not even start running (its blueprint no
// longer compiles, its state cannot be read): the incomplete execution waits for a
// person.
func (s *Service) failAttempt(ex *weft.Execution, att *weft.Attempt, id string, e *engine.RunError) error {
	ctx := context.Background()
	now := s.now()
	fail := func(ctx context.Context, q store.Queries) error {
		ex.Status, ex.ErrorType, ex.ErrorMsg, ex.ErrorModule, ex.FinishedAt = weft.ExecutionError, e.Type, e.Message, e.ModuleID, &now
		if err := q.UpdateExecution(ctx, ex); err != nil {
			return err
		}
		att.FinishedAt, att.Outcome, att.ErrorType, att.ErrorMessage = &now, weft.AttemptFailed, e.Type, e.Message
		if err := q.UpdateAttempt(ctx, att); err != nil {
			return err
		}
		cur, err := q.GetIncomplete(ctx, id)
		if err != nil {
			return err
		}
		cur.Attempts++
		if !att.Manual {
			cur.AutoAttempts++
		}
		cur.ManualRetry = false
		cur.Status, cur.NextAttemptAt, cur.UpdatedAt = weft.IncompleteUnresolved, nil, now
		cur.ErrorType, cur.ErrorMessage = e.Type, e.Message
		return q.UpdateIncomplete(ctx, cur)
	}
	if err := s.st.InTx(ctx, func(q store.Queries) error { return fail(ctx, q) }); err != nil {
		s.oweAttemptEnd(ex, id, fail, err)
		return fmt.Errorf("record failed attempt of %s (weft writes it again once the store accepts writes): %w", id, err)
	}
	return fmt.Errorf("incomplete execution %s: %s", id, e.Message)
}

// interruptAttempt records an attempt cut short by shutdown: it does not count, and the
// incomplete execution goes back to where it was (pending ones are due at once).
func (s *Service) interruptAttempt(ex *weft.Execution, att *weft.Attempt, id string, prev weft.IncompleteStatus) {
	ctx := context.Background()
	now := s.now()
	interrupt := func(ctx context.Context, q store.Queries) error {
		ex.Status, ex.ErrorType, ex.ErrorMsg, ex.FinishedAt = weft.ExecutionError, weft.RuntimeError, "interrupted: weft stopped during this attempt", &now
		if err := q.UpdateExecution(ctx, ex); err != nil {
			return err
		}
		att.FinishedAt, att.Outcome = &now, weft.AttemptInterrupted
		if err := q.UpdateAttempt(ctx, att); err != nil {
			return err
		}
		return s.handBackTx(ctx, q, id, prev, now)
	}
	if err := s.st.InTx(ctx, func(q store.Queries) error { return interrupt(ctx, q) }); err != nil {
		s.oweAttemptEnd(ex, id, interrupt, err)
	}
}

// oweAttemptEnd keeps the end of an attempt that could not be written (owed.go).
func (s *Service) oweAttemptEnd(ex *weft.Execution, id string, end func(context.Context, store.Queries) error, cause error) {
	s.oweTxRunning(fmt.Sprintf("the end of attempt %s of incomplete execution %s", ex.ID, id), ex.ScenarioID, ex.ID, cause, end)
}

// handBack returns an incomplete execution claimed for an attempt that never started
// to prev; when that write fails it is owed (owed.go), so it is not left in progress.
func (s *Service) handBack(id string, prev weft.IncompleteStatus) {
	ctx := context.Background()
	hand := func(ctx context.Context, q store.Queries) error { return s.handBackTx(ctx, q, id, prev, s.now()) }
	if err := s.st.InTx(ctx, func(q store.Queries) error { return hand(ctx, q) }); err != nil {
		s.oweTx("the hand-back of incomplete execution "+id, 0, err, hand)
	}
}

func (s *Service) handBackTx(ctx context.Context, q store.Queries, id string, prev weft.IncompleteStatus, now time.Time) error {
	cur, err := q.GetIncomplete(ctx, id)
	if err != nil {
		return err
	}
	if cur.Status != weft.IncompleteInProgress {
		return nil
	}
	cur.Status, cur.UpdatedAt = prev, now
	if prev == weft.IncompletePending {
		cur.NextAttemptAt = &now
	}
	return q.UpdateIncomplete(ctx, cur)
}
