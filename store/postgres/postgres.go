// Package postgres is weft's PostgreSQL storage backend (store.Store), on pgx. It
// passes the same conformance suite as the SQLite store (store/storetest) and adds what
// several weft processes sharing one database need (store.Shared): each Store stands
// for one process, holds a lease in the database while it is open, and marks the work
// it claims as its own, so that the work of a process that died is taken over by
// another after its lease expires (docs/storage.md, "PostgreSQL").
//
// Durability: a transaction returns once PostgreSQL has committed it (synchronous_commit
// on, the server's default): a webhook payload is acknowledged only after its commit.
// Concurrent transactions run side by side; what SQLite's single writer serialised for
// free — claims of due retries, queued payloads and due schedules — takes row locks
// (FOR UPDATE SKIP LOCKED) and per-scenario advisory locks here.
package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/weftworks/weft/store"
)

// Options tunes a Store. The zero value is ready to use after WithDefaults.
type Options struct {
	// MaxConns is the size of the connection pool. Defaults to 20.
	MaxConns int
	// LeaseTTL is how long this process's lease lasts without a renewal: the time after
	// which, if the process died, another one takes its work over. Renewed every third
	// of it. Defaults to 30s.
	LeaseTTL time.Duration
	// Role is shown in the process table ("all", "api", "worker", "cli"). Defaults to
	// "all".
	Role string
	// ProcessID names this process in the database. Defaults to a random id; two open
	// stores never share one.
	ProcessID string
}

// WithDefaults returns a copy of o with every unset field at its default.
func (o Options) WithDefaults() Options {
	if o.MaxConns == 0 {
		o.MaxConns = 20
	}
	if o.LeaseTTL == 0 {
		o.LeaseTTL = 30 * time.Second
	}
	if o.Role == "" {
		o.Role = "all"
	}
	if o.ProcessID == "" {
		var b [8]byte
		_, _ = rand.Read(b[:]) // crypto/rand never fails on the platforms weft builds for
		o.ProcessID = "p-" + hex.EncodeToString(b[:])
	}
	return o
}

func (o Options) validate() error {
	if o.MaxConns < 1 {
		return fmt.Errorf("MaxConns %d: must be at least 1", o.MaxConns)
	}
	if o.LeaseTTL < 300*time.Millisecond {
		return fmt.Errorf("LeaseTTL %s: must be at least 300ms", o.LeaseTTL)
	}
	return nil
}

// Store is a PostgreSQL-backed store.Store and store.Shared. It is safe for concurrent
// use.
type Store struct {
	pool *pgxpool.Pool
	opts Options
	// where names the database in messages (no password).
	where string

	lease *lease

	closeOnce sync.Once
	closeErr  error
}

var (
	_ store.Store  = (*Store)(nil)
	_ store.Shared = (*Store)(nil)
)

// IsURL reports whether s names a PostgreSQL database (postgres:// or postgresql://).
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Open connects to the database at rawURL (postgres://user:password@host/db?…),
// brings its schema up to date (several processes may do so at once: an advisory
// lock lets one migrate while the others wait), and registers this process with its
// lease.
func Open(ctx context.Context, rawURL string, opts Options) (*Store, error) {
	opts = opts.WithDefaults()
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("open postgres store: options: %w", err)
	}
	where := redact(rawURL)
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		// pgx's message may quote the URL, password included.
		return nil, fmt.Errorf("open postgres store %s: the URL does not parse (postgres://user:password@host:5432/database?sslmode=…)", where)
	}
	cfg.MaxConns = int32(opts.MaxConns)
	cfg.MinConns = 0
	if cfg.ConnConfig.RuntimeParams == nil {
		cfg.ConnConfig.RuntimeParams = map[string]string{}
	}
	// Shown in pg_stat_activity: which weft process a connection belongs to.
	cfg.ConnConfig.RuntimeParams["application_name"] = "weft " + opts.ProcessID
	// Times are timestamptz; UTC keeps any text rendering (psql, logs) unsurprising.
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres store %s: %w", where, err)
	}
	s := &Store{pool: pool, opts: opts, where: where}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres store %s: %w", where, err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres store %s: %w", where, err)
	}
	if s.lease, err = startLease(ctx, pool, opts); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres store %s: %w", where, err)
	}
	return s, nil
}

// redact is the URL without its password, for messages.
func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// Close ends the lease (deleting this process's row, so whatever it leaves unfinished
// is taken over at once by the next process that looks) and closes the pool.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closeErr = s.lease.stop(context.Background())
		s.pool.Close()
		if s.closeErr != nil {
			s.closeErr = fmt.Errorf("close postgres store %s: %w", s.where, s.closeErr)
		}
	})
	return s.closeErr
}

// Pool is the store's connection pool (tests and tools).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// InTx runs fn in one transaction (READ COMMITTED): committed when fn returns nil,
// rolled back when it returns an error or panics (the panic reaches the caller).
func (s *Store) InTx(ctx context.Context, fn func(q store.Queries) error) error {
	return s.write(ctx, func(q *queries) error { return fn(q) })
}

// write runs fn in a transaction.
func (s *Store) write(ctx context.Context, fn func(q *queries) error) (err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", classify(err))
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err = fn(&queries{db: tx, owner: s.opts.ProcessID, inTx: true}); err != nil {
		return err
	}
	if err = tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", classify(err))
	}
	return nil
}

// read runs fn on the pool, each statement on its own (reads need no transaction).
func (s *Store) read(ctx context.Context, fn func(q *queries) error) error {
	return fn(&queries{db: s.pool, owner: s.opts.ProcessID})
}

// auto runs fn on the pool: for a write of one statement, which PostgreSQL commits on
// its own (as durably as a transaction: the statement returns once committed).
func (s *Store) auto(ctx context.Context, fn func(q *queries) error) error {
	return fn(&queries{db: s.pool, owner: s.opts.ProcessID})
}

func autoValue[T any](s *Store, ctx context.Context, fn func(q *queries) (T, error)) (T, error) {
	var v T
	err := s.auto(ctx, func(q *queries) error {
		var err error
		v, err = fn(q)
		return err
	})
	return v, err
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

// SQLSTATE codes the store translates (Appendix A of the PostgreSQL manual).
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
	codeDiskFull            = "53100"
)

// classify turns driver errors into the store's vocabulary, keeping the original
// error in the chain for the message.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case codeDiskFull:
		return fmt.Errorf("%w: %w", store.ErrFull, err)
	case codeUniqueViolation:
		return fmt.Errorf("%w: %w", store.ErrExists, err)
	case codeForeignKeyViolation:
		// A row pointing at a scenario or incomplete execution that does not exist.
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	return err
}

// hostname is this machine's name for the process table ("" when unknown).
func hostname() string {
	h, _ := os.Hostname()
	return h
}

// Redact is rawURL without its password, for messages.
func Redact(rawURL string) string { return redact(rawURL) }
