package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// RunResult is a finished, recorded run.
type RunResult struct {
	Scenario  *weft.Scenario
	Execution *weft.Execution
	Result    *engine.Result
	// Incomplete are the incomplete executions stored by this run (or by this attempt,
	// beyond the one it retried).
	Incomplete []*weft.Incomplete
	// Discarded counts incomplete executions dropped because storage was full and the
	// scenario allows data loss (SPEC §5.6).
	Discarded int
}

// Run runs a scenario's current version once with the given trigger bundles and
// records it. It is refused (ErrBusy) for a sequential scenario that has unresolved or
// pending incomplete executions (SPEC §5.5).
func (s *Service) Run(ctx context.Context, scenarioID int64, trigger []weft.Bundle) (*RunResult, error) {
	return s.run(ctx, scenarioID, trigger, 0, "")
}

// run carries out one run of one cycle; queueID/execID are set when it consumes a
// queued payload.
func (s *Service) run(ctx context.Context, scenarioID int64, trigger []weft.Bundle, queueID int64, execID string) (*RunResult, error) {
	var queueIDs []int64
	if queueID != 0 {
		queueIDs = []int64{queueID}
	}
	return s.runCycles(ctx, scenarioID, nil, [][]weft.Bundle{trigger}, nil, queueIDs, execID)
}

// runCycles carries out one run whose trigger emits cycles[i] in cycle i+1. When it
// consumes queued payloads, queueIDs[i] is the one of cycle i+1, all claimed by execID,
// and stored[i] its stored form (nil: the run's input is encoded from the bundles).
// sc, when given, is the scenario as the caller just read it (saves a read per run on
// the webhook path); the run's end rereads it in its transaction anyway.
func (s *Service) runCycles(ctx context.Context, scenarioID int64, sc *weft.Scenario, cycles [][]weft.Bundle, stored [][]byte, queueIDs []int64, execID string) (_ *RunResult, err error) {
	recorded := false
	var queueID int64 // the first payload: the execution record names it for Recover
	if len(queueIDs) > 0 {
		queueID = queueIDs[0]
		defer func() {
			// Queued payloads whose run could not even be recorded go back to the queue
			// (unless weft is stopping: Recover releases them at the next start).
			if err != nil && !recorded && ctx.Err() == nil {
				s.releaseQueued(context.WithoutCancel(ctx), scenarioID, queueIDs)
			}
		}()
	}
	if sc == nil {
		if sc, err = s.st.GetScenario(ctx, scenarioID); err != nil {
			return nil, scenarioErr(scenarioID, err)
		}
	}
	plan, bp, err := s.versionPlan(ctx, sc)
	if err != nil {
		if bp == nil {
			return nil, err
		}
		if queueID != 0 {
			s.refuseQueued(ctx, sc.ID, queueIDs, err)
			recorded = true // refuseQueued handed the payloads back
		}
		return nil, fmt.Errorf("scenario %d cannot run: %w", sc.ID, err)
	}
	if plan.Settings.Sequential && queueID == 0 {
		n, err := s.st.CountIncomplete(ctx, store.IncompleteFilter{ScenarioID: sc.ID,
			Status: []weft.IncompleteStatus{weft.IncompleteUnresolved, weft.IncompletePending, weft.IncompleteInProgress}})
		if err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, fmt.Errorf("%w: scenario %d processes sequentially and has %d incomplete execution(s) to resolve first", ErrBusy, sc.ID, n)
		}
		if s.owesScenario(sc.ID) {
			// Its last run's end (and the incomplete executions it may store) is not
			// written yet (owed.go).
			return nil, fmt.Errorf("%w: scenario %d processes sequentially and the end of an earlier run is still to be written", ErrBusy, sc.ID)
		}
	}
	s.gate.enterRun(sc.ID)
	defer s.gate.leaveRun(sc.ID)
	pr, pollDone, err := s.startPoll(ctx, sc, plan) // polling triggers: service/poll.go
	if err != nil {
		return nil, err
	}
	defer pollDone()

	input, err := triggerInput(cycles, stored)
	if err != nil {
		return nil, fmt.Errorf("trigger input: %w", err)
	}
	if execID == "" {
		execID = s.cfg.NewID()
	}
	ex := &weft.Execution{ID: execID, ScenarioID: sc.ID, Version: sc.Version, Kind: weft.KindRun,
		Status: weft.ExecutionRunning, Input: input, QueueItemID: queueID, StartedAt: s.now()}
	call := childCallOf(ctx) // a sub-scenario run (subscenario.go), or nil
	call.link(ex)
	ex.Trigger = startedBy(ctx, ex) // startedby.go
	// Written (fsync'd) before the run starts: a crash from here on leaves a running
	// execution that Recover finds, with its input. A shared store checks, in the same
	// step, what the gate checks in one process (cluster.go).
	checks := startChecks{sequential: plan.Settings.Sequential && queueID != 0, alone: pr != nil}
	if err := s.startExecution(ctx, ex, checks); err != nil {
		if errors.Is(err, ErrBusy) {
			return nil, err
		}
		return nil, fmt.Errorf("record execution: %w", err)
	}
	recorded = true
	pr.refresh(ctx, s, sc)
	in := call.input(engine.Input{Trigger: cycles, ExecutionID: execID,
		Scenario: engine.ScenarioInfo{ID: fmt.Sprint(sc.ID), Name: sc.Name}, Origins: queueOrigins(sc, queueIDs)})
	pr.input(&in, sc)
	res, err := s.eng.Run(ctx, plan, in)
	if err != nil {
		return nil, err
	}
	out := &RunResult{Scenario: sc, Execution: ex, Result: res}
	if ctx.Err() != nil {
		// Stopped from outside (shutdown, Ctrl-C): the run did not end on its own, so it
		// neither counts as an error nor deactivates anything. It stays "running" in the
		// store; Recover hands it back (queued payload) or keeps it as an incomplete
		// execution (direct run) when weft starts again.
		return out, fmt.Errorf("execution %s interrupted: %w (it is recovered when weft starts again)", execID, ctx.Err())
	}
	wasActive, wasPaused := sc.Active, sc.Paused
	endAt := s.now()
	// A run that succeeded and stored nothing changes its scenario only if the scenario
	// counts earlier errors: otherwise the end leaves the scenario row alone, read
	// before the transaction. A store several processes share locks the row a
	// transaction reads (a read-modify-write is one step), and every run of a busy
	// scenario would wait for the one before it to commit.
	var quiet *weft.Scenario
	if res.Status != weft.StatusError && len(res.Incomplete) == 0 && s.shared != nil {
		if cur, err := s.st.GetScenario(context.WithoutCancel(ctx), sc.ID); err == nil && cur.ConsecutiveErrors == 0 && (cur.Active || cur.NextRunAt == nil) {
			quiet = cur
		}
	}
	// recordEnd writes the run's end into ex and out. When the write fails it is owed
	// and made again later, the same (owed.go): the run has happened.
	recordEnd := func(ctx context.Context, q store.Queries, ex *weft.Execution, out *RunResult, wasActive *bool, wasPaused *string) error {
		out.Incomplete, out.Discarded = nil, 0
		sc := quiet
		if sc == nil {
			var err error
			if sc, err = q.GetScenario(ctx, scenarioID); err != nil {
				return err
			}
		} else {
			cp := *sc
			sc = &cp
		}
		*wasActive, *wasPaused = sc.Active, sc.Paused
		out.Scenario = sc
		ies, discarded, err := s.storeIncompletes(ctx, q, sc, plan.Settings.DataLoss, plan.Settings.Confidential, bp, sc.Version, execID, res.Incomplete)
		if err != nil {
			return err
		}
		out.Incomplete, out.Discarded = ies, discarded
		finishExecution(ex, res, endAt)
		noteDiscarded(ex, discarded)
		if err := q.UpdateExecution(ctx, ex); err != nil {
			return err
		}
		s.consequences(sc, res, ies, plan.Settings.MaxErrors)
		if quiet == nil {
			if err := q.UpdateScenario(ctx, sc); err != nil {
				return err
			}
		}
		if err := pr.commit(ctx, s, q, sc, res); err != nil {
			return err
		}
		return settleQueued(ctx, q, queueIDs, res, sc.Instant, execID, endAt)
	}
	started := *ex // as recorded at its start: a later try of the end begins from it
	bg := context.WithoutCancel(ctx)
	err = s.st.InTx(bg, func(q store.Queries) error { return recordEnd(bg, q, ex, out, &wasActive, &wasPaused) })
	if err != nil {
		// The run happened but its end could not be recorded (disk full…): the same end
		// is owed and written once the store takes writes again, without running
		// anything twice. The execution stays "running" (its payload claimed) until
		// then; if weft stops first, Recover handles it at the next start.
		s.oweRunEnd(sc.ID, started, res, recordEnd, err)
		return out, fmt.Errorf("record the end of execution %s (weft writes it again once the store accepts writes): %w", execID, err)
	}
	s.observeRun(out, wasActive, wasPaused)
	if len(out.Incomplete) > 0 {
		s.notify()
	}
	return out, nil
}

// queueOrigins names each queued payload for idempotency keys (engine.Input.Origins)
// by what stays the same when it runs again after a crash: its scenario and queue id.
// The scenario's creation time keeps keys apart across databases (a restored or new
// data folder numbers scenarios and payloads from 1 again).
func queueOrigins(sc *weft.Scenario, queueIDs []int64) []string {
	if len(queueIDs) == 0 {
		return nil
	}
	out := make([]string, len(queueIDs))
	for i, id := range queueIDs {
		out[i] = fmt.Sprintf("queue/%d/%d/%d", sc.ID, sc.CreatedAt.UnixMicro(), id)
	}
	return out
}

// oweRunEnd keeps a run's end that could not be written (owed.go). Each try works on a
// copy of the execution as it started (the caller keeps its own).
func (s *Service) oweRunEnd(scenarioID int64, started weft.Execution, res *engine.Result,
	recordEnd func(context.Context, store.Queries, *weft.Execution, *RunResult, *bool, *string) error, cause error) {
	s.owe(&owedWrite{what: "the end of execution " + started.ID, scenario: scenarioID, running: started.ID,
		write: func(ctx context.Context, q store.Queries) (func(), error) {
			ex := started
			out := &RunResult{Execution: &ex, Result: res}
			var wasActive bool
			var wasPaused string
			if err := recordEnd(ctx, q, &ex, out, &wasActive, &wasPaused); err != nil {
				return nil, err
			}
			return func() {
				s.observeRun(out, wasActive, wasPaused)
				s.notify()
			}, nil
		}}, cause)
}

// releaseQueued hands back queued payloads whose run was never recorded; when that
// write fails too it is owed (owed.go), so the claims do not hold the queue.
func (s *Service) releaseQueued(ctx context.Context, scenarioID int64, ids []int64) {
	release := func(ctx context.Context, q store.Queries) error {
		for _, id := range ids {
			if err := q.ReleaseQueued(ctx, id); err != nil && !isNotFound(err) {
				return err
			}
		}
		return nil
	}
	if err := s.st.InTx(ctx, func(q store.Queries) error { return release(ctx, q) }); err != nil {
		s.oweTx(fmt.Sprintf("the hand-back of queued payload(s) %v of scenario %d", ids, scenarioID), scenarioID, err, release)
		return
	}
	s.notify() // the worker runs them
}

// observeRun tells the observer what a recorded run did.
func (s *Service) observeRun(out *RunResult, wasActive bool, wasPaused string) {
	o := s.cfg.Observer
	o.RunFinished(out.Scenario, out.Execution, out.Result)
	s.events.finished(out)
	for _, ie := range out.Incomplete {
		o.IncompleteStored(out.Scenario, ie)
	}
	if wasActive && !out.Scenario.Active {
		o.ScenarioDeactivated(out.Scenario, out.Scenario.Deactivated)
		s.events.deactivated(out.Scenario, false, out.Scenario.Deactivated)
	} else if wasPaused == "" && out.Scenario.Paused != "" {
		o.ScenarioDeactivated(out.Scenario, out.Scenario.Paused)
		s.events.deactivated(out.Scenario, true, out.Scenario.Paused)
	}
}

// settleQueued deletes the queued payloads a run consumed and hands back those it did
// not: the payloads of cycles that never ran (a Commit or Rollback directive or an
// error stopped the run early). The payload of the cycle that ended an instant
// trigger's run in error — the run that deactivates the scenario (SPEC §3.4) — is set
// aside as dead with the run's error: put back at the head of the queue, as Make does
// on a rollback, it would run first after every reactivation, fail the same way and
// deactivate the scenario again, and the payloads behind it would never run. A person
// retries (re-queues) or deletes it (docs/incomplete-executions.md).
func settleQueued(ctx context.Context, q store.Queries, queueIDs []int64, res *engine.Result, instant bool, execID string, now time.Time) error {
	ran := len(queueIDs)
	if n := cyclesRun(res); n > 0 && n < ran {
		ran = n
	}
	for i, id := range queueIDs {
		var err error
		switch {
		case i >= ran:
			err = q.ReleaseQueued(ctx, id)
		case i == ran-1 && res.Status == weft.StatusError && instant:
			f := weft.QueueFailure{At: now, ExecutionID: execID, ErrorType: weft.RuntimeError, ErrorMessage: "the run ended in error"}
			if e := res.Error; e != nil {
				f.ErrorType, f.ErrorMessage, f.ModuleID = e.Type, e.Message, e.ModuleID
			}
			err = q.SetAsideQueued(ctx, id, f)
		default:
			err = q.DeleteQueued(ctx, id)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// cyclesRun is the number of cycles a run started (0 when its log does not say): the
// trigger is logged once per cycle.
func cyclesRun(res *engine.Result) int {
	n := 0
	for i := range res.Log {
		n = max(n, res.Log[i].Cycle)
	}
	return n
}

// finishExecution copies a run's outcome into its execution record.
func finishExecution(ex *weft.Execution, res *engine.Result, now time.Time) {
	ex.Status = weft.ExecutionStatus(res.Status)
	ex.Operations = res.Operations
	if res.Error != nil {
		ex.ErrorType, ex.ErrorMsg, ex.ErrorModule = res.Error.Type, res.Error.Message, res.Error.ModuleID
	}
	if log, err := encodeLog(res.Log); err == nil {
		ex.Log = log
	}
	if res.Response != nil {
		ex.Response, _ = json.Marshal(res.Response)
	}
	ex.Input = nil
	ex.FinishedAt = &now
}

// noteDiscarded records on the execution that incomplete executions it produced were
// not kept (storage full and the scenario allows data loss, SPEC §5.6): the bundles
// they held are gone, and the execution is the only trace of them.
func noteDiscarded(ex *weft.Execution, discarded int) {
	if discarded == 0 {
		return
	}
	note := fmt.Sprintf("%d incomplete execution(s) discarded: incomplete-execution storage is full and the scenario allows data loss", discarded)
	if ex.ErrorMsg != "" {
		note = ex.ErrorMsg + "; " + note
	}
	ex.ErrorMsg = note
}

// consequences applies SPEC §3.4 to the scenario after a run: consecutive errors,
// deactivation (at once for instant triggers), pausing for errors only a person fixes.
func (s *Service) consequences(sc *weft.Scenario, res *engine.Result, stored []*weft.Incomplete, max int) {
	sc.UpdatedAt = s.now()
	if max <= 0 {
		max = 3
	}
	if res.Status == weft.StatusError {
		sc.ConsecutiveErrors++
		switch {
		case sc.Instant && sc.Active:
			sc.Active, sc.Deactivated = false, "an instant trigger's run ended in error: "+errText(res.Error)
		case sc.Active && sc.ConsecutiveErrors >= max:
			sc.Active, sc.Deactivated = false, fmt.Sprintf("%d consecutive runs ended in error; the last: %s", sc.ConsecutiveErrors, errText(res.Error))
		}
	} else {
		sc.ConsecutiveErrors = 0
	}
	if !sc.Active {
		sc.NextRunAt = nil // an inactive scenario has no next scheduled run
	}
	for _, ie := range stored {
		if ie.ErrorType == weft.InvalidConfigurationError || ie.ErrorType == weft.InvalidAccessTokenError {
			sc.Paused = fmt.Sprintf("incomplete execution %s has an %s that needs a person", ie.ID, ie.ErrorType)
		}
	}
}

func errText(e *engine.RunError) string {
	if e == nil {
		return "no error recorded"
	}
	return fmt.Sprintf("%s at module %d: %s", e.Type, e.ModuleID, e.Message)
}

// storeIncompletes turns the engine's incomplete executions into stored ones, within
// the storage limits (SPEC §5.6): over a limit, dataloss discards the new one;
// without dataloss it is kept and the scenario deactivated, so nothing already
// accepted is lost and no more arrive.
func (s *Service) storeIncompletes(ctx context.Context, q store.Queries, sc *weft.Scenario, dataloss, confidential bool,
	bp []byte, version int, execID string, ies []*engine.Incomplete) (stored []*weft.Incomplete, discarded int, err error) {
	if len(ies) == 0 {
		return nil, 0, nil
	}
	scBytes, total, err := q.IncompleteBytes(ctx, sc.ID)
	if err != nil {
		return nil, 0, err
	}
	now := s.now()
	for _, e := range ies {
		ie, err := s.newIncomplete(sc.ID, execID, version, bp, e, confidential, now)
		if err != nil {
			return nil, 0, err
		}
		if scBytes+ie.SizeBytes > s.cfg.MaxScenarioBytes || total+ie.SizeBytes > s.cfg.MaxTotalBytes {
			if dataloss {
				discarded++
				s.log.Warn("incomplete execution discarded: storage limit reached and the scenario allows data loss",
					"scenario", sc.ID, "execution", execID, "module", e.ModuleID)
				continue
			}
			if sc.Active {
				sc.Active = false
				sc.Deactivated = "incomplete-execution storage is full (SPEC §5.6); resolve or delete some, then reactivate"
			}
		}
		if e.Waits != nil {
			// A call waiting for the called scenario's incomplete execution (subscenario.go).
			if err := s.linkWaiter(ctx, q, ie, e.Waits, now); err != nil {
				return nil, 0, err
			}
		}
		if err := q.CreateIncomplete(ctx, ie); err != nil {
			return nil, 0, err
		}
		if err := s.tripTx(ctx, q, ie, "", retryAfterOf(e), now); err != nil {
			return nil, 0, err
		}
		scBytes += ie.SizeBytes
		total += ie.SizeBytes
		stored = append(stored, ie)
	}
	return stored, discarded, nil
}

// newIncomplete builds the stored form of an engine incomplete execution.
func (s *Service) newIncomplete(scenarioID int64, execID string, version int, bp []byte, e *engine.Incomplete, confidential bool, now time.Time) (*weft.Incomplete, error) {
	state, err := encodeState(e)
	if err != nil {
		return nil, err
	}
	ie := &weft.Incomplete{ID: s.cfg.NewID(), ScenarioID: scenarioID, ExecutionID: execID, Version: version,
		Blueprint: bp, FailedModuleID: e.ModuleID, State: state, Confidential: confidential,
		CreatedAt: now, UpdatedAt: now}
	ie.SizeBytes = int64(len(state) + len(bp))
	s.applyError(ie, e, now)
	return ie, nil
}

// applyError sets the error of the latest failure and schedules the next automatic
// attempt (SPEC §5.3), or leaves the incomplete execution to a person.
func (s *Service) applyError(ie *weft.Incomplete, e *engine.Incomplete, now time.Time) {
	we := e.Error
	if we == nil {
		we = &weft.Error{Type: weft.RuntimeError, Message: "unknown error"}
	}
	ie.ErrorType, ie.ErrorMessage = we.Type, we.Message
	ie.ErrorDetails = nil
	if len(we.Details) > 0 {
		ie.ErrorDetails = map[string]any(we.Details)
	}
	ie.AutoRetry = e.AutoRetry
	ie.OutcomeUnknown, ie.BreakerKey = we.OutcomeUnknown, e.BreakerKey
	if e.Break != nil {
		ie.MaxAttempts, ie.RetryInterval = e.Break.Count, e.Break.Interval
	} else {
		ie.MaxAttempts, ie.RetryInterval = len(s.cfg.RetrySchedule), 0
	}
	next := NextAttempt(ie, s.cfg.RetrySchedule, we.RetryAfter, now)
	if next == nil {
		ie.Status, ie.NextAttemptAt = weft.IncompleteUnresolved, nil
		return
	}
	ie.Status, ie.NextAttemptAt = weft.IncompletePending, next
}

// RetrySchedule is SPEC §5.3's delays before automatic attempts 1…8 (the last 7 h 51 min
// after the failure).
var RetrySchedule = []time.Duration{
	1 * time.Minute, 10 * time.Minute, 10 * time.Minute, 30 * time.Minute,
	30 * time.Minute, 30 * time.Minute, 180 * time.Minute, 180 * time.Minute,
}

// NextAttempt is when the next automatic attempt of ie is due after a failure at now,
// or nil when no attempt is left (or none is automatic): the schedule's delay for the
// attempt number (Break: its fixed interval), or a rate limit's longer delay. Only
// automatic attempts count: a person's retry neither moves the schedule on nor uses one
// of its attempts up.
func NextAttempt(ie *weft.Incomplete, schedule []time.Duration, retryAfter time.Duration, now time.Time) *time.Time {
	if !ie.AutoRetry || ie.AutoAttempts >= ie.MaxAttempts {
		return nil
	}
	delay := ie.RetryInterval
	if delay == 0 {
		delay = schedule[min(ie.AutoAttempts, len(schedule)-1)]
	}
	if retryAfter > delay {
		delay = retryAfter
	}
	t := now.Add(delay)
	return &t
}

// encodeBundles stores trigger bundles as tagged JSON (dates, binary data and big
// integers come back as they were).
func encodeBundles(bundles []weft.Bundle) ([]byte, error) {
	arr := make([]any, len(bundles))
	for i, b := range bundles {
		arr[i] = map[string]any(b)
	}
	return value.MarshalTagged(arr)
}

func decodeBundles(raw []byte) ([]weft.Bundle, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	v, err := value.UnmarshalTagged(raw)
	if err != nil {
		return nil, err
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, errors.New("stored trigger input is not an array")
	}
	out := make([]weft.Bundle, 0, len(arr))
	for _, e := range arr {
		m, _ := e.(map[string]any)
		out = append(out, m)
	}
	return out, nil
}

// refuseQueued hands queued payloads back when their scenario cannot run at all (its
// current version uses modules weft cannot run) and deactivates the scenario, so the
// payloads wait for a person instead of being retried in a loop.
func (s *Service) refuseQueued(ctx context.Context, scenarioID int64, queueIDs []int64, cause error) {
	// refuse writes it and returns what tells the observer; owed if the write fails
	// (owed.go), so the claims do not hold the queue.
	refuse := func(ctx context.Context, q store.Queries) (func(), error) {
		for _, id := range queueIDs {
			if err := q.ReleaseQueued(ctx, id); err != nil {
				return nil, err
			}
		}
		sc, err := q.GetScenario(ctx, scenarioID)
		if err != nil {
			return nil, err
		}
		wasActive := sc.Active
		sc.Active, sc.Deactivated, sc.UpdatedAt = false, "its current version cannot run: "+cause.Error(), s.now()
		if err := q.UpdateScenario(ctx, sc); err != nil {
			return nil, err
		}
		return func() {
			if wasActive {
				s.cfg.Observer.ScenarioDeactivated(sc, sc.Deactivated)
				s.events.deactivated(sc, false, sc.Deactivated)
			}
		}, nil
	}
	bg := context.WithoutCancel(ctx)
	var after func()
	err := s.st.InTx(bg, func(q store.Queries) (err error) { after, err = refuse(bg, q); return err })
	if err != nil {
		s.owe(&owedWrite{what: fmt.Sprintf("the hand-back of queued payload(s) %v of scenario %d, which cannot run", queueIDs, scenarioID),
			scenario: scenarioID, write: refuse}, err)
		return
	}
	after()
}
