package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// dbtx is what a queries runs statements on: always a transaction (the writer's batch
// transaction through stmtTx, or a read transaction on the read pool through readTx).
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) rowScanner
}

// rowScanner is a single-row result (*sql.Row, or stmtTx's checked row).
type rowScanner interface{ Scan(dest ...any) error }

// readTx adapts a read transaction to dbtx.
type readTx struct{ *sql.Tx }

func (t readTx) QueryRowContext(ctx context.Context, query string, args ...any) rowScanner {
	return t.Tx.QueryRowContext(ctx, query, args...)
}

// queries implements store.Queries on one transaction. The Store's own methods wrap
// each call in a transaction of its own; InTx hands fn one for many calls.
type queries struct {
	db dbtx
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

// Times are stored as microseconds since the Unix epoch (UTC): an integer compares and
// indexes cheaply, covers every year a time.Time can hold, and matches Postgres'
// timestamptz precision so both backends return the same instants.
func toDB(t time.Time) int64 { return t.UnixMicro() }

func fromDB(us int64) time.Time { return time.UnixMicro(us).UTC() }

func toDBPtr(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: toDB(*t), Valid: true}
}

func fromDBPtr(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromDB(n.Int64)
	return &t
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
func detailsJSON(m map[string]any) sql.NullString {
	if m == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: string(value.JSON(m)), Valid: true}
}

func detailsFrom(what string, s sql.NullString) (map[string]any, error) {
	if !s.Valid {
		return nil, nil
	}
	v, err := value.DecodeJSON([]byte(s.String))
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
func mustAffect(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
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

// isNoRows reports sql.ErrNoRows.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// LockScenario is a no-op: every write transaction already runs alone on the writer
// connection, and one process owns the data folder (store.LockQueries).
func (q *queries) LockScenario(ctx context.Context, scenarioID int64) error { return nil }

// LockScenarioShared is a no-op, as LockScenario is.
func (q *queries) LockScenarioShared(ctx context.Context, scenarioID int64) error { return nil }
