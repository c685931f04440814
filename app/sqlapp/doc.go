// Package sqlapp is the SQL app: modules that query and change a PostgreSQL database
// (postgres:*) or a SQLite database file (sqlite:*) — ExecuteQuery, SelectRows,
// InsertRow, UpdateRows and DeleteRows.
//
// Values are always bound as parameters ($1, $2…) and table and column names are
// quoted as identifiers: nothing a bundle holds is ever interpolated into SQL.
//
// The modules are transactional (ACID, SPEC §2.6). A run's statements on one database
// run in one database transaction, kept in the run's Execution.State and opened by the
// first statement. The engine ends it through Commit (after each operation with
// autoCommit, Make's default; at the end of the cycle without) or Rollback (a failed
// run, builtin:Rollback), so a rolled-back run leaves no row behind. A statement that
// fails inside a transaction holding earlier writes is undone alone, through a
// savepoint, and the earlier writes wait for the cycle's verdict.
//
// Database failures are typed by their SQLSTATE (Postgres) or result code (SQLite):
// a unique violation is a DuplicateDataError, other constraint and type failures
// DataErrors, a rejected password an InvalidAccessTokenError, an unreachable server, a
// deadlock or a serialization failure a ConnectionError (retried automatically), a
// statement timeout a ModuleTimeoutError, a syntax error or unknown table an
// InvalidConfigurationError, a full disk an OutOfSpaceError.
//
// Wiring:
//
//	reg := app.NewRegistry()
//	if err := sqlapp.Register(reg); err != nil { … }
//
// See docs/sql.md for the fields, outputs and the decisions on Make's open points.
package sqlapp
