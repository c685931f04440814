package service

import (
	"context"

	"github.com/weftworks/weft"
)

// What started a run is recorded on its execution (weft.Execution.Trigger) and shown
// by the execution inspector. Runs started by the scheduler carry it in their context
// (fire); the rest is told by what the run consumes.

type triggerKey struct{}

// withTrigger marks runs started under ctx as started by t.
func withTrigger(ctx context.Context, t weft.Trigger) context.Context {
	return context.WithValue(ctx, triggerKey{}, t)
}

// startedBy names what started a run recorded as ex (its caller already linked):
// another scenario's call, the scheduler, a webhook's payload, else a person or a
// script (Run: the UI's "Run once", the API, the CLI).
func startedBy(ctx context.Context, ex *weft.Execution) weft.Trigger {
	if ex.ParentID != "" {
		return weft.TriggerCall
	}
	if t, ok := ctx.Value(triggerKey{}).(weft.Trigger); ok {
		return t
	}
	if ex.QueueItemID != 0 {
		return weft.TriggerWebhook
	}
	return weft.TriggerManual
}
