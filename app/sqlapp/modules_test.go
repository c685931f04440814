package sqlapp_test

import (
	"reflect"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/sqlapp"
)

func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %#v\n want %#v", what, got, want)
	}
}

// Insert, select, update and delete through the modules, checked against what the
// database really holds.
func TestCRUD(t *testing.T) {
	targets(t, func(t *testing.T, tg *target) {
		h := newHarness(t, tg, sqlapp.Options{})
		out := h.must("InsertRow", nil, weft.Bundle{"table": "users",
			"values": map[string]any{"id": 1.0, "email": "a@x.io", "age": "30", "team_id": 1.0}})
		eq(t, "insert output", out, []weft.Bundle{{"rowsAffected": 1.0}})
		h.must("InsertRow", nil, weft.Bundle{"table": "users",
			"values": map[string]any{"id": 2.0, "email": "b@x.io", "age": 41.0, "team_id": nil}})
		h.must("InsertRow", nil, weft.Bundle{"table": "users",
			"values": map[string]any{"id": 3.0, "email": "c@x.io", "age": 7.0, "team_id": 2.0}})
		eq(t, "stored", tg.dump(t, "SELECT id, email, age, team_id FROM users ORDER BY id"),
			"1|a@x.io|30|1;2|b@x.io|41|<nil>;3|c@x.io|7|2")

		out = h.must("SelectRows", nil, weft.Bundle{"table": "users", "columns": []any{"id", "email"},
			"orderBy": []any{map[string]any{"column": "age", "order": "desc"}}, "limit": 2.0})
		eq(t, "select", out, []weft.Bundle{
			{"id": 2.0, "email": "b@x.io", "__IMTINDEX__": 1.0, "__IMTLENGTH__": 2.0},
			{"id": 1.0, "email": "a@x.io", "__IMTINDEX__": 2.0, "__IMTLENGTH__": 2.0},
		})
		out = h.must("SelectRows", nil, weft.Bundle{"table": "users", "columns": []any{"email"},
			"where": map[string]any{"team_id": nil}})
		eq(t, "select where NULL", out, []weft.Bundle{{"email": "b@x.io", "__IMTINDEX__": 1.0, "__IMTLENGTH__": 1.0}})

		out = h.must("UpdateRows", nil, weft.Bundle{"table": "users",
			"values": map[string]any{"age": 31.0}, "where": map[string]any{"email": "a@x.io", "team_id": 1.0},
			"returning": []any{"id", "age"}})
		eq(t, "update", out, []weft.Bundle{{"rowsAffected": 1.0,
			"returning": []any{map[string]any{"id": 1.0, "age": 31.0}}}})

		out = h.must("DeleteRows", nil, weft.Bundle{"table": "users", "where": map[string]any{"team_id": 2.0}})
		eq(t, "delete", out, []weft.Bundle{{"rowsAffected": 1.0}})
		eq(t, "after update and delete", tg.dump(t, "SELECT id, age FROM users ORDER BY id"), "1|31;2|41")
	})
}

// Values are bound, names are quoted: SQL in either is stored or rejected as a name,
// never run.
func TestNoInjection(t *testing.T) {
	targets(t, func(t *testing.T, tg *target) {
		tg.exec(t, `CREATE TABLE "odd ""name""" ("we""ird col" TEXT)`)
		h := newHarness(t, tg, sqlapp.Options{})
		evil := "x'); DROP TABLE users; --"
		h.must("InsertRow", nil, weft.Bundle{"table": "users",
			"values": map[string]any{"id": 9.0, "email": evil}})
		eq(t, "value stored as is", tg.dump(t, "SELECT email FROM users"), evil)
		h.must("InsertRow", nil, weft.Bundle{"table": `odd "name"`,
			"values": map[string]any{`we"ird col`: "ok"}})
		eq(t, "quoted names", tg.dump(t, `SELECT "we""ird col" FROM "odd ""name"""`), "ok")
		_, err := h.run("SelectRows", nil, weft.Bundle{"table": `users"; DROP TABLE users; --`})
		if weft.TypeOf(err) != weft.InvalidConfigurationError {
			t.Errorf("table name with SQL in it: %v, want an unknown table (InvalidConfigurationError)", err)
		}
		eq(t, "users still there", tg.dump(t, "SELECT count(*) FROM users"), "1")
	})
}

// ExecuteQuery: a query outputs rows, a write outputs rowsAffected and its RETURNING
// rows, parameters are bound in order.
func TestExecuteQuery(t *testing.T) {
	targets(t, func(t *testing.T, tg *target) {
		h := newHarness(t, tg, sqlapp.Options{})
		out := h.must("ExecuteQuery", nil, weft.Bundle{
			"query":  "INSERT INTO users (id, email, age) VALUES ($1, $2, $3), ($4, $5, $6) RETURNING id",
			"params": []any{1.0, "a@x.io", "5", 2.0, "b@x.io", 6.0}})
		eq(t, "insert returning", out, []weft.Bundle{{"rowsAffected": 2.0,
			"returning": []any{map[string]any{"id": 1.0}, map[string]any{"id": 2.0}}}})
		out = h.must("ExecuteQuery", nil, weft.Bundle{
			"query": "UPDATE users SET age = age + 1 WHERE age > $1", "params": []any{0.0}})
		eq(t, "update", out, []weft.Bundle{{"rowsAffected": 2.0}})
		out = h.must("ExecuteQuery", nil, weft.Bundle{
			"query": "-- a comment first\nSELECT email, age FROM users WHERE age >= $1 ORDER BY id", "params": []any{"7"}})
		eq(t, "select", out, []weft.Bundle{{"email": "b@x.io", "age": 7.0, "__IMTINDEX__": 1.0, "__IMTLENGTH__": 1.0}})
		out = h.must("ExecuteQuery", nil, weft.Bundle{
			"query":  "WITH gone AS (SELECT id FROM users WHERE age = $1) DELETE FROM users WHERE id IN (SELECT id FROM gone)",
			"params": []any{6.0}})
		eq(t, "WITH … DELETE", out, []weft.Bundle{{"rowsAffected": 1.0}})
		out = h.must("ExecuteQuery", nil, weft.Bundle{"query": "CREATE TABLE extra (n INTEGER)"})
		eq(t, "DDL", out, []weft.Bundle{{"rowsAffected": 0.0}})
		out = h.must("ExecuteQuery", nil, weft.Bundle{"query": "SELECT * FROM extra"})
		eq(t, "no rows", len(out), 0)
		out = h.must("ExecuteQuery", weft.Bundle{"continueWhenNoRes": true}, weft.Bundle{"query": "SELECT * FROM extra"})
		eq(t, "no rows, continue", out, []weft.Bundle{{"__IMTLENGTH__": 0.0}})
	})
}

// UPDATE and DELETE with a limit touch at most that many rows; an empty where is
// refused unless allRows is on.
func TestLimitAndAllRows(t *testing.T) {
	targets(t, func(t *testing.T, tg *target) {
		tg.exec(t, "INSERT INTO users (id, email, age) VALUES (1, 'a', 1), (2, 'b', 1), (3, 'c', 1)")
		h := newHarness(t, tg, sqlapp.Options{})
		out := h.must("UpdateRows", nil, weft.Bundle{"table": "users", "values": map[string]any{"age": 9.0},
			"where": map[string]any{"age": 1.0}, "limit": 2.0})
		eq(t, "update limit 2", out, []weft.Bundle{{"rowsAffected": 2.0}})
		eq(t, "ages", tg.dump(t, "SELECT count(*) FROM users WHERE age = 9"), "2")

		_, err := h.run("DeleteRows", nil, weft.Bundle{"table": "users"})
		if weft.TypeOf(err) != weft.DataError {
			t.Fatalf("delete without where: %v, want DataError", err)
		}
		out = h.must("DeleteRows", nil, weft.Bundle{"table": "users", "allRows": true, "limit": 1.0})
		eq(t, "delete all, limit 1", out, []weft.Bundle{{"rowsAffected": 1.0}})
		out = h.must("DeleteRows", nil, weft.Bundle{"table": "users", "allRows": true, "returning": []any{"*"}})
		eq(t, "delete all returning", len(out[0]["returning"].([]any)), 2)
		eq(t, "empty", tg.dump(t, "SELECT count(*) FROM users"), "0")
	})
}

// A SELECT with more rows than MaxRows is a MaxResultsExceededError, not a process
// out of memory.
func TestMaxRows(t *testing.T) {
	targets(t, func(t *testing.T, tg *target) {
		tg.exec(t, "INSERT INTO users (id, email) VALUES (1, 'a'), (2, 'b'), (3, 'c')")
		h := newHarness(t, tg, sqlapp.Options{MaxRows: 2})
		_, err := h.run("SelectRows", nil, weft.Bundle{"table": "users"})
		if weft.TypeOf(err) != weft.MaxResultsExceededError {
			t.Fatalf("3 rows with MaxRows 2: %v", err)
		}
		out := h.must("SelectRows", nil, weft.Bundle{"table": "users", "limit": 2.0})
		eq(t, "with a limit", len(out), 2)
	})
}
