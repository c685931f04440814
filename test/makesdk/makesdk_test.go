// Package makesdk drives a real `weft serve` with Make's own TypeScript SDK
// (@makehq/sdk, installed from npm by `npm ci` in this folder; .ci/run does it) and the
// SDK's MCP tools, as a user's script or an AI agent pointed at weft would: each call's
// answer is asserted, and what it changed is checked through weft's own API (/api/v1).
//
// Node ≥ 20 is required; without it (or without the SDK installed) the test fails and
// says what to do — it never skips.
package makesdk

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// sdkVersion is the version package.json pins (the one checked to work on Node 20).
const sdkVersion = "1.6.10"

func here() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// requireNode fails the test unless Node ≥ 20 and the pinned SDK are installed.
func requireNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not on PATH: this test drives Make's SDK (@makehq/sdk) with Node.js ≥ 20; " +
			"install Node 20 or later and run `npm ci` in test/makesdk (.ci/run does both)")
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		t.Fatalf("node --version: %v", err)
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	major, err := strconv.Atoi(strings.SplitN(v, ".", 2)[0])
	if err != nil || major < 20 {
		t.Fatalf("node %s is too old: @makehq/sdk needs Node.js ≥ 20", out)
	}
	data, err := os.ReadFile(filepath.Join(here(), "node_modules", "@makehq", "sdk", "package.json"))
	if err != nil {
		t.Fatalf("@makehq/sdk is not installed (%v): run `npm ci` in test/makesdk (.ci/run does)", err)
	}
	var pkg struct{ Version string }
	if err := json.Unmarshal(data, &pkg); err != nil || pkg.Version != sdkVersion {
		t.Fatalf("@makehq/sdk %q is installed, package-lock.json pins %s: run `npm ci` in test/makesdk", pkg.Version, sdkVersion)
	}
	return node
}

// build compiles cmd/weft into a temp folder.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "weft")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/weft")
	cmd.Dir = filepath.Join(here(), "..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// weftProc is a running `weft serve`.
type weftProc struct {
	t     *testing.T
	base  string // http://127.0.0.1:PORT
	token string
	cmd   *exec.Cmd
	done  chan error
}

func startWeft(t *testing.T, bin, data string) *weftProc {
	t.Helper()
	cmd := exec.Command(bin, "--data", data, "serve", "--addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &weftProc{t: t, cmd: cmd, done: make(chan error, 1)}
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
	go io.Copy(io.Discard, stdout)
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// with is the process reporting failures to t (a subtest's).
func (p *weftProc) with(t *testing.T) *weftProc { c := *p; c.t = t; return &c }

// v1 asks weft's own API (/api/v1): the independent view of what an SDK call changed.
func (p *weftProc) v1(method, path, body string) (int, map[string]any) {
	p.t.Helper()
	req, err := http.NewRequest(method, p.base+"/api/v1"+path, strings.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+p.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatal(err)
	}
	var m map[string]any
	if len(data) > 0 {
		if err := json.Unmarshal(data, &m); err != nil {
			p.t.Fatalf("%s /api/v1%s: not a JSON object: %s", method, path, data)
		}
	}
	return resp.StatusCode, m
}

// v1ok is v1 that wants 200 (or 201 for a POST that creates).
func (p *weftProc) v1ok(method, path, body string) map[string]any {
	p.t.Helper()
	code, m := p.v1(method, path, body)
	if code != 200 && code != 201 {
		p.t.Fatalf("%s /api/v1%s: %d %v", method, path, code, m)
	}
	return m
}

// driver is driver.mjs: Make's SDK in a Node process, one request per line.
type driver struct {
	t     *testing.T
	in    io.WriteCloser
	out   *bufio.Scanner
	mu    *sync.Mutex // one request at a time
	tools int
}

// with is the driver reporting failures to t (a subtest's).
func (d *driver) with(t *testing.T) *driver { c := *d; c.t = t; return &c }

type sdkError struct {
	Name       string `json:"name"`
	Message    string `json:"message"`
	StatusCode int    `json:"statusCode"`
}

func startDriver(t *testing.T, node, host, token string) *driver {
	t.Helper()
	cmd := exec.Command(node, filepath.Join(here(), "driver.mjs"))
	cmd.Dir = here()
	cmd.Env = append(os.Environ(), "WEFT_HOST="+host, "WEFT_TOKEN="+token)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close() // the driver ends when its input does
		if err := cmd.Wait(); err != nil {
			t.Errorf("driver.mjs: %v", err)
		}
	})
	d := &driver{t: t, in: in, out: bufio.NewScanner(out), mu: new(sync.Mutex)}
	d.out.Buffer(make([]byte, 1<<20), 16<<20)
	var hello struct {
		Ready bool `json:"ready"`
		Tools int  `json:"tools"`
	}
	if !d.out.Scan() || json.Unmarshal(d.out.Bytes(), &hello) != nil || !hello.Ready {
		t.Fatalf("driver.mjs did not start: %q %v", d.out.Text(), d.out.Err())
	}
	d.tools = hello.Tools
	return d
}

func (d *driver) send(req map[string]any) (json.RawMessage, *sdkError) {
	d.t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	line, err := json.Marshal(req)
	if err != nil {
		d.t.Fatal(err)
	}
	if _, err := d.in.Write(append(line, '\n')); err != nil {
		d.t.Fatalf("driver.mjs: %v", err)
	}
	if !d.out.Scan() {
		d.t.Fatalf("driver.mjs gave no answer to %s: %v", line, d.out.Err())
	}
	var ans struct {
		OK     bool            `json:"ok"`
		Result json.RawMessage `json:"result"`
		Error  *sdkError       `json:"error"`
	}
	if err := json.Unmarshal(d.out.Bytes(), &ans); err != nil {
		d.t.Fatalf("driver.mjs answered %q: %v", d.out.Text(), err)
	}
	if !ans.OK {
		return nil, ans.Error
	}
	return ans.Result, nil
}

// call runs a method of the SDK's Make client and wants it to succeed.
func (d *driver) call(method string, args ...any) json.RawMessage {
	d.t.Helper()
	res, e := d.send(map[string]any{"sdk": method, "args": args})
	if e != nil {
		d.t.Fatalf("make.%s%v: %s %d: %s", method, args, e.Name, e.StatusCode, e.Message)
	}
	return res
}

// fail runs a method of the SDK's Make client and wants the SDK's MakeError.
func (d *driver) fail(method string, args ...any) *sdkError {
	d.t.Helper()
	res, e := d.send(map[string]any{"sdk": method, "args": args})
	if e == nil {
		d.t.Fatalf("make.%s%v succeeded: %s", method, args, res)
	}
	if e.Name != "MakeError" {
		d.t.Fatalf("make.%s%v: %s (not the SDK's MakeError): %s", method, args, e.Name, e.Message)
	}
	return e
}

// tool runs one of the SDK's MCP tools.
func (d *driver) tool(name string, args map[string]any) json.RawMessage {
	d.t.Helper()
	res, e := d.send(map[string]any{"tool": name, "args": args})
	if e != nil {
		d.t.Fatalf("MCP tool %s %v: %s %d: %s", name, args, e.Name, e.StatusCode, e.Message)
	}
	return res
}

func decode[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

// obj and list decode an SDK answer loosely, for the fields the test looks at.
func obj(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	return decode[map[string]any](t, raw)
}
func list(t *testing.T, raw json.RawMessage) []map[string]any {
	t.Helper()
	return decode[[]map[string]any](t, raw)
}

// waitFor polls weft (an external process) until cond holds or 30 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func hostOf(t *testing.T, base string) string {
	t.Helper()
	host := strings.TrimPrefix(base, "http://")
	if _, _, err := net.SplitHostPort(host); err != nil {
		t.Fatalf("base URL %s: %v", base, err)
	}
	return host
}

// greeting: webhook → Parse JSON (module 2) → webhook response. A payload whose raw is
// not JSON fails module 2 with a DataError and, with dlq on, is stored as an
// incomplete execution.
const greeting = `{"name":"Greeting","flow":[
 {"id":1,"module":"gateway:CustomWebHook","version":1,"parameters":{"hook":%d},"mapper":{}},
 {"id":2,"module":"json:ParseJSON","version":1,"parameters":{},"mapper":{"json":"{{1.raw}}"}},
 {"id":3,"module":"gateway:WebhookRespond","version":1,"parameters":{},"mapper":{"status":"200","body":"Hello, {{2.name}}!"}}],
 "metadata":{"version":1,"instant":true,"scenario":{"roundtrips":1,"maxErrors":3,"autoCommit":true,"dlq":true}}}`

// counter is started with the input "who" (Make's scenario inputs, declared on its
// Start scenario trigger) and writes it into data store 27969 (Make exports a data
// store by its numeric id).
const counter = `{"name":"Counter","flow":[
 {"id":1,"module":"scenario-service:StartSubscenario","version":1,"parameters":{},"mapper":{},"metadata":{"interface":[{"name":"who","type":"text","required":true}]}},
 {"id":2,"module":"datastore:AddRecord","version":1,"parameters":{"datastore":27969},"mapper":{"key":"{{var.input.who}}","overwrite":true,"data":{"seen":true}}}],
 "metadata":{"version":1,"scenario":{}}}`

func TestMakeSDK(t *testing.T) {
	node := requireNode(t)
	bin := build(t)
	data := t.TempDir()
	token := func(name, scopes string) string {
		t.Helper()
		out, err := exec.Command(bin, "--data", data, "tokens", "create", "--name", name, "--scopes", scopes, "--json").CombinedOutput()
		if err != nil {
			t.Fatalf("tokens create: %v %s", err, out)
		}
		var tok struct{ Token string }
		if err := json.Unmarshal(out, &tok); err != nil || tok.Token == "" {
			t.Fatalf("token %s", out)
		}
		return tok.Token
	}
	admin, reader := token("make-sdk", "admin"), token("reader", "scenarios:read,incomplete:read")
	p := startWeft(t, bin, data)
	p.token = admin
	d := startDriver(t, node, hostOf(t, p.base), admin)
	if d.tools < 50 {
		t.Fatalf("the SDK loaded %d MCP tools", d.tools)
	}
	readOnly := startDriver(t, node, hostOf(t, p.base), reader)

	// Each part reports on its own; they run in order on the same server (the hooks part
	// counts the scenarios part's hook).
	for _, part := range []struct {
		name string
		run  func(*testing.T, *weftProc, *driver)
	}{
		{"users", testUsers},
		{"scenarios and incomplete executions", testScenarios},
		{"hooks", testHooks},
		{"data stores", testDataStores},
		{"connections and keys", testConnections},
		{"scopes", func(t *testing.T, p *weftProc, _ *driver) { testScopes(t, p, readOnly.with(t)) }},
	} {
		if !t.Run(part.name, func(t *testing.T) { part.run(t, p.with(t), d.with(t)) }) {
			return // the later parts build on this one
		}
	}
}

func testUsers(t *testing.T, _ *weftProc, d *driver) {
	me := obj(t, d.call("users.me"))
	if me["name"] != "make-sdk" || me["id"] == nil {
		t.Fatalf("users.me %v", me)
	}
	auth := obj(t, d.call("users.currentAuthorization"))
	scopes := fmt.Sprint(auth["scope"])
	for _, want := range []string{"scenarios:read", "scenarios:write", "dlqs:write", "hooks:read", "datastores:write"} {
		if !strings.Contains(scopes, want) {
			t.Errorf("currentAuthorization has no %s: %v", want, auth)
		}
	}
	orgs := list(t, d.call("organizations.list"))
	if len(orgs) != 1 || orgs[0]["id"] != 1.0 {
		t.Fatalf("organizations.list %v", orgs)
	}
	teams := list(t, d.call("teams.list", 1))
	if len(teams) != 1 || teams[0]["id"] != 1.0 {
		t.Fatalf("teams.list %v", teams)
	}
	// The MCP tool an agent starts with.
	if me := obj(t, d.tool("users_me", map[string]any{})); me["name"] != "make-sdk" {
		t.Fatalf("users_me tool %v", me)
	}
}

// incomplete is an incomplete execution as /api/v1 shows it.
func (p *weftProc) incomplete(id string) map[string]any {
	p.t.Helper()
	return p.v1ok("GET", "/incomplete-executions/"+id, "")
}

func testScenarios(t *testing.T, p *weftProc, d *driver) {
	if got := list(t, d.call("scenarios.list", 1)); len(got) != 0 {
		t.Fatalf("scenarios.list before any: %v", got)
	}

	// Make's order: the webhook first, then the scenario whose trigger names it.
	hook := obj(t, d.call("hooks.create", map[string]any{"name": "Greeting hook", "teamId": 1, "typeName": "gateway-webhook", "data": map[string]any{}}))
	hookID := int64(hook["id"].(float64))
	hookURL, _ := hook["url"].(string)
	if hook["name"] != "Greeting hook" || hook["typeName"] != "gateway-webhook" || !strings.HasPrefix(hookURL, p.base+"/hooks/") {
		t.Fatalf("hooks.create %v", hook)
	}
	// The SDK takes the blueprint as an object and sends it as Make does (a JSON string).
	var bp map[string]any
	if err := json.Unmarshal(fmt.Appendf(nil, greeting, hookID), &bp); err != nil {
		t.Fatal(err)
	}
	sc := obj(t, d.call("scenarios.create", map[string]any{"teamId": 1, "blueprint": bp, "scheduling": map[string]any{"type": "immediately"}}))
	id := int64(sc["id"].(float64))
	sid := strconv.FormatInt(id, 10)
	if sc["name"] != "Greeting" || sc["teamId"] != 1.0 || sc["isActive"] != false || id != hookID || sc["hookId"] != float64(hookID) {
		t.Fatalf("scenarios.create %v (hook %d)", sc, hookID)
	}
	v1 := p.v1ok("GET", "/scenarios/"+sid, "")
	if v1["name"] != "Greeting" || v1["active"] != false || v1["hookUrl"] != hookURL {
		t.Fatalf("created, as /api/v1 shows it: %v (hook %s)", v1, hookURL)
	}

	all := list(t, d.call("scenarios.list", 1))
	if len(all) != 1 || all[0]["id"] != float64(id) || all[0]["name"] != "Greeting" {
		t.Fatalf("scenarios.list %v", all)
	}
	got := obj(t, d.call("scenarios.get", id))
	if got["id"] != float64(id) || got["name"] != "Greeting" || got["hookId"] != float64(hookID) {
		t.Fatalf("scenarios.get %v", got)
	}
	// blueprints.get: the blueprint with its scheduling and interface, as Make shapes it.
	gotBP := obj(t, d.call("blueprints.get", id))
	flow, _ := gotBP["flow"].([]any)
	if gotBP["name"] != "Greeting" || len(flow) != 3 || fmt.Sprint(gotBP["scheduling"]) != "map[type:immediately]" {
		t.Fatalf("blueprints.get %v", gotBP)
	}
	// Two versions: the hook alone (hooks.create), then the scenario that took it over.
	if vs := list(t, d.call("blueprints.versions", id)); len(vs) != 2 || vs[0]["version"] != 2.0 || vs[1]["version"] != 1.0 {
		t.Fatalf("blueprints.versions %v", vs)
	}
	if iface := obj(t, d.call("scenarios.getInterface", id)); fmt.Sprint(iface) != "map[input:[] output:[]]" {
		t.Fatalf("scenarios.getInterface %v", iface)
	}

	// A run of an inactive scenario is refused with Make's error.
	if e := d.fail("scenarios.run", id, map[string]any{"raw": `{"name":"Ada"}`}); e.StatusCode != 400 || !strings.Contains(e.Message, "not activated") {
		t.Fatalf("run while inactive: %+v", e)
	}
	if ok := decode[bool](t, d.call("scenarios.activate", id)); !ok {
		t.Fatal("scenarios.activate answered false")
	}
	if v1 := p.v1ok("GET", "/scenarios/"+sid, ""); v1["active"] != true {
		t.Fatalf("activated, /api/v1: %v", v1)
	}

	// Run with input: the trigger's bundle.
	run := obj(t, d.call("scenarios.run", id, map[string]any{"raw": `{"name":"Ada"}`}))
	okExec, _ := run["executionId"].(string)
	if run["status"] != 1.0 || okExec == "" {
		t.Fatalf("scenarios.run %v", run)
	}
	if ex := p.v1ok("GET", "/executions/"+okExec, ""); ex["status"] != "success" || fmt.Sprint(ex["response"]) == "" ||
		!strings.Contains(fmt.Sprint(ex["response"]), "Hello, Ada!") {
		t.Fatalf("the run, /api/v1: %v", ex)
	}
	// Three runs with broken JSON: three incomplete executions.
	var ies []string
	for i := range 3 {
		run := obj(t, d.call("scenarios.run", id, map[string]any{"raw": fmt.Sprintf("{broken %d", i)}))
		if run["status"] != 2.0 {
			t.Fatalf("failing run %v", run)
		}
		ex := p.v1ok("GET", "/executions/"+run["executionId"].(string), "")
		made, _ := ex["incompleteExecutions"].([]any)
		if ex["status"] != "warning" || len(made) != 1 { // stored as an incomplete execution: a warning, as in Make
			t.Fatalf("failing run, /api/v1: %v", ex)
		}
		ies = append(ies, made[0].(string))
	}

	// Incomplete executions (Make's dlqs).
	dlqs := list(t, d.call("incompleteExecutions.list", id))
	if len(dlqs) != 3 {
		t.Fatalf("incompleteExecutions.list %v", dlqs)
	}
	for i, q := range dlqs {
		if q["id"] != ies[i] || q["resolved"] != false || q["attempts"] != 0.0 || q["scenarioId"] != float64(id) ||
			!strings.HasPrefix(fmt.Sprint(q["reason"]), "DataError") || q["size"].(float64) <= 0 || q["created"] == nil {
			t.Fatalf("incompleteExecutions.list [%d] %v (want %s)", i, q, ies[i])
		}
	}
	// The same through the SDK's MCP tools, as an agent lists them.
	if tl := list(t, d.tool("scenarios_list", map[string]any{"teamId": 1})); len(tl) != 1 || tl[0]["id"] != float64(id) ||
		tl[0]["name"] != "Greeting" || tl[0]["isActive"] != true || tl[0]["dlqCount"] != 3.0 {
		t.Fatalf("MCP scenarios_list %v", tl)
	}
	tl := list(t, d.tool("incomplete-executions_list", map[string]any{"scenarioId": id}))
	if len(tl) != 3 || tl[0]["id"] != ies[0] || tl[2]["id"] != ies[2] {
		t.Fatalf("MCP incomplete-executions_list %v", tl)
	}
	if one := obj(t, d.tool("incomplete-executions_get", map[string]any{"incompleteExecutionId": ies[1]})); one["id"] != ies[1] || one["resolved"] != false {
		t.Fatalf("MCP incomplete-executions_get %v", one)
	}
	one := obj(t, d.call("incompleteExecutions.get", ies[0]))
	if one["id"] != ies[0] || one["scenarioName"] != "Greeting" || one["executionId"] == nil {
		t.Fatalf("incompleteExecutions.get %v", one)
	}
	failedExec := one["executionId"].(string)
	// The bundle: the trigger's output the failed module got.
	if b := obj(t, d.call("incompleteExecutions.bundle", ies[0])); fmt.Sprint(b) != "map[1:map[raw:{broken 0]]" {
		t.Fatalf("incompleteExecutions.bundle %v", b)
	}
	if e := d.fail("incompleteExecutions.get", "0123456789abcdef0123456789abcdef"); e.StatusCode != 404 {
		t.Fatalf("an unknown incomplete execution: %+v", e)
	}

	// Fix one's blueprint (an object; the SDK sends it as a string) and retry it.
	fix := func(ie string) {
		t.Helper()
		fixed := strings.Replace(fmt.Sprintf(greeting, hookID), `"json":"{{1.raw}}"`, `"json":"{\"name\":\"fixed\"}"`, 1)
		var fbp map[string]any
		if err := json.Unmarshal([]byte(fixed), &fbp); err != nil {
			t.Fatal(err)
		}
		up := obj(t, d.call("incompleteExecutions.update", ie, map[string]any{"blueprint": fbp}))
		if up["failer"] != 2.0 || !strings.Contains(fmt.Sprint(up["blueprint"]), "fixed") { // Make answers {failer, blueprint}
			t.Fatalf("incompleteExecutions.update %v", up)
		}
		if got := p.v1ok("GET", "/incomplete-executions/"+ie+"/blueprint", ""); !strings.Contains(fmt.Sprint(got), "fixed") {
			t.Fatalf("the fixed blueprint, /api/v1: %v", got)
		}
	}
	fix(ies[0])
	if got := d.call("incompleteExecutions.retry", ies[0]); string(got) != "null" {
		t.Fatalf("incompleteExecutions.retry answered %s", got)
	}
	if ie := p.incomplete(ies[0]); ie["status"] != "resolved" || ie["attempts"] != 1.0 {
		t.Fatalf("retried, /api/v1: %v", ie)
	}
	if got := obj(t, d.call("incompleteExecutions.get", ies[0])); got["resolved"] != true || got["attempts"] != 1.0 {
		t.Fatalf("retried, incompleteExecutions.get: %v", got)
	}
	// Retry many: all but the last; the server's worker runs them.
	fix(ies[1])
	d.call("incompleteExecutions.retryMultiple", id, map[string]any{"all": true, "exceptIds": []string{ies[2]}})
	waitFor(t, "the worker to retry "+ies[1], func() bool { return p.incomplete(ies[1])["status"] == "resolved" })
	if ie := p.incomplete(ies[2]); ie["status"] != "unresolved" || ie["attempts"] != 0.0 {
		t.Fatalf("the one excepted, /api/v1: %v", ie)
	}
	if left := list(t, d.tool("incomplete-executions_list", map[string]any{"scenarioId": id})); len(left) != 3 ||
		left[0]["resolved"] != true || left[1]["resolved"] != true || left[2]["resolved"] != false {
		t.Fatalf("after the retries, MCP incomplete-executions_list %v", left)
	}

	// Executions of an incomplete execution: the retry, then the run that stored it.
	dl := list(t, d.call("executions.listForIncompleteExecution", ies[0]))
	if len(dl) != 2 || dl[0]["type"] != "retry" || dl[0]["status"] != 1.0 || dl[1]["id"] != failedExec || dl[1]["status"] != 2.0 {
		t.Fatalf("executions.listForIncompleteExecution %v", dl)
	}
	if one := obj(t, d.call("executions.getForIncompleteExecution", ies[0], failedExec)); one["id"] != failedExec || one["status"] != 2.0 {
		t.Fatalf("executions.getForIncompleteExecution %v", one)
	}
	// The scenario's executions: 4 runs and 2 retries, as /api/v1 counts them.
	logs := list(t, d.call("executions.list", id))
	v1ex := p.v1ok("GET", "/executions?scenario="+sid+"&limit=100", "")["items"].([]any)
	if len(logs) != 6 || len(v1ex) != 6 {
		t.Fatalf("executions.list %d, /api/v1 %d: %v", len(logs), len(v1ex), logs)
	}
	if tl := list(t, d.tool("executions_list", map[string]any{"scenarioId": id})); len(tl) != 6 {
		t.Fatalf("MCP executions_list %v", tl)
	}
	if one := obj(t, d.call("executions.get", id, okExec)); one["id"] != okExec || one["status"] != 1.0 || one["operations"].(float64) < 3 {
		t.Fatalf("executions.get %v", one)
	}
	detail := obj(t, d.call("executions.getDetail", id, failedExec))
	if detail["status"] == nil || !strings.Contains(fmt.Sprint(detail), "DataError") {
		t.Fatalf("executions.getDetail %v", detail)
	}

	// Stop: the scenario is inactive in weft.
	if ok := decode[bool](t, d.call("scenarios.deactivate", id)); !ok {
		t.Fatal("scenarios.deactivate answered false")
	}
	if v1 := p.v1ok("GET", "/scenarios/"+sid, ""); v1["active"] != false {
		t.Fatalf("deactivated, /api/v1: %v", v1)
	}
	// Update: a new name and blueprint version.
	up := obj(t, d.call("scenarios.update", id, map[string]any{"name": "Greeting v2"}))
	if up["name"] != "Greeting v2" {
		t.Fatalf("scenarios.update %v", up)
	}
	if v1 := p.v1ok("GET", "/scenarios/"+sid, ""); v1["name"] != "Greeting v2" {
		t.Fatalf("renamed, /api/v1: %v", v1)
	}
	if e := d.fail("scenarios.get", 999999); e.StatusCode != 404 {
		t.Fatalf("an unknown scenario: %+v", e)
	}
}

// post sends a payload to a hook's public address, as a partner would.
func post(t *testing.T, url, body string) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func testHooks(t *testing.T, p *weftProc, d *driver) {
	h := obj(t, d.call("hooks.create", map[string]any{"name": "Orders", "teamId": 1, "typeName": "gateway-webhook", "data": map[string]any{}}))
	id := int64(h["id"].(float64))
	sid := strconv.FormatInt(id, 10)
	url, _ := h["url"].(string)
	if h["name"] != "Orders" || h["enabled"] != true || h["queueCount"] != 0.0 || !strings.HasPrefix(url, p.base+"/hooks/") {
		t.Fatalf("hooks.create %v", h)
	}
	// weft keeps the hook as an inactive scenario holding the trigger: its address is live.
	if v1 := p.v1ok("GET", "/scenarios/"+sid+"/hook", ""); v1["url"] != url {
		t.Fatalf("the hook, /api/v1: %v", v1)
	}
	hooks := list(t, d.call("hooks.list", 1))
	if len(hooks) != 2 {
		t.Fatalf("hooks.list %v", hooks)
	}
	if tl := list(t, d.tool("hooks_list", map[string]any{"teamId": 1})); len(tl) != 2 {
		t.Fatalf("MCP hooks_list %v", tl)
	}
	if ping := obj(t, d.call("hooks.ping", id)); ping["address"] != url || ping["attached"] != false || ping["gone"] != false {
		t.Fatalf("hooks.ping %v", ping)
	}

	// A payload sent before any scenario takes the hook waits in its queue.
	if code := post(t, url, `{"order":1}`); code >= 300 {
		t.Fatalf("POST to the hook: %d", code)
	}
	if q := p.v1ok("GET", "/scenarios/"+sid+"/queue", "")["items"].([]any); len(q) != 1 {
		t.Fatalf("the queue, /api/v1: %v", q)
	}
	if got := obj(t, d.call("hooks.get", id)); got["queueCount"] != 1.0 || got["id"] != float64(id) {
		t.Fatalf("hooks.get %v", got)
	}

	// Settings: weft's own values are taken, others refused (never stored and ignored).
	if changed := decode[bool](t, d.call("hooks.update", id, map[string]any{"data": map[string]any{"headers": false, "stringify": false}})); changed {
		t.Fatal("hooks.update with weft's values changed something")
	}
	if e := d.fail("hooks.update", id, map[string]any{"data": map[string]any{"headers": true}}); e.StatusCode != 400 {
		t.Fatalf("hooks.update with headers: %+v", e)
	}
	d.call("hooks.enable", id)
	// Disabling is refused: nothing sent to weft is dropped.
	if e := d.fail("hooks.disable", id); e.StatusCode != 400 || !strings.Contains(e.Message, "always enabled") {
		t.Fatalf("hooks.disable %+v", e)
	}
	if got := obj(t, d.call("hooks.get", id)); got["enabled"] != true {
		t.Fatalf("after disable, hooks.get %v", got)
	}
	// A scenario's own hook goes with its scenario only.
	greetingHook := hooks[0]["id"]
	if e := d.fail("hooks.delete", greetingHook); e.StatusCode != 400 {
		t.Fatalf("deleting a scenario's hook: %+v", e)
	}
	d.call("hooks.delete", id)
	if code, _ := p.v1("GET", "/scenarios/"+sid, ""); code != 404 {
		t.Fatalf("the deleted hook's scenario, /api/v1: %d", code)
	}
	// The address stops answering at once (a hook still in the server's lookup cache
	// finds its scenario gone and answers 404 too).
	if code := post(t, url, `{"order":2}`); code != 404 {
		t.Fatalf("the deleted hook's address: %d", code)
	}
	if e := d.fail("hooks.get", id); e.StatusCode != 404 {
		t.Fatalf("hooks.get of a deleted hook: %+v", e)
	}
}

func testDataStores(t *testing.T, p *weftProc, d *driver) {
	var bp map[string]any
	if err := json.Unmarshal([]byte(counter), &bp); err != nil {
		t.Fatal(err)
	}
	sc := obj(t, d.call("scenarios.create", map[string]any{"teamId": 1, "blueprint": bp, "scheduling": map[string]any{"type": "on-demand"}}))
	scID := sc["id"]
	if iface := obj(t, d.call("scenarios.getInterface", scID)); fmt.Sprint(iface) != "map[input:[map[name:who required:true type:text]] output:[]]" {
		t.Fatalf("scenarios.getInterface %v", iface)
	}
	// Data store 27969 is the one the scenario's module names.
	stores := list(t, d.call("dataStores.list", 1))
	if len(stores) != 1 || stores[0]["id"] != 27969.0 || stores[0]["records"] != 0.0 {
		t.Fatalf("dataStores.list %v", stores)
	}
	if tl := list(t, d.tool("data-stores_list", map[string]any{"teamId": 1})); len(tl) != 1 || tl[0]["id"] != 27969.0 {
		t.Fatalf("MCP data-stores_list %v", tl)
	}
	const ds = 27969
	rec := func(key string) (int, map[string]any) {
		t.Helper()
		return p.v1("GET", "/datastores/27969/records/"+key, "")
	}

	made := obj(t, d.call("dataStores.records.create", ds, "ada", map[string]any{"email": "ada@example.com"}))
	if made["key"] != "ada" || fmt.Sprint(made["data"]) != "map[email:ada@example.com]" {
		t.Fatalf("records.create %v", made)
	}
	if code, r := rec("ada"); code != 200 || fmt.Sprint(r["data"]) != "map[email:ada@example.com]" {
		t.Fatalf("created, /api/v1: %d %v", code, r)
	}
	gen := obj(t, d.call("dataStores.records.create", ds, map[string]any{"email": "bob@example.com"}))
	genKey, _ := gen["key"].(string)
	if code, _ := rec(genKey); genKey == "" || code != 200 {
		t.Fatalf("records.create without a key: %v, /api/v1 %d", gen, code)
	}
	if e := d.fail("dataStores.records.create", ds, "ada", map[string]any{}); e.StatusCode != 400 {
		t.Fatalf("records.create of an existing key: %+v", e)
	}
	up := obj(t, d.call("dataStores.records.update", ds, "ada", map[string]any{"name": "Ada"}))
	if fmt.Sprint(up["data"]) != "map[email:ada@example.com name:Ada]" {
		t.Fatalf("records.update %v", up)
	}
	if _, r := rec("ada"); fmt.Sprint(r["data"]) != "map[email:ada@example.com name:Ada]" {
		t.Fatalf("updated, /api/v1: %v", r)
	}
	rep := obj(t, d.call("dataStores.records.replace", ds, "ada", map[string]any{"only": true}))
	if fmt.Sprint(rep["data"]) != "map[only:true]" {
		t.Fatalf("records.replace %v", rep)
	}
	if _, r := rec("ada"); fmt.Sprint(r["data"]) != "map[only:true]" {
		t.Fatalf("replaced, /api/v1: %v", r)
	}
	if recs := list(t, d.call("dataStores.records.list", ds)); len(recs) != 2 {
		t.Fatalf("records.list %v", recs)
	}

	// A run with input writes through the scenario's datastore module.
	d.call("scenarios.activate", scID)
	if run := obj(t, d.call("scenarios.run", scID, map[string]any{"who": "grace"})); run["status"] != 1.0 {
		t.Fatalf("scenarios.run %v", run)
	}
	if code, r := rec("grace"); code != 200 || fmt.Sprint(r["data"]) != "map[seen:true]" {
		t.Fatalf("the run's record, /api/v1: %d %v", code, r)
	}
	if got := obj(t, d.call("dataStores.get", ds)); got["records"] != 3.0 {
		t.Fatalf("dataStores.get %v", got)
	}
	if tl := list(t, d.tool("data-store-records_list", map[string]any{"dataStoreId": ds})); len(tl) != 3 {
		t.Fatalf("MCP data-store-records_list %v", tl)
	}

	d.call("dataStores.records.delete", ds, []string{"ada", genKey})
	for _, k := range []string{"ada", genKey} {
		if code, _ := rec(k); code != 404 {
			t.Fatalf("deleted %s, /api/v1: %d", k, code)
		}
	}
	if code, _ := rec("grace"); code != 200 {
		t.Fatalf("grace was deleted too: %d", code)
	}
}

func testConnections(t *testing.T, p *weftProc, d *driver) {
	// The SDK's connection: a name, the type (Make's accountName) and the credentials.
	c := obj(t, d.call("connections.create", map[string]any{"teamId": 1, "name": "Partner", "accountName": "partner-api", "data": map[string]any{"token": "s3cret"}}))
	id := c["id"]
	cid := fmt.Sprint(id)
	if c["name"] != "Partner" || c["accountName"] != "partner-api" || strings.Contains(fmt.Sprint(c), "s3cret") {
		t.Fatalf("connections.create %v", c)
	}
	if v1 := p.v1ok("GET", "/connections/"+cid, ""); v1["name"] != "Partner" || v1["type"] != "partner-api" || strings.Contains(fmt.Sprint(v1), "s3cret") {
		t.Fatalf("created, /api/v1: %v", v1)
	}
	if all := list(t, d.call("connections.list", 1)); len(all) != 1 || all[0]["id"] != id {
		t.Fatalf("connections.list %v", all)
	}
	if tl := list(t, d.tool("connections_list", map[string]any{"teamId": 1})); len(tl) != 1 || tl[0]["name"] != "Partner" {
		t.Fatalf("MCP connections_list %v", tl)
	}
	if got := obj(t, d.call("connections.get", id)); got["id"] != id || got["accountType"] != "basic" {
		t.Fatalf("connections.get %v", got)
	}
	if ok := decode[bool](t, d.call("connections.verify", id)); !ok {
		t.Fatal("connections.verify answered false")
	}
	if got := obj(t, d.call("connections.rename", id, "Partner EU")); got["name"] != "Partner EU" {
		t.Fatalf("connections.rename %v", got)
	}
	if v1 := p.v1ok("GET", "/connections/"+cid, ""); v1["name"] != "Partner EU" {
		t.Fatalf("renamed, /api/v1: %v", v1)
	}
	if changed := decode[bool](t, d.call("connections.update", id, map[string]any{"data": map[string]any{"token": "new"}})); !changed {
		t.Fatal("connections.update answered false")
	}

	// Keys: weft's connections of a key type.
	types := list(t, d.call("keys.types"))
	if len(types) != 2 {
		t.Fatalf("keys.types %v", types)
	}
	k := obj(t, d.call("keys.create", map[string]any{"name": "Partner key", "teamId": 1, "typeName": "apikeyauth",
		"parameters": map[string]any{"key": "sk-1", "name": "X-API-Key", "placement": "header"}}))
	kid := fmt.Sprint(k["id"])
	if k["name"] != "Partner key" || k["typeName"] != "apikeyauth" {
		t.Fatalf("keys.create %v", k)
	}
	if v1 := p.v1ok("GET", "/connections/"+kid, ""); v1["name"] != "Partner key" || strings.Contains(fmt.Sprint(v1), "sk-1") {
		t.Fatalf("the key, /api/v1: %v", v1)
	}
	if keys := list(t, d.call("keys.list", 1)); len(keys) != 1 || fmt.Sprint(keys[0]["id"]) != kid {
		t.Fatalf("keys.list %v", keys)
	}
	d.call("keys.delete", k["id"])
	if code, _ := p.v1("GET", "/connections/"+kid, ""); code != 404 {
		t.Fatalf("deleted key, /api/v1: %d", code)
	}

	d.call("connections.delete", id)
	if code, _ := p.v1("GET", "/connections/"+cid, ""); code != 404 {
		t.Fatalf("deleted connection, /api/v1: %d", code)
	}
	if e := d.fail("connections.get", id); e.StatusCode != 404 {
		t.Fatalf("connections.get of a deleted one: %+v", e)
	}
}

// A token's weft scopes hold through the SDK in Make's terms: a reader lists and reads,
// and is refused (403, naming the scope) what it may not do — nothing changes.
func testScopes(t *testing.T, p *weftProc, d *driver) {
	auth := obj(t, d.call("users.currentAuthorization"))
	if scopes := fmt.Sprint(auth["scope"]); scopes != "[dlqs:read organizations:read scenarios:read teams:read user:read]" {
		t.Fatalf("the reader's Make scopes: %s", scopes)
	}
	scs := list(t, d.tool("scenarios_list", map[string]any{"teamId": 1}))
	if len(scs) != 2 {
		t.Fatalf("the reader's MCP scenarios_list %v", scs)
	}
	id := scs[0]["id"]
	if ies := list(t, d.tool("incomplete-executions_list", map[string]any{"scenarioId": id})); len(ies) != 3 {
		t.Fatalf("the reader's MCP incomplete-executions_list %v", ies)
	}
	if e := d.fail("scenarios.activate", id); e.StatusCode != 403 || !strings.Contains(e.Message, "scenarios:write") {
		t.Fatalf("the reader activates: %+v", e)
	}
	if v1 := p.v1ok("GET", fmt.Sprintf("/scenarios/%v", id), ""); v1["active"] != false {
		t.Fatalf("after the refused activation, /api/v1: %v", v1)
	}
	if e := d.fail("dataStores.list", 1); e.StatusCode != 403 || !strings.Contains(e.Message, "datastores:read") {
		t.Fatalf("the reader lists data stores: %+v", e)
	}
}
