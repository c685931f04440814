package sqlite

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// The migration that rebuilds queue_item keeps every item with its id, computes sizes,
// and carries the id counter over: an id used before the migration is never reused.
func TestQueueMigrationKeepsItemsAndIDs(t *testing.T) {
	ctx := t.Context()
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	at := -1
	for i, m := range ms {
		if strings.HasSuffix(m.name, "_queue_dead_and_size.sql") {
			at = i
		}
	}
	if at < 0 {
		t.Fatal("no queue_dead_and_size migration")
	}
	path := filepath.Join(t.TempDir(), "weft.db")
	db, err := sql.Open("sqlite", path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if err := applyMigrations(ctx, db, ms[:at]); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO scenario (name, version, active, instant, consecutive_errors, paused, deactivated, source, created_at, updated_at)
			VALUES ('s', 1, 1, 1, 0, '', '', '', 0, 0)`,
		`INSERT INTO queue_item (scenario_id, enqueued_at, execution_id, payload) VALUES (1, 1, NULL, CAST('{"n":1}' AS BLOB))`,
		`INSERT INTO queue_item (scenario_id, enqueued_at, execution_id, payload) VALUES (1, 2, 'run-1', CAST('{"n":22}' AS BLOB))`,
		`INSERT INTO queue_item (scenario_id, enqueued_at, execution_id, payload) VALUES (1, 3, NULL, NULL)`,
		`INSERT INTO queue_item (scenario_id, enqueued_at, execution_id, payload) VALUES (1, 4, NULL, CAST('{}' AS BLOB))`,
		`DELETE FROM queue_item WHERE id = 4`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("open (migrates): %v", err)
	}
	defer s.Close()
	items, err := s.ListQueued(ctx, store.QueueFilter{ScenarioID: 1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, string(it.Status())+" "+itoa(it.ID)+" "+itoa(it.SizeBytes))
	}
	if want := []string{"waiting 1 7", "running 2 8", "waiting 3 0"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("items after the migration: %v, want %v", got, want)
	}
	it := &weft.QueueItem{ScenarioID: 1, Payload: []byte(`{}`)}
	if err := s.Enqueue(ctx, it); err != nil {
		t.Fatal(err)
	}
	if it.ID != 5 {
		t.Fatalf("the first id after the migration is %d, want 5 (4 was used before it)", it.ID)
	}
}
