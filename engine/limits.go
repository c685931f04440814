package engine

import (
	"context"
	"errors"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/limits"
)

// Run limits (docs/operations.md, "Run limits"). Each run carries one *limits.Run: the
// engine's limits lowered by the scenario's, and what the run has used. It is checked
// where values enter the run — a module's input and output, an aggregated item, the
// trigger's bundles — and where time passes (before each module, inside the mapping
// language's loops); modules see it through their context (limits.FromContext).

// errRunDeadline is the cause of the modules' context ending at the run's deadline.
var errRunDeadline = errors.New("the run's time limit (runTimeout) has passed")

// startLimits gives the run its limits and the context its modules run under: the
// run's deadline (in real time, for modules that wait on the network) and the limits.
func (r *run) startLimits(ctx context.Context) {
	own := r.p.Settings.Limits
	if !r.callDeadline.IsZero() {
		// A called run that is waited for ends by its caller's deadline too: the caller
		// never runs past its own limit (docs/subscenarios.md).
		left := max(r.callDeadline.Sub(r.e.opts.Clock()), time.Nanosecond)
		if own.RunTimeout == 0 || left < own.RunTimeout {
			own.RunTimeout = left
		}
	}
	r.lim = limits.Start(r.e.opts.Limits, own, r.e.opts.Clock)
	r.env.Limits = r.lim
	mctx, cancel := context.WithTimeoutCause(ctx, r.lim.RunTimeout, errRunDeadline)
	r.mctx, r.cancel = limits.NewContext(mctx, r.lim), cancel
}

// deadline reports the run's time limit once it has passed: on the run's clock (now,
// read by the caller anyway) or in real time (the modules' context ended), unless the
// run was stopped from outside.
func (r *run) deadline(now time.Time) error {
	if err := r.lim.CheckAt(now); err != nil {
		return err
	}
	if r.mctx.Err() != nil && r.ctx.Err() == nil {
		return r.lim.DeadlineError()
	}
	return nil
}

// late looks at the run's deadline every 256 bundles module n emitted (i counts them):
// a loop whose bundles reach no other module (an iterator into an aggregator) would
// otherwise never look. Past the deadline the run fails at n.
func (r *run) late(n *node, i int) bool {
	if i&255 != 255 {
		return false
	}
	if err := r.lim.Check(); err != nil {
		r.fail(n, err, nil)
		return true
	}
	return false
}

// takeOutput checks and counts the bundles a module emitted for one bundle.
func (r *run) takeOutput(out []weft.Bundle) error {
	if err := r.lim.Bundles(len(out), "the module"); err != nil {
		return err
	}
	for _, b := range out {
		if err := r.lim.Take(b, "its output"); err != nil {
			return err
		}
	}
	return nil
}

// limitErr names module n in a run limit's error; any other error is returned as it
// is. A limit whose scope is the whole run (maxOperations, maxRunBytes, runTimeout)
// ends the run here: it fails at module n, as an error on the trigger does — no error
// handler route runs and no incomplete execution is stored, because every later
// module would fail the same way; an instant trigger's payload goes back to the queue.
func (r *run) limitErr(n *node, err error) error {
	ex, ok := limits.As(err)
	if !ok {
		return err
	}
	named := *ex
	named.Module, named.ModuleType = n.id, n.typ
	we := named.AsError()
	if named.RunWide() && r.fatal == nil {
		r.fatal = &RunError{Type: we.Type, Message: we.Message, ModuleID: n.id}
		r.note(n, "run limit "+named.Key+" reached: the run fails")
	}
	return we
}
