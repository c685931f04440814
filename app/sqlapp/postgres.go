package sqlapp

import (
	"bytes"
	"context"
	"database/sql/driver"
	"fmt"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/netpolicy"
	"github.com/weftworks/weft/value"
)

// parsePostgres reads a Postgres connection: {dsn} (a URL or key=value string; url and
// connectionString are accepted too) or {host, port, user, password, database, sslmode},
// with an optional statementTimeout in milliseconds.
func parsePostgres(conn weft.Bundle, o Options) (*dbConfig, error) {
	dsn := ""
	for _, k := range []string{"dsn", "url", "connectionString"} {
		if s := strings.TrimSpace(value.Text(conn[k])); s != "" {
			dsn = s
			break
		}
	}
	if dsn == "" {
		host := strings.TrimSpace(value.Text(conn["host"]))
		if host == "" {
			return nil, weft.Errorf(weft.InvalidConfigurationError,
				"postgres connection: neither dsn nor host is set")
		}
		u := url.URL{Scheme: "postgres", Path: "/" + value.Text(conn["database"])}
		q := url.Values{}
		if strings.HasPrefix(host, "/") {
			q.Set("host", host) // a Unix socket folder
		} else {
			u.Host = host
			if p := value.Text(conn["port"]); p != "" {
				u.Host = host + ":" + p
			}
		}
		if user := value.Text(conn["user"]); user != "" {
			u.User = url.UserPassword(user, value.Text(conn["password"]))
		}
		if s := value.Text(conn["sslmode"]); s != "" {
			q.Set("sslmode", s)
		}
		if p := value.Text(conn["port"]); p != "" && strings.HasPrefix(host, "/") {
			q.Set("port", p)
		}
		u.RawQuery = q.Encode()
		dsn = u.String()
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx redacts the password in its parse errors.
		return nil, weft.Errorf(weft.InvalidConfigurationError, "postgres connection: %v", err)
	}
	if v, ok := conn["statementTimeout"]; ok && !value.IsEmpty(v) {
		ms, ok := value.Number(v)
		if !ok || ms < 0 {
			return nil, weft.Errorf(weft.InvalidConfigurationError,
				"postgres connection: statementTimeout %q is not a number of milliseconds", value.Text(v))
		}
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(int64(ms), 10)
	}
	cfg.MaxConns = o.MaxConns
	// On a module's deadline, ask the server to cancel the statement (SQLSTATE 57014)
	// instead of cutting the connection: the transaction's earlier writes survive and
	// the connection goes back to the pool.
	cfg.ConnConfig.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: 2 * time.Second}
	}
	if o.Net != nil {
		guardPostgres(cfg, o.Net)
	}
	name := fmt.Sprintf("postgres database %q on %s", cfg.ConnConfig.Database, cfg.ConnConfig.Host)
	return &dbConfig{key: "postgres\x00" + cfg.ConnString() + "\x00" + cfg.ConnConfig.RuntimeParams["statement_timeout"],
		name: name, open: func() (database, error) {
			pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
			if err != nil {
				return nil, weft.Errorf(weft.InvalidConfigurationError, "postgres connection: %v", err)
			}
			return &pgDB{pool: pool, label: name, oids: map[string][]uint32{}}, nil
		}}, nil
}

// pgDB is one Postgres database's pool.
type pgDB struct {
	pool  *pgxpool.Pool
	label string
	mu    sync.Mutex
	oids  map[string][]uint32 // parameter types by statement, for array arguments
}

func (d *pgDB) name() string { return d.label }
func (d *pgDB) close()       { d.pool.Close() }

func (d *pgDB) begin(ctx context.Context, _ bool) (session, error) {
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &pgSession{db: d, tx: tx}, nil
}

// maxOIDCache bounds the parameter-type cache (a query built per bundle must not grow
// it for ever); when full it starts over.
const maxOIDCache = 1024

// paramOIDs returns the types Postgres infers for a statement's parameters.
func (d *pgDB) paramOIDs(ctx context.Context, tx pgx.Tx, sql string) ([]uint32, error) {
	d.mu.Lock()
	oids, ok := d.oids[sql]
	d.mu.Unlock()
	if ok {
		return oids, nil
	}
	sd, err := tx.Conn().Prepare(ctx, "", sql) // the unnamed statement: nothing to clean up
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	if len(d.oids) >= maxOIDCache {
		d.oids = map[string][]uint32{}
	}
	d.oids[sql] = sd.ParamOIDs
	d.mu.Unlock()
	return sd.ParamOIDs, nil
}

// pgSession is a transaction on one pooled connection.
type pgSession struct {
	db *pgDB
	tx pgx.Tx
}

func (s *pgSession) run(ctx context.Context, st *statement) (*result, error) {
	args, err := s.args(ctx, st)
	if err != nil {
		return nil, err
	}
	// Results in text format: pgx decodes every type it knows from text just as well,
	// and a type it has no Go value for (a range, a composite) is then available as
	// Postgres' own text.
	rows, err := s.tx.Query(ctx, st.sql, append([]any{pgx.QueryResultFormats{pgx.TextFormatCode}}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	res := &result{}
	for _, fd := range rows.FieldDescriptions() {
		res.columns = append(res.columns, fd.Name)
	}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		raw := rows.RawValues()
		for i, v := range vals {
			if vals[i] = pgValue(v); !canonical(vals[i]) {
				vals[i] = string(raw[i])
			}
		}
		res.rows = append(res.rows, vals)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	tag := rows.CommandTag()
	res.affected = tag.RowsAffected()
	res.write = tag.Insert() || tag.Update() || tag.Delete() || strings.HasPrefix(tag.String(), "MERGE")
	return res, nil
}

func (s *pgSession) exec(ctx context.Context, sql string) error {
	_, err := s.tx.Exec(ctx, sql)
	return err
}

func (s *pgSession) savepoint(ctx context.Context) error { return s.exec(ctx, "SAVEPOINT weft_op") }
func (s *pgSession) release(ctx context.Context) error {
	return s.exec(ctx, "RELEASE SAVEPOINT weft_op")
}
func (s *pgSession) rollbackTo(ctx context.Context) error {
	if err := s.exec(ctx, "ROLLBACK TO SAVEPOINT weft_op"); err != nil {
		return err
	}
	return s.exec(ctx, "RELEASE SAVEPOINT weft_op")
}
func (s *pgSession) commit(ctx context.Context) error   { return s.tx.Commit(ctx) }
func (s *pgSession) rollback(ctx context.Context) error { return s.tx.Rollback(ctx) }

// args converts the statement's arguments as a Node.js Postgres client would (Make
// runs on Node): scalars travel as text and the server converts them to the column's
// type (so "42" fits an integer column and a type error is the server's SQLSTATE, not
// a client guess); buffers as bytea; collections as JSON; arrays as a Postgres array
// literal, or as JSON where the parameter is json/jsonb.
func (s *pgSession) args(ctx context.Context, st *statement) ([]any, error) {
	out := make([]any, len(st.args))
	var oids []uint32
	for i, v := range st.args {
		switch x := v.(type) {
		case nil:
			out[i] = nil
		case string:
			out[i] = x
		case []byte:
			out[i] = x
		case time.Time:
			out[i] = x.UTC().Format(time.RFC3339Nano)
		case []any:
			if oids == nil {
				var err error
				if oids, err = s.db.paramOIDs(ctx, s.tx, st.sql); err != nil {
					return nil, err
				}
			}
			var oid uint32
			if i < len(oids) {
				oid = oids[i]
			}
			out[i] = s.arrayArg(x, oid)
		default:
			out[i] = value.Text(x)
		}
	}
	return out, nil
}

// arrayArg encodes a Make array for a parameter of type oid.
func (s *pgSession) arrayArg(a []any, oid uint32) string {
	if oid == pgtype.JSONOID || oid == pgtype.JSONBOID {
		return string(value.JSON(a))
	}
	if t, ok := s.tx.Conn().TypeMap().TypeForOID(oid); ok {
		if _, isArray := t.Codec.(*pgtype.ArrayCodec); isArray {
			return arrayLiteral(a)
		}
	}
	return value.Text(a) // a text column: Make's own array-to-text coercion
}

// arrayLiteral writes a Postgres array literal: every element quoted (the server parses
// it as the element type), null as NULL, nested arrays as sub-arrays.
func arrayLiteral(a []any) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, e := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		switch x := e.(type) {
		case nil:
			b.WriteString("NULL")
		case []any:
			b.WriteString(arrayLiteral(x))
		default:
			s := value.Text(x)
			if t, ok := x.(time.Time); ok {
				s = t.UTC().Format(time.RFC3339Nano)
			}
			b.WriteByte('"')
			b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s))
			b.WriteByte('"')
		}
	}
	b.WriteByte('}')
	return b.String()
}

// pgValue converts a value pgx decoded into a canonical value.
func pgValue(v any) any {
	switch x := v.(type) {
	case nil, string, bool, float64:
		return x
	case time.Time:
		return x.UTC() // pgx gives timestamptz in the process's zone; weft keeps UTC
	case []byte:
		return bytes.Clone(x)
	case int16:
		return float64(x)
	case int32:
		return float64(x)
	case int64:
		return value.Normalize(x)
	case float32:
		return float64(x)
	case pgtype.Numeric:
		return numericValue(x)
	case [16]byte: // uuid
		return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = pgValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = pgValue(e)
		}
		return out
	case driver.Valuer: // intervals, times of day, ranges…: their text form
		dv, err := x.Value()
		if err != nil || dv == nil {
			return nil
		}
		return pgValue(dv)
	case fmt.Stringer: // inet, cidr, macaddr
		return x.String()
	}
	return value.Normalize(v)
}

// canonical reports whether v is one of weft's value types.
func canonical(v any) bool {
	switch v.(type) {
	case nil, bool, float64, int64, string, []any, map[string]any, time.Time, []byte:
		return true
	}
	return false
}

// numericValue turns a numeric into a number when a float64 holds it exactly enough
// (15 significant digits), else into its exact text: money amounts stay numbers,
// 30-digit values keep every digit.
func numericValue(n pgtype.Numeric) any {
	dv, err := n.Value()
	if err != nil || dv == nil {
		return nil
	}
	s, _ := dv.(string)
	if significantDigits(s) > 15 {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return s // "NaN", "Infinity": text, which JSON can carry
	}
	return f
}

func significantDigits(s string) int {
	s = strings.TrimLeft(strings.TrimPrefix(s, "-"), "0.")
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		s = s[:i]
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
	}
	return len(strings.ReplaceAll(s, ".", ""))
}

// guardPostgres opens the pool's connections through the outbound policy. pgx resolves
// host names itself and dials addresses; it is told to pass the name on instead, so a
// rule on the name applies and the dialer checks what the name resolves to. A cancel
// request (sent on a module's deadline) dials the address of a connection already open;
// that address was allowed when the connection was made (perhaps by a rule on its name,
// which the address alone no longer shows), so it is let through.
func guardPostgres(cfg *pgxpool.Config, pol *netpolicy.Policy) {
	d := &net.Dialer{KeepAlive: 5 * time.Minute, Timeout: cfg.ConnConfig.ConnectTimeout}
	dial := pol.Dialer(d)
	var reached sync.Map // remote addresses of connections the policy let through
	cfg.ConnConfig.LookupFunc = func(_ context.Context, host string) ([]string, error) { return []string{host}, nil }
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if _, ok := reached.Load(network + " " + addr); ok {
			return d.DialContext(ctx, network, addr)
		}
		c, err := dial(ctx, network, addr)
		if err == nil && c.RemoteAddr() != nil && !strings.HasPrefix(network, "unix") {
			reached.Store(network+" "+c.RemoteAddr().String(), true)
		}
		return c, err
	}
}
