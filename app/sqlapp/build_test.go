package sqlapp

import (
	"reflect"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
)

func TestVerb(t *testing.T) {
	for _, tc := range []struct {
		sql, verb string
		write     bool
	}{
		{"select 1", "SELECT", false},
		{"  -- note\n/* block */ INSERT INTO t VALUES (1)", "INSERT", true},
		{"WITH a AS (SELECT 1), b(x) AS MATERIALIZED (SELECT 2) UPDATE t SET x = 1", "UPDATE", true},
		{"WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM c) SELECT * FROM c", "SELECT", false},
		{`WITH "delete" AS (SELECT 1) SELECT * FROM "delete"`, "SELECT", false},
		{"with x as (delete from t returning *) select * from x", "SELECT", false},
		{"replace into t values (1)", "REPLACE", true},
		{"DELETE FROM t", "DELETE", true},
		{"MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE", "MERGE", true},
		{"CREATE TABLE t (n int)", "CREATE", false},
		{"PRAGMA max_page_count = 1", "PRAGMA", false},
		{"'unterminated", "", false},
		{"/* unterminated", "", false},
		{"", "", false},
	} {
		if got := verb(tc.sql); got != tc.verb {
			t.Errorf("verb(%q) = %q, want %q", tc.sql, got, tc.verb)
		}
		if got := isWrite(tc.sql); got != tc.write {
			t.Errorf("isWrite(%q) = %v, want %v", tc.sql, got, tc.write)
		}
	}
}

func TestQuoteTable(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"users", `"users"`, ""},
		{"public.users", `"public"."users"`, ""},
		{`we"ird`, `"we""ird"`, ""},
		{"a.b.c", `"a"."b"."c"`, ""},
		{"a.b.c.d", "", "DataError: table: \"a.b.c.d\" has more than three dotted parts"},
		{"", "", "DataError: table: empty name"},
		{"a.", "", "DataError: table: empty name"},
		{"a\x00b", "", "DataError: table: name \"a\\x00b\" holds a NUL character"},
	} {
		got, err := quoteTable(tc.in)
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && err.Error() != tc.err {
			t.Errorf("quoteTable(%q) = %q, %v; want %q, %s", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// The statements each module builds, with their arguments: names quoted, values bound.
func TestBuiltStatements(t *testing.T) {
	pg, lite := &module{dialect: postgres}, &module{dialect: sqlite}
	for _, tc := range []struct {
		name string
		m    *module
		run  opFunc
		in   weft.Bundle
		sql  string
		args []any
	}{
		{"select", pg, (*module).selectRows, weft.Bundle{"table": "s.t", "columns": []any{"a", "b"},
			"where": map[string]any{"z": 1.0, "y": nil}, "orderBy": []any{map[string]any{"column": "a", "order": "desc"},
				map[string]any{"column": "b"}}, "limit": 5.0},
			`SELECT "a", "b" FROM "s"."t" WHERE "y" IS NULL AND "z" = $1 ORDER BY "a" DESC, "b" ASC LIMIT 5`, []any{1.0}},
		{"select all", pg, (*module).selectRows, weft.Bundle{"table": "t"}, `SELECT * FROM "t"`, nil},
		{"insert", pg, (*module).insertRow, weft.Bundle{"table": "t", "values": map[string]any{"b": "x", "a": 2.0},
			"returning": []any{"id"}},
			`INSERT INTO "t" ("a", "b") VALUES ($1, $2) RETURNING "id"`, []any{2.0, "x"}},
		{"insert defaults", lite, (*module).insertRow, weft.Bundle{"table": "t", "values": map[string]any{}},
			`INSERT INTO "t" DEFAULT VALUES`, nil},
		{"update", pg, (*module).updateRows, weft.Bundle{"table": "t", "values": map[string]any{"a": 1.0},
			"where": map[string]any{"id": 7.0}},
			`UPDATE "t" SET "a" = $1 WHERE "id" = $2`, []any{1.0, 7.0}},
		{"update limit postgres", pg, (*module).updateRows, weft.Bundle{"table": "t", "values": map[string]any{"a": 1.0},
			"where": map[string]any{"id": 7.0}, "limit": 3.0},
			`UPDATE "t" SET "a" = $1 WHERE ctid IN (SELECT ctid FROM "t" WHERE "id" = $2 LIMIT 3)`, []any{1.0, 7.0}},
		{"delete limit sqlite", lite, (*module).deleteRows, weft.Bundle{"table": "t", "allRows": true, "limit": 1.0,
			"returning": []any{"*"}},
			`DELETE FROM "t" WHERE rowid IN (SELECT rowid FROM "t" LIMIT 1) RETURNING *`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := tc.run(tc.m, &app.Call{Input: tc.in})
			if err != nil {
				t.Fatal(err)
			}
			if st.sql != tc.sql || !reflect.DeepEqual(st.args, tc.args) {
				t.Errorf("got  %s %#v\nwant %s %#v", st.sql, st.args, tc.sql, tc.args)
			}
		})
	}
}

func TestBuildRefusals(t *testing.T) {
	m := &module{dialect: postgres}
	for _, tc := range []struct {
		name string
		run  opFunc
		in   weft.Bundle
		err  string
	}{
		{"update without where", (*module).updateRows, weft.Bundle{"table": "t", "values": map[string]any{"a": 1.0}},
			"DataError: where: no condition given; set allRows to touch every row of the table"},
		{"update without values", (*module).updateRows, weft.Bundle{"table": "t", "allRows": true},
			"DataError: values: no column to set"},
		{"star among columns", (*module).selectRows, weft.Bundle{"table": "t", "columns": []any{"a", "*"}},
			"DataError: columns: * must be the only column"},
		{"empty column", (*module).insertRow, weft.Bundle{"table": "t", "values": map[string]any{"": 1.0}},
			"DataError: values: empty name"},
		{"empty query", (*module).execute, weft.Bundle{"query": "  "}, "DataError: query: empty statement"},
	} {
		_, err := tc.run(m, &app.Call{Input: tc.in})
		if err == nil || err.Error() != tc.err {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.err)
		}
	}
}

func TestArrayLiteral(t *testing.T) {
	got := arrayLiteral([]any{1.0, nil, `a"b\c`, []any{"x", nil}, map[string]any{"k": true},
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	want := `{"1",NULL,"a\"b\\c",{"x",NULL},"{\"k\":true}","2026-01-02T03:04:05Z"}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestSignificantDigits(t *testing.T) {
	for s, want := range map[string]int{"12.50": 3, "-0.00123": 3, "1200": 4, "123456789012345678": 18,
		"0": 0, "1.5e10": 2, "100.001": 6} {
		if got := significantDigits(s); got != want {
			t.Errorf("significantDigits(%q) = %d, want %d", s, got, want)
		}
	}
}

// A module needs a connection: account, or Make's __IMTCONN__.
func TestConnectionParameter(t *testing.T) {
	reg := app.NewRegistry()
	if err := New(Options{}).Register(reg); err != nil {
		t.Fatal(err)
	}
	spec, _ := reg.Lookup("postgres:SelectRows")
	for _, tc := range []struct {
		params weft.Bundle
		err    string
	}{
		{weft.Bundle{"account": 12.0}, ""},
		{weft.Bundle{"__IMTCONN__": 12.0}, ""},
		{weft.Bundle{}, "InvalidConfigurationError: postgres:SelectRows: parameter account: no connection chosen"},
		{weft.Bundle{"account": ""}, "InvalidConfigurationError: postgres:SelectRows: parameter account: no connection chosen"},
	} {
		p, err := app.PrepareParameters(spec, tc.params)
		if err != nil {
			t.Fatal(err)
		}
		_, err = spec.New(app.Config{Parameters: p})
		if (err == nil) != (tc.err == "") || err != nil && err.Error() != tc.err {
			t.Errorf("%v: %v, want %q", tc.params, err, tc.err)
		}
	}
	if n := len(reg.Specs()); n != 10 {
		t.Errorf("%d module types, want 10 (5 for each app)", n)
	}
	for _, s := range reg.Specs() {
		if !s.ACID || s.New == nil {
			t.Errorf("%s: ACID %v, New %v", s.Name, s.ACID, s.New != nil)
		}
	}
}
