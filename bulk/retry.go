package bulk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// retryable are the statuses a retry takes (store.Requeue's): the others are in
// progress already or resolved.
var retryable = []weft.IncompleteStatus{weft.IncompleteUnresolved, weft.IncompletePending}

// Retry queues the incomplete executions sels select for a retry now and returns the
// job that follows them to their outcome. The selection is checked and queued before
// Retry returns (an unknown id is store.ErrNotFound and nothing is queued), so a
// caller that stops watching leaves them queued for the worker.
func (js *Jobs) Retry(ctx context.Context, sels ...store.Selection) (*Job, error) {
	targets, skipped, err := js.resolve(ctx, sels, retryable)
	if err != nil {
		return nil, err
	}
	scenarios, ids := byScenario(targets)
	for _, sc := range scenarios {
		for part := range slices.Chunk(ids[sc], js.o.Chunk) {
			// The ids were just read; one deleted meanwhile must not undo the rest.
			if _, err := js.o.Service.Retry(ctx, store.Selection{IDs: part, ScenarioID: sc}); err != nil {
				if !errors.Is(err, store.ErrNotFound) {
					return nil, err
				}
				for _, id := range part {
					if _, err := js.o.Service.Retry(ctx, store.Selection{IDs: []string{id}, ScenarioID: sc}); err != nil &&
						!errors.Is(err, store.ErrNotFound) {
						return nil, err
					}
				}
			}
		}
	}
	return js.start(KindRetry, len(targets)+skipped, skipped, func(ctx context.Context, j *Job) error {
		return js.follow(ctx, j, targets)
	}), nil
}

// follow reads, every Poll, where the job's incomplete executions stand, until each
// one's attempt has ended. One is still open while it is queued (pending with the
// manual mark Requeue set, which the attempt clears) or in progress.
func (js *Jobs) follow(ctx context.Context, j *Job, targets []target) error {
	open := map[int64]map[string]bool{}
	for _, t := range targets {
		if open[t.scenario] == nil {
			open[t.scenario] = map[string]bool{}
		}
		open[t.scenario][t.id] = true
	}
	if js.o.Runner != nil {
		// The runner goes on beside the reads: a round of retries ends only when its
		// slowest attempt does, and progress must show meanwhile. When the job is done
		// it takes no more work, and the attempts it started finish first.
		stop, stopped := make(chan struct{}), make(chan struct{})
		defer func() { close(stop); <-stopped }()
		go func() { defer close(stopped); js.run(ctx, stop, j) }()
	}
	tick := time.NewTicker(js.o.Poll)
	defer tick.Stop()
	for len(open) > 0 {
		for sc, ids := range open {
			if err := js.settle(ctx, j, sc, ids); err != nil {
				return err
			}
			if len(ids) == 0 {
				delete(open, sc)
			}
		}
		if len(open) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

// run carries out due retries with the Runner until stop is closed or ctx ends: at
// once again while there was work, else after Poll.
func (js *Jobs) run(ctx context.Context, stop <-chan struct{}, j *Job) {
	tick := time.NewTicker(js.o.Poll)
	defer tick.Stop()
	for ctx.Err() == nil {
		select {
		case <-stop:
			return
		default:
		}
		n, err := js.o.Runner(ctx)
		if err != nil && ctx.Err() == nil {
			js.o.Logger.Warn("bulk retry: carrying out retries", "job", j.id, "err", err) // each attempt records its own
		}
		if n > 0 {
			continue
		}
		select {
		case <-ctx.Done():
		case <-stop:
		case <-tick.C:
		}
	}
}

// settle counts the incomplete executions of one scenario whose attempt has ended and
// removes them from ids.
func (js *Jobs) settle(ctx context.Context, j *Job, scenario int64, ids map[string]bool) error {
	stillOpen := map[string]bool{}
	retrying := 0
	err := js.eachOf(ctx, scenario, []weft.IncompleteStatus{weft.IncompletePending, weft.IncompleteInProgress}, func(ie *weft.Incomplete) {
		if !ids[ie.ID] {
			return
		}
		if ie.Status == weft.IncompleteInProgress || ie.ManualRetry {
			stillOpen[ie.ID] = true
			return
		}
		retrying++ // failed again, due for an automatic attempt
		delete(ids, ie.ID)
	})
	if err != nil {
		return err
	}
	j.count(OutcomeRetrying, retrying)
	for id := range ids {
		if stillOpen[id] {
			continue
		}
		ie, err := js.o.Store.GetIncomplete(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			j.count(OutcomeDeleted, 1)
		case err != nil:
			return fmt.Errorf("incomplete execution %s: %w", id, err)
		case ie.Status == weft.IncompleteResolved:
			j.count(OutcomeResolved, 1)
		case ie.Status == weft.IncompleteUnresolved:
			j.count(OutcomeFailed, 1)
		default:
			continue // it moved on between the two reads: the next round sees it
		}
		delete(ids, id)
	}
	return nil
}
