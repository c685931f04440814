package crash

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

// buildWeft builds cmd/weft once into a temporary folder.
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

// weftCLI runs one weft command to completion and returns its stdout.
type weftCLI struct {
	bin, data string
}

func (w weftCLI) run(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(w.bin, append([]string{"--data", w.data}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("weft %s: %w\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.Bytes(), nil
}

func (w weftCLI) runJSON(t *testing.T, into any, args ...string) error {
	t.Helper()
	out, err := w.run(t, args...)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(out, into); err != nil {
		return fmt.Errorf("weft %s: stdout is not the expected JSON: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// worker is one `weft work` process.
type worker struct {
	cmd  *exec.Cmd
	log  *os.File
	done chan error // receives Wait's result once
	// ready is closed once weft work has recovered and is working.
	ready chan struct{}
	err   error
	exit  bool
}

// retrySchedule is the hidden --retry-schedule: SPEC §5.3's eight attempts, in
// milliseconds instead of minutes.
const retrySchedule = "20ms,40ms,40ms,80ms,80ms,80ms,160ms,160ms"

// startWorker starts `weft work`; its stdout and stderr go to logPath.
func (w weftCLI) startWorker(t *testing.T, logPath string) *worker {
	t.Helper()
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	// The stand-ins are on 127.0.0.1, which weft work's outbound policy denies by default.
	cmd := exec.Command(w.bin, "--data", w.data, "work", "--poll", "20ms", "--retry-schedule", retrySchedule,
		"--net-allow", "127.0.0.1")
	cmd.Stdout = f
	stderr, err := cmd.StderrPipe()
	if err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("start weft work: %v", err)
	}
	p := &worker{cmd: cmd, log: f, done: make(chan error, 1), ready: make(chan struct{})}
	copied := make(chan struct{})
	go func() {
		// weft work says where its data folder is once it has recovered and is about
		// to work (and its signal handlers are in place).
		defer close(copied)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		seen := false
		for sc.Scan() {
			fmt.Fprintln(f, sc.Text())
			if !seen && strings.HasPrefix(sc.Text(), "weft work: data folder") {
				seen = true
				close(p.ready)
			}
		}
	}()
	go func() {
		<-copied // Wait closes the pipe: read everything first
		p.done <- cmd.Wait()
	}()
	// If the test stops early, the process must not outlive it.
	t.Cleanup(func() { p.stop(syscall.SIGKILL, 10*time.Second) })
	return p
}

// stop sends sig to this process (and only it) and waits up to timeout for it to
// exit. It reports whether the process had exited already, and its exit error.
func (p *worker) stop(sig syscall.Signal, timeout time.Duration) error {
	if p.exit {
		return p.err
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal %s to pid %d: %w", sig, p.cmd.Process.Pid, err)
	}
	select {
	case p.err = <-p.done:
		p.exit = true
		p.log.Close()
		return p.err
	case <-time.After(timeout):
		return fmt.Errorf("pid %d did not exit within %s of %s", p.cmd.Process.Pid, timeout, sig)
	}
}

// exited reports whether the process ended on its own (it must not: weft work runs
// until stopped).
func (p *worker) exited() (bool, error) {
	if p.exit {
		return true, p.err
	}
	select {
	case p.err = <-p.done:
		p.exit = true
		p.log.Close()
		return true, p.err
	default:
		return false, nil
	}
}

// tail is the end of a log file, for failure messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
