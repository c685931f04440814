package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store/postgres"
)

// runBenchShared is `weft bench --db postgres://… --processes N`: N `weft serve`
// processes (this binary) share the database, the clients are spread over them, and the
// scenario is the same as the SQLite bench's.
func runBenchShared(cmd *cobra.Command, processes, clients int, duration time.Duration, rate float64) error {
	ctx := cmd.Context()
	out := cmd.OutOrStdout()
	dbURL := databaseURL(cmd)
	if processes < 1 {
		return fmt.Errorf("--processes %d: want at least 1", processes)
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: find the weft binary to start: %w", err)
	}
	partner := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	})}
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go partner.Serve(pl)
	defer partner.Close()

	token, err := benchScenario(ctx, dbURL, "http://"+pl.Addr().String())
	if err != nil {
		return err
	}
	var urls []string
	for i := range processes {
		p, err := startBenchServer(ctx, exe, dbURL, i)
		if err != nil {
			return err
		}
		defer p.stop()
		urls = append(urls, p.base+"/hooks/"+token)
	}
	fmt.Fprintf(out, "weft bench: %d clients, %s", clients, duration)
	if rate > 0 {
		fmt.Fprintf(out, ", %.0f requests/s", rate)
	}
	fmt.Fprintf(out, ", PostgreSQL %s, %d weft serve process(es), execution log on, GOMAXPROCS=%d\n",
		redactURL(dbURL), processes, runtimeProcs())
	return drive(ctx, out, urls, clients, duration, rate)
}

// benchScenario stores and activates the bench scenario in the database and returns
// its webhook token.
func benchScenario(ctx context.Context, dbURL, partner string) (string, error) {
	st, err := postgres.Open(ctx, dbURL, postgres.Options{Role: "bench"})
	if err != nil {
		return "", err
	}
	defer st.Close()
	reg, err := all.WithStore(st)
	if err != nil {
		return "", err
	}
	svc, err := service.New(service.Config{Store: st, Registry: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return "", err
	}
	bp := bytes.ReplaceAll([]byte(benchBlueprint), []byte("STANDIN"), []byte(partner))
	sc, err := svc.CreateScenario(ctx, bp, "bench")
	if err != nil {
		return "", err
	}
	if _, err := svc.SetActive(ctx, sc.ID, true); err != nil {
		return "", err
	}
	hook, err := svc.EnsureHook(ctx, sc.ID)
	if err != nil {
		return "", err
	}
	return hook.Token, nil
}

// benchServer is one `weft serve` process of the bench.
type benchServer struct {
	cmd  *exec.Cmd
	dir  string
	base string
	done chan error
}

// startBenchServer starts `weft serve` on the database with a data folder of its own
// (keys, files) and a loopback address, and waits until it says where it serves.
func startBenchServer(ctx context.Context, exe, dbURL string, n int) (*benchServer, error) {
	dir, err := os.MkdirTemp("", "weft-bench-serve-")
	if err != nil {
		return nil, err
	}
	c := exec.Command(exe, "serve", "--db", dbURL, "--data", dir, "--addr", "127.0.0.1:0",
		"--net-allow", "127.0.0.1", "--log-level", "warn", "--webhook-queue-limit", "1000000")
	stdout, err := c.StdoutPipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	stderr := &limitedBuffer{max: 64 << 10}
	c.Stderr = stderr
	if err := c.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("bench: start weft serve: %w", err)
	}
	p := &benchServer{cmd: c, dir: dir, done: make(chan error, 1)}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		first := true
		for sc.Scan() {
			if first {
				lines <- sc.Text()
				first = false
			}
		}
		close(lines)
		p.done <- c.Wait()
	}()
	select {
	case line, ok := <-lines:
		const prefix = "weft serving on "
		if !ok || !strings.HasPrefix(line, prefix) {
			p.stop()
			return nil, fmt.Errorf("bench: weft serve %d did not start: %q\n%s", n, line, stderr.String())
		}
		p.base, _, _ = strings.Cut(strings.TrimPrefix(line, prefix), " ")
	case <-time.After(60 * time.Second):
		p.stop()
		return nil, fmt.Errorf("bench: weft serve %d did not start within 60 s\n%s", n, stderr.String())
	case <-ctx.Done():
		p.stop()
		return nil, ctx.Err()
	}
	return p, nil
}

// stop ends the process gracefully (SIGTERM), or kills it after 30 s.
func (p *benchServer) stop() {
	defer os.RemoveAll(p.dir)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// limitedBuffer keeps the first max bytes written (a child's log for error messages).
type limitedBuffer struct {
	mu  sync.Mutex
	b   bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := l.max - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
