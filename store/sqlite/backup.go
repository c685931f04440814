package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the database to path while weft keeps running
// (SQLite's VACUUM INTO on a read connection: one snapshot, concurrent writers go on;
// the copy is compact and needs no WAL file). path must not exist yet. The copy is
// created 0600, like the database.
func (s *Store) Backup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup to %s: the file exists already", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	// Created first with the right mode: VACUUM INTO honours an existing empty file.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	f.Close()
	// Its own connection: the read pool is query_only, and VACUUM INTO writes (the
	// copy); the source is only read, in one snapshot.
	db, err := sql.Open("sqlite", dsn(s.path, url.Values{"_pragma": {"busy_timeout(10000)"}}))
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		os.Remove(path)
		return fmt.Errorf("backup to %s: %w", path, classify(err))
	}
	return nil
}
