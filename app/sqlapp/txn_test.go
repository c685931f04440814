package sqlapp_test

import (
	"context"
	"database/sql"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/sqlapp"
)

func user(id float64, email string) weft.Bundle {
	return insertUser(map[string]any{"id": id, "email": email})
}

// A run's statements share one transaction per database: Rollback undoes all of them,
// a failing statement is undone alone (its savepoint) and the others commit.
func TestRunTransaction(t *testing.T) {
	targets(t, func(t *testing.T, tg *target) {
		ctx := context.Background()
		h := newHarness(t, tg, sqlapp.Options{})
		m, _, err := h.call(ctx, "InsertRow", nil, user(1, "a"))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.call(ctx, "InsertRow", nil, user(2, "b")); err != nil {
			t.Fatal(err)
		}
		eq(t, "uncommitted rows seen by others", tg.dump(t, "SELECT count(*) FROM users"), "0")
		// The run itself reads its own writes.
		_, out, err := h.call(ctx, "SelectRows", nil, weft.Bundle{"table": "users", "columns": []any{"id"}})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "own writes", len(out), 2)
		if err := m.(app.Transactional).Rollback(ctx, h.exec); err != nil {
			t.Fatal(err)
		}
		eq(t, "after rollback", tg.dump(t, "SELECT count(*) FROM users"), "0")

		if _, _, err := h.call(ctx, "InsertRow", nil, user(1, "a")); err != nil {
			t.Fatal(err)
		}
		_, _, err = h.call(ctx, "InsertRow", nil, user(2, "a"))
		if weft.TypeOf(err) != weft.DuplicateDataError {
			t.Fatalf("duplicate inside the transaction: %v", err)
		}
		if _, _, err := h.call(ctx, "InsertRow", nil, user(3, "c")); err != nil {
			t.Fatalf("statement after a failed one: %v", err)
		}
		if err := m.(app.Transactional).Commit(ctx, h.exec); err != nil {
			t.Fatal(err)
		}
		eq(t, "committed around the failure", tg.dump(t, "SELECT id, email FROM users ORDER BY id"), "1|a;3|c")
	})
}

// A statement that fails first in its transaction leaves nothing open: no module is
// tracked for it, so nothing else would end the transaction.
func TestFailedFirstStatementClosesTransaction(t *testing.T) {
	targets(t, func(t *testing.T, tg *target) {
		h := newHarness(t, tg, sqlapp.Options{})
		tg.exec(t, "INSERT INTO users (id, email) VALUES (1, 'a')")
		_, _, err := h.call(context.Background(), "InsertRow", nil, user(2, "a"))
		if weft.TypeOf(err) != weft.DuplicateDataError {
			t.Fatalf("want a duplicate: %v", err)
		}
		if tg.dialect == "postgres" {
			eq(t, "sessions idle in a transaction",
				tg.dump(t, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'"), "0")
		}
		// Another writer gets the table at once (SQLite would wait for a held lock).
		tg.exec(t, "UPDATE users SET email = 'z' WHERE id = 1")
	})
}

// Two runs locking rows in opposite orders: the server detects the deadlock and one
// of them gets a ConnectionError (retried automatically); once that run is rolled
// back, the other goes on.
func TestPostgresRealDeadlock(t *testing.T) {
	tg := postgresTarget(t)
	tg.exec(t, "INSERT INTO users (id, email) VALUES (1, 'a'), (2, 'b')")
	tg.exec(t, "ALTER DATABASE "+currentDB(t, tg)+" SET deadlock_timeout = '100ms'")
	h := newHarness(t, tg, sqlapp.Options{})
	m, spec, p := h.module("UpdateRows", nil)
	execA, execB := apptest.NewExec(), apptest.NewExec()
	execA.Connections["db"], execB.Connections["db"] = tg.conn, tg.conn
	// update sets age = id on row id in the run's transaction; a failed run is rolled
	// back, as the engine does when the error is not handled.
	update := func(exec *apptest.Exec, id float64) error {
		in, err := app.PrepareInput(spec, weft.Bundle{"table": "users", "values": map[string]any{"age": id},
			"where": map[string]any{"id": id}})
		if err != nil {
			return err
		}
		_, err = m.Run(context.Background(), &app.Call{Input: in, Params: p, Exec: exec})
		if err != nil {
			if rerr := m.(app.Transactional).Rollback(context.Background(), exec); rerr != nil {
				return rerr
			}
		}
		return err
	}
	if err := update(execA, 1); err != nil {
		t.Fatal(err)
	}
	if err := update(execB, 2); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var errA, errB error
	wg.Add(2)
	go func() { defer wg.Done(); errA = update(execA, 2) }()
	go func() { defer wg.Done(); errB = update(execB, 1) }()
	wg.Wait()
	failed := 0
	for _, err := range []error{errA, errB} {
		if err == nil {
			continue
		}
		failed++
		we := weft.AsError(err)
		if we.Type != weft.ConnectionError || we.Details["sqlstate"] != "40P01" {
			t.Errorf("deadlock victim: %v (details %v), want ConnectionError 40P01", err, we.Details)
		}
	}
	if failed != 1 {
		t.Fatalf("%d runs failed (A: %v, B: %v), want exactly one deadlock victim", failed, errA, errB)
	}
	for _, exec := range []*apptest.Exec{execA, execB} {
		if err := m.(app.Transactional).Commit(context.Background(), exec); err != nil {
			t.Fatal(err)
		}
	}
	// Either winner set both rows' age to their id; the victim's first update is gone.
	eq(t, "winner's updates", tg.dump(t, "SELECT id, age FROM users ORDER BY id"), "1|1;2|2")
}

func currentDB(t *testing.T, tg *target) string {
	t.Helper()
	return `"` + tg.dump(t, "SELECT current_database()") + `"`
}

// SQLite: another writer holding the file past the busy timeout is a ConnectionError
// (retried automatically), and a full database an OutOfSpaceError.
func TestSQLiteBusyAndFull(t *testing.T) {
	tg := sqliteTarget(t)
	db, err := sql.Open("sqlite", "file:"+tg.conn["path"].(string))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	other, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	t.Run("busy", func(t *testing.T) {
		checkErr(t, tg, errCase{opts: sqlapp.Options{BusyTimeout: 50 * time.Millisecond}, module: "InsertRow",
			mapper: user(5, "e"), want: weft.ConnectionError, code: 5, msg: "locked"})
	})
	if _, err := other.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	other.Close()

	t.Run("full", func(t *testing.T) {
		h := newHarness(t, tg, sqlapp.Options{})
		// max_page_count is per connection: set it in the run's transaction, on the
		// connection the insert then uses; it cannot go below the file's current size.
		m, _, err := h.call(ctx, "ExecuteQuery", nil, query("PRAGMA max_page_count = 1"))
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = h.call(ctx, "InsertRow", nil, insertUser(map[string]any{"id": 7.0, "email": strings.Repeat("x", 1<<20)}))
		we := weft.AsError(err)
		if err == nil || we.Type != weft.OutOfSpaceError || we.Details["code"] != 13 {
			t.Fatalf("insert into a full database: %v, want OutOfSpaceError (code 13)", err)
		}
		if err := m.(app.Transactional).Rollback(ctx, h.exec); err != nil {
			t.Fatal(err)
		}
	})
}

// A run lost with its transaction open (never committed nor rolled back) does not
// keep its connection and locks: the transaction is rolled back when the run is
// garbage collected.
func TestAbandonedRunRollsBack(t *testing.T) {
	tg := sqliteTarget(t)
	h := newHarness(t, tg, sqlapp.Options{})
	func() {
		exec := apptest.NewExec()
		exec.Connections["db"] = tg.conn
		h.exec = exec
		if _, _, err := h.call(context.Background(), "InsertRow", nil, user(1, "a")); err != nil {
			t.Fatal(err)
		}
		h.exec = nil
	}()
	runtime.GC()
	runtime.GC()
	// The busy timeout waits for the lost run's write lock to go (event driven, no
	// sleep); 20 s is far beyond the cleanup's delay.
	db, err := sql.Open("sqlite", "file:"+tg.conn["path"].(string)+"?_pragma=busy_timeout(20000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("INSERT INTO users (id, email) VALUES (2, 'b')"); err != nil {
		t.Fatalf("write lock of the lost run never released: %v", err)
	}
	eq(t, "lost run's row", tg.dump(t, "SELECT id FROM users"), "2")
}
