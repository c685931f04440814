package postgres

import (
	"context"
	"time"

	"github.com/weftworks/weft"
)

// Open circuit breakers (docs/incomplete-executions.md §10), as in the SQLite store.
//
// Several processes share them: the service reads a breaker and writes it back in one
// transaction (open it, make one claimed retry its probe, close it). GetBreaker in a
// transaction therefore holds the key until the transaction ends, so exactly one
// process makes a retry the probe and a probe's outcome is applied over what the
// others wrote. The row lock alone is not enough: a breaker that is not open has no
// row to lock, and two processes opening it at once would both see it closed. So the
// key's advisory lock comes first, and it covers a closed breaker too.

const breakerColumns = `key, opened_at, next_probe_at, probe_id, failures, error_type, error_message`

// lockBreaker: the read-modify-write of one breaker key (GetBreaker in a transaction).
const lockBreaker int32 = 0x77656605

func scanBreaker(row interface{ Scan(...any) error }) (*weft.Breaker, error) {
	var b weft.Breaker
	var errType string
	if err := row.Scan(&b.Key, &b.OpenedAt, &b.NextProbeAt, &b.ProbeID, &b.Failures, &errType, &b.ErrorMessage); err != nil {
		return nil, err
	}
	b.OpenedAt, b.NextProbeAt = utc(b.OpenedAt), utc(b.NextProbeAt)
	b.ErrorType = weft.ErrorType(errType)
	return &b, nil
}

func (q *queries) PutBreaker(ctx context.Context, b *weft.Breaker) error {
	_, err := q.db.Exec(ctx, `INSERT INTO breaker (`+breakerColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (key) DO UPDATE SET opened_at = excluded.opened_at, next_probe_at = excluded.next_probe_at,
		probe_id = excluded.probe_id, failures = excluded.failures, error_type = excluded.error_type,
		error_message = excluded.error_message`,
		b.Key, ts(b.OpenedAt), ts(b.NextProbeAt), b.ProbeID, b.Failures, string(b.ErrorType), b.ErrorMessage)
	return wrap(err, "store circuit breaker %s", b.Key)
}

// GetBreaker in a transaction takes the key's advisory lock (hashtext folds the key
// into int4; a collision only serialises two keys more than needed) and locks the row.
func (q *queries) GetBreaker(ctx context.Context, key string) (*weft.Breaker, error) {
	if q.inTx {
		if _, err := q.db.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, lockBreaker, key); err != nil {
			return nil, wrap(err, "lock circuit breaker %s", key)
		}
	}
	b, err := scanBreaker(q.db.QueryRow(ctx, `SELECT `+breakerColumns+` FROM breaker WHERE key = $1`+q.locking(), key))
	if isNoRows(err) {
		return nil, notFound("circuit breaker %s", key)
	}
	return b, wrap(err, "get circuit breaker %s", key)
}

func (q *queries) ListBreakers(ctx context.Context) ([]*weft.Breaker, error) {
	var out []*weft.Breaker
	err := q.each(ctx, func(rows pgxRows) error {
		b, err := scanBreaker(rows)
		if err == nil {
			out = append(out, b)
		}
		return err
	}, `SELECT `+breakerColumns+` FROM breaker ORDER BY key`)
	return out, wrap(err, "list circuit breakers")
}

func (q *queries) DeleteBreaker(ctx context.Context, key string) error {
	tag, err := q.db.Exec(ctx, `DELETE FROM breaker WHERE key = $1`, key)
	if err != nil {
		return wrap(err, "close circuit breaker %s", key)
	}
	return mustAffect(tag, "close circuit breaker "+key)
}

// ReleaseBreaker touches only pending rows due later than at; one claimed meanwhile by
// another process (in_progress, locked by its claim) is not among them.
func (q *queries) ReleaseBreaker(ctx context.Context, key string, at time.Time) (int, error) {
	tag, err := q.db.Exec(ctx, `UPDATE incomplete SET next_attempt_at = $1
		WHERE breaker_key = $2 AND status = 'pending' AND next_attempt_at > $1`, ts(at), key)
	if err != nil {
		return 0, wrap(err, "release the incomplete executions of circuit breaker %s", key)
	}
	return int(tag.RowsAffected()), nil
}

func (s *Store) PutBreaker(ctx context.Context, b *weft.Breaker) error {
	return s.auto(ctx, func(q *queries) error { return q.PutBreaker(ctx, b) })
}

func (s *Store) GetBreaker(ctx context.Context, key string) (*weft.Breaker, error) {
	return readValue(s, ctx, func(q *queries) (*weft.Breaker, error) { return q.GetBreaker(ctx, key) })
}

func (s *Store) ListBreakers(ctx context.Context) ([]*weft.Breaker, error) {
	return readValue(s, ctx, func(q *queries) ([]*weft.Breaker, error) { return q.ListBreakers(ctx) })
}

func (s *Store) DeleteBreaker(ctx context.Context, key string) error {
	return s.auto(ctx, func(q *queries) error { return q.DeleteBreaker(ctx, key) })
}

func (s *Store) ReleaseBreaker(ctx context.Context, key string, at time.Time) (int, error) {
	return autoValue(s, ctx, func(q *queries) (int, error) { return q.ReleaseBreaker(ctx, key, at) })
}
