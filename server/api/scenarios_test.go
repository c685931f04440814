package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/weftworks/weft/server/api"
)

var hookURL = regexp.MustCompile(`^https://weft\.example\.com/hooks/[a-z2-7]{52}$`)

func TestCreateScenario(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/scenarios", greeting)
	sc := e.must(201, r)
	if r.header.Get("Location") != "/api/v1/scenarios/1" {
		t.Fatalf("Location %q", r.header.Get("Location"))
	}
	want := map[string]any{"id": 1.0, "name": "Greeting", "version": 1.0, "active": false, "instant": true,
		"consecutiveErrors": 0.0, "paused": nil, "deactivated": nil, "source": "api",
		"schedule": map[string]any{"type": ""}, "nextRunAt": nil,
		"createdAt": "2026-05-01T12:00:00Z", "updatedAt": "2026-05-01T12:00:00Z"}
	for k, v := range want {
		if fmt.Sprint(sc[k]) != fmt.Sprint(v) {
			t.Errorf("%s = %v, want %v", k, sc[k], v)
		}
	}
	if len(sc) != len(want)+1 || !hookURL.MatchString(fmt.Sprint(sc["hookUrl"])) {
		t.Fatalf("scenario %v", sc)
	}
	// The hook is stored: the webhook listing has it.
	hooks := e.must(200, e.do("GET", "/hooks", nil))["items"].([]any)
	if len(hooks) != 1 || hooks[0].(map[string]any)["url"] != sc["hookUrl"] {
		t.Fatalf("hooks %v", hooks)
	}
	// Without a webhook trigger there is no hook.
	plain := e.create(composeOnly)
	if plain["hookUrl"] != nil || plain["instant"] != false {
		t.Fatalf("compose scenario %v", plain)
	}
}

func TestCreateScenarioRefusals(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, body string
		status     int
		code, msg  string
		pointer    string
	}{
		{"empty", "", 400, "invalid_input", "body: a blueprint (JSON object) is required", ""},
		{"not JSON", `{"name":`, 400, "invalid_input", "body: is not valid JSON", ""},
		{"array", `[1,2]`, 422, "invalid_blueprint", "a blueprint is a JSON object", ""},
		{"no flow", `{"name":"x"}`, 422, "invalid_blueprint", "blueprint is invalid", "/flow"},
		{"bad module", `{"name":"x","flow":[{"id":1,"module":"json:ParseJSON","version":1,"mapper":{"json":"{{1.a"}}]}`,
			422, "invalid_blueprint", "blueprint is invalid", "/flow/0/mapper/json"},
	} {
		r := e.do("POST", "/scenarios", tc.body)
		if r.status != tc.status {
			t.Errorf("%s: %s", tc.name, r)
			continue
		}
		code, msg, details := r.err(t)
		if code != tc.code || !strings.HasPrefix(msg, tc.msg) {
			t.Errorf("%s: %s %q", tc.name, code, msg)
		}
		if tc.pointer != "" {
			problems := details["problems"].([]any)
			if len(problems) == 0 || problems[0].(map[string]any)["pointer"] != tc.pointer {
				t.Errorf("%s: problems %v", tc.name, problems)
			}
		}
	}
	if got := e.must(200, e.do("GET", "/scenarios", nil))["items"].([]any); len(got) != 0 {
		t.Fatalf("refused blueprints were stored: %v", got)
	}
}

func TestGetScenario(t *testing.T) {
	e := newEnv(t)
	created := e.create(greeting)
	got := e.must(200, e.do("GET", "/scenarios/1", nil))
	if fmt.Sprint(got) != fmt.Sprint(created) {
		t.Fatalf("get %v\ncreate %v", got, created)
	}
	for path, want := range map[string]int{"/scenarios/2": 404, "/scenarios/abc": 400, "/scenarios/0": 400} {
		r := e.do("GET", path, nil)
		if r.status != want {
			t.Errorf("%s: %s", path, r)
		}
	}
	code, msg, details := e.do("GET", "/scenarios/x1", nil).err(t)
	if code != "invalid_input" || msg != `id: "x1" is not an id (a positive whole number)` || details["field"] != "id" {
		t.Fatalf("%s %s %v", code, msg, details)
	}
}

func TestListScenariosPages(t *testing.T) {
	e := newEnv(t)
	for range 5 {
		e.create(composeOnly)
	}
	e.must(200, e.do("POST", "/scenarios/2/activate", nil))
	var seen []string
	path := "/scenarios?limit=2"
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("too many pages")
		}
		p := e.must(200, e.do("GET", path, nil))
		for _, it := range p["items"].([]any) {
			seen = append(seen, id(it.(map[string]any)))
		}
		if p["nextCursor"] == nil {
			break
		}
		path = "/scenarios?limit=2&cursor=" + p["nextCursor"].(string)
	}
	if strings.Join(seen, ",") != "1,2,3,4,5" {
		t.Fatalf("pages gave %v", seen)
	}
	act := e.must(200, e.do("GET", "/scenarios?active=true", nil))["items"].([]any)
	if len(act) != 1 || id(act[0].(map[string]any)) != "2" {
		t.Fatalf("active %v", act)
	}
	for _, q := range []string{"limit=0", "limit=501", "limit=x", "cursor=!!", "active=maybe"} {
		r := e.do("GET", "/scenarios?"+q, nil)
		field := strings.SplitN(q, "=", 2)[0]
		if code, _, d := r.err(t); r.status != 400 || code != "invalid_input" || d["field"] != field {
			t.Errorf("%s: %s", q, r)
		}
	}
}

func TestUpdateVersionsExport(t *testing.T) {
	e := newEnv(t)
	e.create(greeting)
	v2 := strings.Replace(greeting, `"Greeting"`, `"Greeting v2"`, 1)
	sc := e.must(200, e.do("PUT", "/scenarios/1", v2))
	if sc["version"] != 2.0 || sc["name"] != "Greeting v2" || !hookURL.MatchString(fmt.Sprint(sc["hookUrl"])) {
		t.Fatalf("updated %v", sc)
	}
	vs := e.must(200, e.do("GET", "/scenarios/1/versions", nil))
	if fmt.Sprint(vs) != "map[items:[map[createdAt:2026-05-01T12:00:00Z version:1] map[createdAt:2026-05-01T12:00:00Z version:2]] nextCursor:<nil>]" {
		t.Fatalf("versions %v", vs)
	}
	page := e.must(200, e.do("GET", "/scenarios/1/versions?limit=1", nil))
	next := e.must(200, e.do("GET", "/scenarios/1/versions?limit=1&cursor="+page["nextCursor"].(string), nil))
	if len(next["items"].([]any)) != 1 || next["items"].([]any)[0].(map[string]any)["version"] != 2.0 || next["nextCursor"] != nil {
		t.Fatalf("second page %v", next)
	}
	// Exports are byte for byte what was stored.
	for path, want := range map[string]string{"/scenarios/1/blueprint": v2, "/scenarios/1/versions/1/blueprint": greeting,
		"/scenarios/1/versions/2/blueprint": v2} {
		r := e.do("GET", path, nil)
		if r.status != 200 || string(r.body) != want || r.header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %s", path, r)
		}
	}
	for path, want := range map[string]int{"/scenarios/1/versions/3/blueprint": 404, "/scenarios/1/versions/x/blueprint": 400,
		"/scenarios/9/versions": 404, "/scenarios/9/blueprint": 404} {
		if r := e.do("GET", path, nil); r.status != want {
			t.Errorf("%s: %s", path, r)
		}
	}
	if r := e.do("PUT", "/scenarios/9", greeting); r.status != 404 {
		t.Fatalf("update of a missing scenario: %s", r)
	}
	if r := e.do("PUT", "/scenarios/1", `{"name":"x"}`); r.status != 422 {
		t.Fatalf("update with an invalid blueprint: %s", r)
	}
	if sc := e.must(200, e.do("GET", "/scenarios/1", nil)); sc["version"] != 2.0 {
		t.Fatalf("a refused update changed the version: %v", sc)
	}
}

func TestActivateDeactivate(t *testing.T) {
	e := newEnv(t)
	e.create(greeting)
	if sc := e.must(200, e.do("POST", "/scenarios/1/activate", nil)); sc["active"] != true {
		t.Fatalf("activate %v", sc)
	}
	if sc := e.must(200, e.do("POST", "/scenarios/1/deactivate", nil)); sc["active"] != false {
		t.Fatalf("deactivate %v", sc)
	}
	e.create(unsupported)
	r := e.do("POST", "/scenarios/2/activate", nil)
	code, msg, details := r.err(t)
	if r.status != 409 || code != "conflict" || !strings.Contains(msg, "acme:CreateWidget") {
		t.Fatalf("activating an unsupported scenario: %s", r)
	}
	if u := details["unsupported"].([]any); len(u) != 1 || u[0].(map[string]any)["module"] != "acme:CreateWidget" {
		t.Fatalf("details %v", details)
	}
	if r := e.do("POST", "/scenarios/7/activate", nil); r.status != 404 {
		t.Fatalf("activate a missing scenario: %s", r)
	}
}

func TestRunScenario(t *testing.T) {
	e := newEnv(t)
	e.create(greeting)
	run := e.must(200, e.do("POST", "/scenarios/1/run", `{"raw":"{\"name\":\"Ada\"}"}`))
	want := `map[discarded:0 durationNs:0 error:<nil> executionId:id0001 incompleteExecutions:[] operations:4 response:map[body:Hello, Ada! headers:map[] status:200] scenarioId:1 status:success]`
	if fmt.Sprint(run) != want {
		t.Fatalf("run\n%v\nwant\n%v", run, want)
	}
	run = e.must(200, e.do("POST", "/scenarios/1/run", `{"raw":"{name: Ada}"}`))
	if run["status"] != "warning" || len(run["incompleteExecutions"].([]any)) != 1 ||
		run["error"].(map[string]any)["type"] != "DataError" {
		t.Fatalf("failing run %v", run)
	}
	// A body that is not an object is the bundle's value, as Make's webhook does.
	e.create(echo)
	run = e.must(200, e.do("POST", "/scenarios/2/run", `[1,2]`))
	if run["status"] != "success" || run["response"].(map[string]any)["body"] != "got 1, 2" {
		t.Fatalf("run with an array: %v", run)
	}
	if r := e.do("POST", "/scenarios/2/run", `{"a":`); r.status != 400 {
		t.Fatalf("run with broken JSON: %s", r)
	}
	if r := e.do("POST", "/scenarios/9/run", `{}`); r.status != 404 {
		t.Fatalf("run of a missing scenario: %s", r)
	}
	e.create(unsupported)
	if r := e.do("POST", "/scenarios/3/run", `{}`); r.status != 409 {
		t.Fatalf("run of an unsupported scenario: %s", r)
	}
}

func TestRunRefusedWhileSequentialHasIncomplete(t *testing.T) {
	e := newEnv(t)
	e.create(strings.Replace(greeting, `"dlq": true`, `"dlq": true, "sequential": true`, 1))
	e.failGreeting("1", 1)
	r := e.do("POST", "/scenarios/1/run", `{"raw":"{}"}`)
	if code, msg, _ := r.err(t); r.status != 409 || code != "busy" || !strings.HasPrefix(msg, "scenario 1 processes sequentially") {
		t.Fatalf("run of a blocked sequential scenario: %s", r)
	}
}

func TestCloneScenario(t *testing.T) {
	e := newEnv(t)
	e.create(greeting)
	e.must(200, e.do("PUT", "/scenarios/1/schedule", `{"type":"interval","interval":15}`))
	r := e.do("POST", "/scenarios/1/clone", `{"name":"Greeting \"B\" <2>"}`)
	c := e.must(201, r)
	if c["id"] != 3.0-1 || c["name"] != `Greeting "B" <2>` || c["active"] != false || c["source"] != "clone:1" ||
		fmt.Sprint(c["schedule"]) != "map[interval:15 type:interval]" || !hookURL.MatchString(fmt.Sprint(c["hookUrl"])) {
		t.Fatalf("clone %v", c)
	}
	orig := e.must(200, e.do("GET", "/scenarios/1", nil))
	if c["hookUrl"] == orig["hookUrl"] {
		t.Fatal("the clone shares the original's webhook address")
	}
	exp := e.do("GET", "/scenarios/2/blueprint", nil)
	if want := strings.Replace(greeting, `"Greeting"`, `"Greeting \"B\" <2>"`, 1); string(exp.body) != want {
		t.Fatalf("clone's blueprint changed more than the name:\n%s", exp.body)
	}
	def := e.must(201, e.do("POST", "/scenarios/1/clone", nil))
	if def["name"] != "Greeting (copy)" {
		t.Fatalf("default clone name %v", def["name"])
	}
	if r := e.do("POST", "/scenarios/1/clone", `{"nmae":"x"}`); r.status != 400 {
		t.Fatalf("clone with an unknown field: %s", r)
	} else if _, msg, d := r.err(t); d["field"] != "nmae" || msg != "nmae: is not a known field" {
		t.Fatalf("unknown field error %s", r)
	}
	if r := e.do("POST", "/scenarios/9/clone", nil); r.status != 404 {
		t.Fatalf("clone of a missing scenario: %s", r)
	}
}

func TestDeleteScenario(t *testing.T) {
	e := newEnv(t)
	e.create(greeting)
	ies := e.failGreeting("1", 2)
	r := e.do("DELETE", "/scenarios/1", nil)
	code, _, details := r.err(t)
	if r.status != 409 || code != "conflict" || fmt.Sprint(details["incompleteExecutions"]) != fmt.Sprint(ies) || details["total"] != 2.0 {
		t.Fatalf("delete with incomplete executions: %s", r)
	}
	if r := e.do("DELETE", "/scenarios/1?force=yes", nil); r.status != 400 {
		t.Fatalf("force=yes: %s", r)
	}
	r = e.do("DELETE", "/scenarios/1?force=true", nil)
	if r.status != 204 || len(r.body) != 0 {
		t.Fatalf("forced delete: %s", r)
	}
	for _, p := range []string{"/scenarios/1", "/incomplete-executions/" + ies[0], "/scenarios/1/hook"} {
		if r := e.do("GET", p, nil); r.status != 404 {
			t.Errorf("%s after delete: %s", p, r)
		}
	}
	if hooks := e.must(200, e.do("GET", "/hooks", nil))["items"].([]any); len(hooks) != 0 {
		t.Fatalf("hooks after delete: %v", hooks)
	}
	e.create(composeOnly)
	if r := e.do("DELETE", "/scenarios/2", nil); r.status != 204 {
		t.Fatalf("plain delete: %s", r)
	}
	if r := e.do("DELETE", "/scenarios/2", nil); r.status != 404 {
		t.Fatalf("second delete: %s", r)
	}
}

func TestSchedule(t *testing.T) {
	e := newEnv(t)
	e.create(composeOnly)
	if s := e.must(200, e.do("GET", "/scenarios/1/schedule", nil)); fmt.Sprint(s) != "map[nextRunAt:<nil> scenarioId:1 schedule:map[type:]]" {
		t.Fatalf("default schedule %v", s)
	}
	s := e.must(200, e.do("PUT", "/scenarios/1/schedule", `{"type":"interval","interval":15}`))
	if fmt.Sprint(s) != "map[nextRunAt:<nil> scenarioId:1 schedule:map[interval:15 type:interval]]" {
		t.Fatalf("inactive scenario's schedule %v", s)
	}
	e.must(200, e.do("POST", "/scenarios/1/activate", nil))
	s = e.must(200, e.do("PUT", "/scenarios/1/schedule", `{"type":"cron","cron":"0 8 * * *","timezone":"Europe/Prague"}`))
	if s["nextRunAt"] != "2026-05-02T06:00:00Z" {
		t.Fatalf("cron schedule %v", s)
	}
	if got := e.must(200, e.do("GET", "/scenarios/1/schedule", nil)); fmt.Sprint(got) != fmt.Sprint(s) {
		t.Fatalf("get %v, put %v", got, s)
	}
	s = e.must(200, e.do("PUT", "/scenarios/1/schedule", `{"type":"once","at":"2026-05-03T10:00:00+02:00"}`))
	if s["nextRunAt"] != "2026-05-03T08:00:00Z" {
		t.Fatalf("once schedule %v", s)
	}
	for _, tc := range []struct{ body, field string }{
		{`{"type":"interval","interval":0}`, "interval"},
		{`{"type":"cron","cron":"61 * * * *"}`, "cron"},
		{`{"type":"weekly"}`, "type"},
		{`{"type":"once"}`, "at"},
		{`{"type":"once","at":"2026-05-01T11:59:00Z"}`, "at"},
		{`{"type":"interval","interval":"5"}`, "interval"},
		{`{"type":"interval","interval":5,"every":1}`, "every"},
	} {
		r := e.do("PUT", "/scenarios/1/schedule", tc.body)
		if code, _, d := r.err(t); r.status != 400 || code != "invalid_input" || d["field"] != tc.field {
			t.Errorf("%s: %s", tc.body, r)
		}
	}
	if r := e.do("PUT", "/scenarios/5/schedule", `{"type":"interval","interval":5}`); r.status != 404 {
		t.Fatalf("schedule of a missing scenario: %s", r)
	}
}

func TestRouting(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/nothing/here", nil)
	if code, _, _ := r.err(t); r.status != 404 || code != "not_found" {
		t.Fatalf("unknown path: %s", r)
	}
	r = e.do("PATCH", "/scenarios", nil)
	if code, _, _ := r.err(t); r.status != 405 || code != "method_not_allowed" || r.header.Get("Allow") != "GET, POST" {
		t.Fatalf("wrong method: %s %v", r, r.header)
	}
	big := `{"name":"` + strings.Repeat("x", 70<<10) + `","flow":[]}`
	r = e.do("POST", "/scenarios", big)
	if code, _, _ := r.err(t); r.status != 413 || code != "too_large" {
		t.Fatalf("large body: %s", r.String()[:200])
	}
}

// The lead's server mounts the API with http.StripPrefix; both mounts route alike.
func TestMountedBehindStripPrefix(t *testing.T) {
	e := newEnv(t)
	e.create(composeOnly)
	h := api.New(api.Deps{Service: e.svc, Auth: e.auth, BaseURL: baseURL})
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", http.StripPrefix("/api/v1", h))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for path, want := range map[string]int{"/api/v1/scenarios/1": 200, "/api/v1/nope": 404, "/api/v1/openapi.json": 200} {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+e.admin)
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, res.StatusCode, want)
		}
	}
}

// A scenario whose module still needs its connection chosen (a Make export) is stored,
// but activating or running it is refused with the reason, not a 500.
func TestActivateRefusedWhileAConnectionIsMissing(t *testing.T) {
	e := newEnv(t)
	e.create(`{"name":"Slack","flow":[{"id":1,"module":"slack:CreateMessage","version":1,"parameters":{},"mapper":{"channel":"C1","text":"hi"}}],"metadata":{"version":1,"scenario":{}}}`)
	for _, path := range []string{"/scenarios/1/activate", "/scenarios/1/run"} {
		r := e.do("POST", path, nil)
		code, msg, _ := r.err(t)
		if r.status != 409 || code != "conflict" || !strings.Contains(msg, "__IMTCONN__") {
			t.Fatalf("%s: %s", path, r)
		}
	}
}
