// Package diskfull tests `weft serve` on a full disk for real: its data folder on a
// small tmpfs (mounted in a private user and mount namespace, as app/files' tests do),
// filled while webhooks arrive and retries run, then freed. weft must catch up by
// itself, without a restart: every acknowledged payload runs exactly once, no execution
// stays running, no incomplete execution stays in progress (docs/incomplete-executions.md,
// "Write failures").
package diskfull

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/weftworks/weft/store/sqlite"
)

const (
	childEnv = "WEFT_DISKFULL_CHILD" // set in the re-executed test binary
	binEnv   = "WEFT_DISKFULL_BIN"   // the weft binary the parent built
	// catchUp is how long weft may take, once space is back, to run every acknowledged
	// payload and settle every execution and incomplete execution.
	catchUp = 10 * time.Second
)

func TestDiskFullCatchesUpWithoutRestart(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		child(t)
		return
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare(1) not installed: no way to mount a small filesystem without root; service/writefail_test.go covers each state with an injected full disk")
	}
	bin := build(t)
	cmd := exec.Command(unshare, "--user", "--map-root-user", "--mount",
		os.Args[0], "-test.run=^TestDiskFullCatchesUpWithoutRestart$", "-test.v", "-test.count=1", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), childEnv+"=1", binEnv+"="+bin)
	out, err := cmd.CombinedOutput()
	if strings.HasPrefix(string(out), "unshare:") {
		t.Skipf("no unprivileged user namespaces here (%s); service/writefail_test.go covers each state with an injected full disk",
			strings.TrimSpace(string(out)))
	}
	if err != nil || !strings.Contains(string(out), "DISKFULL-RESULT: ok") {
		t.Fatalf("the test inside the namespace failed: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "diskfull_test.go") {
			t.Log(strings.TrimSpace(line))
		}
	}
}

// build compiles cmd/weft into a temp folder.
func build(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	bin := filepath.Join(t.TempDir(), "weft")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/weft")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// child runs inside the namespace: it may mount.
func child(t *testing.T) {
	bin := os.Getenv(binEnv)
	data := t.TempDir()
	if err := syscall.Mount("tmpfs", data, "tmpfs", 0, "size=8m"); err != nil {
		t.Fatalf("mount a tmpfs for the data folder: %v", err)
	}
	defer syscall.Unmount(data, syscall.MNT_DETACH)
	logPath := filepath.Join(t.TempDir(), "weft.log") // weft's log lives off the small disk

	token := createToken(t, bin, data)
	stand := newStandIn(t)
	w := startServe(t, bin, data, logPath, token)
	plain := w.scenario(t, "plain", stand.URL, `{}`)
	seq := w.scenario(t, "seq", stand.URL, `{"sequential":true}`)

	// Webhooks arrive all along, to an ordinary scenario (run at once, inline) and to a
	// sequential one (queued for the worker); every third payload's call gets a 503 first,
	// so incomplete executions are stored and retried all along too.
	snd := &sender{sent: map[string]int{}, kinds: map[string]string{}}
	ctx, stopSending := context.WithCancel(t.Context())
	var sending sync.WaitGroup
	for i, sc := range []*scenario{plain, seq, plain} {
		sending.Go(func() { snd.loop(ctx, sc, i) })
	}
	snd.waitAccepted(t, 30, 30*time.Second)

	// The disk fills while runs and retries are calling the stand-in: their ends cannot
	// be written. Held first: a retry of the sequential scenario (it holds the worker,
	// which carries out retries and queued runs one round at a time), then runs of the
	// ordinary scenario, which webhook requests carry out themselves (a held run of a
	// scenario would keep that scenario's retries from starting).
	seqRetry := func(id string, retry bool) bool { return retry && strings.HasPrefix(id, "seq-") }
	plainRun := func(id string, retry bool) bool { return !retry && strings.HasPrefix(id, "plain-") }
	stand.hold(seqRetry)
	stand.waitHeld(t, "retry of the sequential scenario", seqRetry, 1, 30*time.Second)
	stand.hold(plainRun)
	stand.waitHeld(t, "run of the ordinary scenario", plainRun, 2, 30*time.Second)
	filler := filepath.Join(data, "filler")
	filled := fill(t, filler)
	// The disk is full: webhooks are refused with 503 ("try again")…
	snd.waitRefused(t, 20, 30*time.Second)
	stand.release()
	// …and an API write fails with 507 storage_full.
	code, body := w.api(t, "POST", "/api/v1/scenarios", blueprint("refused", stand.URL, `{}`))
	if code != http.StatusInsufficientStorage || !strings.Contains(body, "storage_full") {
		t.Fatalf("API write on a full disk: %d %s, want 507 storage_full", code, body)
	}
	snd.waitRefused(t, 60, 30*time.Second) // and retries come due meanwhile

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	snd.waitAccepted(t, snd.accepted()+20, 30*time.Second) // accepted again at once
	stopSending()
	sending.Wait()

	// Within catchUp, without a restart: every acknowledged payload ran exactly once, no
	// execution is running, no incomplete execution is pending or in progress.
	var problems []string
	for {
		problems = check(t, w, snd, stand)
		if len(problems) == 0 || time.Since(freed) > catchUp {
			break
		}
		time.Sleep(50 * time.Millisecond) // polling an external process's state, with a deadline
	}
	caughtUp := time.Since(freed)
	owed := countLines(t, logPath, "write failed; weft writes it again")
	made := countLines(t, logPath, "failed write made")
	if len(problems) > 0 {
		sort.Strings(problems)
		if len(problems) > 30 {
			problems = append(problems[:30], fmt.Sprintf("… and %d more", len(problems)-30))
		}
		t.Fatalf("%s after space returned, without a restart (%d writes owed, %d made; weft's log %s):\n  %s\n%s",
			catchUp, owed, made, logPath, strings.Join(problems, "\n  "), tail(logPath, 3000))
	}
	// The runs held in flight while the disk filled could not write their end. (Whether
	// a held retry's end fails too depends on its size: SQLite reuses the room a failed
	// commit left in its WAL file, so a small write may still fit on the "full" disk.
	// service/writefail_test.go covers that state deterministically.)
	kinds := owedKinds(t, logPath)
	if !strings.Contains(kinds, "the end of execution") {
		t.Fatalf("writes owed: %q; want the end of a run at least, else the test proved little (weft's log %s)", kinds, logPath)
	}
	w.stop(t)
	verifyStore(t, data, plain, seq)
	sent, refused := snd.counts()
	t.Logf("filled %d KiB; %d webhooks (%d refused with 503), %d calls to the stand-in; %d writes owed and made again (%s); caught up %s after space returned",
		filled>>10, sent, refused, stand.total(), owed, kinds, caughtUp.Round(time.Millisecond))
	if !t.Failed() {
		fmt.Println("DISKFULL-RESULT: ok")
	}
}

// fill writes a file until the filesystem is full and returns its size.
func fill(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var n int64
	for _, chunk := range []int{64 << 10, 4 << 10, 1} {
		buf := make([]byte, chunk)
		for {
			k, err := f.Write(buf)
			n += int64(k)
			if errors.Is(err, syscall.ENOSPC) {
				break
			}
			if err != nil {
				t.Fatalf("fill the disk: %v", err)
			}
		}
	}
	return n
}

// check lists what is not settled yet.
func check(t *testing.T, w *weftProc, snd *sender, stand *standIn) []string {
	var out []string
	calls := stand.snapshot()
	snd.mu.Lock()
	for id, code := range snd.sent {
		got := calls[id]
		ok := 0
		for _, c := range got {
			if c == http.StatusOK {
				ok++
			}
		}
		acked := code >= 200 && code < 300
		want := 1
		if snd.kinds[id] == "f1" {
			want = 2 // its run's 503, then its retry's 200
		}
		switch {
		case acked && (ok != 1 || len(got) != want):
			out = append(out, fmt.Sprintf("acknowledged payload %s (%s) made calls answered %v, want %d call(s), one successful", id, snd.kinds[id], got, want))
		case !acked && ok > 1:
			out = append(out, fmt.Sprintf("refused payload %s (%d) ran %d times", id, code, ok))
		}
	}
	snd.mu.Unlock()
	if n := w.count(t, "/api/v1/executions?status=running&limit=1"); n > 0 {
		out = append(out, "executions are still running")
	}
	if n := w.count(t, "/api/v1/incomplete-executions?status=in_progress,pending&limit=1"); n > 0 {
		out = append(out, "incomplete executions are still pending or in progress")
	}
	return out
}

// verifyStore reads the database once weft has stopped: nothing is queued or running,
// every incomplete execution is resolved.
func verifyStore(t *testing.T, data string, scs ...*scenario) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(data, "weft.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, sc := range scs {
		if d, err := st.QueueDepth(t.Context(), sc.ID); err != nil || d != 0 {
			t.Errorf("scenario %s: %d payload(s) queued (%v), want 0", sc.Name, d, err)
		}
	}
	if r, err := st.RunningExecutions(t.Context()); err != nil || len(r) != 0 {
		t.Errorf("%d execution(s) running after the stop (%v)", len(r), err)
	}
}

// weftProc is the `weft serve` process.
type weftProc struct {
	base, token string
	cmd         *exec.Cmd
	done        chan error
}

func createToken(t *testing.T, bin, data string) string {
	t.Helper()
	out, err := exec.Command(bin, "--data", data, "tokens", "create", "--name", "t", "--scopes", "admin", "--json").Output()
	if err != nil {
		t.Fatalf("tokens create: %v %s", err, out)
	}
	var tok struct{ Token string }
	if err := json.Unmarshal(out, &tok); err != nil || tok.Token == "" {
		t.Fatalf("token %s", out)
	}
	return tok.Token
}

func startServe(t *testing.T, bin, data, logPath, token string) *weftProc {
	t.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	cmd := exec.Command(bin, "--data", data, "serve", "--addr", "127.0.0.1:0",
		"--retry-schedule", "20ms,40ms,40ms,80ms,80ms,80ms,160ms,160ms",
		"--net-allow", "127.0.0.1") // the stand-in is on loopback, which the outbound policy denies by default
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &weftProc{token: token, cmd: cmd, done: make(chan error, 1)}
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "weft serving on "); ok {
			p.base = strings.Fields(rest)[0]
			break
		}
	}
	if p.base == "" {
		cmd.Process.Kill()
		t.Fatalf("weft serve printed no address\n%s", tail(logPath, 3000))
	}
	go io.Copy(io.Discard, stdout)
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *weftProc) api(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, p.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+p.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// count is the number of items on the first page of a list.
func (p *weftProc) count(t *testing.T, path string) int {
	t.Helper()
	code, body := p.api(t, "GET", path, "")
	var page struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &page); err != nil || code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, code, body)
	}
	return len(page.Items)
}

func (p *weftProc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("weft serve exited with %v after SIGTERM", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("weft serve did not stop within 60 s of SIGTERM")
	}
}

type scenario struct {
	ID   int64
	Name string
	Hook string
}

// blueprint: webhook → GET stand-in /KIND/ID → compose.
func blueprint(name, base, settings string) string {
	return `{"name":"diskfull ` + name + `","flow":[
		{"id":1,"module":"gateway:CustomWebHook","version":1,"parameters":{},"mapper":{}},
		{"id":2,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},
		 "mapper":{"url":"` + base + `/{{1.kind}}/{{1.id}}","method":"get","parseResponse":true}},
		{"id":3,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"{{2.data.id}}"}}],
		"metadata":{"version":1,"instant":true,"scenario":` + settings + `}}`
}

func (p *weftProc) scenario(t *testing.T, name, base, settings string) *scenario {
	t.Helper()
	code, body := p.api(t, "POST", "/api/v1/scenarios", blueprint(name, base, settings))
	var sc struct {
		ID      int64  `json:"id"`
		HookURL string `json:"hookUrl"`
	}
	if err := json.Unmarshal([]byte(body), &sc); err != nil || code != http.StatusCreated || sc.HookURL == "" {
		t.Fatalf("create scenario %s: %d %s", name, code, body)
	}
	if code, body := p.api(t, "POST", fmt.Sprintf("/api/v1/scenarios/%d/activate", sc.ID), ""); code != http.StatusOK {
		t.Fatalf("activate %s: %d %s", name, code, body)
	}
	return &scenario{ID: sc.ID, Name: name, Hook: sc.HookURL}
}

// sender posts webhooks and remembers each payload's answer.
type sender struct {
	mu    sync.Mutex
	cond  *sync.Cond
	n     int
	sent  map[string]int    // payload id → webhook status (0: no answer)
	kinds map[string]string // payload id → "ok" or "f1"
}

func (s *sender) loop(ctx context.Context, sc *scenario, lane int) {
	client := &http.Client{Timeout: 20 * time.Second}
	for i := 0; ctx.Err() == nil; i++ {
		s.mu.Lock()
		s.n++
		id := fmt.Sprintf("%s-%d-%04d", sc.Name, lane, i)
		kind := "ok"
		if s.n%3 == 0 {
			kind = "f1"
		}
		s.kinds[id] = kind
		s.mu.Unlock()
		code := 0
		body := fmt.Sprintf(`{"id":%q,"kind":%q}`, id, kind)
		if resp, err := client.Post(sc.Hook, "application/json", strings.NewReader(body)); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			code = resp.StatusCode
		}
		s.mu.Lock()
		s.sent[id] = code
		if s.cond != nil {
			s.cond.Broadcast()
		}
		s.mu.Unlock()
	}
}

func (s *sender) counts() (sent, refused int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.sent {
		if c < 200 || c >= 300 {
			refused++
		}
	}
	return len(s.sent), refused
}

func (s *sender) accepted() int {
	sent, refused := s.counts()
	return sent - refused
}

// waitFor waits until cond holds for the answers so far, or fails after limit.
func (s *sender) waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	s.mu.Lock()
	if s.cond == nil {
		s.cond = sync.NewCond(&s.mu)
	}
	expired := false
	timer := time.AfterFunc(limit, func() { s.mu.Lock(); expired = true; s.cond.Broadcast(); s.mu.Unlock() })
	defer timer.Stop()
	for !cond() && !expired {
		s.cond.Wait()
	}
	ok := cond()
	s.mu.Unlock()
	if !ok {
		t.Fatalf("%s within %s", what, limit)
	}
}

func (s *sender) waitAccepted(t *testing.T, n int, limit time.Duration) {
	s.waitFor(t, fmt.Sprintf("no %d webhooks accepted", n), limit, func() bool {
		k := 0
		for _, c := range s.sent {
			if c >= 200 && c < 300 {
				k++
			}
		}
		return k >= n
	})
}

func (s *sender) waitRefused(t *testing.T, n int, limit time.Duration) {
	s.waitFor(t, fmt.Sprintf("no %d webhooks refused with 503", n), limit, func() bool {
		k := 0
		for _, c := range s.sent {
			if c == http.StatusServiceUnavailable {
				k++
			}
		}
		return k >= n
	})
}

// standIn answers GET /KIND/ID: "ok" with 200, "f1" with 503 the first time and 200
// after, a few milliseconds later (40 for a retry's 200), so runs and retries are in
// flight when the disk fills. It records every answer per payload id.
type standIn struct {
	*httptest.Server
	mu    sync.Mutex
	cond  *sync.Cond
	calls map[string][]int
	n     int
	// Calls a rule matches wait for release before answering: runs and retries are in
	// flight, for sure, while the disk fills.
	rules    []holdRule
	released chan struct{}
	held     []heldCall
}

// holdRule matches calls by payload id and whether it is a repeat call (a retry).
type holdRule func(id string, retry bool) bool

type heldCall struct {
	id    string
	retry bool
}

// hold makes the calls rule matches from now on wait for release.
func (s *standIn) hold(rule holdRule) {
	s.mu.Lock()
	if s.released == nil {
		s.released = make(chan struct{})
	}
	s.rules = append(s.rules, rule)
	s.mu.Unlock()
}

// release answers the held calls and stops holding.
func (s *standIn) release() {
	s.mu.Lock()
	s.rules = nil
	close(s.released)
	s.released = nil
	s.mu.Unlock()
}

// waitHeld waits until at least n held calls match rule.
func (s *standIn) waitHeld(t *testing.T, what string, rule holdRule, n int, limit time.Duration) {
	t.Helper()
	count := func() int {
		k := 0
		for _, h := range s.held {
			if rule(h.id, h.retry) {
				k++
			}
		}
		return k
	}
	s.mu.Lock()
	expired := false
	timer := time.AfterFunc(limit, func() { s.mu.Lock(); expired = true; s.cond.Broadcast(); s.mu.Unlock() })
	defer timer.Stop()
	for count() < n && !expired {
		s.cond.Wait()
	}
	got := count()
	s.mu.Unlock()
	if got < n {
		t.Fatalf("%d %s call(s) in flight within %s, want %d", got, what, limit, n)
	}
}

func newStandIn(t *testing.T) *standIn {
	s := &standIn{calls: map[string][]int{}}
	s.cond = sync.NewCond(&s.mu)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		if len(parts) != 2 {
			http.Error(w, "want /KIND/ID", http.StatusBadRequest)
			return
		}
		kind, id := parts[0], parts[1]
		s.mu.Lock()
		status := http.StatusOK
		if kind == "f1" && len(s.calls[id]) == 0 {
			status = http.StatusServiceUnavailable
		}
		s.calls[id] = append(s.calls[id], status)
		s.n++
		var wait chan struct{}
		retry := len(s.calls[id]) > 1
		for _, rule := range s.rules {
			if rule(id, retry) {
				wait = s.released
				s.held = append(s.held, heldCall{id, retry})
				s.cond.Broadcast()
				break
			}
		}
		s.mu.Unlock()
		if wait != nil {
			select {
			case <-wait:
			case <-r.Context().Done():
			}
		}
		latency := 3 * time.Millisecond
		if kind == "f1" && status == http.StatusOK {
			latency = 40 * time.Millisecond // retries are in flight when the disk fills
		}
		select { // a service's latency
		case <-time.After(latency):
		case <-r.Context().Done():
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"id":%q}`, id)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *standIn) snapshot() map[string][]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = append([]int(nil), v...)
	}
	return out
}

func (s *standIn) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// owedKinds counts the owed writes in weft's log by what they record.
func owedKinds(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.Contains(line, "write failed; weft writes it again") {
			continue
		}
		_, what, _ := strings.Cut(line, `what="`)
		for _, k := range []string{"the end of execution", "the end of attempt", "the hand-back of queued", "the hand-back of incomplete"} {
			if strings.HasPrefix(what, k) {
				kinds[k]++
			}
		}
	}
	var parts []string
	for k, n := range kinds {
		parts = append(parts, fmt.Sprintf("%s: %d", k, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func countLines(t *testing.T, path, substr string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), substr)
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
