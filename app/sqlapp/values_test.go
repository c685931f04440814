package sqlapp_test

import (
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/sqlapp"
)

// Make values go into Postgres columns of every common type and come back as weft's
// canonical values.
func TestPostgresValues(t *testing.T) {
	tg := postgresTarget(t)
	tg.exec(t, `CREATE TABLE v (id int PRIMARY KEY, n numeric(10,2), big numeric, b boolean,
		ts timestamptz, d date, j jsonb, ja jsonb, arr int[], tags text[], bin bytea, u uuid,
		f double precision, i8 bigint, txt text)`)
	h := newHarness(t, tg, sqlapp.Options{})
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	h.must("InsertRow", nil, weft.Bundle{"table": "v", "values": map[string]any{
		"id": 1.0, "n": "12.50", "big": "123456789012345678901234567890.5", "b": true,
		"ts": at, "d": at, "j": map[string]any{"a": 1.0, "b": []any{"x"}},
		"ja": []any{map[string]any{"k": 1.0}, 2.0}, "arr": []any{1.0, "2", nil}, "tags": []any{`a"b`, "c,d", `e\f`},
		"bin": []byte{0, 1, 255}, "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "f": 0.5,
		"i8": "9007199254740993", "txt": []any{"x", "y"},
	}})
	out := h.must("SelectRows", nil, weft.Bundle{"table": "v"})
	eq(t, "row", out, []weft.Bundle{{
		"id": 1.0, "n": 12.5, "big": "123456789012345678901234567890.5", "b": true,
		"ts": at, "d": time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC),
		"j": map[string]any{"a": 1.0, "b": []any{"x"}}, "ja": []any{map[string]any{"k": 1.0}, 2.0},
		"arr": []any{1.0, 2.0, nil}, "tags": []any{`a"b`, "c,d", `e\f`},
		"bin": []byte{0, 1, 255}, "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "f": 0.5,
		"i8": int64(9007199254740993), "txt": "x, y",
		"__IMTINDEX__": 1.0, "__IMTLENGTH__": 1.0,
	}})
	// Values weft has no type for come back as text.
	out = h.must("ExecuteQuery", nil, query(`SELECT 'NaN'::numeric AS nan, 'infinity'::timestamptz AS inf,
		'1 day 2 hours'::interval AS iv, '10.0.0.0/8'::cidr AS net, int4range(1, 5) AS r`))
	eq(t, "other types", out, []weft.Bundle{{"nan": "NaN", "inf": "infinity", "iv": "1 day 02:00:00",
		"net": "10.0.0.0/8", "r": "[1,5)", "__IMTINDEX__": 1.0, "__IMTLENGTH__": 1.0}})
	// Text that is not a valid value of the column is the server's DataError.
	_, err := h.run("InsertRow", nil, weft.Bundle{"table": "v", "values": map[string]any{"id": 2.0, "ts": "not a date"}})
	if weft.TypeOf(err) != weft.DataError {
		t.Errorf("bad timestamp: %v, want DataError", err)
	}
}

// SQLite takes any value in any column: whole numbers stay integers, booleans become
// 1/0, dates ISO text, collections and arrays JSON text.
func TestSQLiteValues(t *testing.T) {
	tg := sqliteTarget(t)
	tg.exec(t, `CREATE TABLE v (id INTEGER PRIMARY KEY, n REAL, t TEXT, b INTEGER, at TEXT, j TEXT, a TEXT, bin BLOB, nada TEXT)`)
	h := newHarness(t, tg, sqlapp.Options{})
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	h.must("InsertRow", nil, weft.Bundle{"table": "v", "values": map[string]any{
		"id": 1.0, "n": 2.5, "t": 3.0, "b": true, "at": at, "j": map[string]any{"a": 1.0},
		"a": []any{1.0, "x"}, "bin": []byte{0, 1}, "nada": nil,
	}})
	eq(t, "stored", tg.dump(t, "SELECT n, t, typeof(t), b, at, j, a, hex(bin), nada FROM v"),
		`2.5|3|text|1|2026-01-02T03:04:05Z|{"a":1}|[1,"x"]|0001|<nil>`)
	out := h.must("SelectRows", nil, weft.Bundle{"table": "v", "columns": []any{"id", "n", "t", "b", "bin", "nada"}})
	eq(t, "row", out, []weft.Bundle{{"id": 1.0, "n": 2.5, "t": "3", "b": 1.0, "bin": []byte{0, 1}, "nada": nil,
		"__IMTINDEX__": 1.0, "__IMTLENGTH__": 1.0}})
	out = h.must("ExecuteQuery", nil, query("SELECT json_extract(j, '$.a') AS a FROM v WHERE b = $1", true))
	eq(t, "JSON readable by SQLite", out, []weft.Bundle{{"a": 1.0, "__IMTINDEX__": 1.0, "__IMTLENGTH__": 1.0}})
}
