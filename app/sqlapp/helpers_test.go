package sqlapp_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/sqlapp"
	"github.com/weftworks/weft/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// target is one real database the modules work on, with a direct connection (not the
// app's) to set it up and to check what was really committed.
type target struct {
	dialect string // "postgres" or "sqlite": the module name prefix
	conn    weft.Bundle
	exec    func(t testing.TB, q string, args ...any)
	// dump returns the rows of a query as "a|b;c|d" (fmt.Sprint of each value).
	dump func(t testing.TB, q string, args ...any) string
}

// schema is the tables most tests use, valid in both dialects.
const schema = `
CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE,
	age INTEGER CHECK (age >= 0), team_id INTEGER REFERENCES teams(id));
INSERT INTO teams (id, name) VALUES (1, 'core'), (2, 'apps');`

// postgresTarget is a fresh database on the test server.
func postgresTarget(t testing.TB) *target {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	tg := &target{dialect: "postgres", conn: weft.Bundle{"dsn": dsn}}
	tg.exec = func(t testing.TB, q string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(ctx, q, args...); err != nil {
			t.Fatalf("setup %q: %v", q, err)
		}
	}
	tg.dump = func(t testing.TB, q string, args ...any) string {
		t.Helper()
		rows, err := conn.Query(ctx, q, args...)
		if err != nil {
			t.Fatalf("check %q: %v", q, err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, joinValues(vals))
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("check %q: %v", q, err)
		}
		return strings.Join(out, ";")
	}
	for _, q := range strings.Split(schema, ";") {
		if strings.TrimSpace(q) != "" {
			tg.exec(t, q)
		}
	}
	return tg
}

// sqliteTarget is a fresh database file.
func sqliteTarget(t testing.TB) *target {
	t.Helper()
	path := filepath.Join(t.TempDir(), "app.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tg := &target{dialect: "sqlite", conn: weft.Bundle{"path": path}}
	tg.exec = func(t testing.TB, q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("setup %q: %v", q, err)
		}
	}
	tg.dump = func(t testing.TB, q string, args ...any) string {
		t.Helper()
		rows, err := db.Query(q, args...)
		if err != nil {
			t.Fatalf("check %q: %v", q, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var out []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out = append(out, joinValues(vals))
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("check %q: %v", q, err)
		}
		return strings.Join(out, ";")
	}
	tg.exec(t, schema)
	return tg
}

func joinValues(vals []any) string {
	s := make([]string, len(vals))
	for i, v := range vals {
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, "|")
}

// targets runs f once per database kind, as subtests.
func targets(t *testing.T, f func(t *testing.T, tg *target)) {
	t.Run("postgres", func(t *testing.T) { f(t, postgresTarget(t)) })
	t.Run("sqlite", func(t *testing.T) { f(t, sqliteTarget(t)) })
}

// harness runs modules outside an engine the way the engine does with autoCommit:
// prepare the input, run, commit right after a success.
type harness struct {
	t    testing.TB
	tg   *target
	reg  *app.Registry
	exec *apptest.Exec
}

func newHarness(t testing.TB, tg *target, o sqlapp.Options) *harness {
	t.Helper()
	a := sqlapp.New(o)
	t.Cleanup(a.Close) // before the test database is dropped (cleanups run last-first)
	reg := app.NewRegistry()
	if err := a.Register(reg); err != nil {
		t.Fatal(err)
	}
	exec := apptest.NewExec()
	exec.Connections["db"] = tg.conn
	return &harness{t: t, tg: tg, reg: reg, exec: exec}
}

// module builds a module of the target's dialect ("InsertRow" → "postgres:InsertRow").
func (h *harness) module(name string, params weft.Bundle) (app.Module, *app.Spec, weft.Bundle) {
	h.t.Helper()
	spec, ok := h.reg.Lookup(h.tg.dialect + ":" + name)
	if !ok {
		h.t.Fatalf("module %s:%s not registered", h.tg.dialect, name)
	}
	p := weft.Bundle{"account": "db"}
	for k, v := range params {
		p[k] = v
	}
	p, err := app.PrepareParameters(spec, p)
	if err != nil {
		h.t.Fatalf("parameters: %v", err)
	}
	m, err := spec.New(app.Config{ModuleID: 1, Version: 1, Parameters: p})
	if err != nil {
		h.t.Fatalf("build %s: %v", spec.Name, err)
	}
	return m, spec, p
}

// call runs one module once without ending its transaction.
func (h *harness) call(ctx context.Context, name string, params, mapper weft.Bundle) (app.Module, []weft.Bundle, error) {
	h.t.Helper()
	m, spec, p := h.module(name, params)
	in, err := app.PrepareInput(spec, mapper)
	if err != nil {
		return m, nil, err
	}
	out, err := m.Run(ctx, &app.Call{ModuleID: 1, Input: in, Params: p, Exec: h.exec})
	return m, out, err
}

// run runs one module and commits it on success, as autoCommit does.
func (h *harness) run(name string, params, mapper weft.Bundle) ([]weft.Bundle, error) {
	h.t.Helper()
	m, out, err := h.call(context.Background(), name, params, mapper)
	if err != nil {
		return nil, err
	}
	if err := m.(app.Transactional).Commit(context.Background(), h.exec); err != nil {
		h.t.Fatalf("commit: %v", err)
	}
	return out, nil
}

// must is run that fails the test on an error.
func (h *harness) must(name string, params, mapper weft.Bundle) []weft.Bundle {
	h.t.Helper()
	out, err := h.run(name, params, mapper)
	if err != nil {
		h.t.Fatalf("%s: %v", name, err)
	}
	return out
}
