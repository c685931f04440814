package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// dbtx is what a queries runs statements on: a transaction, or the pool for reads.
type dbtx interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// queries implements store.Queries on one transaction (or, for the Store's reads, on
// the pool). owner is this process's id, written on the work it claims.
type queries struct {
	db    dbtx
	owner string
	// inTx: db is a transaction (InTx), not the pool.
	inTx bool
}

// locking is the clause the single-row reads of a transaction end with: the row is
// locked until the transaction ends (FOR NO KEY UPDATE — foreign keys pointing at it
// are not held up), so a read-modify-write inside InTx is atomic, as it is on SQLite's
// single writer. Concurrent writers of the row wait; claims that SKIP LOCKED pass it
// over. Reads outside a transaction take no lock.
func (q *queries) locking() string {
	if q.inTx {
		return " FOR NO KEY UPDATE"
	}
	return ""
}

// lockingOf is locking for a join: only the rows of table alias a are locked.
func (q *queries) lockingOf(a string) string {
	if q.inTx {
		return " FOR NO KEY UPDATE OF " + a
	}
	return ""
}

var _ store.Queries = (*queries)(nil)

const defaultLimit = 50

// limitOf applies the contract's "0: 50" default and refuses nonsense.
func limitOf(what string, n int) (int, error) {
	switch {
	case n < 0:
		return 0, fmt.Errorf("%s: limit %d must not be negative", what, n)
	case n == 0:
		return defaultLimit, nil
	}
	return n, nil
}

// Times are timestamptz: microseconds, like the SQLite store's integers. ts is what
// the store writes (truncated to the microsecond, as the server would), utc what it
// reads back (pgx gives times in the local zone).
func ts(t time.Time) time.Time { return time.UnixMicro(t.UnixMicro()).UTC() }

func tsPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := ts(*t)
	return &v
}

func utc(t time.Time) time.Time { return t.UTC() }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}

// blob binds raw bytes, NULL when empty (json.RawMessage nil round-trips as nil).
func blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// bodyOf binds a NOT NULL body column: never NULL, even for a nil slice.
func bodyOf(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// nilIfEmpty returns nil for an empty body so callers see the nil they stored.
func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// detailsJSON encodes error details with the canonical encoder (big integers exact).
func detailsJSON(m map[string]any) *string {
	if m == nil {
		return nil
	}
	s := string(value.JSON(m))
	return &s
}

func detailsFrom(what string, s *string) (map[string]any, error) {
	if s == nil {
		return nil, nil
	}
	v, err := value.DecodeJSON([]byte(*s))
	if err != nil {
		return nil, fmt.Errorf("%s: error details: %w", what, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: error details are not a JSON object", what)
	}
	return m, nil
}

// notFound reports a missing row as store.ErrNotFound with what was looked for.
func notFound(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), store.ErrNotFound)
}

// mustAffect turns "no row changed" into ErrNotFound.
func mustAffect(tag pgconn.CommandTag, what string) error {
	if tag.RowsAffected() == 0 {
		return notFound("%s", what)
	}
	return nil
}

// wrap adds context to a driver error after classifying it.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), classify(err))
}

// isNoRows reports pgx.ErrNoRows.
func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// each runs a query and calls fn for every row.
func (q *queries) each(ctx context.Context, fn func(pgxRows) error, query string, args ...any) error {
	rows, err := q.db.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// args collects positional parameters for a statement built piece by piece.
type args []any

// add appends v and returns its placeholder ($n).
func (a *args) add(v any) string {
	*a = append(*a, v)
	return fmt.Sprintf("$%d", len(*a))
}

func whereClause(where []string) string {
	if len(where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(where, " AND ")
}

// nonNil gives an empty list for nil, so "= ANY($n)" binds an empty array, not NULL.
func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// Advisory lock keys (two-int form: a class and the scenario id folded into int4).
// Collisions of folded ids only serialise more than needed.
const (
	// lockScenario: LockScenario and ClaimDue — a scenario's runs and retries.
	lockScenario int32 = 0x77656601
	// lockQueue: the claims of a scenario's queue.
	lockQueue int32 = 0x77656602
	// lockEnqueue: adding to a scenario's queue for the worker (queue.go, Enqueue).
	lockEnqueue int32 = 0x77656604
)

// fold maps a scenario id onto the advisory lock's int4 object id.
func fold(id int64) int32 { return int32(id ^ (id >> 32)) }

// LockScenario takes the scenario's advisory lock until the transaction ends: every
// other transaction, in any process, that locks the same scenario waits for this one.
func (q *queries) LockScenario(ctx context.Context, scenarioID int64) error {
	_, err := q.db.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, lockScenario, fold(scenarioID))
	return wrap(err, "lock scenario %d", scenarioID)
}

// LockScenarioShared takes the scenario's advisory lock in shared mode until the
// transaction ends: it waits only for, and holds off only, LockScenario's holders.
func (q *queries) LockScenarioShared(ctx context.Context, scenarioID int64) error {
	_, err := q.db.Exec(ctx, `SELECT pg_advisory_xact_lock_shared($1, $2)`, lockScenario, fold(scenarioID))
	return wrap(err, "lock scenario %d (shared)", scenarioID)
}

// tryLock takes an advisory transaction lock if no one holds it.
func (q *queries) tryLock(ctx context.Context, class int32, scenarioID int64) (bool, error) {
	var ok bool
	err := q.db.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1, $2)`, class, fold(scenarioID)).Scan(&ok)
	return ok, err
}

// pgxRows is the row cursor each hands to its callback.
type pgxRows = pgx.Rows
