package service

import (
	"context"
	"time"
)

// Work is the worker loop: it recovers interrupted work, then carries out due retries
// and queued runs, and deletes resolved incomplete executions past their retention,
// until ctx is cancelled. It sleeps until the next retry is due, a payload arrives, or
// poll passes. Every round first writes again what failed to be written (owed.go),
// every failedWriteRetry while some remain, so weft catches up by itself after a full
// disk.
func (s *Service) Work(ctx context.Context, poll time.Duration) error {
	return s.work(ctx, ctx.Done(), poll, true)
}

// WorkUntil is Work that stops taking new work when stop is closed but lets the runs
// and retries in flight finish (they end early only if ctx is cancelled). It does not
// recover: the caller has.
func (s *Service) WorkUntil(ctx context.Context, stop <-chan struct{}, poll time.Duration) error {
	return s.work(ctx, stop, poll, false)
}

func (s *Service) work(ctx context.Context, stop <-chan struct{}, poll time.Duration, recover bool) error {
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return ctx.Err() != nil
		}
	}
	if poll <= 0 {
		poll = time.Second
	}
	if recover {
		if _, err := s.Recover(ctx); err != nil {
			return err
		}
	}
	var lastHousekeeping, lastTakeover time.Time
	for {
		if stopped() {
			s.lastFailedWrites(ctx)
			return nil
		}
		// Before new work: an owed hand-back frees a payload or an incomplete execution
		// for this very round, an owed run end unblocks its scenario.
		landed, _ := s.RetryFailedWrites(ctx) // it logs what still fails
		if _, err := s.RetryUnregistrations(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("instant triggers", "err", err) // owed again, tried later (hooks.go)
		}
		if now := s.now(); s.shared != nil && now.Sub(lastTakeover) >= takeoverEvery {
			// The work of processes whose lease expired (cluster.go).
			if _, err := s.takeOver(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("take over", "err", err)
			}
			lastTakeover = now
		}
		retries, err := s.RunDue(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("retries", "err", err)
		}
		runs, err := s.DrainQueue(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("queued runs", "err", err)
		}
		scheduled, err := s.FireDue(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("scheduled runs", "err", err)
		}
		if now := s.now(); now.Sub(lastHousekeeping) >= time.Hour {
			if _, err := s.Housekeep(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("housekeeping", "err", err)
			}
			lastHousekeeping = now
		}
		if landed+retries+runs+scheduled > 0 {
			continue
		}
		wait := poll
		if next, err := s.st.NextDue(ctx); err == nil && next != nil {
			if d := next.Sub(s.now()); d < wait {
				wait = max(d, 0)
			}
		}
		if s.FailedWrites() > 0 {
			wait = min(wait, failedWriteRetry)
		}
		if s.shared != nil {
			// Other processes enqueue and schedule retries without waking this one.
			wait = min(wait, takeoverEvery)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			s.lastFailedWrites(ctx)
			return nil
		case <-stop:
			t.Stop()
			s.lastFailedWrites(ctx)
			return nil
		case <-s.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// Housekeep deletes resolved incomplete executions older than the retention period
// (default 30 days, SPEC §5.6).
func (s *Service) Housekeep(ctx context.Context) (int, error) {
	if err := s.closeIdleBreakers(ctx); err != nil {
		s.log.Warn("housekeeping", "err", err) // tried again at the next housekeeping
	}
	return s.st.DeleteResolvedBefore(ctx, s.now().Add(-s.cfg.Retention))
}

// lastFailedWrites makes one last try at the writes still owed when the worker stops;
// what still fails is left to Recover at the next start.
func (s *Service) lastFailedWrites(ctx context.Context) {
	if s.FailedWrites() == 0 {
		return
	}
	if _, err := s.RetryFailedWrites(context.WithoutCancel(ctx)); err != nil {
		s.log.Error("stopping with failed writes; recovery handles them at the next start",
			"owed", s.FailedWrites(), "err", err)
	}
}
