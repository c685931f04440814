package cli_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestOutcomeUnknownCommands: a stand-in reads the order and drops the connection;
// `incomplete show` says the outcome is unknown, `check` finds the order, `mark-done`
// continues the run without posting again.
func TestOutcomeUnknownCommands(t *testing.T) {
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			if r.URL.Path != "/orders/a" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id":"a"}`)
			return
		}
		io.ReadAll(r.Body)
		posts.Add(1)
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(srv.Close)
	bp := strings.Replace(orderBlueprint(srv.URL), `"authenticationType":"noAuth"`, `"authenticationType":"noAuth","idempotencyKey":false`, 1)
	file := writeFile(t, "orders.json", bp)
	var run struct {
		Incomplete []string `json:"incompleteExecutions"`
	}
	code, out, errOut := weft(t, "", "run", file, "--input", `{"id":"a"}`, "--json")
	if err := json.Unmarshal([]byte(out), &run); err != nil || code != 0 || len(run.Incomplete) != 1 {
		t.Fatalf("run: exit %d %v %s %s", code, err, out, errOut)
	}
	id := run.Incomplete[0]
	if code, out, _ := weft(t, "", "incomplete", "show", id); code != 0 || !strings.Contains(out, "outcome unknown") ||
		!strings.Contains(out, "status unresolved") {
		t.Fatalf("show: exit %d\n%s", code, out)
	}
	if code, out, _ := weft(t, "", "incomplete", "check", id, "--url", "/orders/zzz"); code != 1 || !strings.Contains(out, "did not happen") {
		t.Fatalf("check of a missing order: exit %d %s", code, out)
	}
	if code, out, errOut := weft(t, "", "incomplete", "check", id, "--url", "/orders/a"); code != 0 || !strings.Contains(out, "the write happened") {
		t.Fatalf("check: exit %d %s %s", code, out, errOut)
	}
	code, out, errOut = weft(t, "", "incomplete", "preview", id, "--set", "2.mapper.url="+srv.URL+"/v2/orders")
	if code != 0 || !strings.Contains(out, "MAY REPEAT") || !strings.Contains(out, "stored output used") ||
		!strings.Contains(out, `module 2's url: "`+srv.URL+`/orders" → "`+srv.URL+`/v2/orders"`) {
		t.Fatalf("preview: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := weft(t, "", "incomplete", "mark-done", id, "--output", "[1]"); code == 0 || !strings.Contains(errOut, "JSON object") {
		t.Fatalf("mark-done with an array: exit %d %s", code, errOut)
	}
	if code, out, errOut := weft(t, "", "incomplete", "mark-done", id, "--output", `{"statusCode":201,"data":{"id":"a"}}`); code != 0 ||
		!strings.Contains(out, "resolved") {
		t.Fatalf("mark-done: exit %d %s %s", code, out, errOut)
	}
	if n := posts.Load(); n != 1 {
		t.Fatalf("%d posts, want 1", n)
	}
}

func TestBreakersCommands(t *testing.T) {
	srv, _, _ := standIn(t, 503)
	file := writeFile(t, "orders.json", orderBlueprint(srv.URL))
	for _, id := range []string{"a", "b"} {
		if code, _, errOut := weft(t, "", "run", file, "--input", `{"id":"`+id+`"}`); code != 0 {
			t.Fatalf("run: exit %d %s", code, errOut)
		}
	}
	key := "host:" + strings.TrimPrefix(srv.URL, "http://")
	code, out, _ := weft(t, "", "breakers", "list")
	if code != 0 || !strings.Contains(out, key) || !strings.Contains(out, "2 waiting") {
		t.Fatalf("breakers list: exit %d\n%s", code, out)
	}
	if code, out, _ := weft(t, "", "breakers", "reset", key); code != 0 || !strings.Contains(out, "2 incomplete execution(s) due now") {
		t.Fatalf("reset: exit %d %s", code, out)
	}
	if code, _, errOut := weft(t, "", "breakers", "reset", key); code == 0 || !strings.Contains(errOut, "not found") {
		t.Fatalf("reset again: exit %d %s", code, errOut)
	}
	if code, out, _ := weft(t, "", "breakers", "list"); code != 0 || !strings.Contains(out, "no open circuit breaker") {
		t.Fatalf("list after reset: exit %d %s", code, out)
	}
}

func TestRetryFromCommand(t *testing.T) {
	srv, got, _ := standIn(t, 422, 200)
	file := writeFile(t, "orders.json", orderBlueprint(srv.URL))
	var run struct {
		Incomplete []string `json:"incompleteExecutions"`
	}
	code, out, _ := weft(t, "", "run", file, "--input", `{"id":"a"}`, "--json")
	if err := json.Unmarshal([]byte(out), &run); err != nil || code != 0 || len(run.Incomplete) != 1 {
		t.Fatalf("run: exit %d %s", code, out)
	}
	id := run.Incomplete[0]
	if code, _, errOut := weft(t, "", "incomplete", "retry", id, "--from", "x"); code == 0 || !strings.Contains(errOut, "module id or trigger") {
		t.Fatalf("--from x: exit %d %s", code, errOut)
	}
	if code, out, _ := weft(t, "", "incomplete", "preview", id, "--from", "trigger"); code != 0 || !strings.Contains(out, "continues from module 2") {
		t.Fatalf("preview --from trigger: exit %d %s", code, out)
	}
	if code, out, errOut := weft(t, "", "incomplete", "retry", id, "--from", "trigger"); code != 0 || !strings.Contains(out, "resolved") {
		t.Fatalf("retry --from trigger: exit %d %s %s", code, out, errOut)
	}
	if n := len(got()); n != 2 {
		t.Fatalf("%d calls, want 2", n)
	}
}

// TestRecoveryCommandsInEveryMode: check, preview, breakers and mark-done print the
// same and exit the same on the data folder itself (in process), through the weft
// serve holding it (DATA/weft.addr) and remotely with --server/--token; incomplete
// executions are named by a unique beginning of their id.
func TestRecoveryCommandsInEveryMode(t *testing.T) {
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			if r.URL.Path != "/orders/a" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header()["Date"] = nil // the same answer in every mode
			io.WriteString(w, `{"id":"a"}`)
			return
		}
		io.ReadAll(r.Body)
		posts.Add(1)
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(srv.Close)
	bp := strings.Replace(orderBlueprint(srv.URL), `"authenticationType":"noAuth"`, `"authenticationType":"noAuth","idempotencyKey":false`, 1)
	file := writeFile(t, "orders.json", bp)
	var run struct {
		Incomplete []string `json:"incompleteExecutions"`
	}
	code, out, errOut := weft(t, "", "run", file, "--input", `{"id":"a"}`, "--json")
	if err := json.Unmarshal([]byte(out), &run); err != nil || code != 0 || len(run.Incomplete) != 1 {
		t.Fatalf("run: exit %d %v %s %s", code, err, out, errOut)
	}
	prefix := run.Incomplete[0][:8]
	type result struct {
		code     int
		out, err string
	}
	commands := [][]string{
		{"incomplete", "check", prefix, "--url", "/orders/zzz"},
		{"incomplete", "check", prefix, "--url", "/orders/a"},
		{"incomplete", "check", prefix, "--url", "/orders/a", "--json"},
		{"incomplete", "check", prefix},
		{"incomplete", "preview", prefix, "--set", "2.mapper.url=" + srv.URL + "/v2/orders"},
		{"incomplete", "preview", prefix, "--from", "trigger", "--json"},
		{"incomplete", "preview", prefix, "--from", "0"},
		{"incomplete", "mark-done", prefix, "--output", "[1]"},
		{"incomplete", "retry", prefix, "--from", "x"},
		{"breakers", "list"},
		{"breakers", "list", "--json"},
		{"breakers", "reset", "host:nowhere.example"},
	}
	runAll := func(extra ...string) []result {
		var rs []result
		for _, c := range commands {
			code, out, errOut := weft(t, "", append(extra, c...)...)
			rs = append(rs, result{code, out, withoutLog(errOut)})
		}
		return rs
	}
	local := runAll()
	wantCodes := []int{1, 0, 0, 2, 0, 0, 2, 2, 2, 0, 0, 1}
	for i, r := range local {
		if r.code != wantCodes[i] {
			t.Fatalf("local %v: exit %d, want %d\n%s%s", commands[i], r.code, wantCodes[i], r.out, r.err)
		}
	}
	if !strings.Contains(local[1].out, "the write happened") || !strings.Contains(local[4].out, "MAY REPEAT") ||
		!strings.Contains(local[4].out, "incomplete execution "+prefix+" continues from module 2") ||
		!strings.Contains(local[11].err, "not found") {
		t.Fatalf("local outputs: %+v", local)
	}

	dir, _ := dataDirs.Load(t.Name())
	startServe(t, dir.(string), "--net-allow", "127.0.0.1")
	server := runAll()
	code, out, errOut = weft(t, "", "tokens", "create", "--name", "me", "--scopes", "admin")
	if code != 0 {
		t.Fatalf("tokens create: exit %d %s", code, errOut)
	}
	token := strings.SplitN(out, "\n", 2)[0]
	serverURL := readAddr(t, dir.(string))
	remote := runAll("--server", serverURL, "--token", token)
	for i := range local {
		if server[i] != local[i] || remote[i] != local[i] {
			t.Errorf("%v:\nlocal  %+v\nserver %+v\nremote %+v", commands[i], local[i], server[i], remote[i])
		}
	}

	code, out, errOut = weft(t, "", "--server", serverURL, "--token", token,
		"incomplete", "mark-done", prefix, "--output", `{"statusCode":201,"data":{"id":"a"}}`)
	if code != 0 || !strings.Contains(out, "resolved") {
		t.Fatalf("remote mark-done: exit %d %s %s", code, out, errOut)
	}
	if n := posts.Load(); n != 1 {
		t.Fatalf("%d posts, want 1 (mark-done does not call the module again)", n)
	}
}

// readAddr is the server's URL from DATA/weft.addr.
func readAddr(t *testing.T, dir string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "weft.addr"))
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(raw, &info); err != nil || info.URL == "" {
		t.Fatalf("weft.addr: %v %s", err, raw)
	}
	return info.URL
}

// withoutLog leaves out the log lines a command working on the data folder itself
// writes on stderr (docs/cli.md); the rest must be the same in every mode.
func withoutLog(stderr string) string {
	var keep []string
	for _, l := range strings.SplitAfter(stderr, "\n") {
		if !strings.HasPrefix(l, "time=") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}

// weft serve --circuit-breakers=false (or $WEFT_CIRCUIT_BREAKERS=false) opens no
// breaker for incomplete executions failing on one host; by default it does. A value
// that is not a boolean is a usage error naming the variable.
func TestCircuitBreakersFlag(t *testing.T) {
	srv, _, _ := standIn(t, 503)
	file := writeFile(t, "orders.json", orderBlueprint(srv.URL))
	key := "host:" + strings.TrimPrefix(srv.URL, "http://")
	for _, c := range []struct {
		name string
		args []string
		env  string
		open bool
	}{
		{"default", nil, "", true},
		{"flag off", []string{"--circuit-breakers=false"}, "", false},
		{"env off", nil, "false", false},
		{"flag wins over env", []string{"--circuit-breakers=true"}, "false", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("WEFT_CIRCUIT_BREAKERS", c.env)
			dir, _ := dataDirs.LoadOrStore(t.Name(), t.TempDir())
			startServe(t, dir.(string), append([]string{"--net-allow", "127.0.0.1"}, c.args...)...)
			for _, id := range []string{"a", "b"} {
				if code, _, errOut := weft(t, "", "run", file, "--input", `{"id":"`+id+`"}`); code != 0 {
					t.Fatalf("run: exit %d %s", code, errOut)
				}
			}
			code, out, errOut := weft(t, "", "breakers", "list")
			if code != 0 || strings.Contains(out, key) != c.open || strings.Contains(out, "no open circuit breaker") == c.open {
				t.Fatalf("breakers list (open: %v): exit %d\n%s%s", c.open, code, out, errOut)
			}
		})
	}
	t.Setenv("WEFT_CIRCUIT_BREAKERS", "maybe")
	for _, cmd := range []string{"serve", "work"} {
		if code, _, errOut := weft(t, "", cmd); code != 2 || !strings.Contains(errOut, `$WEFT_CIRCUIT_BREAKERS="maybe"`) {
			t.Fatalf("%s with WEFT_CIRCUIT_BREAKERS=maybe: exit %d %s", cmd, code, errOut)
		}
	}
}
