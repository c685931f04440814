// Package serve tests `weft serve` as a real process: built from this checkout,
// started on a fresh data folder, driven over HTTP and SMTP, stopped with SIGTERM.
package serve

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

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

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

type weftProc struct {
	t     *testing.T
	base  string
	token string
	cmd   *exec.Cmd
	done  chan error
	lines chan string // stdout after the address line (the rest is dropped once 1,000 wait)
}

// line waits for the first stdout line starting with prefix and returns its rest.
func (p *weftProc) line(prefix string) string {
	p.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("weft serve printed no line starting %q", prefix)
			}
			if rest, found := strings.CutPrefix(l, prefix); found {
				return rest
			}
		case <-deadline:
			p.t.Fatalf("weft serve printed no line starting %q within 30 s", prefix)
		}
	}
}

func start(t *testing.T, bin, data string, args ...string) *weftProc {
	t.Helper()
	return startEnv(t, bin, data, nil, args...)
}

// startEnv starts weft serve with extra environment variables (NAME=value).
func startEnv(t *testing.T, bin, data string, env []string, args ...string) *weftProc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--data", data, "serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &weftProc{t: t, cmd: cmd, done: make(chan error, 1), lines: make(chan string, 1000)}
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "weft serving on "); ok {
			p.base = strings.Fields(rest)[0]
			break
		}
	}
	if p.base == "" {
		cmd.Process.Kill()
		t.Fatal("weft serve printed no address")
	}
	go func() {
		defer close(p.lines)
		for lines.Scan() {
			select {
			case p.lines <- lines.Text():
			default: // nobody reads them: dropped, the pipe kept flowing
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *weftProc) do(method, path, body string) (int, string) {
	p.t.Helper()
	req, _ := http.NewRequest(method, p.base+path, strings.NewReader(body))
	if p.token != "" {
		req.Header.Set("Authorization", "Bearer "+p.token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (p *weftProc) stop() {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			p.t.Fatalf("weft serve exited with %v after SIGTERM", err)
		}
	case <-time.After(60 * time.Second):
		p.t.Fatal("weft serve did not stop within 60 s of SIGTERM")
	}
}

const greeting = `{"name":"greeting","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
 {"id":2,"module":"json:ParseJSON","version":1,"mapper":{"json":"{{1.raw}}"}},
 {"id":3,"module":"gateway:WebhookRespond","version":1,"mapper":{"status":"200","body":"Hello, {{2.name}}!"}}],
 "metadata":{"version":1,"instant":true}}`

const mailbox = `{"name":"mail","flow":[{"id":1,"module":"gateway:CustomMailHook","version":1,"mapper":{}},
 {"id":2,"module":"datastore:AddRecord","version":1,"parameters":{"datastore":"mail"},"mapper":{"key":"{{1.subject}}","overwrite":true,"data":{"text":"{{trim(1.text)}}"}}}],
 "metadata":{"version":1}}`

func TestServeProcess(t *testing.T) {
	bin := build(t)
	data := t.TempDir()
	out, err := exec.Command(bin, "--data", data, "tokens", "create", "--name", "t", "--scopes", "admin", "--json").CombinedOutput()
	if err != nil {
		t.Fatalf("tokens create: %v %s", err, out)
	}
	var tok struct{ Token string }
	if err := json.Unmarshal(out, &tok); err != nil || !strings.HasPrefix(tok.Token, "weft_") {
		t.Fatalf("token %s", out)
	}
	smtpAddr := freePort(t)
	p := start(t, bin, data, "--mailhook-addr", smtpAddr, "--mailhook-domain", "hooks.test")

	// Without a token the API refuses; with it, a scenario is created with its webhook.
	if code, _ := p.do("GET", "/api/v1/scenarios", ""); code != 401 {
		t.Fatalf("no token: %d", code)
	}
	p.token = tok.Token
	code, body := p.do("POST", "/api/v1/scenarios", greeting)
	var sc struct {
		ID      int64  `json:"id"`
		HookURL string `json:"hookUrl"`
	}
	if err := json.Unmarshal([]byte(body), &sc); err != nil || code != 201 || sc.HookURL == "" {
		t.Fatalf("create: %d %s", code, body)
	}
	if code, body := p.do("POST", fmt.Sprintf("/api/v1/scenarios/%d/activate", sc.ID), ""); code != 200 {
		t.Fatalf("activate: %d %s", code, body)
	}
	// The webhook answers with the scenario's response…
	resp, err := http.Post(sc.HookURL, "application/json", strings.NewReader(`{"raw":"{\"name\":\"Ada\"}"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "Hello, Ada!" {
		t.Fatalf("webhook: %d %q", resp.StatusCode, b)
	}
	// …and a payload with broken JSON is kept as an incomplete execution.
	resp, err = http.Post(sc.HookURL, "application/json", strings.NewReader(`{"raw":"{name: Bo}"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("failing payload: %d", resp.StatusCode)
	}
	code, body = p.do("GET", fmt.Sprintf("/api/v1/incomplete-executions?scenarioId=%d", sc.ID), "")
	if code != 200 || !strings.Contains(body, `"errorType":"DataError"`) || !strings.Contains(body, `"failedModuleId":2`) {
		t.Fatalf("incomplete executions: %d %s", code, body)
	}

	// A mail to the mailhook's address runs its scenario.
	code, body = p.do("POST", "/api/v1/scenarios", mailbox)
	var mb struct{ ID int64 }
	json.Unmarshal([]byte(body), &mb)
	if code != 201 {
		t.Fatalf("create mailbox: %d %s", code, body)
	}
	if code, body := p.do("POST", fmt.Sprintf("/api/v1/scenarios/%d/activate", mb.ID), ""); code != 200 {
		t.Fatalf("activate mailbox: %d %s", code, body)
	}
	code, body = p.do("GET", fmt.Sprintf("/api/v1/scenarios/%d/hook", mb.ID), "")
	var hook struct{ URL string }
	if err := json.Unmarshal([]byte(body), &hook); err != nil || code != 200 || !strings.Contains(hook.URL, "/hooks/") {
		t.Fatalf("mailbox hook: %d %s", code, body)
	}
	hook.URL = hook.URL[strings.LastIndex(hook.URL, "/")+1:] // the token: the mailbox's local part
	msg := "From: ada@example.com\r\nTo: " + hook.URL + "@hooks.test\r\nSubject: order-7\r\n\r\nTwo looms, please.\r\n"
	if err := smtp.SendMail(smtpAddr, nil, "ada@example.com", []string{hook.URL + "@hooks.test"}, []byte(msg)); err != nil {
		t.Fatalf("send mail: %v", err)
	}
	if err := smtp.SendMail(smtpAddr, nil, "ada@example.com", []string{"nobody@hooks.test"}, []byte(msg)); err == nil {
		t.Fatal("mail to an unknown mailhook was accepted")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body = p.do("GET", "/api/v1/datastores/mail/records/order-7", "")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the mail never reached its scenario: %d %s", code, body)
		}
		time.Sleep(50 * time.Millisecond) // the worker runs queued mail asynchronously
	}
	if !strings.Contains(body, "Two looms, please.") {
		t.Fatalf("record %s", body)
	}
	// Metrics count what happened; SIGTERM stops weft cleanly.
	code, body = p.do("GET", "/metrics", "")
	if code != 200 || !strings.Contains(body, `weft_runs_total{kind="run",status="success"}`) {
		t.Fatalf("metrics: %d", code)
	}
	p.stop()
}
