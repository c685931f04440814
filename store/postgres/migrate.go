package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The schema ships inside the binary: migrations/NNNN_name.sql, applied in order. The
// SQL differs from SQLite's (types, triggers, partial indexes), so the folders are
// separate; version 1 here is SQLite's 0001–0009 as they stand.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the embedded files and checks they number 1, 2, 3… without gaps.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", base)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", base, err)
		}
		ms = append(ms, migration{version: v, name: base, sql: string(body)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// migrateLock is the advisory lock key migrations hold ("weft" and "mig" in ASCII):
// processes starting together take turns; the first migrates, the others find the
// schema current.
const migrateLock int64 = 0x77656674_006d6967

// migrate brings the schema to the newest embedded version. The version is a row of
// weft_schema, written in the migration's own transaction: a migration is applied
// wholly or not at all. A session-level advisory lock on one connection serialises
// processes migrating at once (PostgreSQL releases it if the process dies).
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return applyMigrations(ctx, pool, ms)
}

func applyMigrations(ctx context.Context, pool *pgxpool.Pool, ms []migration) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", classify(err))
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLock); err != nil {
		return fmt.Errorf("migrate: take the migration lock: %w", classify(err))
	}
	defer func() {
		// A failed unlock (the connection broke) ends the session, which unlocks too.
		_, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLock)
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS weft_schema (
		version    integer     NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return fmt.Errorf("migrate: create the version table: %w", classify(err))
	}
	var current int
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM weft_schema`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: read schema version: %w", classify(err))
	}
	if current > len(ms) {
		return fmt.Errorf("migrate: database schema version %d is newer than this weft knows (%d); use a newer weft", current, len(ms))
	}
	for _, m := range ms[current:] {
		tx, err := conn.Begin(ctx)
		if err != nil {
			return fmt.Errorf("migrate: begin %s: %w", m.name, classify(err))
		}
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			_ = tx.Rollback(ctx)
			return fmt.Errorf("migrate: apply %s: %w", m.name, classify(err))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO weft_schema (version) VALUES ($1)`, m.version); err != nil {
			_ = tx.Rollback(ctx)
			return fmt.Errorf("migrate: record version %d: %w", m.version, classify(err))
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("migrate: commit %s: %w", m.name, classify(err))
		}
	}
	return nil
}
