package cluster

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// repoRoot is the module root, found from this file's location.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test file to find the repository root")
	}
	root := filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root %s: %v", root, err)
	}
	return root
}

// buildWeft builds cmd/weft into a temporary folder.
func buildWeft(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "weft")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/weft")
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/weft: %v\n%s", err, out)
	}
	return bin
}

// weftCLI runs weft commands against the test's database.
type weftCLI struct {
	bin, db, data string
}

func (w weftCLI) run(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(w.bin, append([]string{"--db", w.db, "--data", w.data}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("weft %s: %w\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.Bytes(), nil
}

func (w weftCLI) runJSON(t *testing.T, into any, args ...string) {
	t.Helper()
	out, err := w.run(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, into); err != nil {
		t.Fatalf("weft %s: stdout is not the expected JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// server is one `weft serve` process.
type server struct {
	name string
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT
	log  string
	done chan error
	err  error
	exit bool
}

// retrySchedule is SPEC §5.3's eight attempts in tens of milliseconds.
const retrySchedule = "50ms,100ms,100ms,200ms,200ms,200ms,400ms,400ms"

// lease is the processes' lease: a killed process's work is taken over this long after
// its last renewal (plus a second for the others to look).
const lease = "5s"

// startServer starts `weft serve` with role; its output goes to logPath.
func (w weftCLI) startServer(t *testing.T, name, role, logPath string) *server {
	t.Helper()
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	// One data folder for all (the keys, the files root): with --db nobody locks it.
	// Circuit breakers off: every call goes to one stand-in host, so its breaker would
	// hold the retries behind one probe at a time and no kill would ever land on a
	// retry attempt. Breakers across processes are covered by service
	// TestBreakerAcrossProcesses and the store conformance case ConcurrentBreakers.
	data := w.data
	cmd := exec.Command(w.bin, "--db", w.db, "--data", data, "--log-format", "json", "serve",
		"--addr", "127.0.0.1:0", "--role", role, "--lease", lease, "--poll", "50ms",
		"--retry-schedule", retrySchedule, "--net-allow", "127.0.0.1", "--shutdown-timeout", "10s",
		"--circuit-breakers=false",
		"--workers", "12") // four plain scenarios × three retries at once
	cmd.Stderr = f
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start weft serve: %v", err)
	}
	s := &server{name: name, cmd: cmd, log: logPath, done: make(chan error, 1)}
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		n := 0
		for sc.Scan() {
			if n == 0 {
				first <- sc.Text()
			}
			n++
		}
		close(first)
		s.done <- cmd.Wait()
		f.Close()
	}()
	t.Cleanup(func() { s.stop(syscall.SIGKILL, 10*time.Second) })
	select {
	case line := <-first:
		const prefix = "weft serving on "
		if !strings.HasPrefix(line, prefix) {
			t.Fatalf("%s: weft serve printed %q\n%s", name, line, tail(logPath))
		}
		s.base, _, _ = strings.Cut(strings.TrimPrefix(line, prefix), " ")
	case <-time.After(60 * time.Second):
		t.Fatalf("%s: weft serve did not start within 60 s\n%s", name, tail(logPath))
	}
	return s
}

// stop signals the process and waits for it to exit.
func (s *server) stop(sig syscall.Signal, timeout time.Duration) error {
	if s.exit {
		return s.err
	}
	if err := s.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal %s to %s: %w", sig, s.name, err)
	}
	select {
	case s.err = <-s.done:
		s.exit = true
		return s.err
	case <-time.After(timeout):
		return fmt.Errorf("%s (pid %d) did not exit within %s of %s", s.name, s.cmd.Process.Pid, timeout, sig)
	}
}

// exited reports whether the process ended on its own (it must not).
func (s *server) exited() bool {
	if s.exit {
		return true
	}
	select {
	case s.err = <-s.done:
		s.exit = true
		return true
	default:
		return false
	}
}

func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// isKilled: the process ended by SIGKILL.
func isKilled(err error) bool {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok {
			return ws.Signaled() && ws.Signal() == syscall.SIGKILL
		}
	}
	return false
}
