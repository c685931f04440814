package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/weftworks/weft"
)

// Open circuit breakers (docs/incomplete-executions.md §10).

const breakerColumns = `key, opened_at, next_probe_at, probe_id, failures, error_type, error_message`

func scanBreaker(row interface{ Scan(...any) error }) (*weft.Breaker, error) {
	var b weft.Breaker
	var opened, next int64
	if err := row.Scan(&b.Key, &opened, &next, &b.ProbeID, &b.Failures, &b.ErrorType, &b.ErrorMessage); err != nil {
		return nil, err
	}
	b.OpenedAt, b.NextProbeAt = fromDB(opened), fromDB(next)
	return &b, nil
}

func (q *queries) PutBreaker(ctx context.Context, b *weft.Breaker) error {
	_, err := q.db.ExecContext(ctx, `INSERT INTO breaker (`+breakerColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET opened_at = excluded.opened_at, next_probe_at = excluded.next_probe_at,
		probe_id = excluded.probe_id, failures = excluded.failures, error_type = excluded.error_type,
		error_message = excluded.error_message`,
		b.Key, toDB(b.OpenedAt), toDB(b.NextProbeAt), b.ProbeID, b.Failures, string(b.ErrorType), b.ErrorMessage)
	return wrap(err, "store circuit breaker %s", b.Key)
}

func (q *queries) GetBreaker(ctx context.Context, key string) (*weft.Breaker, error) {
	b, err := scanBreaker(q.db.QueryRowContext(ctx, `SELECT `+breakerColumns+` FROM breaker WHERE key = ?`, key))
	if isNoRows(err) {
		return nil, notFound("circuit breaker %s", key)
	}
	return b, wrap(err, "get circuit breaker %s", key)
}

func (q *queries) ListBreakers(ctx context.Context) ([]*weft.Breaker, error) {
	var out []*weft.Breaker
	err := q.each(ctx, func(rows *sql.Rows) error {
		b, err := scanBreaker(rows)
		if err == nil {
			out = append(out, b)
		}
		return err
	}, `SELECT `+breakerColumns+` FROM breaker ORDER BY key`)
	return out, wrap(err, "list circuit breakers")
}

func (q *queries) DeleteBreaker(ctx context.Context, key string) error {
	res, err := q.db.ExecContext(ctx, `DELETE FROM breaker WHERE key = ?`, key)
	if err != nil {
		return wrap(err, "close circuit breaker %s", key)
	}
	return mustAffect(res, "close circuit breaker "+key)
}

func (q *queries) ReleaseBreaker(ctx context.Context, key string, at time.Time) (int, error) {
	res, err := q.db.ExecContext(ctx, `UPDATE incomplete SET next_attempt_at = ?
		WHERE breaker_key = ? AND status = 'pending' AND next_attempt_at > ?`, toDB(at), key, toDB(at))
	if err != nil {
		return 0, wrap(err, "release the incomplete executions of circuit breaker %s", key)
	}
	n, err := res.RowsAffected()
	return int(n), wrap(err, "release the incomplete executions of circuit breaker %s", key)
}

func (s *Store) PutBreaker(ctx context.Context, b *weft.Breaker) error {
	return s.write(ctx, func(q *queries) error { return q.PutBreaker(ctx, b) })
}

func (s *Store) GetBreaker(ctx context.Context, key string) (*weft.Breaker, error) {
	return readValue(s, ctx, func(q *queries) (*weft.Breaker, error) { return q.GetBreaker(ctx, key) })
}

func (s *Store) ListBreakers(ctx context.Context) ([]*weft.Breaker, error) {
	return readValue(s, ctx, func(q *queries) ([]*weft.Breaker, error) { return q.ListBreakers(ctx) })
}

func (s *Store) DeleteBreaker(ctx context.Context, key string) error {
	return s.write(ctx, func(q *queries) error { return q.DeleteBreaker(ctx, key) })
}

func (s *Store) ReleaseBreaker(ctx context.Context, key string, at time.Time) (int, error) {
	return writeValue(s, ctx, func(q *queries) (int, error) { return q.ReleaseBreaker(ctx, key, at) })
}
