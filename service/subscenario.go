package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/scenarios"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// Sub-scenarios (docs/subscenarios.md). The engine calls other scenarios through
// engine.Scenarios; this file implements it. A called scenario's run is a run of that
// scenario like any other — its own execution (linked to the caller), its own limits,
// incomplete executions and consequences — recorded by runCycles. What is particular
// to calls:
//
//   - a call the called run could not finish (it kept the bundle as an incomplete
//     execution) makes the caller's module an incomplete execution that waits for that
//     one ("waits" in its state). The called scenario's incomplete execution learns who
//     waits for it ("waitedOnBy"); when it is resolved, its outputs ("returned") go into
//     the waiting one, which is then due at once and continues after the call with
//     them. Each side writes its half in its own transaction and reads the other's, so
//     whichever comes second completes the link;
//   - a cycle of calls is refused when a blueprint is stored or activated (the calls
//     are static parameters) and, for what changed since, when a call is made (the
//     chain of callers travels with each call, also through the queue).

// DefaultMaxCallDepth is Config.MaxCallDepth's default.
const DefaultMaxCallDepth = 10

// subscenarios is the engine's way to other scenarios (engine.Options.Scenarios).
type subscenarios struct{ s *Service }

var _ engine.Scenarios = subscenarios{}

// childCall is what runCycles needs to know of a run some scenario called: passed in
// its context so runCycles' signature stays what every other run uses.
type childCall struct {
	caller   *weft.Caller
	deadline time.Time
	inputs   weft.Bundle
}

type childCallKey struct{}

func withChildCall(ctx context.Context, c *childCall) context.Context {
	return context.WithValue(ctx, childCallKey{}, c)
}

// childCallOf returns the call a run answers, or nil (the methods take a nil receiver).
func childCallOf(ctx context.Context) *childCall {
	c, _ := ctx.Value(childCallKey{}).(*childCall)
	return c
}

// link names the caller on the called run's execution.
func (c *childCall) link(ex *weft.Execution) {
	if c != nil && c.caller != nil {
		ex.ParentID, ex.ParentModule = c.caller.ExecutionID, c.caller.ModuleID
	}
}

// input is what the engine gets to know of the call.
func (c *childCall) input(in engine.Input) engine.Input {
	if c != nil {
		in.Caller, in.Deadline, in.Inputs = c.caller, c.deadline, c.inputs
	}
	return in
}

// Call runs the called scenario now, in the caller's goroutine, and maps how the run
// ended onto what the calling module returns.
func (c subscenarios) Call(ctx context.Context, call engine.SubCall) (*engine.SubResult, error) {
	s := c.s
	sc, inputs, err := s.callable(ctx, call)
	if err != nil {
		return nil, err
	}
	caller := call.Caller
	ctx = withChildCall(ctx, &childCall{caller: &caller, deadline: call.Deadline, inputs: inputs})
	out, err := s.runCycles(ctx, sc.ID, sc, [][]weft.Bundle{{inputs}}, nil, nil, "")
	if err != nil {
		return nil, callFailed(ctx, sc.ID, out, err)
	}
	return calledOutcome(sc.ID, out)
}

// Start queues a run of the called scenario: the worker runs it (while the scenario is
// active, in its queue's order), linked to the caller. The call returns once the
// payload is stored.
func (c subscenarios) Start(ctx context.Context, call engine.SubCall) error {
	s := c.s
	sc, inputs, err := s.callable(ctx, call)
	if err != nil {
		return err
	}
	raw, err := storedPayload(Payload{Bundle: inputs})
	if err != nil {
		return weft.Errorf(weft.DataError, "inputs of scenario %d: %v", sc.ID, err)
	}
	caller := call.Caller
	item := &weft.QueueItem{ScenarioID: sc.ID, Payload: raw, EnqueuedAt: s.now(), Caller: &caller}
	if err := s.st.Enqueue(ctx, item); err != nil {
		return &weft.Error{Type: weft.ConnectionError, Message: fmt.Sprintf("scenario %d: its run could not be queued: %v", sc.ID, err), Err: err}
	}
	s.notify()
	return nil
}

// callable checks a call before anything runs: no cycle, not too deep, a scenario that
// exists, is active and can run, and inputs that fit its declaration. The errors are
// the calling module's (docs/subscenarios.md).
func (s *Service) callable(ctx context.Context, call engine.SubCall) (*weft.Scenario, weft.Bundle, error) {
	target, chain := call.Scenario, call.Caller.Chain
	if slices.Contains(chain, target) {
		return nil, nil, weft.Errorf(weft.InvalidConfigurationError,
			"call cycle: %s → %d; a scenario cannot call itself, directly or through the scenarios it calls", chainText(chain), target)
	}
	if len(chain) >= s.cfg.MaxCallDepth {
		return nil, nil, weft.Errorf(weft.InvalidConfigurationError,
			"calls nest deeper than %d scenarios: %s → %d", s.cfg.MaxCallDepth, chainText(chain), target)
	}
	sc, err := s.st.GetScenario(ctx, target)
	if isNotFound(err) {
		return nil, nil, weft.Errorf(weft.InvalidConfigurationError, "scenario %d does not exist", target)
	}
	if err != nil {
		return nil, nil, &weft.Error{Type: weft.ConnectionError, Message: fmt.Sprintf("scenario %d: %v", target, err), Err: err}
	}
	if !sc.Active {
		msg := fmt.Sprintf("scenario %d (%s) is inactive: a called scenario must be active", sc.ID, sc.Name)
		if sc.Deactivated != "" {
			msg += " (deactivated: " + sc.Deactivated + ")"
		}
		return nil, nil, weft.Errorf(weft.InvalidConfigurationError, "%s", msg)
	}
	plan, _, err := s.versionPlan(ctx, sc)
	if err != nil {
		return nil, nil, weft.Errorf(weft.InvalidConfigurationError, "scenario %d cannot run: %v", sc.ID, err)
	}
	inputs, err := plan.CheckInputs(call.Inputs)
	if err != nil {
		we := weft.AsError(err)
		return nil, nil, &weft.Error{Type: weft.DataError, Message: fmt.Sprintf("inputs of scenario %d: %s", sc.ID, we.Message), Err: err}
	}
	return sc, inputs, nil
}

func chainText(chain []int64) string {
	parts := make([]string, len(chain))
	for i, id := range chain {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, " → ")
}

// calledOutcome maps a recorded called run onto the calling module's result.
func calledOutcome(id int64, out *RunResult) (*engine.SubResult, error) {
	res, ex := out.Result, out.Execution
	switch {
	case res.Returned:
		// Return output ended the run: what it returned, whatever else happened to
		// other bundles of the run.
		return &engine.SubResult{ExecutionID: ex.ID, Outputs: res.Outputs}, nil
	case len(out.Incomplete) > 0:
		ie := out.Incomplete[0]
		return nil, &weft.Error{Type: ie.ErrorType,
			Message: fmt.Sprintf("scenario %d kept the call as incomplete execution %s (%s at module %d: %s); this call waits for it: resolving it continues here",
				id, ie.ID, ie.ErrorType, ie.FailedModuleID, ie.ErrorMessage),
			Details: map[string]any{"scenarioId": float64(id), "executionId": ex.ID, "incompleteId": ie.ID},
			Err:     &engine.Wait{Incomplete: ie.ID, Scenario: id, Execution: ex.ID}}
	case res.Status == weft.StatusError:
		e := res.Error
		if e == nil {
			e = &engine.RunError{Type: weft.RuntimeError, Message: "the run failed"}
		}
		return nil, &weft.Error{Type: e.Type,
			Message: fmt.Sprintf("scenario %d (execution %s) failed at module %d: %s", id, ex.ID, e.ModuleID, e.Message),
			Details: map[string]any{"scenarioId": float64(id), "executionId": ex.ID}}
	case out.Discarded > 0:
		e := res.Error
		t := weft.RuntimeError
		if e != nil {
			t = e.Type
		}
		return nil, &weft.Error{Type: t,
			Message: fmt.Sprintf("scenario %d (execution %s) could not keep the call's incomplete execution (its storage is full and it allows data loss)", id, ex.ID),
			Details: map[string]any{"scenarioId": float64(id), "executionId": ex.ID}}
	}
	return &engine.SubResult{ExecutionID: ex.ID, Outputs: weft.Bundle{}}, nil
}

// callFailed maps a called run that did not end on its own, or was not recorded.
func callFailed(ctx context.Context, id int64, out *RunResult, err error) error {
	switch {
	case ctx.Err() != nil:
		return err // weft is stopping: the caller's run is interrupted as well
	case errors.Is(err, ErrBusy):
		return &weft.Error{Type: weft.RateLimitError, Message: err.Error(), Err: err}
	case out != nil:
		// It ran, but its end could not be written: the call cannot know what it kept.
		return &weft.Error{Type: weft.OutOfSpaceError,
			Message: fmt.Sprintf("scenario %d ran but its end could not be recorded (%v); a retry calls it again", id, err), Err: err}
	}
	return &weft.Error{Type: weft.ConnectionError, Message: fmt.Sprintf("scenario %d could not be started: %v", id, err), Err: err}
}

// Links between a waiting call's incomplete execution and the called scenario's, kept
// in their states (docs/subscenarios.md).
type links struct {
	// waitedOnBy (on the called scenario's incomplete execution): who waits for it.
	waitedOnBy string
	// returned: the outputs the resolved called run returned — on the called
	// scenario's incomplete execution once resolved, and on the waiting one once it may
	// continue.
	returned    weft.Bundle
	hasReturned bool
}

func readLinks(state []byte) (links, error) {
	var l links
	if len(state) == 0 {
		return l, nil
	}
	v, err := value.UnmarshalTagged(state)
	if err != nil {
		return l, fmt.Errorf("incomplete execution state: %w", err)
	}
	st, _ := v.(map[string]any)
	l.waitedOnBy, _ = st["waitedOnBy"].(string)
	if r, ok := st["returned"].(map[string]any); ok {
		l.returned, l.hasReturned = r, true
	}
	return l, nil
}

// setLinks writes the links that are set into a state.
func setLinks(state []byte, l links) ([]byte, error) {
	v, err := value.UnmarshalTagged(state)
	if err != nil {
		return nil, fmt.Errorf("incomplete execution state: %w", err)
	}
	st, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("incomplete execution state is not an object")
	}
	if l.waitedOnBy != "" {
		st["waitedOnBy"] = l.waitedOnBy
	}
	if l.hasReturned {
		ret := l.returned
		if ret == nil {
			ret = weft.Bundle{}
		}
		st["returned"] = map[string]any(ret)
	}
	return value.MarshalTagged(st)
}

// setState replaces an incomplete execution's state (and its size with it).
func setState(ie *weft.Incomplete, state []byte) {
	ie.State = state
	ie.SizeBytes = int64(len(state) + len(ie.Blueprint))
}

// movedState is the state of an incomplete execution moved to where its continuation
// failed now (e), keeping who waits for it.
func movedState(old []byte, e *engine.Incomplete) ([]byte, error) {
	state, err := encodeState(e)
	if err != nil {
		return nil, err
	}
	l, err := readLinks(old)
	if err != nil || l.waitedOnBy == "" {
		return state, nil // an unreadable old state has no links to keep
	}
	return setLinks(state, links{waitedOnBy: l.waitedOnBy})
}

// linkWaiter completes the link of a waiting call's incomplete execution ie (not yet
// written: the caller writes it) with the called scenario's incomplete execution w:
// that one learns who waits for it, or, already resolved, hands its outputs over and
// ie is due at once. A called incomplete execution deleted meanwhile leaves ie to a
// person: retrying it calls the scenario again.
func (s *Service) linkWaiter(ctx context.Context, q store.Queries, ie *weft.Incomplete, w *engine.Wait, now time.Time) error {
	child, err := q.GetIncomplete(ctx, w.Incomplete)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if child.Status == weft.IncompleteResolved {
		l, err := readLinks(child.State)
		if err != nil {
			return err
		}
		return continueWaiter(ie, l.returned, now)
	}
	state, err := setLinks(child.State, links{waitedOnBy: ie.ID})
	if err != nil {
		return err
	}
	setState(child, state)
	return q.UpdateIncomplete(ctx, child)
}

// continueWaiter gives a waiting call's incomplete execution the outputs of the
// resolved called run and makes it due now.
func continueWaiter(ie *weft.Incomplete, outputs weft.Bundle, now time.Time) error {
	state, err := setLinks(ie.State, links{returned: outputs, hasReturned: true})
	if err != nil {
		return err
	}
	setState(ie, state)
	ie.Status, ie.NextAttemptAt, ie.UpdatedAt = weft.IncompletePending, &now, now
	return nil
}

// returnToWaiter is called when an incomplete execution (cur) was resolved by res: its
// outputs are kept with it (a waiting call stored later finds them) and handed to the
// incomplete execution that waits for it, which is then due at once.
func (s *Service) returnToWaiter(ctx context.Context, q store.Queries, cur *weft.Incomplete, res *engine.Result, now time.Time) error {
	outputs := res.Outputs
	if !res.Returned || outputs == nil {
		outputs = weft.Bundle{}
	}
	l, err := readLinks(cur.State)
	if err != nil {
		return err
	}
	state, err := setLinks(cur.State, links{returned: outputs, hasReturned: true})
	if err != nil {
		return err
	}
	setState(cur, state)
	if l.waitedOnBy == "" {
		return nil
	}
	waiter, err := q.GetIncomplete(ctx, l.waitedOnBy)
	if isNotFound(err) {
		return nil // the waiting one was deleted
	}
	if err != nil {
		return err
	}
	if waiter.Status == weft.IncompleteResolved {
		return nil
	}
	prev := waiter.Status
	if err := continueWaiter(waiter, outputs, now); err != nil {
		return err
	}
	if prev == weft.IncompleteInProgress {
		// Being retried right now (it was refused or handed back, its child being
		// open): it keeps the outputs and continues at its next retry.
		waiter.Status, waiter.NextAttemptAt = prev, nil
	}
	return q.UpdateIncomplete(ctx, waiter)
}

// waiting reports whether an incomplete execution is a call still waiting for the
// called scenario's incomplete execution, which is open (not resolved, not deleted).
func (s *Service) waiting(ctx context.Context, q store.Queries, ie *weft.Incomplete) error {
	if !bytes.Contains(ie.State, []byte(`"waits"`)) {
		return nil // not a call waiting (read without decoding a large state)
	}
	state, err := decodeState(ie)
	if err != nil || state.Waits == nil {
		return nil // an unreadable state: the attempt reports it
	}
	if l, err := readLinks(ie.State); err == nil && l.hasReturned {
		return nil
	}
	child, err := q.GetIncomplete(ctx, state.Waits.Incomplete)
	if isNotFound(err) || (err == nil && child.Status == weft.IncompleteResolved) {
		return nil
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("%w: incomplete execution %s waits for incomplete execution %s of scenario %d (%s); resolve that one and this one continues, or delete it to call the scenario again",
		ErrBusy, ie.ID, child.ID, child.ScenarioID, child.Status)
}

// supplied returns the output a waiting call's continuation emits instead of calling
// again: the outputs handed over, or those of the called incomplete execution if it
// was resolved before the link was made.
func (s *Service) supplied(ctx context.Context, ie *weft.Incomplete, state *engine.Incomplete) (weft.Bundle, bool) {
	if state.Waits == nil {
		return nil, false
	}
	if l, err := readLinks(ie.State); err == nil && l.hasReturned {
		return l.returned, true
	}
	child, err := s.st.GetIncomplete(ctx, state.Waits.Incomplete)
	if err != nil || child.Status != weft.IncompleteResolved {
		return nil, false
	}
	if l, err := readLinks(child.State); err == nil && l.hasReturned {
		return l.returned, true
	}
	return nil, false
}

// checkCalls refuses a blueprint whose calls (with the current versions of the
// scenarios they call) go round to scenario self, or nest deeper than MaxCallDepth.
// self is 0 for a scenario not stored yet. Scenarios that do not exist are passed
// over: calling one fails at run time.
func (s *Service) checkCalls(ctx context.Context, self int64, bp *blueprint.Blueprint) error {
	type call struct {
		target int64
		module int
		ptr    string
	}
	callsOf := func(bp *blueprint.Blueprint) []call {
		var out []call
		bp.Walk(func(m *blueprint.Module, ptr string) bool {
			if m.Type == scenarios.Call {
				if id, err := scenarios.Target(m.Parameters["scenario"]); err == nil {
					out = append(out, call{id, m.ID, ptr})
				}
			}
			return true
		})
		return out
	}
	cache := map[int64][]call{}
	calls := func(id int64) ([]call, error) {
		if c, ok := cache[id]; ok {
			return c, nil
		}
		sc, err := s.st.GetScenario(ctx, id)
		if isNotFound(err) {
			cache[id] = nil
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		v, err := s.st.GetVersion(ctx, sc.ID, sc.Version)
		if err != nil {
			return nil, err
		}
		other, err := blueprint.Parse(v.Blueprint)
		if err != nil {
			cache[id] = nil
			return nil, nil // that scenario cannot run anyway
		}
		cache[id] = callsOf(other)
		return cache[id], nil
	}
	// The longest chain of calls from a scenario, found once per scenario; a scenario
	// on the path being explored again is a cycle.
	depth := map[int64]int{}
	var walk func(id int64, path []int64) (int, []int64, error)
	walk = func(id int64, path []int64) (int, []int64, error) {
		if id == self || slices.Contains(path, id) {
			return 0, append(slices.Clone(path), id), nil
		}
		if d, ok := depth[id]; ok {
			return d, nil, nil
		}
		cs, err := calls(id)
		if err != nil {
			return 0, nil, err
		}
		deepest := 0
		for _, c := range cs {
			d, cycle, err := walk(c.target, append(path, id))
			if err != nil || cycle != nil {
				return 0, cycle, err
			}
			deepest = max(deepest, d+1)
		}
		depth[id] = deepest
		return deepest, nil, nil
	}
	var problems []blueprint.Problem
	for _, c := range callsOf(bp) {
		d, cycle, err := walk(c.target, []int64{self})
		if err != nil {
			return fmt.Errorf("check the scenarios it calls: %w", err)
		}
		switch {
		case cycle != nil && len(cycle) == 2 && cycle[0] == cycle[1]:
			problems = append(problems, blueprint.Problem{Pointer: c.ptr + "/parameters/scenario", ModuleID: c.module,
				Severity: blueprint.SeverityError, Message: fmt.Sprintf("module %d calls its own scenario %d: a scenario cannot call itself", c.module, self)})
		case cycle != nil:
			if cycle[0] == 0 { // a scenario not stored yet
				cycle = cycle[1:]
			}
			problems = append(problems, blueprint.Problem{Pointer: c.ptr + "/parameters/scenario", ModuleID: c.module,
				Severity: blueprint.SeverityError, Message: fmt.Sprintf("call cycle: %s; a scenario cannot call itself, directly or through the scenarios it calls", chainText(cycle))})
		case d+2 > s.cfg.MaxCallDepth:
			// This scenario, the one it calls, and the deepest chain below that one.
			problems = append(problems, blueprint.Problem{Pointer: c.ptr + "/parameters/scenario", ModuleID: c.module,
				Severity: blueprint.SeverityError, Message: fmt.Sprintf("calls through scenario %d nest %d scenarios deep, more than %d", c.target, d+2, s.cfg.MaxCallDepth)})
		}
	}
	if len(problems) > 0 {
		return &InvalidBlueprintError{Report: blueprint.Report{Problems: problems}}
	}
	return nil
}
