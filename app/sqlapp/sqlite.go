package sqlapp

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/value"
)

// parseSQLite reads a SQLite connection: {path} of the database file, and create
// (boolean) to create a missing file instead of failing.
func parseSQLite(conn weft.Bundle, o Options) (*dbConfig, error) {
	path := strings.TrimSpace(value.Text(conn["path"]))
	if path == "" {
		return nil, weft.Errorf(weft.InvalidConfigurationError, "sqlite connection: path is not set")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, weft.Errorf(weft.InvalidConfigurationError, "sqlite connection: path %q: %v", path, err)
	}
	mode := "rw" // a typo in the path must not silently create an empty database
	if value.Bool(conn["create"]) {
		mode = "rwc"
	}
	q := url.Values{}
	q.Set("mode", mode)
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(o.BusyTimeout.Milliseconds(), 10)+")")
	// SQLite leaves foreign keys unchecked unless asked, per connection; a database
	// that declares them expects them enforced.
	q.Add("_pragma", "foreign_keys(1)")
	// Without this, SQLite reads a quoted name that matches no column as a string
	// ("nope" = 1 is just false): a misspelt column in where would match nothing
	// instead of failing.
	q.Set("_dqs", "0")
	dsn := "file:" + (&url.URL{Path: abs}).EscapedPath() + "?" + q.Encode()
	name := fmt.Sprintf("sqlite database %s", abs)
	return &dbConfig{key: "sqlite\x00" + dsn, name: name, open: func() (database, error) {
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			return nil, weft.Errorf(weft.InvalidConfigurationError, "%s: %v", name, err)
		}
		db.SetMaxIdleConns(4)
		return &sqliteDB{db: db, label: name}, nil
	}}, nil
}

// sqliteDB is one SQLite file's pool.
type sqliteDB struct {
	db    *sql.DB
	label string
}

func (d *sqliteDB) name() string { return d.label }
func (d *sqliteDB) close()       { _ = d.db.Close() }

// begin starts the transaction by hand on a dedicated connection (database/sql's Tx
// would roll it back when the statement's context ends, and cannot choose the lock):
// a writing transaction takes the write lock at BEGIN, so two runs never both hold a
// read lock and then fail to upgrade it.
func (d *sqliteDB) begin(ctx context.Context, write bool) (session, error) {
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	begin := "BEGIN"
	if write {
		begin = "BEGIN IMMEDIATE"
	}
	if _, err := conn.ExecContext(ctx, begin); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return &sqliteSession{conn: conn}, nil
}

// sqliteSession is a transaction on one connection.
type sqliteSession struct {
	conn *sql.Conn
}

func (s *sqliteSession) run(ctx context.Context, st *statement) (*result, error) {
	args := make([]any, len(st.args))
	for i, v := range st.args {
		args[i] = sqliteArg(v)
	}
	rows, err := s.conn.QueryContext(ctx, st.sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	res := &result{write: st.write}
	if res.columns, err = rows.Columns(); err != nil {
		return nil, err
	}
	for rows.Next() {
		vals := make([]any, len(res.columns))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals {
			vals[i] = value.Normalize(v)
		}
		res.rows = append(res.rows, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if st.write {
		// changes() is the row count of the connection's last INSERT, UPDATE or DELETE:
		// this statement's, since the connection is the transaction's alone.
		if err := s.conn.QueryRowContext(ctx, "SELECT changes()").Scan(&res.affected); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func (s *sqliteSession) exec(ctx context.Context, q string) error {
	_, err := s.conn.ExecContext(ctx, q)
	return err
}

func (s *sqliteSession) savepoint(ctx context.Context) error { return s.exec(ctx, "SAVEPOINT weft_op") }
func (s *sqliteSession) release(ctx context.Context) error {
	return s.exec(ctx, "RELEASE SAVEPOINT weft_op")
}
func (s *sqliteSession) rollbackTo(ctx context.Context) error {
	if err := s.exec(ctx, "ROLLBACK TO SAVEPOINT weft_op"); err != nil {
		return err
	}
	return s.exec(ctx, "RELEASE SAVEPOINT weft_op")
}

func (s *sqliteSession) commit(ctx context.Context) error {
	err := s.exec(ctx, "COMMIT")
	if err != nil {
		// A failed COMMIT (SQLITE_BUSY, a deferred foreign key) leaves the transaction
		// open: end it, the run reports the failure.
		_ = s.exec(context.Background(), "ROLLBACK")
	}
	return s.done(err)
}

func (s *sqliteSession) rollback(ctx context.Context) error {
	return s.done(s.exec(ctx, "ROLLBACK"))
}

// done hands the connection back to the pool once the transaction ended. After a
// failed COMMIT or ROLLBACK nobody knows what state it is in: it is discarded instead
// (Raw returning ErrBadConn tells database/sql so).
func (s *sqliteSession) done(err error) error {
	if err != nil {
		_ = s.conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	if cerr := s.conn.Close(); err == nil {
		err = cerr
	}
	return err
}

// sqliteArg converts a canonical value for SQLite, whose columns take any type: whole
// numbers as integers (3, not 3.0, in a TEXT column), booleans as 1/0 (SQLite's own
// true/false), dates as ISO 8601 text (sortable, what date() reads), collections and
// arrays as JSON (what json_extract reads).
func sqliteArg(v any) any {
	switch x := v.(type) {
	case nil, string, []byte, int64:
		return x
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x)
		}
		return x
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case map[string]any, []any:
		return string(value.JSON(x))
	}
	return value.Text(v)
}
