package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

// cliResult is one run of the weft command line.
type cliResult struct {
	code     int
	out, err string
}

func (r cliResult) String() string {
	return fmt.Sprintf("exit %d\nstdout: %s\nstderr: %s", r.code, r.out, r.err)
}

// cli runs the built weft in dir (the checkout, so examples/… resolve) with args and
// extra environment variables; WEFT_SERVER and WEFT_TOKEN are cleared unless env sets them.
func cli(t *testing.T, bin, dir string, env []string, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "WEFT_SERVER=", "WEFT_TOKEN=", "WEFT_DATA=")
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := cliResult{out: out.String(), err: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("weft %s: %v", strings.Join(args, " "), err)
	}
	return r
}

func checkoutRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// partnerBlueprint posts each order to the partner; a refusal (4xx) is a DataError kept
// as an incomplete execution waiting for a person.
func partnerBlueprint(url string) string {
	return `{"name":"orders to the partner","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
	 {"id":2,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},
	  "mapper":{"url":"` + url + `/orders","method":"post","contentType":"json","inputMethod":"jsonString","jsonStringBodyContent":"{\"id\":\"{{1.id}}\"}"}}],
	 "metadata":{"version":1,"scenario":{"dlq":true}}}`
}

// TestReadmeCommandsWhileServing: the README's commands ("Using weft" and the
// incomplete-executions walkthrough), run while `weft serve --demo` holds the data
// folder, all work — through the server's API, found in DATA/weft.addr. The same
// commands give the same output and exit status with --server and a token from another
// folder (remote), and, for the reading ones, from the data folder itself once the
// server has stopped.
func TestReadmeCommandsWhileServing(t *testing.T) {
	bin := build(t)
	root := checkoutRoot()
	data := t.TempDir()
	var accept atomic.Bool
	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if !accept.Load() {
			w.WriteHeader(http.StatusUnprocessableEntity)
		}
		fmt.Fprint(w, `{}`)
	}))
	defer partner.Close()
	pu, _ := url.Parse(partner.URL)
	p := start(t, bin, data, "--demo", "--demo-every", "1h", "--net-allow", pu.Host)

	// The one-time sign-in link --demo prints signs its first visitor in, and only them.
	signIn := p.line("sign in to the web UI")
	link := signIn[strings.LastIndex(signIn, " ")+1:]
	if !strings.HasPrefix(link, p.base+"/login/once/") {
		t.Fatalf("sign-in line %q", signIn)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := resp.Cookies()
	if resp.StatusCode != http.StatusSeeOther || len(cookies) == 0 {
		t.Fatalf("the sign-in link: %d, cookies %v", resp.StatusCode, cookies)
	}
	req, _ := http.NewRequest("GET", p.base+"/scenarios", nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err = noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "Forward orders to a flaky partner") {
		t.Fatalf("the scenarios page after the sign-in link: %d", resp.StatusCode)
	}
	if resp, err = noFollow.Get(link); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("the sign-in link used twice: %v %v", resp, err)
	}
	resp.Body.Close()

	// weft runs the README's command line against the data folder.
	weft := func(args ...string) cliResult {
		t.Helper()
		return cli(t, bin, root, nil, append([]string{"--data", data}, args...)...)
	}
	must := func(r cliResult, code int, contains ...string) cliResult {
		t.Helper()
		if r.code != code {
			t.Fatalf("want exit %d: %s", code, r)
		}
		for _, c := range contains {
			if !strings.Contains(r.out+r.err, c) {
				t.Fatalf("want %q in the output: %s", c, r)
			}
		}
		return r
	}

	// "Using weft".
	tok := must(weft("tokens", "create", "--name", "me", "--scopes", "admin"), 0, "token ", "(me), scopes admin")
	token := strings.TrimSpace(strings.SplitN(tok.out, "\n", 2)[0])
	if !strings.HasPrefix(token, "weft_") {
		t.Fatalf("tokens create printed no token first: %s", tok)
	}
	must(weft("validate", "examples/parse-greeting.json", "examples/demo-order-summary.json"), 0)
	var run struct {
		ExecutionID string `json:"executionId"`
		ScenarioID  int64  `json:"scenarioId"`
		Status      string `json:"status"`
	}
	r := must(weft("run", "examples/demo-order-summary.json", "--input", `{"email":"ada@example.com"}`, "--json"), 0)
	if err := json.Unmarshal([]byte(r.out), &run); err != nil || run.Status != "success" {
		t.Fatalf("run --json: %v %s", err, r)
	}
	must(weft("run", "examples/demo-order-summary.json", "--input", "@examples/demo-order-input.json", "--log"), 0, "ended SUCCESS", "module 1 ")
	must(weft("modules"), 0, "gateway:CustomWebHook")
	must(weft("modules", "--app", "gemini-ai", "--json"), 0, `"gemini-ai:simpleTextPrompt"`)

	// The walkthrough (docs/incomplete-executions.md §1–3), ids shortened to 10
	// characters as the UI shows them.
	r = must(weft("run", "examples/parse-greeting.json", "--input", `{"raw": "{name: Ada}"}`), 0, "ended WARNING", "DataError")
	m := regexp.MustCompile(`incomplete execution ([0-9a-f]{32}) at module 2`).FindStringSubmatch(r.out)
	if m == nil {
		t.Fatalf("no incomplete execution stored: %s", r)
	}
	ie, short := m[1], m[1][:10]
	greetingID := regexp.MustCompile(`of scenario (\d+)`).FindStringSubmatch(r.out)[1]
	must(weft("incomplete", "list"), 0, ie)
	r = must(weft("incomplete", "list", "--scenario", greetingID, "--status", "unresolved,pending", "--error-type", "DataError", "--json"), 0, `"id":"`+ie+`"`)
	must(weft("incomplete", "show", short), 0, `input:   {"json":"{name: Ada}"}`, `outputs: {"1":{"raw":"{name: Ada}"}}`)
	must(weft("incomplete", "resolve", short, "--set", `2.mapper.json={"name": "Ada"}`), 0, "ended SUCCESS", "resolved", "Hello, Ada!")

	// Many at once (§4): three orders the partner refuses, retried together once it
	// accepts; a progress bar on stderr, the counts on stdout.
	file := filepath.Join(t.TempDir(), "partner.json")
	if err := os.WriteFile(file, []byte(partnerBlueprint(partner.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b", "c"} {
		r = must(weft("run", file, "--input", `{"id":"`+id+`"}`, "--json"), 0, `"status":"warning"`)
	}
	if err := json.Unmarshal([]byte(r.out), &run); err != nil {
		t.Fatal(err)
	}
	partnerID := fmt.Sprint(run.ScenarioID)
	accept.Store(true)
	r = must(weft("incomplete", "retry", "--scenario", partnerID, "--all"), 0)
	if r.out != "3 incomplete execution(s) retried: 3 resolved, 0 failed, 0 retrying, 0 deleted, 0 skipped\n" ||
		!strings.Contains(r.err, "3/3  3 resolved") {
		t.Fatalf("retry --all: %s", r)
	}
	accept.Store(false)
	must(weft("run", file, "--input", `{"id":"d"}`), 0, "ended WARNING")
	must(weft("incomplete", "delete", "--scenario", partnerID, "--all", "--confirm"), 0, "4 incomplete execution(s) deleted: 4 deleted, 0 skipped")
	must(weft("queue", "list", "--scenario", "1"), 0)
	must(weft("executions", "list"), 0, run.ExecutionID)
	must(weft("executions", "show", run.ExecutionID, "--log"), 0, run.ExecutionID)
	must(weft("version"), 0, "weft ", "server ")
	// The service itself: one process holds the data folder, and says which.
	must(weft("work"), 3, "weft serve runs on it at "+p.base)
	must(weft("serve", "--addr", "127.0.0.1:0"), 3, "weft serve runs on it at "+p.base)
	// (`weft bench` load-tests a server of its own in a temporary folder: not this one.)

	// The same commands through --server with a token, from another folder and another
	// (empty) data folder: the same output, the same exit status.
	elsewhere := t.TempDir()
	remote := func(args ...string) cliResult {
		t.Helper()
		return cli(t, bin, elsewhere, nil, append([]string{"--data", filepath.Join(elsewhere, "none"), "--server", p.base, "--token", token}, args...)...)
	}
	viaEnv := func(args ...string) cliResult {
		t.Helper()
		return cli(t, bin, elsewhere, []string{"WEFT_SERVER=" + p.base, "WEFT_TOKEN=" + token}, args...)
	}
	reads := [][]string{
		{"scenarios", "list"},
		{"scenarios", "list", "--json"},
		{"scenarios", "show", greetingID, "--json"},
		{"incomplete", "list", "--json"},
		{"incomplete", "list", "--scenario", greetingID},
		{"incomplete", "show", short},
		{"incomplete", "show", short, "--json"},
		{"executions", "list", "--scenario", partnerID},
		{"executions", "show", run.ExecutionID, "--json"},
		{"queue", "list", "--scenario", "1", "--json"},
		{"connections", "list", "--json"},
		{"incomplete", "show", "ffffffffff"},      // not found: exit 1, the same message
		{"scenarios", "show", "999"},              // not found
		{"incomplete", "list", "--status", "odd"}, // a usage error: exit 2
	}
	served := map[string]cliResult{}
	for _, args := range reads {
		want := weft(args...)
		served[strings.Join(args, " ")] = want
		for name, got := range map[string]cliResult{"--server": remote(args...), "WEFT_SERVER": viaEnv(args...)} {
			if got != want {
				t.Errorf("weft %s: %s differs from the local command\n%s\nwant\n%s", strings.Join(args, " "), name, got, want)
			}
		}
	}
	if r := served["incomplete show ffffffffff"]; r.code != 1 || strings.Count(r.err, "ffffffffff") != 1 {
		t.Errorf("an unknown id: %s", r)
	}
	if r := served["scenarios show 999"]; r.code != 1 || r.err != "weft: scenario 999: not found\n" {
		t.Errorf("an unknown scenario: %s", r)
	}
	if r := served["incomplete list --status odd"]; r.code != 2 {
		t.Errorf("a usage error: %s", r)
	}
	// Remote writes: a scenario from a file on this side, its run, its deletion.
	r = must(remote("scenarios", "create", filepath.Join(root, "examples", "parse-greeting.json"), "--json"), 0, `"id":`)
	var created struct{ ID int64 }
	if err := json.Unmarshal([]byte(r.out), &created); err != nil || created.ID == 0 {
		t.Fatalf("remote create: %v %s", err, r)
	}
	must(remote("scenarios", "delete", fmt.Sprint(created.ID)), 0, fmt.Sprintf("scenario %d deleted", created.ID))
	// A bad token is refused by the server, a missing one before any call.
	must(remote("--token", "weft_nope", "scenarios", "list"), 1, "token")
	must(cli(t, bin, elsewhere, nil, "--server", p.base, "scenarios", "list"), 2, "--token")

	// Once the server has stopped, the reading commands read the data folder itself,
	// with the same output (webhook addresses from $WEFT_BASE_URL: the server's own
	// address is its base URL).
	p.stop()
	if _, err := os.Stat(filepath.Join(data, "weft.addr")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("weft.addr is left after the server stopped: %v", err)
	}
	for _, args := range reads {
		got := cli(t, bin, root, []string{"WEFT_BASE_URL=" + p.base}, append([]string{"--data", data}, args...)...)
		if want := served[strings.Join(args, " ")]; got != want {
			t.Errorf("weft %s: without the server\n%s\nwant (through it)\n%s", strings.Join(args, " "), got, want)
		}
	}
}
