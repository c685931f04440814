// Package pgtest gives tests a real, throwaway PostgreSQL server.
//
// When WEFT_TEST_POSTGRES_URL is set (CI: .ci/run starts a cluster and exports it), that
// server is used. Otherwise the first test that asks starts a private cluster in a
// temporary folder for the lifetime of the test binary: initdb and postgres run as the
// `postgres` user when the tests run as root (initdb refuses root), listening on a Unix
// socket only (an empty listen_addresses), so nothing on the machine's ports is touched and
// nothing else can reach it. The cluster uses password authentication (scram-sha-256)
// so tests can check a rejected password.
//
// Each test gets its own database (NewDatabase), dropped when the test ends, so tests
// are isolated and may run in parallel.
//
// A package that uses pgtest stops the private cluster after its tests:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// If the server binaries are missing, the tests that need Postgres FAIL with a message
// saying how to install them or point WEFT_TEST_POSTGRES_URL at a server: they are
// never skipped silently.
package pgtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the environment variable holding the URL of an existing server (a
// superuser connection: tests create and drop databases).
const EnvURL = "WEFT_TEST_POSTGRES_URL"

// EnvBin names the environment variable that may point at the folder holding initdb and
// postgres. Defaults to the newest /usr/lib/postgresql/*/bin.
const EnvBin = "WEFT_TEST_POSTGRES_BIN"

// Password is the superuser password of the private cluster.
const Password = "weft-test"

// startTimeout bounds initdb plus the server's start.
const startTimeout = 60 * time.Second

var (
	once    sync.Once
	shared  *cluster
	initErr error
	dbSeq   atomic.Int64
)

// cluster is the server the tests use: a private one (proc set) or the one of EnvURL.
type cluster struct {
	url  string // superuser URL
	proc *exec.Cmd
	dir  string
	done chan struct{} // closed when proc exited
	logs *tail
}

// URL returns the superuser URL of the test server, starting the private cluster on
// first use. The test fails (never skips) when no server can be had.
func URL(t testing.TB) string {
	t.Helper()
	once.Do(func() { shared, initErr = start() })
	if initErr != nil {
		t.Fatalf("pgtest: no PostgreSQL for this test: %v\n"+
			"Install the server (apt-get install -y postgresql-15) or set %s to a superuser URL "+
			"(postgres://user:password@127.0.0.1:5432/postgres).", initErr, EnvURL)
	}
	return shared.url
}

// NewDatabase creates an empty database for this test and returns its URL (the
// superuser's credentials). The database is dropped when the test ends; close your
// connection pools in an earlier-registered cleanup or before the test returns (the
// drop forces remaining sessions out).
func NewDatabase(t testing.TB) string {
	t.Helper()
	admin := URL(t)
	name := fmt.Sprintf("weft_test_%d_%d", os.Getpid(), dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// FILE_COPY copies the small template's files instead of logging every page (the
	// default since 15): three times faster for a test database. Before 15 there is no
	// STRATEGY, so the plain statement is the fallback.
	create := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if err := adminExec(ctx, admin, create+" STRATEGY FILE_COPY"); err != nil {
		if err := adminExec(ctx, admin, create); err != nil {
			t.Fatalf("pgtest: create database %s: %v", name, err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := adminExec(ctx, admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	u, err := WithDatabase(admin, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return u
}

// WithDatabase returns rawURL with its database replaced by name.
func WithDatabase(rawURL, name string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("parse postgres URL: %w", err)
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// WithUser returns rawURL with its user and password replaced.
func WithUser(rawURL, name, password string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("parse postgres URL: %w", err)
	}
	u.User = url.UserPassword(name, password)
	return u.String(), nil
}

func adminExec(ctx context.Context, rawURL, sql string) error {
	conn, err := pgx.Connect(ctx, rawURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// Main runs the package's tests and then stops the private cluster, if one was
// started. Use it from TestMain: os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		if err := shared.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stop PostgreSQL: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// start finds or starts the server.
func start() (*cluster, error) {
	if u := os.Getenv(EnvURL); u != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := ping(ctx, u); err != nil {
			return nil, fmt.Errorf("%s is set but the server does not answer: %w", EnvURL, err)
		}
		return &cluster{url: u}, nil
	}
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	return startPrivate(bin)
}

func ping(ctx context.Context, rawURL string) error {
	conn, err := pgx.Connect(ctx, rawURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return conn.Ping(ctx)
}

// binDir finds the folder holding initdb and postgres.
func binDir() (string, error) {
	if d := os.Getenv(EnvBin); d != "" {
		return d, checkBins(d)
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if checkBins(d) == nil {
			return d, nil
		}
	}
	return "", errors.New("no initdb/postgres found in /usr/lib/postgresql/*/bin")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func checkBins(dir string) error {
	for _, b := range []string{"initdb", "postgres"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return fmt.Errorf("PostgreSQL binary %s missing: %w", b, err)
		}
	}
	return nil
}

// startPrivate initialises a cluster in a temporary folder and starts its server.
func startPrivate(bin string) (*cluster, error) {
	dir, err := os.MkdirTemp("", "weft-pgtest-")
	if err != nil {
		return nil, fmt.Errorf("create cluster folder: %w", err)
	}
	c := &cluster{dir: dir, done: make(chan struct{}), logs: &tail{}}
	fail := func(err error) (*cluster, error) {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "sock")
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.Mkdir(sock, 0o700); err != nil {
		return fail(fmt.Errorf("create socket folder: %w", err))
	}
	if err := os.WriteFile(pwfile, []byte(Password+"\n"), 0o600); err != nil {
		return fail(fmt.Errorf("write password file: %w", err))
	}
	cred, err := runAs(dir)
	if err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()

	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"--auth=scram-sha-256", "--pwfile="+pwfile, "-E", "UTF8", "--no-locale", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("initdb: %w\n%s", err, out))
	}

	// Durability settings off: a test cluster is thrown away; speed matters more.
	srv := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-k", sock,
		"-c", "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=200", "-c", "unix_socket_permissions=0777")
	// Pdeathsig: if the test binary dies (killed, timed out), the server goes with it
	// instead of lingering. SIGQUIT is Postgres' immediate shutdown.
	srv.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	// An os.Pipe rather than StderrPipe: Wait must not close the reader under watch.
	logR, logW, err := os.Pipe()
	if err != nil {
		return fail(fmt.Errorf("postgres log pipe: %w", err))
	}
	srv.Stderr = logW
	err = srv.Start()
	logW.Close() // the server holds its own copy; EOF comes when it exits
	if err != nil {
		logR.Close()
		return fail(fmt.Errorf("start postgres: %w", err))
	}
	c.proc = srv
	ready := make(chan struct{})
	go c.watch(logR, ready)
	go func() { _ = srv.Wait(); close(c.done) }()
	select {
	case <-ready:
	case <-c.done:
		return fail(fmt.Errorf("postgres exited during start:\n%s", c.logs))
	case <-ctx.Done():
		_ = srv.Process.Kill()
		<-c.done
		return fail(fmt.Errorf("postgres did not start within %s:\n%s", startTimeout, c.logs))
	}
	q := url.Values{"host": {sock}, "sslmode": {"disable"}}
	c.url = (&url.URL{Scheme: "postgres", User: url.UserPassword("postgres", Password),
		Path: "/postgres", RawQuery: q.Encode()}).String()
	return c, nil
}

// watch reads the server's log: it signals ready on the server's own "ready to accept
// connections" line (no polling) and keeps the last lines for error messages.
func (c *cluster) watch(r *os.File, ready chan struct{}) {
	defer r.Close()
	s := bufio.NewScanner(r)
	signalled := false
	for s.Scan() {
		line := s.Text()
		c.logs.add(line)
		if !signalled && strings.Contains(line, "database system is ready to accept connections") {
			signalled = true
			close(ready)
		}
	}
}

// stop shuts the private server down (fast shutdown) and removes its folder.
func (c *cluster) stop() error {
	if c.proc == nil {
		return nil
	}
	if err := c.proc.Process.Signal(syscall.SIGINT); err != nil {
		return fmt.Errorf("signal postgres: %w", err)
	}
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		_ = c.proc.Process.Kill()
		<-c.done
	}
	return os.RemoveAll(c.dir)
}

// runAs returns the credentials to run initdb and postgres with: the postgres user when
// the tests run as root (the cluster folder is handed to it), nil otherwise.
func runAs(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the postgres user to run initdb: %w", err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("postgres user has a non-numeric uid %q or gid %q", u.Uid, u.Gid)
	}
	err = filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(p, uid, gid)
	})
	if err != nil {
		return nil, fmt.Errorf("hand the cluster folder to postgres: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// tail keeps the last lines of the server's log.
type tail struct {
	mu    sync.Mutex
	lines []string
}

func (t *tail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > 40 {
		t.lines = t.lines[len(t.lines)-40:]
	}
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}
