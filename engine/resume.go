package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
)

// ResumeInput continues an incomplete execution.
type ResumeInput struct {
	// ExecutionID of the attempt (a new execution); generated when empty.
	ExecutionID string
	Scenario    ScenarioInfo
	Inputs      map[string]any
	// Caller is the run that called the one the incomplete execution came from (its
	// Incomplete.Caller), so calls the continuation makes keep their chain.
	Caller *weft.Caller
	// Supplied: the failing module does not run again; Output is what it emits (a
	// waiting call whose called scenario's incomplete execution was resolved,
	// docs/subscenarios.md).
	Supplied bool
	Output   weft.Bundle
	// Note is the failing module's log line when Supplied (who supplied the output);
	// empty: the called scenario's.
	Note string
	// From continues from an earlier module of the failing module's path instead of the
	// failing module (0: the failing module; negative: the trigger's bundle, i.e. the
	// first module after the trigger). See Plan.Rewind for which modules qualify.
	From int
}

// Resume continues an incomplete execution from the module that failed, with the
// stored outputs of the modules upstream of it, through the rest of the flow (SPEC
// §5.4). The plan may be compiled from an edited copy of the blueprint: the failing
// module and everything after it run with their current mapping and parameters. Inside
// an iterator loop the one stored bundle goes through the rest of the loop, and the
// aggregators after it aggregate that bundle alone before the flow goes on.
func (e *Engine) Resume(ctx context.Context, p *Plan, ie *Incomplete, in ResumeInput) (*Result, error) {
	n := p.byID[ie.ModuleID]
	if n == nil {
		return nil, fmt.Errorf("resume: module %d is not in the blueprint", ie.ModuleID)
	}
	start := n
	var between []*node
	if in.From != 0 && in.From != ie.ModuleID {
		var err error
		if start, between, err = p.rewind(in.From, n); err != nil {
			return nil, err
		}
	}
	r := e.restore(ctx, p, ie, in)
	if len(between) > 0 {
		r.rewound = map[int]bool{}
		for _, b := range between {
			r.rewound[b.slot] = true
		}
	}
	loops := n.enclosingLoops()
	frames := make([]*loopFrame, 0, len(loops))
	for _, l := range loops {
		frames = append(frames, r.openLoop(l.feeder, l.aggs))
	}
	switch {
	case in.Supplied:
		r.resumeSupplied(n, in.Output, in.Note)
	default:
		r.walk(start, true)
	}
	for i := len(frames) - 1; i >= 0; i-- {
		r.closeLoop(frames[i], true)
	}
	r.endCycle()
	return r.finish(), nil
}

// restore builds a run holding an incomplete execution's stored state.
func (e *Engine) restore(ctx context.Context, p *Plan, ie *Incomplete, in ResumeInput) *run {
	r := e.newRun(ctx, p, in.ExecutionID, in.Scenario, in.Inputs, in.Caller, time.Time{})
	r.resumed = true
	r.cyc = max(ie.Cycle, 1)
	if ie.Origin != "" {
		r.origin = ie.Origin
	}
	r.path = slices.Clone(ie.Path)
	for id, v := range ie.Outputs {
		if s := p.slot(id); s >= 0 {
			r.slots[s] = v
		}
	}
	for id, k := range ie.Branches {
		if s := p.slot(id); s >= 0 {
			r.branch[s] = k
		}
	}
	if ie.Variables != nil {
		r.vars = maps.Clone(ie.Variables)
	}
	return r
}

// ErrRewind: a continuation cannot start at the module asked for (Plan.Rewind).
var ErrRewind = errors.New("cannot resume from there")

// ErrNoReadBack: the module cannot find out whether a call took effect (it does not
// implement app.Checker).
var ErrNoReadBack = errors.New("the module has no read-back call")

// Check runs the read-back call of the module an incomplete execution failed at
// (app.Checker): its input is mapped from the stored outputs with the plan's current
// mapping, as a retry would map it, and nothing else runs or is recorded.
func (e *Engine) Check(ctx context.Context, p *Plan, ie *Incomplete, in ResumeInput, check app.Check) (*app.CheckResult, error) {
	n := p.byID[ie.ModuleID]
	if n == nil {
		return nil, fmt.Errorf("check: module %d is not in the blueprint", ie.ModuleID)
	}
	ck, ok := n.mod.(app.Checker)
	if !ok {
		return nil, fmt.Errorf("check: module %d (%s): %w; mark it done or retry it", n.id, n.typ, ErrNoReadBack)
	}
	r := e.restore(ctx, p, ie, in)
	input, err := r.input(n)
	if err != nil {
		return nil, fmt.Errorf("check: module %d's input: %w", n.id, err)
	}
	if n.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, n.timeout)
		defer cancel()
	}
	res, err := ck.CheckOutcome(ctx, &app.Call{ModuleID: n.id, Input: input, Params: n.params, Exec: r}, check)
	if err != nil {
		return nil, &CheckError{ModuleID: n.id, Err: weft.AsError(err)}
	}
	return res, nil
}

// CheckError is a read-back call that could not tell whether the write took effect
// (the service is still down, the URL answers something else).
type CheckError struct {
	ModuleID int
	Err      *weft.Error
}

func (e *CheckError) Error() string {
	return fmt.Sprintf("check: module %d's read-back failed: %s", e.ModuleID, e.Err.Error())
}

func (e *CheckError) Unwrap() error { return e.Err }

// Input maps the input the module an incomplete execution failed at would get from the
// stored outputs under p (a resume preview compares it before and after an edit).
// Nothing runs.
func (e *Engine) Input(ctx context.Context, p *Plan, ie *Incomplete, in ResumeInput) (weft.Bundle, error) {
	n := p.byID[ie.ModuleID]
	if n == nil {
		return nil, fmt.Errorf("input: module %d is not in the blueprint", ie.ModuleID)
	}
	return e.restore(ctx, p, ie, in).input(n)
}

// Writes reports whether module id may have side effects that repeat when it runs
// again: an action that does I/O (its spec has a deadline) and is not declared
// idempotent. Modules that only compute (a negative Spec.Timeout: JSON, text, tools)
// and flow control do not.
func (p *Plan) Writes(id int) bool {
	n := p.byID[id]
	if n == nil || n.spec == nil {
		return false
	}
	s := n.spec
	return s.Kind == app.KindAction && s.Timeout >= 0 && !s.Idempotent && !s.NoOperation
}

// Rewind lists the modules a continuation from module from runs before it reaches the
// failing module failed (from itself first), or says why it cannot start there.
// from < 0 is the trigger's bundle: the first module after the trigger. The modules
// must lie on one straight stretch of the failing module's path — no router, if/else,
// iterator or aggregator between them — so that the continuation carries this one bundle
// and no other route or loop item runs again.
func (p *Plan) Rewind(from, failed int) ([]int, error) {
	n := p.byID[failed]
	if n == nil {
		return nil, fmt.Errorf("module %d is not in the blueprint", failed)
	}
	_, between, err := p.rewind(from, n)
	ids := make([]int, len(between))
	for i, b := range between {
		ids[i] = b.id
	}
	return ids, err
}

func (p *Plan) rewind(from int, n *node) (*node, []*node, error) {
	var m *node
	if from < 0 {
		if p.trigger == nil || p.trigger.next == nil {
			return nil, nil, fmt.Errorf("%w: the flow has no module after the trigger", ErrRewind)
		}
		m = p.trigger.next
	} else if m = p.byID[from]; m == nil {
		return nil, nil, fmt.Errorf("%w: module %d is not in the blueprint", ErrRewind, from)
	} else if m == p.trigger {
		m = p.trigger.next
	}
	if m == n {
		return n, nil, nil
	}
	var between []*node
	for c := m; c != n; c = c.next {
		if c == nil || len(c.aggs) > 0 || c.kind != app.KindAction || len(c.routes) > 0 || len(c.branches) > 0 {
			return nil, nil, fmt.Errorf("%w: module %d is not on a straight stretch of the path before module %d "+
				"(a router, an if/else, an iterator or an aggregator lies between them, or it comes after it); "+
				"only modules that carry this one bundle to module %d may be resumed from", ErrRewind, m.id, n.id, n.id)
		}
		between = append(between, c)
	}
	return m, between, nil
}
