package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/weftworks/weft/auth"
)

// The endpoints the command line needs so that every command works against a server:
// run a blueprint, resolve with edits, enqueue, the queue of every scenario, tokens,
// the version.

func TestRunBlueprint(t *testing.T) {
	e := newEnv(t)
	body := func(bp, source, input string) string {
		return fmt.Sprintf(`{"blueprint":%s,"source":%q,"input":%s}`, bp, source, input)
	}
	run := e.must(200, e.do("POST", "/runs", body(greeting, "file:/srv/greeting.json", `{"raw":"{\"name\":\"Ada\"}"}`)))
	if run["status"] != "success" || run["scenarioId"] != 1.0 || run["response"].(map[string]any)["body"] != "Hello, Ada!" {
		t.Fatalf("run %v", run)
	}
	sc := e.must(200, e.do("GET", "/scenarios/1", nil))
	if sc["source"] != "file:/srv/greeting.json" || sc["active"] != false {
		t.Fatalf("stored %v", sc)
	}
	// The same source again: the same scenario; a changed blueprint is its new version,
	// stored byte for byte.
	changed := strings.Replace(greeting, "Hello", "Hi", 1)
	run = e.must(200, e.do("POST", "/runs", body(changed, "file:/srv/greeting.json", `{"raw":"{\"name\":\"Bo\"}"}`)))
	if run["scenarioId"] != 1.0 || run["response"].(map[string]any)["body"] != "Hi, Bo!" {
		t.Fatalf("second run %v", run)
	}
	if got := e.do("GET", "/scenarios/1/blueprint", nil); string(got.body) != strings.TrimSpace(changed) {
		t.Fatalf("version 2 is not the blueprint as sent:\n%s", got.body)
	}
	// No input is an empty bundle; an input that is not an object is its value.
	if run := e.must(200, e.do("POST", "/runs", body(echo, "file:/echo.json", `"x"`))); run["response"].(map[string]any)["body"] != "got x" {
		t.Fatalf("run with a text input %v", run)
	}
	for _, tc := range []struct {
		body   string
		status int
		field  string
	}{
		{body(greeting, "", "{}"), 400, "source"},
		{body(greeting, "api", "{}"), 400, "source"},
		{body(greeting, "clone:1", "{}"), 400, "source"},
		{`{"source":"file:/x"}`, 400, "blueprint"},
		{body(greeting, "file:/x", "{broken"), 400, "body"},
		{`{"blueprint":{},"source":"file:/x","extra":1}`, 400, "extra"},
	} {
		r := e.do("POST", "/runs", tc.body)
		if code, _, d := r.err(t); r.status != tc.status || code != "invalid_input" || d["field"] != tc.field {
			t.Errorf("%s: %s", tc.body, r)
		}
	}
	if r := e.do("POST", "/runs", body(`[1]`, "file:/x", "{}")); r.status != 422 {
		t.Errorf("a blueprint that is not an object: %s", r)
	}
	if r := e.do("POST", "/runs", body(`{"name":"x","flow":[{"id":1,"module":"nope:Nope"}]}`, "file:/bad", "{}")); r.status != 409 {
		t.Errorf("a blueprint weft cannot run: %s", r)
	}
	if r := e.doAs(e.token(auth.ScenariosRead), "POST", "/runs", body(greeting, "file:/x", "{}")); r.status != 403 {
		t.Errorf("without scenarios:write: %s", r)
	}
}

func TestResolveWithEdits(t *testing.T) {
	e := newEnv(t)
	e.create(greeting)
	ies := e.failGreeting("1", 2)
	// The failing module's input is mapped from {{1.raw}}; the edit maps a fixed text.
	r := e.must(200, e.do("POST", "/incomplete-executions/"+ies[0]+"/resolve",
		`{"edits":[{"moduleId":2,"part":"mapper","path":"json","value":"{\"name\":\"Cy\"}"}]}`))
	if run := r["run"].(map[string]any); run["status"] != "success" || run["response"].(map[string]any)["body"] != "Hello, Cy!" {
		t.Fatalf("resolve %v", r)
	}
	if ie := r["incompleteExecution"].(map[string]any); ie["status"] != "resolved" || ie["attempts"] != 1.0 {
		t.Fatalf("after %v", r)
	}
	bp := string(e.do("GET", "/incomplete-executions/"+ies[0]+"/blueprint", nil).body)
	if !strings.Contains(bp, `"json": "{\"name\":\"Cy\"}"`) {
		t.Fatalf("the edit is not in the incomplete execution's blueprint: %s", bp)
	}
	// A resolved one is refused; an edit before the failing module is a 422.
	if r := e.do("POST", "/incomplete-executions/"+ies[0]+"/resolve", `{"edits":[{"moduleId":2,"part":"mapper","path":"json","value":"{}"}]}`); r.status != 409 {
		t.Errorf("resolve a resolved one: %s", r)
	}
	r1 := e.do("POST", "/incomplete-executions/"+ies[1]+"/resolve", `{"edits":[{"moduleId":1,"part":"mapper","path":"x","value":1}]}`)
	if code, msg, _ := r1.err(t); r1.status != 422 || code != "invalid_blueprint" || !strings.Contains(msg, "module 1") {
		t.Errorf("an edit of a module that ran before: %s", r1)
	}
	for _, tc := range []struct{ body, field string }{
		{`{}`, "edits"},
		{`{"edits":[]}`, "edits"},
		{`{"edits":[{"part":"mapper","path":"x","value":1}]}`, "edits[0].moduleId"},
		{`{"edits":[{"moduleId":2,"part":"filter","path":"x","value":1}]}`, "edits[0].part"},
		{`{"edits":[{"moduleId":2,"part":"mapper","path":" ","value":1}]}`, "edits[0].path"},
		{`{"edits":[{"moduleId":2,"part":"mapper","path":"x"}]}`, "edits[0].value"},
		{`{"blueprint":[1]}`, "blueprint"},
	} {
		r := e.do("POST", "/incomplete-executions/"+ies[1]+"/resolve", tc.body)
		if code, _, d := r.err(t); r.status != 400 || code != "invalid_input" || d["field"] != tc.field {
			t.Errorf("%s: %s", tc.body, r)
		}
	}
	// A whole blueprint with the fix in it.
	fixed := strings.Replace(greeting, `"{{1.raw}}"`, `"{\"name\":\"Di\"}"`, 1)
	r = e.must(200, e.do("POST", "/incomplete-executions/"+ies[1]+"/resolve", `{"blueprint":`+fixed+`}`))
	if r["run"].(map[string]any)["response"].(map[string]any)["body"] != "Hello, Di!" {
		t.Fatalf("resolve with a blueprint %v", r)
	}
}

// Executions and incomplete executions are found by a unique prefix of their id; an
// ambiguous prefix is a 400 naming some of the ids it starts.
func TestIDPrefixesOverTheAPI(t *testing.T) {
	e := newEnv(t)
	e.create(greeting)
	ies := e.failGreeting("1", 2) // executions id0001, id0003; incomplete executions id0002, id0004
	if got := e.must(200, e.do("GET", "/incomplete-executions/id0004", nil)); got["id"] != ies[1] {
		t.Fatalf("by id: %v", got)
	}
	if got := e.must(200, e.do("GET", "/executions/id0003/log", nil)); got["executionId"] != "id0003" {
		t.Fatalf("log by id: %v", got)
	}
	r := e.do("GET", "/incomplete-executions/id000", nil)
	code, msg, d := r.err(t)
	if r.status != 400 || code != "ambiguous_id" || !strings.Contains(msg, "incomplete execution id id000 is ambiguous") ||
		fmt.Sprint(d["matches"]) != "[id0002 id0004]" {
		t.Fatalf("an ambiguous prefix: %s", r)
	}
	if r := e.do("GET", "/executions/id9", nil); r.status != 404 {
		t.Fatalf("an unknown prefix: %s", r)
	}
	// In bodies and queries too.
	e.svc.SetActive(t.Context(), 1, true)
	list := e.must(200, e.do("GET", "/incomplete-executions?execution=id0003", nil))["items"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["id"] != "id0004" {
		t.Fatalf("?execution= %v", list)
	}
	if r := e.do("POST", "/incomplete-executions/delete", `{"ids":["id000"]}`); r.status != 400 {
		t.Fatalf("an ambiguous prefix in a body: %s", r)
	}
}

func TestEnqueueAndTheQueueOfEveryScenario(t *testing.T) {
	e := newEnv(t)
	e.create(greeting)
	e.create(echo)
	r := e.do("POST", "/scenarios/2/queue", `{"value":"a"}`)
	it := e.must(201, r)
	if it["status"] != "waiting" || it["scenarioId"] != 2.0 || r.header.Get("Location") != fmt.Sprintf("/api/v1/queue/%v", it["id"]) {
		t.Fatalf("enqueued %v %v", it, r.header)
	}
	e.must(201, e.do("POST", "/scenarios/1/queue", `{"raw":"{}"}`))
	all := e.must(200, e.do("GET", "/queue", nil))["items"].([]any)
	if len(all) != 2 {
		t.Fatalf("the queue of every scenario %v", all)
	}
	if one := e.must(200, e.do("GET", "/queue?scenario=1", nil))["items"].([]any); len(one) != 1 {
		t.Fatalf("?scenario=1 %v", one)
	}
	got := e.must(200, e.do("GET", fmt.Sprintf("/queue/%v", it["id"]), nil))
	if fmt.Sprint(got["payload"]) != "map[value:a]" {
		t.Fatalf("one item %v", got)
	}
	if r := e.do("POST", "/queue/delete", `{"ids":[1,99]}`); r.status != 404 || !strings.Contains(r.String(), "no queued payload 99; nothing was done") {
		t.Fatalf("delete with an unknown id: %s", r)
	}
	if got := e.must(200, e.do("POST", "/queue/retry", `{"ids":[1]}`)); got["queued"] != 0.0 {
		t.Fatalf("retry of a waiting one %v", got)
	}
	if got := e.must(200, e.do("POST", "/queue/delete", `{"ids":[1,2]}`)); got["deleted"] != 2.0 {
		t.Fatalf("delete %v", got)
	}
	if r := e.do("GET", "/queue?scenario=9", nil); r.status != 404 {
		t.Fatalf("the queue of a missing scenario: %s", r)
	}
	if r := e.do("POST", "/scenarios/9/queue", `{}`); r.status != 404 {
		t.Fatalf("enqueue for a missing scenario: %s", r)
	}
	if r := e.do("POST", "/queue/retry", `{"ids":[1],"status":["dead"]}`); r.status != 400 {
		t.Fatalf("status on a retry: %s", r)
	}
}

func TestTokensOverTheAPI(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/tokens", `{"name":"ci","scopes":["scenarios:read"]}`)
	tok := e.must(201, r)
	plain := tok["token"].(string)
	if !strings.HasPrefix(plain, "weft_") || tok["name"] != "ci" || r.header.Get("Location") != "/api/v1/tokens/"+tok["id"].(string) {
		t.Fatalf("created %v", tok)
	}
	if r := e.doAs(plain, "GET", "/scenarios", nil); r.status != 200 {
		t.Fatalf("the new token: %s", r)
	}
	if r := e.doAs(plain, "GET", "/tokens", nil); r.status != 403 {
		t.Fatalf("tokens need admin: %s", r)
	}
	list := e.must(200, e.do("GET", "/tokens", nil))["items"].([]any)
	if len(list) != 2 || strings.Contains(fmt.Sprint(list), plain) {
		t.Fatalf("list %v", list)
	}
	revoked := e.must(200, e.do("DELETE", "/tokens/"+tok["id"].(string), nil))
	if revoked["revokedAt"] != "2026-05-01T12:00:00Z" {
		t.Fatalf("revoked %v", revoked)
	}
	if r := e.doAs(plain, "GET", "/scenarios", nil); r.status != 401 {
		t.Fatalf("a revoked token: %s", r)
	}
	if r := e.do("DELETE", "/tokens/nope", nil); r.status != 404 || strings.Count(r.String(), "nope") != 1 {
		t.Fatalf("revoke an unknown token: %s", r)
	}
	for _, tc := range []struct{ body, field string }{
		{`{"scopes":["admin"]}`, "name"},
		{`{"name":"x"}`, "scopes"},
		{`{"name":"x","scopes":["root"]}`, "scopes"},
	} {
		r := e.do("POST", "/tokens", tc.body)
		if code, _, d := r.err(t); r.status != 400 || code != "invalid_input" || d["field"] != tc.field {
			t.Errorf("%s: %s", tc.body, r)
		}
	}
}

func TestVersionWithoutToken(t *testing.T) {
	e := newEnv(t)
	r := e.doAs("", "GET", "/version", nil)
	v := e.must(200, r)
	if v["version"] == "" || !strings.HasPrefix(v["goVersion"].(string), "go") {
		t.Fatalf("version %v", v)
	}
}

// A retry of an incomplete execution that is being retried right now is busy (409
// busy): the same request may succeed later.
func TestBusyIsItsOwnCode(t *testing.T) {
	e := newEnv(t)
	e.create(greeting)
	ie := e.failGreeting("1", 1)[0]
	cur, err := e.st.GetIncomplete(t.Context(), ie)
	if err != nil {
		t.Fatal(err)
	}
	cur.Status = "in_progress"
	if err := e.st.UpdateIncomplete(t.Context(), cur); err != nil {
		t.Fatal(err)
	}
	// Each with a body it takes (a retry's is only {"from": …}: edits are refused as
	// unknown, 400, before the incomplete execution is looked at).
	for p, body := range map[string]string{
		"/incomplete-executions/" + ie + "/retry":   `{"from":"trigger"}`,
		"/incomplete-executions/" + ie + "/resolve": `{"edits":[{"moduleId":2,"part":"mapper","path":"json","value":"{}"}]}`,
	} {
		r := e.do("POST", p, body)
		if code, msg, _ := r.err(t); r.status != 409 || code != "busy" || msg != "incomplete execution "+ie+" is being retried right now" {
			t.Errorf("%s: %s", p, r)
		}
	}
}
