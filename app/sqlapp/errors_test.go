package sqlapp_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/sqlapp"
	"github.com/weftworks/weft/internal/pgtest"
)

// errCase is one failure and the error type it must carry.
type errCase struct {
	name   string
	conn   weft.Bundle // nil: the target's own database
	opts   sqlapp.Options
	module string
	mapper weft.Bundle
	// timeout, when set, is the module's deadline (the engine's per-module limit).
	timeout time.Duration
	want    weft.ErrorType
	code    any    // Details: SQLSTATE (Postgres) or result code (SQLite); nil: not checked
	msg     string // a part of the message
}

func insertUser(vals map[string]any) weft.Bundle {
	return weft.Bundle{"table": "users", "values": vals}
}

func query(q string, params ...any) weft.Bundle {
	return weft.Bundle{"query": q, "params": params}
}

// raise makes the real server answer with a SQLSTATE that cannot be provoked on
// demand (a full disk, a serialization failure).
func raise(code string) weft.Bundle {
	return query("DO $$ BEGIN RAISE EXCEPTION 'raised %', '" + code + "' USING ERRCODE = '" + code + "'; END $$")
}

// checkErr runs c and checks its error.
func checkErr(t *testing.T, tg *target, c errCase) {
	t.Helper()
	h := newHarness(t, tg, c.opts)
	if c.conn != nil {
		h.exec.Connections["db"] = c.conn
	}
	ctx := context.Background()
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	_, _, err := h.call(ctx, c.module, nil, c.mapper)
	if err == nil {
		t.Fatalf("no error, want %s", c.want)
	}
	we := weft.AsError(err)
	if we.Type != c.want {
		t.Fatalf("type %s (%v), want %s", we.Type, err, c.want)
	}
	if c.code != nil && we.Details["sqlstate"] != c.code && we.Details["code"] != c.code {
		t.Errorf("details %v, want code %v", we.Details, c.code)
	}
	if !strings.Contains(we.Message, c.msg) {
		t.Errorf("message %q does not mention %q", we.Message, c.msg)
	}
	if strings.Contains(we.Message, pgtest.Password) || strings.Contains(we.Message, "wrong-secret") {
		t.Errorf("message %q shows a password", we.Message)
	}
}

// closedPort is a 127.0.0.1 port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	return port
}

// resettingServer accepts connections and drops them at once.
func resettingServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.(*net.TCPConn).SetLinger(0) // RST, not FIN
			c.Close()
		}
	}()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// Every error row of the brief against real Postgres: the SQLSTATE decides the type.
func TestPostgresErrors(t *testing.T) {
	tg := postgresTarget(t)
	tg.exec(t, "INSERT INTO users (id, email) VALUES (1, 'taken@x.io')")
	tg.exec(t, `CREATE FUNCTION no_bob() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.email = 'bob' THEN RAISE EXCEPTION 'no bob allowed'; END IF; RETURN NEW; END $$`)
	tg.exec(t, "CREATE TRIGGER no_bob BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION no_bob()")
	dsn := tg.conn["dsn"].(string)
	wrongPassword, _ := pgtest.WithUser(dsn, "postgres", "wrong-secret")
	noDB, _ := pgtest.WithDatabase(dsn, "no_such_db")
	cases := []errCase{
		{name: "unique violation", module: "InsertRow", mapper: insertUser(map[string]any{"id": 2.0, "email": "taken@x.io"}),
			want: weft.DuplicateDataError, code: "23505", msg: `users_email_key`},
		{name: "primary key", module: "InsertRow", mapper: insertUser(map[string]any{"id": 1.0, "email": "new@x.io"}),
			want: weft.DuplicateDataError, code: "23505", msg: `insert into "users"`},
		{name: "not null", module: "InsertRow", mapper: insertUser(map[string]any{"id": 2.0, "email": nil}),
			want: weft.DataError, code: "23502", msg: `"email"`},
		{name: "check", module: "InsertRow", mapper: insertUser(map[string]any{"id": 2.0, "email": "c@x.io", "age": -1.0}),
			want: weft.DataError, code: "23514", msg: "users_age_check"},
		{name: "foreign key", module: "InsertRow", mapper: insertUser(map[string]any{"id": 2.0, "email": "f@x.io", "team_id": 99.0}),
			want: weft.DataError, code: "23503", msg: "users_team_id_fkey"},
		{name: "type", module: "InsertRow", mapper: insertUser(map[string]any{"id": 2.0, "email": "t@x.io", "age": "abc"}),
			want: weft.DataError, code: "22P02", msg: `"abc"`},
		{name: "trigger raise", module: "InsertRow", mapper: insertUser(map[string]any{"id": 2.0, "email": "bob"}),
			want: weft.DataError, code: "P0001", msg: "no bob allowed"},
		{name: "syntax error", module: "ExecuteQuery", mapper: query("SELEC 1"),
			want: weft.InvalidConfigurationError, code: "42601", msg: "syntax error"},
		{name: "undefined table", module: "SelectRows", mapper: weft.Bundle{"table": "nope"},
			want: weft.InvalidConfigurationError, code: "42P01", msg: `"nope"`},
		{name: "undefined column", module: "SelectRows", mapper: weft.Bundle{"table": "users", "where": map[string]any{"nope": 1.0}},
			want: weft.InvalidConfigurationError, code: "42703", msg: "nope"},
		{name: "parameter count", module: "ExecuteQuery", mapper: query("SELECT $1::int + $2::int", 1.0),
			want: weft.InvalidConfigurationError, msg: "arguments"},
		{name: "serialization failure", module: "ExecuteQuery", mapper: raise("40001"),
			want: weft.ConnectionError, code: "40001"},
		{name: "deadlock", module: "ExecuteQuery", mapper: raise("40P01"),
			want: weft.ConnectionError, code: "40P01"},
		{name: "disk full", module: "ExecuteQuery", mapper: raise("53100"),
			want: weft.OutOfSpaceError, code: "53100"},
		{name: "statement timeout", conn: weft.Bundle{"dsn": dsn, "statementTimeout": 50.0},
			module: "ExecuteQuery", mapper: query("SELECT pg_sleep(5)"),
			want: weft.ModuleTimeoutError, code: "57014", msg: "statement timeout"},
		{name: "module deadline", module: "ExecuteQuery", mapper: query("SELECT pg_sleep(5)"), timeout: 200 * time.Millisecond,
			want: weft.ModuleTimeoutError},
		{name: "wrong password", conn: weft.Bundle{"dsn": wrongPassword}, module: "SelectRows",
			mapper: weft.Bundle{"table": "users"}, want: weft.InvalidAccessTokenError, code: "28P01", msg: "password"},
		{name: "no such database", conn: weft.Bundle{"dsn": noDB}, module: "SelectRows",
			mapper: weft.Bundle{"table": "users"}, want: weft.InvalidConfigurationError, code: "3D000", msg: "no_such_db"},
		{name: "connection refused", conn: weft.Bundle{"host": "127.0.0.1", "port": closedPort(t),
			"user": "postgres", "password": "wrong-secret", "database": "x", "sslmode": "disable"},
			module: "SelectRows", mapper: weft.Bundle{"table": "users"}, want: weft.ConnectionError, msg: "refused"},
		{name: "connection reset", conn: weft.Bundle{"host": "127.0.0.1", "port": resettingServer(t),
			"user": "postgres", "database": "x", "sslmode": "disable"},
			module: "SelectRows", mapper: weft.Bundle{"table": "users"}, want: weft.ConnectionError},
		{name: "no connection settings", conn: weft.Bundle{}, module: "SelectRows",
			mapper: weft.Bundle{"table": "users"}, want: weft.InvalidConfigurationError, msg: "neither dsn nor host"},
		{name: "bad dsn", conn: weft.Bundle{"dsn": "postgres://u:wrong-secret@h:notaport/db"}, module: "SelectRows",
			mapper: weft.Bundle{"table": "users"}, want: weft.InvalidConfigurationError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkErr(t, tg, c) })
	}
	// Nothing the failures touched stayed: the one seeded row is all there is.
	eq(t, "rows after the failures", tg.dump(t, "SELECT id, email FROM users"), "1|taken@x.io")
}

// Every error row that exists for a SQLite file; SQLite has no login, so a rejected
// password cannot happen.
func TestSQLiteErrors(t *testing.T) {
	tg := sqliteTarget(t)
	tg.exec(t, "INSERT INTO users (id, email) VALUES (1, 'taken@x.io')")
	tg.exec(t, "CREATE TABLE strict_t (n INTEGER) STRICT")
	tg.exec(t, `CREATE TRIGGER no_bob BEFORE INSERT ON users WHEN NEW.email = 'bob'
		BEGIN SELECT RAISE(ABORT, 'no bob allowed'); END`)
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(junk, []byte(strings.Repeat("not a database ", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []errCase{
		{name: "unique violation", module: "InsertRow", mapper: insertUser(map[string]any{"id": 2.0, "email": "taken@x.io"}),
			want: weft.DuplicateDataError, code: 2067, msg: "users.email"},
		{name: "primary key", module: "InsertRow", mapper: insertUser(map[string]any{"id": 1.0, "email": "new@x.io"}),
			want: weft.DuplicateDataError, code: 1555, msg: "users.id"},
		{name: "not null", module: "InsertRow", mapper: insertUser(map[string]any{"id": 2.0, "email": nil}),
			want: weft.DataError, code: 1299, msg: "users.email"},
		{name: "check", module: "InsertRow", mapper: insertUser(map[string]any{"id": 2.0, "email": "c@x.io", "age": -1.0}),
			want: weft.DataError, code: 275, msg: "CHECK"},
		{name: "foreign key", module: "InsertRow", mapper: insertUser(map[string]any{"id": 2.0, "email": "f@x.io", "team_id": 99.0}),
			want: weft.DataError, code: 787, msg: "FOREIGN KEY"},
		{name: "type (STRICT table)", module: "InsertRow", mapper: weft.Bundle{"table": "strict_t", "values": map[string]any{"n": "abc"}},
			want: weft.DataError, code: 3091, msg: "strict_t.n"},
		{name: "trigger raise", module: "InsertRow", mapper: insertUser(map[string]any{"id": 2.0, "email": "bob"}),
			want: weft.DataError, code: 1811, msg: "no bob allowed"},
		{name: "syntax error", module: "ExecuteQuery", mapper: query("SELEC 1"),
			want: weft.InvalidConfigurationError, code: 1, msg: "syntax error"},
		{name: "undefined table", module: "SelectRows", mapper: weft.Bundle{"table": "nope"},
			want: weft.InvalidConfigurationError, code: 1, msg: "no such table"},
		{name: "undefined column", module: "SelectRows", mapper: weft.Bundle{"table": "users", "where": map[string]any{"nope": 1.0}},
			want: weft.InvalidConfigurationError, code: 1, msg: "nope"},
		{name: "parameter count", module: "ExecuteQuery", mapper: query("SELECT $1 + $2", 1.0),
			want: weft.InvalidConfigurationError, msg: "argument"},
		{name: "module deadline", module: "ExecuteQuery", timeout: 200 * time.Millisecond,
			mapper: query("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT count(*) FROM c"),
			want:   weft.ModuleTimeoutError},
		{name: "missing file", conn: weft.Bundle{"path": filepath.Join(dir, "typo.db")}, module: "SelectRows",
			mapper: weft.Bundle{"table": "users"}, want: weft.InvalidConfigurationError, code: 14},
		{name: "not a database", conn: weft.Bundle{"path": junk}, module: "SelectRows",
			mapper: weft.Bundle{"table": "users"}, want: weft.InvalidConfigurationError, code: 26},
		{name: "no path", conn: weft.Bundle{}, module: "SelectRows",
			mapper: weft.Bundle{"table": "users"}, want: weft.InvalidConfigurationError, msg: "path is not set"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkErr(t, tg, c) })
	}
	if _, err := os.Stat(filepath.Join(dir, "typo.db")); !os.IsNotExist(err) {
		t.Errorf("a mistyped path created a database file (stat: %v)", err)
	}
	eq(t, "rows after the failures", tg.dump(t, "SELECT id, email FROM users"), "1|taken@x.io")
}
