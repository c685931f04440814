package sqlapp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/netpolicy"
)

// dialect is a database engine the app speaks to.
type dialect int

const (
	postgres dialect = iota
	sqlite
)

// String is the app name in module names: "postgres", "sqlite".
func (d dialect) String() string {
	if d == sqlite {
		return "sqlite"
	}
	return "postgres"
}

func (d dialect) label() string {
	if d == sqlite {
		return "SQLite"
	}
	return "PostgreSQL"
}

// rowID is the column that names a row physically, for UPDATE/DELETE with a limit.
func (d dialect) rowID() string {
	if d == sqlite {
		return "rowid"
	}
	return "ctid"
}

// dbConfig is a parsed connection: the pool key (the full connection string), a name
// for messages (no credentials) and how to open the pool.
type dbConfig struct {
	key  string
	name string
	open func() (database, error)
}

func (d dialect) parse(conn weft.Bundle, o Options) (*dbConfig, error) {
	if d == sqlite {
		return parseSQLite(conn, o)
	}
	return parsePostgres(conn, o)
}

// classify turns a database failure into a typed module error (SPEC §3.1), naming the
// statement and keeping the database's own code and message in Details.
func (d dialect) classify(err error, what string) error {
	var we *weft.Error
	if errors.As(err, &we) {
		return err
	}
	var denied *netpolicy.DeniedError
	if errors.As(err, &denied) { // a person must allow the database server
		return &weft.Error{Type: weft.InvalidConfigurationError, Message: fmt.Sprintf("%s: %s: %s", d, what, denied.Error()),
			Details: map[string]any{"rule": denied.Rule}, Err: err}
	}
	typ, details := d.errorType(err)
	msg := fmt.Sprintf("%s: %s: %v", d, what, err)
	if pe := (*pgconn.PgError)(nil); errors.As(err, &pe) {
		msg = fmt.Sprintf("%s: %s: %s (SQLSTATE %s)", d, what, pe.Message, pe.Code)
		if pe.Detail != "" {
			msg += ": " + pe.Detail
		}
	}
	return &weft.Error{Type: typ, Message: msg, Details: details, Err: err}
}

func (d dialect) errorType(err error) (weft.ErrorType, map[string]any) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		details := map[string]any{"sqlstate": pe.Code}
		for k, v := range map[string]string{"constraint": pe.ConstraintName, "table": pe.TableName,
			"column": pe.ColumnName, "schema": pe.SchemaName, "detail": pe.Detail} {
			if v != "" {
				details[k] = v
			}
		}
		return pgType(pe.Code), details
	}
	var se *msqlite.Error
	if errors.As(err, &se) {
		return sqliteType(se), map[string]any{"code": se.Code()}
	}
	return transportType(err), nil
}

// pgType maps a SQLSTATE to an error type. Codes are classes of two characters plus
// three; a class decides unless a code is listed on its own.
func pgType(code string) weft.ErrorType {
	switch code {
	case "23505": // unique_violation
		return weft.DuplicateDataError
	case "42804": // datatype_mismatch: a mapped value of the wrong type
		return weft.DataError
	case "P0001": // raise_exception: a trigger or function rejecting the data
		return weft.DataError
	case "28P01", "28000": // invalid_password, invalid_authorization_specification
		return weft.InvalidAccessTokenError
	case "40001", "40P01": // serialization_failure, deadlock_detected: try again
		return weft.ConnectionError
	case "57014", "55P03": // query_canceled (statement_timeout), lock_not_available
		return weft.ModuleTimeoutError
	case "53100": // disk_full
		return weft.OutOfSpaceError
	case "53200", "53300", "53400": // out of memory, too many connections: transient
		return weft.ConnectionError
	case "57P01", "57P02", "57P03", "25P03": // shutdown, cannot connect now, idle timeout
		return weft.ConnectionError
	case "3D000", "3F000", "25006", "0A000": // no such database/schema, read-only, unsupported
		return weft.InvalidConfigurationError
	}
	if len(code) < 2 {
		return weft.RuntimeError
	}
	switch code[:2] {
	case "22", "23": // data exception, integrity constraint violation
		return weft.DataError
	case "42": // syntax error or access rule violation: the query needs a person
		return weft.InvalidConfigurationError
	case "08": // connection exception
		return weft.ConnectionError
	case "28":
		return weft.InvalidAccessTokenError
	}
	return weft.RuntimeError
}

// sqliteType maps a SQLite (extended) result code to an error type.
func sqliteType(e *msqlite.Error) weft.ErrorType {
	code := e.Code()
	switch code {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return weft.DuplicateDataError
	}
	switch code & 0xff {
	case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_MISMATCH, sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_RANGE:
		return weft.DataError
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED: // another writer held on past the busy timeout
		return weft.ConnectionError
	case sqlite3.SQLITE_FULL:
		return weft.OutOfSpaceError
	case sqlite3.SQLITE_INTERRUPT: // the module's deadline interrupted the statement
		return weft.ModuleTimeoutError
	case sqlite3.SQLITE_AUTH:
		return weft.InvalidAccessTokenError
	case sqlite3.SQLITE_ERROR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM,
		sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
		// no such table or column, syntax, a read-only or missing or foreign file
		return weft.InvalidConfigurationError
	}
	return weft.RuntimeError
}

// transportType classifies failures that are not the database's answer: the network,
// TLS, the module's deadline, pgx's own checks.
func transportType(err error) weft.ErrorType {
	var x509Err x509.UnknownAuthorityError
	var certErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return weft.ModuleTimeoutError
	case errors.As(err, &certErr), errors.As(err, &x509Err), errors.As(err, &hostErr):
		return weft.InvalidConfigurationError // the server's certificate: needs a person
	case argCountError(err):
		return weft.InvalidConfigurationError
	case isConnectionFailure(err):
		return weft.ConnectionError
	}
	return weft.RuntimeError
}

// isConnectionFailure reports a database that could not be reached or dropped the
// connection: refused, reset, DNS, EOF, a connection pgx gave up on.
func isConnectionFailure(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	var dnsErr *net.DNSError
	var opErr *net.OpError
	return errors.As(err, &ce) || errors.As(err, &dnsErr) || errors.As(err, &opErr) ||
		errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) ||
		strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "closed pool")
}

// argCountError reports a statement given more or fewer parameters than it uses
// (pgx and the SQLite driver check this before sending anything).
func argCountError(err error) bool {
	s := err.Error()
	return strings.Contains(s, "arguments, got") || strings.Contains(s, "missing argument") ||
		strings.Contains(s, "missing named argument")
}
