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
	r := e.restore(ctx, p, ie, in)
	loops := n.enclosingLoops()
	frames := make([]*loopFrame, 0, len(loops))
	for _, l := range loops {
		frames = append(frames, r.openLoop(l.feeder, l.aggs))
	}
	if in.Supplied {
		r.resumeSupplied(n, in.Output, in.Note)
	} else {
		r.walk(n, true)
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
