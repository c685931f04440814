package engine

import (
	"maps"
	"slices"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/builtin"
	"github.com/weftworks/weft/iml"
	"github.com/weftworks/weft/value"
)

// fail handles module n failing for the current bundle: its error handler route, or
// the rules for unhandled errors (SPEC §3.2–§4). It returns where the bundle goes next
// (after a Resume) or nil.
func (r *run) fail(n *node, err error, input weft.Bundle) *node {
	if r.ctx.Err() != nil {
		return nil // cancelled: the run ends, the failure is the cancellation's
	}
	if err = r.limitErr(n, err); r.fatal != nil {
		// A run limit ended the run (engine/limits.go); a continuation keeps what it did.
		r.keepFailed(n, weft.AsError(err), input)
		return nil
	}
	we := weft.AsError(err)
	if n.onerror != nil {
		if next, handled := r.handle(n, we, input); handled {
			return next
		}
	}
	switch {
	case n == r.p.trigger:
		r.fatalErr(n, we, "error on the first module: the run stops")
	case r.inHandle > 0:
		r.fatalErr(n, we, "error inside an error handler route")
	case !r.p.Settings.DLQ:
		r.fatalErr(n, we, "incomplete executions are off (dlq): the run fails")
		r.keepFailed(n, we, input)
	case waitOf(we) != nil:
		// A call whose bundle the called scenario kept: stored whatever its type, and
		// without retries of its own (the called scenario's incomplete execution
		// retries; resolving it continues this one, docs/subscenarios.md).
		r.storeIncomplete(n, we, input, false, nil)
	case we.Type.Retryable():
		// A call whose outcome is unknown is retried automatically only when repeating
		// it is safe; otherwise a person checks, marks it done or retries it.
		safe := !we.OutcomeUnknown || we.Idempotent || (n.spec != nil && n.spec.Idempotent)
		r.storeIncomplete(n, we, input, safe, nil)
	case we.Type.NeedsPerson():
		r.storeIncomplete(n, we, input, false, nil)
	default:
		r.fatalErr(n, we, string(we.Type)+" is not stored as an incomplete execution: the run fails")
		r.keepFailed(n, we, input)
	}
	return nil
}

// keepFailed records, in a continuation of an incomplete execution (Resume), where it
// failed for good: the incomplete execution already exists, and moving it there keeps
// the outputs of the modules that succeeded on the way, so the next attempt does not
// call them again (their side effects would repeat). endCycle drops it again when the
// failure rolled back writes those modules made.
func (r *run) keepFailed(n *node, we *weft.Error, input weft.Bundle) {
	if !r.resumed || r.res.Failed != nil {
		return
	}
	r.res.Failed = r.snapshot(n, we, input, false, nil)
}

func (r *run) fatalErr(n *node, we *weft.Error, outcome string) {
	r.fatal = &RunError{Type: we.Type, Message: we.Message, ModuleID: n.id}
	r.note(n, outcome)
}

// handle runs n's error handler route. handled is false when the route's filter
// rejects the error: it is then treated as unhandled.
func (r *run) handle(n *node, we *weft.Error, input weft.Bundle) (next *node, handled bool) {
	prev := r.slots[n.slot]
	r.slots[n.slot] = errorBundle(we)
	head := n.onerror
	ok, cont := r.pass(head)
	if cont == nil && !ok {
		r.slots[n.slot] = prev
		return nil, false
	}
	saved := r.directive
	r.directive = nil
	r.inHandle++
	if cont != nil {
		r.walk(cont, true)
	} else {
		r.walk(head, true)
	}
	r.inHandle--
	d := r.directive
	r.directive = saved
	if r.halted() {
		return nil, true
	}
	if d == nil {
		r.note(n, "handled: no directive (ignore)")
		return nil, true
	}
	switch d.typ {
	case "builtin:Resume":
		out, err := r.input(d)
		if err != nil {
			r.fatalErr(d, weft.AsError(err), "cannot map Resume's substitute output")
			return nil, true
		}
		r.slots[n.slot] = out
		r.note(n, "handled: resume")
		return n.next, true
	case "builtin:Break":
		b := r.breakSettings(n, d)
		r.slots[n.slot] = prev
		r.storeIncomplete(n, we, input, b.Retry, &b)
		return nil, true
	case "builtin:Commit":
		r.stopped, r.commit = true, true
		r.note(n, "handled: commit (run stopped)")
	case "builtin:Rollback":
		r.stopped, r.commit = true, false
		r.res.Error = &RunError{Type: we.Type, Message: we.Message, ModuleID: n.id}
		r.note(n, "handled: rollback (run stopped)")
	default: // builtin:Ignore
		r.note(n, "handled: ignore")
	}
	return nil, true
}

// breakSettings evaluates Break's mapper. Break exists to keep the bundle, so settings
// that cannot be mapped or are out of range never lose it: they are clamped (or take
// their defaults) and the failing module's log entry says so.
func (r *run) breakSettings(n, d *node) builtin.BreakSettings {
	raw := weft.Bundle{}
	if d.mapper != nil {
		v, err := d.mapper.Eval(&r.env)
		if err != nil {
			r.warn(n, "Break's settings cannot be mapped ("+weft.AsError(mapErr("", err)).Message+"): stored with the defaults (3 attempts, 15 minutes apart)")
			b, _ := builtin.ClampBreak(nil)
			return b
		}
		if m, ok := v.(map[string]any); ok {
			raw = m
		}
	}
	if d.spec != nil {
		if in, err := app.PrepareInput(d.spec, raw); err == nil {
			return builtin.ReadBreak(in)
		}
	}
	b, warns := builtin.ClampBreak(raw)
	for _, w := range warns {
		r.warn(n, "Break: "+w)
	}
	return b
}

// errorBundle is what a handler route maps as {{N.error…}}.
func errorBundle(we *weft.Error) weft.Bundle {
	e := map[string]any{"type": string(we.Type), "message": we.Message, "name": string(we.Type)}
	if len(we.Details) > 0 {
		e["details"] = map[string]any(we.Details)
	}
	return weft.Bundle{"error": e}
}

// storeIncomplete records an incomplete execution for n's current bundle; the run goes
// on with its other bundles (SPEC §3.3).
func (r *run) storeIncomplete(n *node, we *weft.Error, input weft.Bundle, auto bool, brk *builtin.BreakSettings) {
	ie := r.snapshot(n, we, input, auto, brk)
	r.res.Incomplete = append(r.res.Incomplete, ie)
	if r.res.Error == nil {
		r.res.Error = &RunError{Type: we.Type, Message: we.Message, ModuleID: n.id}
	}
	if brk != nil {
		r.note(n, "handled: break (stored as an incomplete execution)")
	} else {
		r.note(n, "stored as an incomplete execution")
	}
}

// snapshot is everything needed to continue from n for the current bundle.
func (r *run) snapshot(n *node, we *weft.Error, input weft.Bundle, auto bool, brk *builtin.BreakSettings) *Incomplete {
	ie := &Incomplete{ModuleID: n.id, Error: we, Input: input, AutoRetry: auto, Break: brk, Cycle: r.cyc,
		Origin: r.origin, Path: slices.Clone(r.path),
		Outputs: map[int]any{}, Variables: r.snapshotVars(), Caller: r.caller}
	if in, _ := r.env.Variables["input"].(map[string]any); len(in) > 0 {
		ie.Inputs = in
	}
	if conn := value.Text(n.params["__IMTCONN__"]); conn != "" {
		ie.BreakerKey = "connection:" + conn
	} else if we.Endpoint != "" {
		ie.BreakerKey = "host:" + we.Endpoint
	}
	if w := waitOf(we); w != nil {
		ie.Waits, ie.AutoRetry = w, false
	}
	for s := range n.visibleSlots() {
		if v := r.slots[s]; v != nil {
			id := r.p.nodes[s].id
			ie.Outputs[id] = v
			if r.p.nodes[s].kind == app.KindIfElse {
				if ie.Branches == nil {
					ie.Branches = map[int]int{}
				}
				ie.Branches[id] = r.branch[s]
			}
		} else if r.p.nodes[s].kind == app.KindIfElse {
			if ie.Branches == nil {
				ie.Branches = map[int]int{}
			}
			ie.Branches[r.p.nodes[s].id] = r.branch[s]
		}
	}
	for _, l := range n.enclosingLoops() {
		ie.Loops = append(ie.Loops, l.feeder.id)
	}
	return ie
}

// openLoop starts collecting for the aggregators of a feeder's loop.
func (r *run) openLoop(feeder *node, aggs []*node) *loopFrame {
	f := &loopFrame{feeder: feeder, aggs: aggs, items: make(map[*node]*groups, len(aggs))}
	for _, a := range aggs {
		f.items[a] = &groups{items: map[string][]weft.Bundle{}}
	}
	r.loops = append(r.loops, f)
	return f
}

// closeLoop ends a feeder's loop: each aggregator emits its bundle(s) and the flow
// goes on after it. resumed: the loop was reopened to carry one stored bundle (Resume);
// an aggregator that collected nothing then emits nothing — the bundle failed again or
// was filtered out, and the original run already emitted the aggregate of the others, so
// an empty aggregate would only repeat what follows the loop.
func (r *run) closeLoop(f *loopFrame, resumed bool) {
	r.loops = r.loops[:len(r.loops)-1]
	for _, a := range f.aggs {
		if r.halted() {
			return
		}
		g := f.items[a]
		keys := g.keys
		if len(keys) == 0 && !a.stopIfEmpty && a.groupBy == nil && !resumed {
			// An empty loop still yields one aggregate (Make: {array: []}).
			keys = []string{""}
		}
		for _, key := range keys {
			if r.halted() {
				return
			}
			start := r.e.opts.Clock()
			out, err := a.spec.Aggregate(a.params, g.items[key])
			if a.counts {
				r.res.Operations++
			}
			if err == nil {
				err = r.takeOutput([]weft.Bundle{out}) // run limits (engine/limits.go)
			}
			if err != nil {
				r.log(a, nil, nil, err, start)
				if next := r.fail(a, err, nil); next != nil {
					r.walk(next, true)
				}
				continue
			}
			if a.groupBy != nil {
				out["__IMTKEY__"] = key
			}
			r.log(a, nil, []weft.Bundle{out}, nil, start)
			r.slots[a.slot] = out
			r.walk(a.next, false)
		}
	}
}

// collect adds the current bundle to the aggregator's loop.
func (r *run) collect(a *node) {
	var f *loopFrame
	for i := len(r.loops) - 1; i >= 0; i-- {
		if r.loops[i].feeder == a.feeder {
			f = r.loops[i]
			break
		}
	}
	if f == nil {
		return // unreachable after validation: an aggregator is always inside its loop
	}
	item, err := r.aggItem(a)
	if err != nil {
		if next := r.fail(a, err, nil); next != nil {
			r.walk(next, true)
		}
		return
	}
	key := ""
	if a.groupBy != nil {
		v, err := a.groupBy.Eval(&r.env)
		if err != nil {
			r.fail(a, mapErr("groupBy", err), nil)
			return
		}
		key = textKey(v)
	}
	if g := f.items[a]; g != nil {
		g.add(key, item)
	}
}

func (r *run) aggItem(a *node) (weft.Bundle, error) {
	if a.mapper == nil {
		return weft.Bundle{}, nil
	}
	v, err := a.mapper.Eval(&r.env)
	if err != nil {
		return nil, mapErr("", err)
	}
	m, _ := v.(map[string]any)
	if m == nil {
		m = weft.Bundle{}
	}
	item := maps.Clone(m)
	return item, r.lim.Take(item, "an item it aggregates") // run limits (engine/limits.go)
}

func textKey(v any) string {
	if v == nil || v == iml.Ignore {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	return value.Text(v)
}
