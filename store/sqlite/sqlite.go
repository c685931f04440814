// Package sqlite is weft's SQLite storage backend (store.Store), built on the pure-Go
// modernc.org/sqlite driver so that weft stays one static binary.
//
// Durability first: the database runs in WAL mode with synchronous=FULL, so a commit
// returns only once it is fsync'd (an incomplete execution is on disk before the run
// reports it, SPEC §5.7). Writes go through one connection, owned by one goroutine
// that commits concurrent writes together (group commit, writer.go), and take the write
// lock at BEGIN (BEGIN IMMEDIATE), so two transactions never deadlock upgrading a read
// lock; reads outside a transaction use a separate pool of read-only connections and never
// wait for a writer (WAL readers see the last committed state).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/weftworks/weft/store"
)

// Options tunes a Store. The zero value is ready to use after WithDefaults.
type Options struct {
	// BusyTimeout is how long a statement waits for a lock held by another process
	// (another weft command on the same file) before failing. Defaults to 5s.
	BusyTimeout time.Duration
	// ReadConns is the size of the read-only connection pool used outside
	// transactions. Defaults to max(4, GOMAXPROCS).
	ReadConns int
	// JournalSizeLimit caps the bytes the WAL file keeps after a checkpoint (a large
	// bulk retry grows it; this gives the disk back). Defaults to 64 MiB.
	JournalSizeLimit int64
}

// WithDefaults returns a copy of o with every unset field at its default.
func (o Options) WithDefaults() Options {
	if o.BusyTimeout == 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.ReadConns == 0 {
		o.ReadConns = max(4, runtime.GOMAXPROCS(0))
	}
	if o.JournalSizeLimit == 0 {
		o.JournalSizeLimit = 64 << 20
	}
	return o
}

func (o Options) validate() error {
	if o.BusyTimeout < time.Millisecond {
		return fmt.Errorf("BusyTimeout %s: must be at least 1ms", o.BusyTimeout)
	}
	if o.ReadConns < 1 {
		return fmt.Errorf("ReadConns %d: must be at least 1", o.ReadConns)
	}
	if o.JournalSizeLimit < 0 {
		return fmt.Errorf("JournalSizeLimit %d: must not be negative", o.JournalSizeLimit)
	}
	return nil
}

// Store is a SQLite-backed store.Store. It is safe for concurrent use.
type Store struct {
	path   string
	writer *sql.DB // exactly one connection: SQLite has one writer
	w      *writer // owns writer once Open returns: every write goes through it
	reader *sql.DB // read-only pool for reads outside a transaction

	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// Open opens (creating when missing) the database file at path, creates its folder
// with mode 0700, and brings its schema up to date.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	opts = opts.WithDefaults()
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("open sqlite store: options: %w", err)
	}
	if path == "" {
		return nil, errors.New("open sqlite store: empty database path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("open sqlite store: create folder: %w", err)
	}
	if err := restrictModes(abs); err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", abs, err)
	}

	common := url.Values{}
	common.Add("_pragma", "busy_timeout("+strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10)+")")
	common.Add("_pragma", "foreign_keys(1)")
	// synchronous is per connection: FULL on every one, so no pool member can commit
	// without an fsync even if it were ever handed a write.
	common.Add("_pragma", "synchronous(FULL)")
	common.Add("_pragma", "journal_size_limit("+strconv.FormatInt(opts.JournalSizeLimit, 10)+")")

	w := cloneValues(common)
	w.Add("_pragma", "journal_mode(WAL)")
	w.Set("_txlock", "immediate")
	writer, err := sql.Open("sqlite", dsn(abs, w))
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", abs, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)

	s := &Store{path: abs, writer: writer}
	if err := s.checkWAL(ctx); err != nil {
		writer.Close()
		return nil, err
	}
	if err := migrate(ctx, writer); err != nil {
		writer.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", abs, err)
	}

	r := cloneValues(common)
	r.Add("_pragma", "query_only(1)")
	reader, err := sql.Open("sqlite", dsn(abs, r))
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("open sqlite store %s: read pool: %w", abs, err)
	}
	reader.SetMaxOpenConns(opts.ReadConns)
	reader.SetMaxIdleConns(opts.ReadConns)
	if err := reader.PingContext(ctx); err != nil {
		reader.Close()
		writer.Close()
		return nil, fmt.Errorf("open sqlite store %s: read pool: %w", abs, err)
	}
	s.reader = reader
	s.w = newWriter(writer)
	// SQLite gives the WAL and SHM it created the database's mode already; this holds
	// for files left by an older weft or copied in by hand.
	if err := restrictModes(abs); err != nil {
		s.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", abs, err)
	}
	return s, nil
}

// fileMode is the mode of the database and its companions: they hold every blueprint,
// run, bundle and (encrypted) connection, so only weft's user may read them, whatever
// the umask.
const fileMode = 0o600

// restrictModes creates the database file with fileMode when it is missing (SQLite
// would create it 0644 less the umask, and its WAL and SHM copy that mode), and sets
// fileMode on the database, WAL, SHM and rollback journal that exist with another one.
func restrictModes(db string) error {
	f, err := os.OpenFile(db, os.O_RDWR|os.O_CREATE|os.O_EXCL, fileMode)
	switch {
	case err == nil:
		if err := f.Close(); err != nil {
			return fmt.Errorf("create database file: %w", err)
		}
	case !errors.Is(err, fs.ErrExist):
		return fmt.Errorf("create database file: %w", err)
	}
	for _, p := range []string{db, db + "-wal", db + "-shm", db + "-journal"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file", p)
		}
		if fi.Mode().Perm() == fileMode {
			continue
		}
		if err := os.Chmod(p, fileMode); err != nil {
			return fmt.Errorf("restrict %s to mode %04o (it is %04o): %w; it must belong to the user weft runs as",
				filepath.Base(p), fileMode, fi.Mode().Perm(), err)
		}
	}
	return nil
}

// checkWAL confirms the journal mode took: a file on a filesystem without shared
// memory support silently stays in rollback mode, and then readers block writers.
func (s *Store) checkWAL(ctx context.Context) error {
	var mode string
	if err := s.writer.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("open sqlite store %s: %w", s.path, classify(err))
	}
	if mode != "wal" {
		return fmt.Errorf("open sqlite store %s: journal mode is %q, want wal", s.path, mode)
	}
	return nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close closes every connection. The writer runs PRAGMA optimize first, as SQLite
// advises for long-lived connections, so the planner's statistics stay current.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Store) close() error {
	// Writes already queued are committed first; later ones are refused.
	s.w.close()
	var errs []error
	if s.reader != nil {
		errs = append(errs, s.reader.Close())
	}
	if _, err := s.writer.Exec("PRAGMA optimize"); err != nil {
		errs = append(errs, fmt.Errorf("optimize: %w", err))
	}
	errs = append(errs, s.writer.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close sqlite store %s: %w", s.path, err)
	}
	return nil
}

// InTx runs fn in one write transaction (BEGIN IMMEDIATE), possibly shared with other
// callers' writes, each in its own savepoint (writer.go): fn's writes are committed
// when it returns nil and undone when it returns an error or panics (the panic reaches
// the caller). InTx returns once the commit is fsync'd.
func (s *Store) InTx(ctx context.Context, fn func(q store.Queries) error) error {
	return s.write(ctx, func(q *queries) error { return fn(q) })
}

// write runs fn in a write transaction: the writer's next batch (writer.go). It
// returns once that transaction is committed (fsync'd) or fn's writes are undone.
func (s *Store) write(ctx context.Context, fn func(q *queries) error) error {
	return s.w.write(ctx, fn)
}

// read runs fn in a read transaction on the read pool: one consistent snapshot for
// every statement fn runs.
func (s *Store) read(ctx context.Context, fn func(q *queries) error) error {
	tx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin read transaction: %w", classify(err))
	}
	defer tx.Rollback() //nolint:errcheck // a read transaction has nothing to keep
	return fn(&queries{db: readTx{tx}})
}

func readValue[T any](s *Store, ctx context.Context, fn func(q *queries) (T, error)) (T, error) {
	var v T
	err := s.read(ctx, func(q *queries) error {
		var err error
		v, err = fn(q)
		return err
	})
	return v, err
}

func writeValue[T any](s *Store, ctx context.Context, fn func(q *queries) (T, error)) (T, error) {
	var v T
	err := s.write(ctx, func(q *queries) error {
		var err error
		v, err = fn(q)
		return err
	})
	return v, err
}

// classify turns driver errors into the store's vocabulary, keeping the original
// error in the chain for the message.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch code := se.Code(); {
	case code&0xff == sqlite3.SQLITE_FULL:
		return fmt.Errorf("%w: %w", store.ErrFull, err)
	case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE, code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("%w: %w", store.ErrExists, err)
	case code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		// A row pointing at a scenario or incomplete execution that does not exist.
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	return err
}

func dsn(path string, q url.Values) string {
	u := url.URL{Path: path}
	return "file:" + u.EscapedPath() + "?" + q.Encode()
}

func cloneValues(v url.Values) url.Values {
	c := make(url.Values, len(v))
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}
