package service

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// Failed writes weft owes the store.
//
// A write can fail while weft runs: a full disk, an I/O error. Most such failures leave
// nothing behind — the caller is told and nothing happened (a webhook answered 503, an
// API write 507). A few come after something that cannot be undone or must not stay
// half done:
//
//   - a run or retry attempt happened (it called other services) but its end could not
//     be written: the execution would stay "running", its queued payload claimed, its
//     incomplete execution "in progress";
//   - a queued payload was claimed for a run that could not even be recorded, and
//     handing it back failed too: the claim would hold the scenario's queue;
//   - an incomplete execution was claimed for a retry that never started, and handing
//     it back failed: "in progress" forever, and three of them stop the scenario's
//     retries.
//
// Those writes are owed: the service keeps each in memory, as the closure that writes
// it, and the worker loop writes them again (RetryFailedWrites) until they land, so
// weft catches up by itself once space returns. The rule for a run whose end could not
// be written: it has happened, so it is never run again while weft holds its outcome —
// the same end (status, log, incomplete executions, the scenario's counters, the
// payload's deletion) is written later. Only if weft stops before an owed write lands
// does Recover take over at the next start, as after a crash (the payload of an
// unrecorded run then runs again; docs/incomplete-executions.md, "Write failures").

// failedWriteRetry is how often the worker writes owed writes again while some remain:
// weft catches up within this long after space returns (a retry that still fails costs
// one rolled-back transaction each).
const failedWriteRetry = 250 * time.Millisecond

// owedWrite is one write that failed and is owed.
type owedWrite struct {
	// what it records, for logs ("the end of execution X").
	what string
	// scenario it concerns (0: none): a sequential scenario does not start a new run
	// while it is owed a run's end.
	scenario int64
	// running, when set, is the execution whose end this write records: if the store no
	// longer has it running (the write landed after all), there is nothing to do.
	running string
	// write makes the write in q; the returned function, if any, runs once it is
	// committed (observers, waking the worker).
	write func(ctx context.Context, q store.Queries) (after func(), err error)
	since time.Time
	tries int
}

type owedWrites struct {
	mu   sync.Mutex
	list []*owedWrite
	// pass serializes RetryFailedWrites: an owed write is never made twice at once.
	pass sync.Mutex
}

// owe keeps a write that failed with cause, to be written again by the worker.
func (s *Service) owe(w *owedWrite, cause error) {
	if errors.Is(cause, store.ErrLeaseLost) {
		// Another process took this work over (this one's lease expired): the write is
		// not this process's to make any more.
		s.log.Error("write dropped: this process lost its lease and another took the work over",
			"what", w.what, "err", cause)
		return
	}
	w.since = s.now()
	s.owed.mu.Lock()
	s.owed.list = append(s.owed.list, w)
	n := len(s.owed.list)
	s.owed.mu.Unlock()
	s.log.Warn("write failed; weft writes it again once the store accepts writes",
		"what", w.what, "owed", n, "err", cause)
	s.notify()
}

// oweTx is owe for a plain transaction with nothing to do after it.
func (s *Service) oweTx(what string, scenario int64, cause error, fn func(ctx context.Context, q store.Queries) error) {
	s.oweTxRunning(what, scenario, "", cause, fn)
}

// oweTxRunning is oweTx for the end of execution running (nothing to do once the store
// no longer has it running).
func (s *Service) oweTxRunning(what string, scenario int64, running string, cause error, fn func(ctx context.Context, q store.Queries) error) {
	s.owe(&owedWrite{what: what, scenario: scenario, running: running,
		write: func(ctx context.Context, q store.Queries) (func(), error) { return nil, fn(ctx, q) }}, cause)
}

// FailedWrites is how many failed writes the service still owes the store (see
// RetryFailedWrites).
func (s *Service) FailedWrites() int {
	s.owed.mu.Lock()
	defer s.owed.mu.Unlock()
	return len(s.owed.list)
}

// owesScenario reports whether a write concerning the scenario is owed.
func (s *Service) owesScenario(id int64) bool {
	s.owed.mu.Lock()
	defer s.owed.mu.Unlock()
	for _, w := range s.owed.list {
		if w.scenario == id {
			return true
		}
	}
	return false
}

// RetryFailedWrites writes again, oldest first, what failed to be written after
// something that cannot be undone (a run's end, an attempt's end, the hand-back of a
// claimed payload or incomplete execution), and returns how many landed. The worker
// calls it on every round; the error is the first write that still fails. A write
// whose subject is gone (its scenario deleted meanwhile) is dropped with an error log.
func (s *Service) RetryFailedWrites(ctx context.Context) (int, error) {
	s.owed.pass.Lock()
	defer s.owed.pass.Unlock()
	s.owed.mu.Lock()
	todo := s.owed.list
	s.owed.mu.Unlock()
	if len(todo) == 0 {
		return 0, nil
	}
	done := map[*owedWrite]bool{}
	var first error
	landed := 0
	for _, w := range todo {
		after, err := s.writeOwed(ctx, w)
		switch {
		case err == nil:
			done[w] = true
			landed++
			s.log.Info("failed write made", "what", w.what, "tries", w.tries+1, "since", w.since)
			if after != nil {
				after()
			}
			continue
		case isNotFound(err), errors.Is(err, store.ErrLeaseLost):
			done[w] = true
			s.log.Error("failed write dropped: what it records is gone or another process's now", "what", w.what, "err", err)
			continue
		}
		w.tries++
		if w.tries&(w.tries-1) == 0 { // 1, 2, 4, 8… tries: visible, not a flood
			s.log.Warn("failed write still fails", "what", w.what, "tries", w.tries, "since", w.since, "err", err)
		}
		if first == nil {
			first = fmt.Errorf("write %s again: %w", w.what, err)
		}
		if errors.Is(err, store.ErrFull) || ctx.Err() != nil {
			break // the others fail the same way; the next round tries them all again
		}
	}
	s.owed.mu.Lock()
	kept := s.owed.list[:0]
	for _, w := range s.owed.list {
		if !done[w] {
			kept = append(kept, w)
		}
	}
	clear(s.owed.list[len(kept):])
	s.owed.list = kept
	s.owed.mu.Unlock()
	return landed, first
}

// writeOwed makes one owed write in a transaction of its own.
func (s *Service) writeOwed(ctx context.Context, w *owedWrite) (after func(), err error) {
	err = s.st.InTx(ctx, func(q store.Queries) error {
		after = nil
		if w.running != "" {
			ex, err := q.GetExecution(ctx, w.running)
			if isNotFound(err) || (err == nil && ex.Status != weft.ExecutionRunning) {
				return nil // recorded after all: the failed commit had landed
			}
			if err != nil {
				return err
			}
		}
		var err error
		after, err = w.write(ctx, q)
		return err
	})
	return after, err
}
