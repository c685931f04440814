package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
)

// Polling triggers (app.Poller, docs/triggers.md). The trigger polls once per cycle,
// from the position the last committed cycle left; each item it returns is carried
// through the flow as its own bundle, with idempotency keys named by the item (so an
// item emitted again after a run that did not commit sends the same keys). The
// position after the items a committed cycle consumed is Result.Position: the caller
// stores it in the transaction that records the run's end.

// Poller reports whether the plan's first module is a polling trigger, with its id and
// module type.
func (p *Plan) Poller() (moduleID int, module string, ok bool) {
	t := p.trigger
	if t == nil || t.kind != app.KindTrigger || t.mod == nil {
		return 0, "", false
	}
	if _, ok := t.mod.(app.Poller); !ok {
		return 0, "", false
	}
	return t.id, t.typ, true
}

// StartPosition asks the plan's polling trigger for the position a start choice means
// (Make's "Choose where to start"), with the run's connections and clock.
func (e *Engine) StartPosition(ctx context.Context, p *Plan, from app.StartFrom, sc ScenarioInfo) (pos json.RawMessage, err error) {
	if _, _, ok := p.Poller(); !ok {
		return nil, fmt.Errorf("the scenario's first module is not a polling trigger")
	}
	if err := from.Validate(); err != nil {
		return nil, err
	}
	t := p.trigger
	r := e.newRun(ctx, p, "", sc, nil, nil, time.Time{})
	defer r.cancel()
	mctx := r.mctx
	if t.timeout > 0 {
		var cancel context.CancelFunc
		mctx, cancel = context.WithTimeout(mctx, t.timeout)
		defer cancel()
	}
	defer func() {
		if v := recover(); v != nil {
			pos, err = nil, weft.Errorf(weft.RuntimeError, "module %s panicked: %v", t.typ, v)
		}
	}()
	pos, err = t.mod.(app.Poller).Start(mctx, &app.Call{ModuleID: t.id, Params: t.params, Exec: r}, from)
	if err != nil {
		return nil, err
	}
	if len(pos) > 0 && !json.Valid(pos) {
		return nil, weft.Errorf(weft.UnexpectedError, "module %s returned a start position that is not JSON", t.typ)
	}
	return pos, nil
}

// runPolls performs up to limit cycles of a polling trigger. A cycle whose poll found
// nothing (or whose items were not consumed) ends the run: Make calls a polling
// trigger again in the next cycle only while it keeps returning items.
func (r *run) runPolls(in Input, limit int) {
	pos := in.Position
	for i := 0; i < limit && !r.halted(); i++ {
		r.cyc = i + 1
		r.startCycle()
		next, n := r.poll(pos, in.PollOrigin)
		r.endCycle()
		if n == 0 {
			return
		}
		if r.res.Committed {
			r.res.Position = next
		}
		if !r.res.Committed || r.halted() {
			return
		}
		pos = next
	}
}

// poll runs the trigger for one cycle and carries each item through the flow. It
// returns the position after the last item fully consumed and how many were.
func (r *run) poll(pos json.RawMessage, origin string) (json.RawMessage, int) {
	t := r.p.trigger
	start := r.e.opts.Clock()
	if err := r.deadline(start); err != nil {
		r.log(t, nil, nil, err, start)
		r.fail(t, err, nil)
		return nil, 0
	}
	if t.counts {
		r.res.Operations++
	}
	items, err := r.safePoll(t, pos)
	var bundles []weft.Bundle
	if err == nil {
		bundles = make([]weft.Bundle, len(items))
		for i, it := range items {
			if it.Bundle == nil {
				it.Bundle = weft.Bundle{}
				items[i].Bundle = it.Bundle
			}
			if len(it.Position) == 0 || !json.Valid(it.Position) {
				err = weft.Errorf(weft.UnexpectedError, "module %s returned item %d without a valid position", t.typ, i+1)
				break
			}
			bundles[i] = it.Bundle
		}
	}
	if err == nil {
		err = r.takeOutput(bundles)
	}
	if err != nil {
		r.log(t, nil, nil, err, start)
		r.fail(t, err, nil)
		return nil, 0
	}
	r.log(t, nil, bundles, nil, start)
	var f *loopFrame
	if len(t.aggs) > 0 {
		f = r.openLoop(t, t.aggs)
	}
	var consumed json.RawMessage
	n := 0
	for i, it := range items {
		if r.halted() || r.late(t, i) {
			break
		}
		r.origin, r.path = itemOrigin(origin, r.id, it), append(r.path[:0], 0)
		r.slots[t.slot] = it.Bundle
		r.walk(t.next, false)
		if r.fatal != nil || r.ctx.Err() != nil || (r.stopped && !r.commit) {
			break
		}
		consumed, n = it.Position, n+1
	}
	if f != nil {
		r.closeLoop(f, false)
	}
	return consumed, n
}

// safePoll calls the trigger's Poll under its time limit, turning a panic into a
// RuntimeError.
func (r *run) safePoll(t *node, pos json.RawMessage) (items []app.PollItem, err error) {
	ctx := r.mctx
	if t.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(r.mctx, t.timeout)
		defer cancel()
	}
	r.current = t
	defer func() {
		r.current = nil
		if v := recover(); v != nil {
			items, err = nil, weft.Errorf(weft.RuntimeError, "module %s panicked: %v", t.typ, v)
		}
	}()
	items, err = t.mod.(app.Poller).Poll(ctx, &app.Call{ModuleID: t.id, Params: t.params, Exec: r}, pos)
	if err == nil && ctx.Err() == context.DeadlineExceeded && r.ctx.Err() == nil {
		err = weft.Errorf(weft.ModuleTimeoutError, "module %d exceeded its time limit of %s", t.id, t.timeout)
	}
	return items, err
}

// itemOrigin names a polled item for idempotency keys: the caller's prefix (the
// scenario and trigger) and the item's key, or a digest of its position when it has
// none. Without a prefix the execution id stands in (keys then differ per run).
func itemOrigin(prefix, execID string, it app.PollItem) string {
	if prefix == "" {
		prefix = execID
	}
	key := it.Key
	if key == "" {
		sum := sha256.Sum256(it.Position)
		key = "p:" + hex.EncodeToString(sum[:12])
	}
	return prefix + "/" + key
}
