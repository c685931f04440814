package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/iml"
	"github.com/weftworks/weft/limits"
)

// Input starts a run.
type Input struct {
	// Trigger is what the trigger emits in each cycle: Trigger[0] for the first cycle
	// and so on, up to the scenario's roundtrips. A webhook run has one cycle with one
	// bundle, the payload.
	Trigger [][]weft.Bundle
	// ExecutionID overrides the generated id.
	ExecutionID string
	// Scenario describes the scenario for {{var.scenario.*}}.
	Scenario ScenarioInfo
	// Inputs are the scenario inputs ({{var.input.*}}). A scenario that starts with
	// scenario-service:StartSubscenario checks them against its declared inputs and
	// emits them as its trigger bundle; nil: its first trigger bundle is its inputs.
	Inputs map[string]any
	// Caller names the run that called this one (a sub-scenario run,
	// docs/subscenarios.md); nil for a run nothing called.
	Caller *weft.Caller
	// Deadline, when set, is the calling run's deadline: a called run that is waited
	// for ends by it too (its runTimeout is lowered to what is left).
	Deadline time.Time
	// Origins name, per cycle, where its trigger bundles came from, for idempotency
	// keys: a queued payload's own identity, so that a payload run again after a crash
	// (in a new execution) sends the same keys as the interrupted run. Empty or
	// missing: the execution id, with the cycle's index.
	Origins []string
	// Position is where a polling trigger stands (app.Poller): the position the last
	// committed run stored. Unused by other triggers.
	Position json.RawMessage
	// PollOrigin names the scenario's polling trigger for idempotency keys: each item's
	// keys are PollOrigin/its key, the same in every run that emits it.
	PollOrigin string
}

// ScenarioInfo is what a run knows of its scenario.
type ScenarioInfo struct {
	ID   string
	Name string
	URL  string
}

// run is one execution in progress.
type run struct {
	e    *Engine
	p    *Plan
	ctx  context.Context
	id   string
	env  iml.Env
	res  *Result
	seq  int
	cyc  int
	conf bool
	// resumed: the run continues an incomplete execution (Resume).
	resumed bool
	// rewound are the slots of the modules a continuation from an earlier module runs
	// again before the failing one (ResumeInput.From): each must emit exactly one bundle.
	rewound map[int]bool
	// scenario is the id of the scenario being run ("" when the run has none).
	scenario string
	// onLog is the caller's LogHook (nil: none).
	onLog LogHook
	// caller names the run that called this one (nil: none); chain is the scenarios
	// above it, outermost first (its Chain). returning: a Return output module just
	// returned the outputs (subscenario.go).
	caller    *weft.Caller
	chain     []int64
	returning bool
	// callDeadline is the calling run's deadline (zero: none).
	callDeadline time.Time

	slots    []any
	branch   []int // per slot: the branch an if/else took
	loops    []*loopFrame
	vars     map[string]Variable
	inHandle int
	// directive is the directive reached in the handler route being run.
	directive *node
	// lastInput is the evaluated input of the module that ran last (saved with an IE).
	lastInput weft.Bundle

	fatal   *RunError // the run failed: stop everything, roll back
	stopped bool      // a Commit or Rollback directive stopped the run
	commit  bool      // how a stopped run ends
	pending []app.Transactional
	state   map[any]any
	// origin and path identify the bundle being carried (idempotency keys); current is
	// the module whose Run is in progress.
	origin  string
	path    []int32
	current *node

	// lim is the run's limits and usage; mctx the context modules run under (the run's
	// deadline, the limits), ended by cancel when the run finishes (engine/limits.go).
	lim    *limits.Run
	mctx   context.Context
	cancel context.CancelFunc
}

type loopFrame struct {
	feeder *node
	aggs   []*node
	items  map[*node]*groups
}

// groups are an aggregator's collected items, by group key in first-seen order.
type groups struct {
	keys  []string
	items map[string][]weft.Bundle
}

func (g *groups) add(key string, item weft.Bundle) {
	if _, ok := g.items[key]; !ok {
		g.keys = append(g.keys, key)
	}
	g.items[key] = append(g.items[key], item)
}

// Run executes a compiled scenario once.
func (e *Engine) Run(ctx context.Context, p *Plan, in Input) (*Result, error) {
	r := e.newRun(ctx, p, in.ExecutionID, in.Scenario, in.Inputs, in.Caller, in.Deadline)
	cycles, ok := r.scenarioInputs(&in)
	if !ok {
		return r.finish(), nil
	}
	if len(cycles) == 0 {
		cycles = [][]weft.Bundle{{{}}}
	}
	limit := max(p.Settings.Roundtrips, 1)
	if _, _, ok := p.Poller(); ok {
		r.runPolls(in, limit) // engine/poll.go
		return r.finish(), nil
	}
	if t := p.trigger; t != nil && t.kind != app.KindTrigger {
		// A scenario that does not start with a trigger performs every cycle its
		// "Max number of cycles" allows (Fusion's scenario settings page); its first
		// module runs once per cycle with nothing upstream.
		for len(cycles) < limit {
			cycles = append(cycles, []weft.Bundle{{}})
		}
	}
	for i, bundles := range cycles {
		if i >= limit || r.halted() {
			break
		}
		r.cyc = i + 1
		if i < len(in.Origins) && in.Origins[i] != "" {
			// The payload names itself: its keys must not depend on the cycle it
			// lands in (a re-run may batch payloads differently).
			r.origin = in.Origins[i]
			r.path = append(r.path[:0], 0)
		} else {
			r.origin = r.id
			r.path = append(r.path[:0], int32(i))
		}
		r.startCycle()
		r.runTrigger(bundles)
		r.endCycle()
	}
	return r.finish(), nil
}

func (e *Engine) newRun(ctx context.Context, p *Plan, id string, sc ScenarioInfo, inputs map[string]any,
	caller *weft.Caller, deadline time.Time) *run {
	if id == "" {
		id = e.opts.NewID()
	}
	r := &run{e: e, p: p, ctx: ctx, id: id, origin: id, conf: p.Settings.Confidential, scenario: sc.ID,
		slots: make([]any, len(p.nodes)), branch: make([]int, len(p.nodes)),
		vars: map[string]Variable{}, commit: true, onLog: logHookOf(ctx), callDeadline: deadline}
	if caller != nil {
		r.caller, r.chain = caller, caller.Chain
	}
	r.res = &Result{ExecutionID: id, Status: weft.StatusSuccess, Started: e.opts.Clock()}
	if !e.opts.NoLog {
		r.res.Log = make([]LogEntry, 0, len(p.nodes)+1)
	}
	if inputs == nil {
		inputs = map[string]any{}
	}
	r.env = iml.Env{Scope: r, Now: e.opts.Clock, Location: e.opts.Location, ExecutionID: id,
		Random: e.opts.Random,
		Variables: map[string]any{
			"scenario": map[string]any{"id": sc.ID, "name": sc.Name, "url": sc.URL, "executionId": id},
			"input":    inputs,
		}}
	r.startLimits(ctx)
	return r
}

// Output implements iml.Scope: the output of a module on the current path.
func (r *run) Output(id int) (any, bool) {
	s := r.p.slot(id)
	if s < 0 {
		return nil, false
	}
	v := r.slots[s]
	return v, v != nil
}

func (r *run) halted() bool {
	return r.fatal != nil || r.stopped || r.ctx.Err() != nil
}

func (r *run) startCycle() {
	for k, v := range r.vars {
		if v.Scope == app.ScopeRoundtrip {
			delete(r.vars, k)
		}
	}
}

// endCycle runs the commit or rollback phase of the cycle (SPEC §2.6).
func (r *run) endCycle() {
	commit := r.fatal == nil && (!r.stopped || r.commit)
	pending := r.pending
	r.pending = nil
	if !commit && len(pending) > 0 {
		// Writes of modules after the incomplete execution's module are undone: it
		// stays where it was, so they run again.
		r.res.Failed = nil
	}
	for _, t := range pending {
		var err error
		if commit {
			err = t.Commit(context.WithoutCancel(r.ctx), r)
		} else {
			err = t.Rollback(context.WithoutCancel(r.ctx), r)
		}
		if err != nil && r.fatal == nil {
			phase := "commit"
			if !commit {
				phase = "rollback"
			}
			r.fatal = &RunError{Type: weft.InconsistencyError,
				Message: fmt.Sprintf("%s failed: %v", phase, err)}
		}
	}
	r.res.Committed = commit && r.fatal == nil
}

func (r *run) finish() *Result {
	r.cancel()
	res := r.res
	res.Duration = r.e.opts.Clock().Sub(res.Started)
	switch {
	case r.fatal != nil:
		res.Status = weft.StatusError
		res.Error = r.fatal
	case r.stopped && !r.commit:
		res.Status = weft.StatusError
	case r.ctx.Err() != nil:
		res.Status = weft.StatusError
		if res.Error == nil {
			res.Error = &RunError{Type: weft.RuntimeError, Message: "run cancelled: " + r.ctx.Err().Error()}
		}
	case len(res.Incomplete) > 0:
		res.Status = weft.StatusWarning
	}
	return res
}

// runTrigger emits the cycle's trigger bundles through the flow.
func (r *run) runTrigger(bundles []weft.Bundle) {
	t := r.p.trigger
	if t == nil {
		return
	}
	if t.kind != app.KindTrigger {
		// The scenario starts with an action (a scheduled module): it is the trigger
		// itself and runs once per cycle with nothing upstream.
		r.walk(t, false)
		return
	}
	start := r.e.opts.Clock()
	if t.counts {
		r.res.Operations++
	}
	if err := r.takeOutput(bundles); err != nil {
		r.log(t, nil, nil, err, start)
		r.fail(t, err, nil)
		return
	}
	r.log(t, nil, bundles, nil, start)
	if next := r.emit(t, bundles); next != nil {
		r.walk(next, false)
	}
}

// walk carries the current bundle from n to the end of its path. checked means n's
// filter was already evaluated (router fallback logic, resume).
func (r *run) walk(n *node, checked bool) {
	for n != nil && !r.halted() {
		if !checked && n.filter != nil {
			ok, err := n.filter.Match(&r.env)
			if err != nil {
				n = r.fail(n, mapErr("filter", err), nil)
				continue
			}
			if !ok {
				return
			}
		}
		checked = false
		n = r.step(n)
	}
}

// pass evaluates the filter into n; a filter that cannot be evaluated fails the
// module it guards.
func (r *run) pass(n *node) (bool, *node) {
	if n.filter == nil {
		return true, nil
	}
	ok, err := n.filter.Match(&r.env)
	if err != nil {
		return false, r.fail(n, mapErr("filter", err), nil)
	}
	return ok, nil
}

// step performs node n for the current bundle and returns where the bundle goes next
// (nil when n took care of the continuation itself, or the path ends).
func (r *run) step(n *node) *node {
	switch n.kind {
	case app.KindRouter:
		r.route(n)
		return nil
	case app.KindIfElse:
		return r.ifElse(n)
	case app.KindMerge:
		return r.mergeStep(n)
	case app.KindAggregator:
		r.collect(n)
		return nil
	case app.KindDirective:
		if r.directive == nil {
			r.directive = n
		}
		return nil
	case app.KindTrigger:
		return n.next
	}
	out, err := r.call(n)
	if err != nil {
		return r.fail(n, err, r.lastInput)
	}
	if r.returning {
		r.endReturned(n)
		return nil
	}
	return r.emit(n, out)
}

// emit carries each bundle a module emitted through the rest of the flow, depth
// first; a feeder then closes its loop.
func (r *run) emit(n *node, out []weft.Bundle) *node {
	if r.rewound[n.slot] && len(out) != 1 {
		// Several bundles (or none) where the stored run had the one it failed with:
		// carrying them all on would run the failing module for bundles the original run
		// already handled.
		r.fatalErr(n, &weft.Error{Type: weft.DataError, Message: fmt.Sprintf(
			"module %d returned %d bundles while resuming from an earlier module; resuming there needs exactly one", n.id, len(out))},
			"resume from an earlier module stopped")
		return nil
	}
	if len(n.aggs) > 0 {
		f := r.openLoop(n, n.aggs)
		r.path = append(r.path, 0)
		for i, b := range out {
			if r.halted() || r.late(n, i) {
				break
			}
			r.path[len(r.path)-1] = int32(i)
			r.slots[n.slot] = b
			r.walk(n.next, false)
		}
		r.path = r.path[:len(r.path)-1]
		r.closeLoop(f, false)
		return nil
	}
	if len(out) == 1 {
		r.slots[n.slot] = out[0]
		return n.next
	}
	r.path = append(r.path, 0)
	for i, b := range out {
		if r.halted() || r.late(n, i) {
			break
		}
		r.path[len(r.path)-1] = int32(i)
		r.slots[n.slot] = b
		r.walk(n.next, false)
	}
	r.path = r.path[:len(r.path)-1]
	return nil
}

func (r *run) route(n *node) {
	accepted := false
	for i, head := range n.routes {
		if r.halted() {
			return
		}
		if i == n.fallback || n.disabled[i] {
			continue
		}
		if head == nil {
			accepted = true
			continue
		}
		ok, cont := r.pass(head)
		if cont != nil { // filter error handled by a Resume: continue after the module
			accepted = true
			r.walk(cont, true)
			continue
		}
		if ok {
			accepted = true
			r.walk(head, true)
		}
	}
	if n.fallback >= 0 && n.fallback < len(n.routes) && !accepted && !n.disabled[n.fallback] && !r.halted() {
		if head := n.routes[n.fallback]; head != nil {
			ok, cont := r.pass(head)
			if cont != nil {
				r.walk(cont, true)
			} else if ok {
				r.walk(head, true)
			}
		}
	}
}

func (r *run) ifElse(n *node) *node {
	for k, b := range n.branches {
		if b.disabled {
			continue
		}
		if b.cond != nil {
			ok, err := b.cond.Match(&r.env)
			if err != nil {
				return r.fail(n, mapErr("condition", err), nil)
			}
			if !ok {
				continue
			}
		}
		r.branch[n.slot] = k
		if b.head == nil {
			if b.merge {
				return n.merge
			}
			return nil
		}
		return b.head
	}
	return nil
}

func (r *run) mergeStep(n *node) *node {
	out := weft.Bundle{}
	if n.ifelse != nil {
		k := r.branch[n.ifelse.slot]
		for _, o := range n.outputs {
			if k < len(o.mappings) && o.mappings[k] != nil {
				v, err := o.mappings[k].Eval(&r.env)
				if err != nil {
					return r.fail(n, mapErr(o.name, err), nil)
				}
				if v != iml.Ignore {
					out[o.name] = v
				}
			}
		}
	}
	r.slots[n.slot] = out
	r.log(n, nil, []weft.Bundle{out}, nil, r.e.opts.Clock())
	return n.next
}

// call evaluates a module's mapping and runs it for the current bundle.
func (r *run) call(n *node) ([]weft.Bundle, error) {
	start := r.e.opts.Clock()
	r.lastInput = nil
	if err := r.deadline(start); err != nil {
		r.log(n, nil, nil, err, start)
		return nil, err
	}
	in, err := r.input(n)
	if err == nil {
		err = r.lim.Take(in, "its input")
	}
	if err != nil {
		r.log(n, nil, nil, err, start)
		return nil, err
	}
	r.lastInput = in
	if n.counts {
		r.res.Operations++
		if err := r.lim.Operations(r.res.Operations); err != nil {
			r.log(n, in, nil, err, start)
			return nil, err
		}
	}
	if n.mod == nil {
		err := weft.Errorf(weft.InvalidConfigurationError, "module %s cannot run", n.typ)
		r.log(n, in, nil, err, start)
		return nil, err
	}
	ctx := r.mctx
	if n.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(r.mctx, n.timeout)
		defer cancel()
	}
	out, err := r.safeRun(ctx, n, in)
	if err != nil && r.mctx.Err() != nil && r.ctx.Err() == nil {
		// The run's own deadline passed while the module waited, and it gave up. (A
		// module that finished anyway keeps its output: the next module's check ends
		// the run.)
		err = r.lim.DeadlineError()
	} else if err == nil && ctx.Err() == context.DeadlineExceeded {
		err = weft.Errorf(weft.ModuleTimeoutError, "module %d exceeded its time limit of %s", n.id, n.timeout)
	}
	// Only the engine's own limit for the module is named here: a module that timed out
	// on its own, shorter timer (HTTP's timeout parameter) already says which.
	if err != nil && errors.Is(err, context.DeadlineExceeded) && r.ctx.Err() == nil && ctx.Err() == context.DeadlineExceeded {
		if we := weft.AsError(err); we.Type == weft.RuntimeError || we.Type == weft.ModuleTimeoutError {
			err = &weft.Error{Type: weft.ModuleTimeoutError,
				Message: fmt.Sprintf("module %d exceeded its time limit of %s", n.id, n.timeout), Err: err}
		}
	}
	if err == nil {
		if err = r.takeOutput(out); err != nil {
			out = nil
		}
	}
	r.log(n, in, out, err, start)
	if err == nil {
		if t, ok := n.mod.(app.Transactional); ok {
			r.track(t)
		}
	}
	return out, err
}

// safeRun runs a module, turning a panic into a RuntimeError: one broken module must
// not take the process (and every other run) down.
func (r *run) safeRun(ctx context.Context, n *node, in weft.Bundle) (out []weft.Bundle, err error) {
	r.current = n
	defer func() {
		r.current = nil
		if p := recover(); p != nil {
			out, err = nil, weft.Errorf(weft.RuntimeError, "module %s panicked: %v", n.typ, p)
		}
	}()
	return n.mod.Run(ctx, &app.Call{ModuleID: n.id, Input: in, Params: n.params, Exec: r})
}

func (r *run) track(t app.Transactional) {
	if r.p.Settings.AutoCommit {
		if err := t.Commit(context.WithoutCancel(r.ctx), r); err != nil && r.fatal == nil {
			r.fatal = &RunError{Type: weft.InconsistencyError, Message: "commit failed: " + err.Error()}
		}
		return
	}
	if !slices.Contains(r.pending, t) {
		r.pending = append(r.pending, t)
	}
}

// input evaluates the mapper and checks it against the module's declared fields.
func (r *run) input(n *node) (weft.Bundle, error) {
	raw := weft.Bundle{}
	if n.mapper != nil {
		v, err := n.mapper.Eval(&r.env)
		if err != nil {
			return nil, mapErr("", err)
		}
		if m, ok := v.(map[string]any); ok {
			raw = m
		}
	}
	if n.spec == nil {
		return raw, nil
	}
	return app.PrepareInput(n.spec, raw)
}

// mapErr turns a mapping failure into the DataError a person fixes by changing the
// mapping (Make: "Failed to map …").
func mapErr(field string, err error) *weft.Error {
	var we *weft.Error
	if errors.As(err, &we) {
		return we
	}
	msg := err.Error()
	var pe *iml.PathError
	if errors.As(err, &pe) && pe.Pointer != "" {
		field = pe.Pointer
	}
	if field != "" {
		msg = fmt.Sprintf("failed to map %s: %s", field, msg)
	} else {
		msg = "failed to map: " + msg
	}
	return &weft.Error{Type: weft.DataError, Message: msg, Err: err}
}

func (r *run) log(n *node, in weft.Bundle, out []weft.Bundle, err error, start time.Time) {
	if r.e.opts.NoLog {
		return
	}
	r.seq++
	e := LogEntry{Seq: r.seq, Cycle: r.cyc, ModuleID: n.id, Module: n.typ, Start: start,
		Duration: r.e.opts.Clock().Sub(start)}
	if !r.conf {
		if in != nil {
			e.Input = in
		}
		e.Output = out
	}
	if err != nil {
		we := weft.AsError(err)
		e.Error = &RunError{Type: we.Type, Message: we.Message, ModuleID: n.id}
	}
	r.res.Log = append(r.res.Log, e)
	if r.onLog != nil {
		r.onLog(r.id, e)
	}
}

// note adds an outcome to the module's last log entry (the directive that handled its
// error, an incomplete execution stored).
func (r *run) note(n *node, outcome string) {
	for i := len(r.res.Log) - 1; i >= 0; i-- {
		if r.res.Log[i].ModuleID == n.id {
			r.res.Log[i].Outcome = outcome
			return
		}
	}
}

// warn adds a warning to the module's last log entry (a setting weft had to correct).
func (r *run) warn(n *node, msg string) {
	for i := len(r.res.Log) - 1; i >= 0; i-- {
		if r.res.Log[i].ModuleID == n.id {
			if r.res.Log[i].Note != "" {
				msg = r.res.Log[i].Note + "; " + msg
			}
			r.res.Log[i].Note = msg
			return
		}
	}
}

func (r *run) snapshotVars() map[string]Variable {
	if len(r.vars) == 0 {
		return nil
	}
	return maps.Clone(r.vars)
}
