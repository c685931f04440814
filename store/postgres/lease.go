package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/weftworks/weft/store"
)

// lease is this process's row in the process table, renewed every third of its
// length. Renewals and expiry use the database's clock, so machines whose clocks
// differ agree on when a lease ends; only the fence uses this process's own
// (monotonic) clock, to stop before the database would let another take over.
type lease struct {
	pool *pgxpool.Pool
	id   string
	ttl  time.Duration
	// extend renews the lease: false when it had expired (or its row is gone).
	extend func(ctx context.Context) (bool, error)
	// release closes what extend holds, once renewals stopped.
	release func()

	fenced    chan struct{}
	fenceOnce sync.Once
	stopCh    chan struct{}
	done      chan struct{}
}

// startLease registers the process and starts renewing its lease.
func startLease(ctx context.Context, pool *pgxpool.Pool, o Options) (*lease, error) {
	_, err := pool.Exec(ctx, `INSERT INTO process (id, host, pid, role, started_at, expires_at)
		VALUES ($1, $2, $3, $4, now(), now() + $5::interval)`,
		o.ProcessID, hostname(), os.Getpid(), o.Role, o.LeaseTTL)
	if err != nil {
		return nil, fmt.Errorf("register process %s: %w", o.ProcessID, classify(err))
	}
	l := newLease(pool, o.ProcessID, o.LeaseTTL)
	// Renewals have a connection of their own: waiting for one of the pool's, which a
	// busy process may all hold for a while, could cost the lease.
	var conn *pgx.Conn
	cfg := pool.Config().ConnConfig
	l.extend = func(ctx context.Context) (bool, error) {
		if conn == nil {
			c, err := pgx.ConnectConfig(ctx, cfg)
			if err != nil {
				return false, err
			}
			conn = c
		}
		tag, err := conn.Exec(ctx, `UPDATE process SET expires_at = now() + $2::interval
			WHERE id = $1 AND expires_at > now()`, o.ProcessID, o.LeaseTTL)
		if err != nil {
			_ = conn.Close(context.Background())
			conn = nil
			return false, err
		}
		return tag.RowsAffected() == 1, nil
	}
	l.release = func() {
		if conn != nil {
			_ = conn.Close(context.Background())
		}
	}
	go l.renew()
	return l, nil
}

func newLease(pool *pgxpool.Pool, id string, ttl time.Duration) *lease {
	return &lease{pool: pool, id: id, ttl: ttl, fenced: make(chan struct{}),
		stopCh: make(chan struct{}), done: make(chan struct{})}
}

// renew extends the lease every third of its length. A renewal that finds the lease
// expired (or taken over) fences the process for good; renewals that keep failing
// (the database is unreachable) fence it once two thirds of the lease have passed
// since the last one that worked, a third before the others could take over.
func (l *lease) renew() {
	defer close(l.done)
	if l.release != nil {
		defer l.release()
	}
	every := l.ttl / 3
	last := time.Now()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-l.stopCh:
			return
		case <-t.C:
		}
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), every)
		ok, err := l.extend(ctx)
		cancel()
		switch {
		case ok:
			last = start
		case err == nil:
			l.fence() // expired, or taken over: never come back
			return
		case time.Since(last) >= 2*l.ttl/3:
			l.fence()
		}
	}
}

func (l *lease) fence() { l.fenceOnce.Do(func() { close(l.fenced) }) }

// stop ends the renewals and the lease: the row is deleted, so what this process
// leaves unfinished (runs a shutdown interrupted) is taken over at once.
func (l *lease) stop(ctx context.Context) error {
	close(l.stopCh)
	<-l.done
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := l.pool.Exec(ctx, `DELETE FROM process WHERE id = $1`, l.id); err != nil {
		return fmt.Errorf("end the lease of process %s: %w", l.id, classify(err))
	}
	return nil
}

// ProcessID names this process in the process table.
func (s *Store) ProcessID() string { return s.opts.ProcessID }

// Fenced is closed once this process cannot be sure of its lease any more.
func (s *Store) Fenced() <-chan struct{} { return s.lease.fenced }

// lockTakeover is the advisory lock class of a takeover (one per dead process).
const lockTakeover int32 = 0x77656603

// TakeOver adopts the work of one dead process (store.Shared).
func (s *Store) TakeOver(ctx context.Context, now time.Time) (*store.Takeover, error) {
	// The owners of work with no live lease behind them, and expired leases with no
	// work (their rows are deleted too).
	var dead []string
	err := (&queries{db: s.pool}).each(ctx, func(rows pgxRows) error {
		var id string
		err := rows.Scan(&id)
		if err == nil {
			dead = append(dead, id)
		}
		return err
	}, `SELECT o.owner FROM (
			SELECT owner FROM execution WHERE status = 'running'
			UNION SELECT owner FROM queue_item WHERE owner IS NOT NULL
			UNION SELECT owner FROM incomplete WHERE status = 'in_progress' AND owner IS NOT NULL
			UNION SELECT id FROM process WHERE expires_at <= now()
		) o
		WHERE o.owner <> $1 AND NOT EXISTS (SELECT 1 FROM process p WHERE p.id = o.owner AND p.expires_at > now())
		LIMIT 16`, s.opts.ProcessID)
	if err != nil {
		return nil, fmt.Errorf("take over: find dead processes: %w", classify(err))
	}
	for _, id := range dead {
		var t *store.Takeover
		err := s.write(ctx, func(q *queries) error {
			var err error
			t, err = q.takeOver(ctx, id, now)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("take over process %s: %w", id, err)
		}
		if t != nil {
			return t, nil
		}
	}
	return nil, nil
}

// takeOver adopts dead's work in the caller's transaction; nil when another process
// is taking it over right now or its lease was renewed meanwhile.
func (q *queries) takeOver(ctx context.Context, dead string, now time.Time) (*store.Takeover, error) {
	var ok bool
	if err := q.db.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1, hashtext($2))`, lockTakeover, dead).Scan(&ok); err != nil {
		return nil, classify(err)
	}
	if !ok {
		return nil, nil
	}
	// The row lock orders this against the process's own renewal, which only extends
	// a lease that has not expired: once this sees it expired, it stays so.
	var expired bool
	registered := true
	err := q.db.QueryRow(ctx, `SELECT expires_at <= now() FROM process WHERE id = $1 FOR UPDATE`, dead).Scan(&expired)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		// Gone: it stopped cleanly and left work behind — or another process took it
		// over just now (then nothing below finds any work).
		registered = false
	case err != nil:
		return nil, classify(err)
	case !expired:
		return nil, nil
	}
	t := &store.Takeover{Process: dead}
	err = q.each(ctx, func(rows pgxRows) error {
		var input []byte
		e, err := scanExecution(rows, &input)
		if err != nil {
			return err
		}
		e.Input = nilIfEmpty(input)
		t.Running = append(t.Running, e)
		return nil
	}, `WITH adopted AS (
			UPDATE execution SET owner = $2 WHERE owner = $1 AND status = 'running' RETURNING id
		)
		SELECT `+executionColumns+`, e.input `+executionFrom+`
		WHERE e.id IN (SELECT id FROM adopted) ORDER BY e.started_at, e.id`, dead, q.owner)
	if err != nil {
		return nil, fmt.Errorf("adopt running executions: %w", classify(err))
	}
	// The statement after a data-modifying WITH does not see its changes: the
	// executions are still the dead process's in this snapshot, but the next
	// statements see them as adopted, and running.
	tag, err := q.db.Exec(ctx, `UPDATE queue_item SET execution_id = NULL, owner = NULL
		WHERE owner = $1 AND NOT EXISTS (SELECT 1 FROM execution e
			WHERE e.id = queue_item.execution_id AND e.status = 'running')`, dead)
	if err != nil {
		return nil, fmt.Errorf("release queue claims: %w", classify(err))
	}
	t.Released = int(tag.RowsAffected())
	tag, err = q.db.Exec(ctx, `UPDATE queue_item SET owner = $2 WHERE owner = $1`, dead, q.owner)
	if err != nil {
		return nil, fmt.Errorf("adopt queue claims: %w", classify(err))
	}
	adopted := tag.RowsAffected()
	at := ts(now)
	tag, err = q.db.Exec(ctx, `UPDATE incomplete SET status = 'pending', next_attempt_at = $2, updated_at = $2, owner = NULL
		WHERE owner = $1 AND status = 'in_progress' AND NOT EXISTS (SELECT 1 FROM execution e
			WHERE e.incomplete_id = incomplete.id AND e.incomplete_id <> '' AND e.status = 'running' AND e.kind = 'retry')`, dead, at)
	if err != nil {
		return nil, fmt.Errorf("hand back incomplete executions: %w", classify(err))
	}
	t.Due = int(tag.RowsAffected())
	tag, err = q.db.Exec(ctx, `UPDATE incomplete SET owner = $2 WHERE owner = $1 AND status = 'in_progress'`, dead, q.owner)
	if err != nil {
		return nil, fmt.Errorf("adopt incomplete executions in progress: %w", classify(err))
	}
	adopted += tag.RowsAffected()
	if !registered && adopted == 0 && len(t.Running) == 0 && t.Released == 0 && t.Due == 0 {
		return nil, nil // taken over by another process a moment ago
	}
	if _, err := q.db.Exec(ctx, `DELETE FROM process WHERE id = $1`, dead); err != nil {
		return nil, fmt.Errorf("end its lease: %w", classify(err))
	}
	return t, nil
}

// LockScenario outside a transaction holds nothing (store.LockQueries).
func (s *Store) LockScenario(ctx context.Context, scenarioID int64) error {
	return s.write(ctx, func(q *queries) error { return q.LockScenario(ctx, scenarioID) })
}

// LockScenarioShared outside a transaction holds nothing (store.LockQueries).
func (s *Store) LockScenarioShared(ctx context.Context, scenarioID int64) error {
	return s.write(ctx, func(q *queries) error { return q.LockScenarioShared(ctx, scenarioID) })
}
