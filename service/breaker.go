package service

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/store"
)

// Circuit breakers (docs/incomplete-executions.md §10). Incomplete executions whose
// call failed with a ConnectionError or RateLimitError on one connection or host
// (weft.Incomplete.BreakerKey) share a breaker. The first such failure opens it; while
// it is open their automatic retries are held, and once per BreakerInterval (or the
// service's longer Retry-After) one of them, the probe, is tried; the others wait
// without using up their attempts. When the probe gets
// an answer the breaker closes and the held ones are due at once; when it fails again
// the next probe waits another interval. A person's retries are never held, and one
// that gets an answer closes the breaker too. Breakers live in the store, so a restart
// keeps them.

// breaks reports whether a failure of this type says the service is down or refuses
// calls for now.
func breaks(t weft.ErrorType) bool {
	return t == weft.ConnectionError || t == weft.RateLimitError
}

func retryAfterOf(e *engine.Incomplete) time.Duration {
	if e == nil || e.Error == nil {
		return 0
	}
	return e.Error.RetryAfter
}

// tripTx opens ie's breaker when ie waits for an automatic retry after a ConnectionError
// or RateLimitError, or, when ie is the breaker's probe (probe == ie.ID), moves the next
// probe an interval on. A longer Retry-After than the interval wins.
func (s *Service) tripTx(ctx context.Context, q store.Queries, ie *weft.Incomplete, probe string, retryAfter time.Duration, now time.Time) error {
	if s.cfg.NoCircuitBreakers || ie.BreakerKey == "" || !breaks(ie.ErrorType) {
		return nil
	}
	if probe == "" && ie.Status != weft.IncompletePending {
		return nil // nothing to hold back
	}
	next := now.Add(max(s.cfg.BreakerInterval, retryAfter))
	b, err := q.GetBreaker(ctx, ie.BreakerKey)
	switch {
	case isNotFound(err):
		b = &weft.Breaker{Key: ie.BreakerKey, OpenedAt: now, NextProbeAt: next}
		s.log.Warn("circuit breaker opened: automatic retries on it wait for one probe", "breaker", ie.BreakerKey,
			"incomplete", ie.ID, "error", string(ie.ErrorType), "probe_at", next)
	case err != nil:
		return err
	case probe != "" && b.ProbeID == probe:
		b.ProbeID, b.NextProbeAt = "", next
		b.Failures++
	case retryAfter > 0 && next.After(b.NextProbeAt):
		b.NextProbeAt = next // the service asked for a longer pause
	default:
		return nil
	}
	b.ErrorType, b.ErrorMessage = ie.ErrorType, ie.ErrorMessage
	return q.PutBreaker(ctx, b)
}

// settleBreaker applies an attempt's outcome to the breakers: called is the key the
// attempt called again (its incomplete execution's before the attempt), failed whether
// it failed again (cur is the incomplete execution after it). Failing again with a
// ConnectionError or RateLimitError on a key trips that key; any other outcome means
// the service of called answered, which closes its breaker.
func (s *Service) settleBreaker(ctx context.Context, q store.Queries, called string, cur *weft.Incomplete, failed bool, retryAfter time.Duration, now time.Time) error {
	if s.cfg.NoCircuitBreakers {
		return nil // not even a close: its key (and lock, on PostgreSQL) is not touched
	}
	if failed && called != "" && cur.BreakerKey != "" && cur.BreakerKey != called {
		// Two keys (the attempt reached another connection or host): hold them in key
		// order, as heldByBreakers does, so two processes never wait for each other.
		for _, key := range []string{min(called, cur.BreakerKey), max(called, cur.BreakerKey)} {
			if _, err := q.GetBreaker(ctx, key); err != nil && !isNotFound(err) {
				return err
			}
		}
	}
	if failed && breaks(cur.ErrorType) && cur.BreakerKey != "" {
		if err := s.tripTx(ctx, q, cur, cur.ID, retryAfter, now); err != nil {
			return err
		}
		if cur.BreakerKey == called {
			return nil
		}
	}
	if called == "" {
		return nil
	}
	_, err := s.closeTx(ctx, q, called, now)
	return err
}

// closeTx closes key's breaker, if open, and makes the incomplete executions it held due
// at now. It returns how many it released.
func (s *Service) closeTx(ctx context.Context, q store.Queries, key string, now time.Time) (int, error) {
	if _, err := q.GetBreaker(ctx, key); isNotFound(err) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	if err := q.DeleteBreaker(ctx, key); err != nil {
		return 0, err
	}
	n, err := q.ReleaseBreaker(ctx, key, now)
	if err != nil {
		return 0, err
	}
	s.log.Info("circuit breaker closed: its automatic retries go on", "breaker", key, "released", n)
	return n, nil
}

// heldByBreakers hands the claimed incomplete executions whose breaker is open back,
// held, and reports which: each waits, without an attempt, until the next probe is due
// (then one of the held ones is the probe and the others wait again), or until the
// breaker closes and releases it. The first one claimed once the next probe is due is
// the probe. One transaction for the whole claim. A store failure lets them run: the
// breaker spares the service, it must not strand the retries.
func (s *Service) heldByBreakers(ctx context.Context, claimed []*weft.Incomplete) []bool {
	held := make([]bool, len(claimed))
	if s.cfg.NoCircuitBreakers {
		return held
	}
	some := false
	for _, ie := range claimed {
		some = some || (!ie.ManualRetry && ie.BreakerKey != "")
	}
	if !some {
		return held
	}
	now := s.now()
	gone := s.goneProbes(ctx, claimed)
	err := s.st.InTx(ctx, func(q store.Queries) error {
		clear(held)
		// The breakers are read in key order: on a shared store reading one holds it
		// to the commit, and two processes holding keys in different orders would
		// deadlock.
		var keys []string
		for _, ie := range claimed {
			if !ie.ManualRetry && ie.BreakerKey != "" {
				keys = append(keys, ie.BreakerKey)
			}
		}
		slices.Sort(keys)
		read := map[string]*weft.Breaker{} // nil: closed
		for _, key := range slices.Compact(keys) {
			b, err := q.GetBreaker(ctx, key)
			if err != nil && !isNotFound(err) {
				return err
			}
			read[key] = b
		}
		open := map[string]*weft.Breaker{} // nil: closed
		for i, ie := range claimed {
			if ie.ManualRetry || ie.BreakerKey == "" {
				continue
			}
			b, seen := open[ie.BreakerKey]
			if !seen {
				b = read[ie.BreakerKey]
				switch {
				case b == nil:
				case b.ProbeID != "" && gone[b.ProbeID] && b.ProbeID != ie.ID:
					// A probe that is no longer under way (its attempt could not run, a
					// person deleted it) gives up its turn.
					b.ProbeID = ""
				}
				open[ie.BreakerKey] = b
			}
			if b == nil || b.ProbeID == ie.ID {
				continue // closed, or the probe handed back after an interruption
			}
			if b.ProbeID == "" && !now.Before(b.NextProbeAt) {
				b.ProbeID = ie.ID // the next probe is due: this one is it
				if err := q.PutBreaker(ctx, b); err != nil {
					return err
				}
				continue
			}
			cur, err := q.GetIncomplete(ctx, ie.ID)
			if err != nil {
				return err
			}
			if cur.Status != weft.IncompleteInProgress {
				continue
			}
			until := b.NextProbeAt
			if !now.Before(until) {
				until = now.Add(s.cfg.BreakerInterval) // a probe is under way: when the next one would be
			}
			cur.Status, cur.NextAttemptAt, cur.UpdatedAt = weft.IncompletePending, &until, now
			if err := q.UpdateIncomplete(ctx, cur); err != nil {
				return err
			}
			held[i] = true
		}
		return nil
	})
	if err != nil {
		s.log.Warn("circuit breakers: cannot hold retries, they run", "err", err)
		return make([]bool, len(claimed))
	}
	for i, h := range held {
		if h {
			s.gate.leaveRetry(claimed[i].ScenarioID)
		}
	}
	return held
}

// goneProbes reports which probes of the claimed incomplete executions' breakers are no
// longer under way (not in progress, or deleted). It reads before heldByBreakers'
// transaction and locks nothing: on a shared store a probe's row is locked by the
// process finishing its attempt, which then waits for the breaker, so reading it under
// the breaker's lock could deadlock. A probe read as under way that finishes meanwhile
// settles the breaker itself.
func (s *Service) goneProbes(ctx context.Context, claimed []*weft.Incomplete) map[string]bool {
	gone := map[string]bool{}
	seen := map[string]bool{}
	for _, ie := range claimed {
		if ie.ManualRetry || ie.BreakerKey == "" || seen[ie.BreakerKey] {
			continue
		}
		seen[ie.BreakerKey] = true
		b, err := s.st.GetBreaker(ctx, ie.BreakerKey)
		if err != nil || b.ProbeID == "" {
			continue // closed, no probe, or unreadable: the transaction reads it again
		}
		p, err := s.st.GetIncomplete(ctx, b.ProbeID)
		switch {
		case isNotFound(err):
			gone[b.ProbeID] = true
		case err == nil:
			gone[b.ProbeID] = p.Status != weft.IncompleteInProgress
		}
	}
	return gone
}

// closeIdleBreakers closes the breakers with no incomplete execution left to hold (all
// resolved, given up or deleted); housekeeping calls it.
func (s *Service) closeIdleBreakers(ctx context.Context) error {
	bs, err := s.st.ListBreakers(ctx)
	if err != nil {
		return fmt.Errorf("list circuit breakers: %w", err)
	}
	for _, b := range bs {
		n, err := s.st.CountIncomplete(ctx, store.IncompleteFilter{BreakerKey: b.Key,
			Status: []weft.IncompleteStatus{weft.IncompletePending, weft.IncompleteInProgress}})
		if err != nil {
			return fmt.Errorf("circuit breaker %s: %w", b.Key, err)
		}
		if n > 0 {
			continue
		}
		if err := s.st.InTx(ctx, func(q store.Queries) error {
			_, err := s.closeTx(ctx, q, b.Key, s.now())
			return err
		}); err != nil {
			return fmt.Errorf("close idle circuit breaker %s: %w", b.Key, err)
		}
	}
	return nil
}

// Breakers lists the open circuit breakers with how many incomplete executions each
// holds (pending ones of its key).
func (s *Service) Breakers(ctx context.Context) ([]BreakerState, error) {
	bs, err := s.st.ListBreakers(ctx)
	if err != nil {
		return nil, fmt.Errorf("list circuit breakers: %w", err)
	}
	out := make([]BreakerState, 0, len(bs))
	for _, b := range bs {
		n, err := s.st.CountIncomplete(ctx, store.IncompleteFilter{BreakerKey: b.Key,
			Status: []weft.IncompleteStatus{weft.IncompletePending}})
		if err != nil {
			return nil, fmt.Errorf("circuit breaker %s: %w", b.Key, err)
		}
		out = append(out, BreakerState{Breaker: *b, Waiting: n})
	}
	return out, nil
}

// BreakerState is an open breaker and how many incomplete executions wait behind it.
type BreakerState struct {
	weft.Breaker
	Waiting int `json:"waiting"`
}

// ResetBreaker closes a breaker by hand: the incomplete executions it held are due at
// once (each still at most RetriesPerScenario of a scenario at a time). It returns how
// many it released; a closed breaker is store.ErrNotFound.
func (s *Service) ResetBreaker(ctx context.Context, key string) (int, error) {
	var n int
	err := s.st.InTx(ctx, func(q store.Queries) error {
		if _, err := q.GetBreaker(ctx, key); err != nil {
			return err
		}
		var err error
		n, err = s.closeTx(ctx, q, key, s.now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("reset circuit breaker %s: %w", key, err)
	}
	s.notify()
	return n, nil
}
