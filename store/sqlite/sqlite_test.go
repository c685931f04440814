package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/storetest"
)

// openTemp opens a store on a fresh file in the test's temporary folder.
func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "data", "weft.db"), Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

func TestPragmas(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	for _, c := range []struct {
		db     *sql.DB
		pragma string
		want   string
	}{
		{s.writer, "journal_mode", "wal"},
		{s.writer, "synchronous", "2"}, // FULL
		{s.writer, "foreign_keys", "1"},
		{s.writer, "busy_timeout", "5000"},
		{s.reader, "synchronous", "2"},
		{s.reader, "foreign_keys", "1"},
		{s.reader, "query_only", "1"},
	} {
		var got string
		if err := c.db.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", c.pragma, err)
		}
		if got != c.want {
			t.Errorf("PRAGMA %s = %s, want %s", c.pragma, got, c.want)
		}
	}
	// The read pool cannot write.
	if _, err := s.reader.ExecContext(ctx, `INSERT INTO record (store, key, data) VALUES ('a', 'b', '{}')`); err == nil {
		t.Fatal("a write through the read pool succeeded")
	}
	fi, err := os.Stat(filepath.Dir(s.Path()))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Errorf("data folder mode %o, want 700", perm)
	}
}

func TestOptions(t *testing.T) {
	d := Options{}.WithDefaults()
	if d.BusyTimeout != 5*time.Second || d.ReadConns < 4 || d.JournalSizeLimit != 64<<20 {
		t.Fatalf("defaults: %+v", d)
	}
	kept := Options{BusyTimeout: time.Second, ReadConns: 2, JournalSizeLimit: 1}.WithDefaults()
	if kept != (Options{BusyTimeout: time.Second, ReadConns: 2, JournalSizeLimit: 1}) {
		t.Fatalf("set fields changed: %+v", kept)
	}
	for _, o := range []Options{{ReadConns: -1}, {BusyTimeout: time.Microsecond}, {JournalSizeLimit: -2}} {
		if _, err := Open(t.Context(), filepath.Join(t.TempDir(), "x.db"), o); err == nil {
			t.Errorf("Open with %+v: want an error", o)
		}
	}
	if _, err := Open(t.Context(), "", Options{}); err == nil {
		t.Error("Open with an empty path: want an error")
	}
	// A path that is a folder is refused with an error, not a panic.
	if _, err := Open(t.Context(), t.TempDir(), Options{}); err == nil {
		t.Error("Open on a folder: want an error")
	}
}

// Data survives a close and reopen, and reopening applies no migration twice.
func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "weft.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutRecord(ctx, "ds", "k", weft.Bundle{"v": "1"}, false); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	got, err := s.GetRecord(ctx, "ds", "k")
	if err != nil || got["v"] != "1" {
		t.Fatalf("after reopen: %v %v", got, err)
	}
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	var v int
	if err := s.writer.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != len(ms) {
		t.Fatalf("schema version %d, want %d", v, len(ms))
	}
}

func TestMigrations(t *testing.T) {
	ctx := t.Context()
	good := fstest.MapFS{
		"migrations/0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
		"migrations/0002_b.sql": {Data: []byte("CREATE TABLE b (y INTEGER); INSERT INTO a VALUES (1);")},
	}
	ms, err := loadMigrations(good)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for range 2 { // the second run is a no-op
		if err := applyMigrations(ctx, db, ms); err != nil {
			t.Fatal(err)
		}
	}
	var n, v int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM a").Scan(&n); err != nil || n != 1 {
		t.Fatalf("rows in a: %d, %v (migration 2 ran %d times)", n, err, n)
	}
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil || v != 2 {
		t.Fatalf("user_version %d, %v", v, err)
	}

	// A failing migration leaves neither its statements nor its version behind.
	bad := append(ms[:2:2], migration{version: 3, name: "0003_bad.sql",
		sql: "CREATE TABLE c (z INTEGER); INSERT INTO nowhere VALUES (1);"})
	if err := applyMigrations(ctx, db, bad); err == nil || !strings.Contains(err.Error(), "0003_bad.sql") {
		t.Fatalf("bad migration: got %v, want an error naming it", err)
	}
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil || v != 2 {
		t.Fatalf("user_version after a failed migration: %d, %v", v, err)
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE name = 'c'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("table c after a failed migration: %d, %v", n, err)
	}

	// A database newer than the binary is refused.
	if err := applyMigrations(ctx, db, ms[:1]); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("newer database: got %v", err)
	}

	for name, fsys := range map[string]fstest.MapFS{
		"gap":     {"migrations/0001_a.sql": {}, "migrations/0003_c.sql": {}},
		"no num":  {"migrations/init.sql": {}},
		"zero":    {"migrations/0000_a.sql": {}},
		"doubled": {"migrations/0001_a.sql": {}, "migrations/001_b.sql": {}},
	} {
		if _, err := loadMigrations(fsys); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

// A database that cannot grow reports store.ErrFull, rolls the write back, and stays
// usable for reads and for deletes that free space.
func TestFull(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	sc := &weft.Scenario{Name: "full"}
	if err := s.CreateScenario(ctx, sc, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	var pages int
	if err := s.writer.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := s.writer.ExecContext(ctx, "PRAGMA max_page_count = "+strconv.Itoa(pages+8)); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("x"), 4096)
	var err error
	n := 0
	for ; n < 100; n++ {
		ie := &weft.Incomplete{ID: "ie" + strconv.Itoa(n), ScenarioID: sc.ID,
			Status: weft.IncompleteUnresolved, State: big, SizeBytes: int64(len(big))}
		if err = s.CreateIncomplete(ctx, ie); err != nil {
			break
		}
	}
	if !errors.Is(err, store.ErrFull) {
		t.Fatalf("after %d writes: got %v, want store.ErrFull", n, err)
	}
	if !strings.Contains(err.Error(), "create incomplete execution") {
		t.Errorf("error lacks context: %v", err)
	}
	// The failed write left nothing: the count matches the successful writes.
	c, err := s.CountIncomplete(ctx, store.IncompleteFilter{})
	if err != nil || c != n {
		t.Fatalf("count after full: %d, %v; want %d", c, err, n)
	}
	_, total, err := s.IncompleteBytes(ctx, sc.ID)
	if err != nil || total != int64(n*len(big)) {
		t.Fatalf("bytes after full: %d, %v", total, err)
	}
	if _, err := s.DeleteIncomplete(ctx, store.Selection{ScenarioID: sc.ID, All: true}); err != nil {
		t.Fatalf("delete when full: %v", err)
	}
	if err := s.CreateIncomplete(ctx, &weft.Incomplete{ID: "after", ScenarioID: sc.ID,
		Status: weft.IncompleteUnresolved, State: big}); err != nil {
		t.Fatalf("write after freeing space: %v", err)
	}
}

func TestPrefixEnd(t *testing.T) {
	for in, want := range map[string]string{"ab": "ac", "a\xff": "b", "\xff\xff": ""} {
		got, ok := prefixEnd(in)
		if got != want || ok != (want != "") {
			t.Errorf("prefixEnd(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
