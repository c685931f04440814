package api_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
)

func TestExecutions(t *testing.T) {
	e := newEnv(t)
	e.create(greeting)
	e.must(200, e.do("POST", "/scenarios/1/run", `{"raw":"{\"name\":\"Ada\"}"}`)) // id0001
	ie := e.failGreeting("1", 1)[0]                                               // run id0002, IE id0003
	e.must(200, e.do("POST", "/incomplete-executions/"+ie+"/retry", nil))         // attempt id0004 (fails again)

	all := e.must(200, e.do("GET", "/executions", nil))
	var ids []string
	for _, it := range all["items"].([]any) {
		ids = append(ids, it.(map[string]any)["id"].(string))
	}
	if strings.Join(ids, ",") != "id0004,id0002,id0001" || all["nextCursor"] != nil {
		t.Fatalf("executions %v", all)
	}
	for q, want := range map[string]string{
		"kind=retry": "id0004", "kind=run": "id0002,id0001", "status=success": "id0001",
		"status=warning&kind=run": "id0002", "scenario=1&status=error": "", "scenario=2": "",
	} {
		p := e.must(200, e.do("GET", "/executions?"+q, nil))
		var got []string
		for _, it := range p["items"].([]any) {
			got = append(got, it.(map[string]any)["id"].(string))
		}
		if strings.Join(got, ",") != want {
			t.Errorf("%s: %v, want %s", q, got, want)
		}
	}
	// Pages of one, with and without the kind filter.
	for q, want := range map[string]string{"": "id0004,id0002,id0001", "&kind=run": "id0002,id0001"} {
		var got []string
		path := "/executions?limit=1" + q
		for range 5 {
			p := e.must(200, e.do("GET", path, nil))
			for _, it := range p["items"].([]any) {
				got = append(got, it.(map[string]any)["id"].(string))
			}
			if p["nextCursor"] == nil {
				break
			}
			path = "/executions?limit=1" + q + "&cursor=" + p["nextCursor"].(string)
		}
		if strings.Join(got, ",") != want {
			t.Errorf("pages %q: %v", q, got)
		}
	}
	for _, q := range []string{"kind=manual", "status=ok", "scenario=x", "limit=-1"} {
		r := e.do("GET", "/executions?"+q, nil)
		if code, _, d := r.err(t); r.status != 400 || code != "invalid_input" || d["field"] != strings.Split(q, "=")[0] {
			t.Errorf("%s: %s", q, r)
		}
	}

	ex := e.must(200, e.do("GET", "/executions/id0002", nil))
	want := `map[calledBy:<nil> error:map[message:json: invalid JSON at line 1, column 2 (offset 1): invalid character 'b' looking for beginning of object key string moduleId:2 type:DataError] finishedAt:2026-05-01T12:00:00Z id:id0002 incompleteExecutions:[id0003] incompleteId:<nil> kind:run operations:2 response:<nil> scenarioId:1 startedAt:2026-05-01T12:00:00Z status:warning trigger:manual version:1]`
	if fmt.Sprint(ex) != want {
		t.Fatalf("execution\n%v\nwant\n%v", ex, want)
	}
	ok := e.must(200, e.do("GET", "/executions/id0001", nil))
	if fmt.Sprint(ok["response"]) != "map[body:Hello, Ada! headers:map[] status:200]" || ok["error"] != nil {
		t.Fatalf("execution with a response %v", ok)
	}
	retry := e.must(200, e.do("GET", "/executions/id0004", nil))
	if retry["kind"] != "retry" || retry["incompleteId"] != ie {
		t.Fatalf("attempt %v", retry)
	}
	log := e.must(200, e.do("GET", "/executions/id0001/log", nil))
	entries := log["log"].([]any)
	if log["executionId"] != "id0001" || len(entries) != 4 {
		t.Fatalf("log %v", log)
	}
	var modules []string
	for _, en := range entries {
		modules = append(modules, en.(map[string]any)["module"].(string))
	}
	if strings.Join(modules, ",") != "gateway:CustomWebHook,json:ParseJSON,util:ComposeTransformer,gateway:WebhookRespond" {
		t.Fatalf("log modules %v", modules)
	}
	for _, p := range []string{"/executions/nope", "/executions/nope/log"} {
		if r := e.do("GET", p, nil); r.status != 404 {
			t.Errorf("%s: %s", p, r)
		}
	}
}

// ieFields are the 16 fields of docs/incomplete-executions.md.
var ieFields = []string{"attempts", "autoRetry", "breakerKey", "createdAt", "errorDetails", "errorMessage", "errorType", "executionId", "failedModuleId",
	"id", "nextAttemptAt", "outcomeUnknown", "resolvedAt", "scenarioId", "sizeBytes", "status"}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestIncompleteListAndGet(t *testing.T) {
	e := newEnv(t)
	e.create(greeting)
	ies := e.failGreeting("1", 3)
	p := e.must(200, e.do("GET", "/incomplete-executions", nil))
	items := p["items"].([]any)
	if len(items) != 3 || p["nextCursor"] != nil {
		t.Fatalf("list %v", p)
	}
	first := items[0].(map[string]any)
	if !slices.Equal(keys(first), ieFields) {
		t.Fatalf("fields %v", keys(first))
	}
	if first["id"] != ies[0] || first["scenarioId"] != 1.0 || first["executionId"] != "id0001" || first["failedModuleId"] != 2.0 ||
		first["errorType"] != "DataError" || first["status"] != "unresolved" || first["autoRetry"] != false ||
		first["attempts"] != 0.0 || first["nextAttemptAt"] != nil || first["resolvedAt"] != nil ||
		first["createdAt"] != "2026-05-01T12:00:00Z" || first["sizeBytes"].(float64) < 100 {
		t.Fatalf("incomplete execution %v", first)
	}
	got := e.must(200, e.do("GET", "/incomplete-executions/"+ies[0], nil))
	if fmt.Sprint(got) != fmt.Sprint(first) {
		t.Fatalf("get %v\nlist %v", got, first)
	}
	var seen []string
	path := "/incomplete-executions?limit=2"
	for range 4 {
		p := e.must(200, e.do("GET", path, nil))
		for _, it := range p["items"].([]any) {
			seen = append(seen, it.(map[string]any)["id"].(string))
		}
		if p["nextCursor"] == nil {
			break
		}
		path = "/incomplete-executions?limit=2&cursor=" + p["nextCursor"].(string)
	}
	if !slices.Equal(seen, ies) {
		t.Fatalf("pages %v, want %v", seen, ies)
	}
	for q, n := range map[string]int{"scenario=1": 3, "scenario=2": 0, "status=unresolved,pending": 3, "status=resolved": 0,
		"status=pending&status=unresolved": 3, "errorType=DataError": 3, "errorType=ConnectionError": 0, "module=2": 3, "module=3": 0} {
		if got := e.must(200, e.do("GET", "/incomplete-executions?"+q, nil))["items"].([]any); len(got) != n {
			t.Errorf("%s: %d items, want %d", q, len(got), n)
		}
	}
	for _, q := range []string{"status=broken", "errorType=Oops", "module=x", "scenario=-1", "cursor=bm9wZQ"} {
		r := e.do("GET", "/incomplete-executions?"+q, nil)
		if code, _, d := r.err(t); r.status != 400 || code != "invalid_input" || d["field"] != strings.Split(q, "=")[0] {
			t.Errorf("%s: %s", q, r)
		}
	}
	if r := e.do("GET", "/incomplete-executions/nope", nil); r.status != 404 {
		t.Fatalf("missing: %s", r)
	}
}

func TestIncompleteBundleBlueprintAttempts(t *testing.T) {
	e := newEnv(t)
	e.create(greeting)
	ie := e.failGreeting("1", 1)[0]
	b := e.must(200, e.do("GET", "/incomplete-executions/"+ie+"/bundle", nil))
	if fmt.Sprint(b) != "map[confidential:false input:map[json:{broken 0] outputs:map[1:map[raw:{broken 0]]]" {
		t.Fatalf("bundle %v", b)
	}
	bp := e.do("GET", "/incomplete-executions/"+ie+"/blueprint", nil)
	if bp.status != 200 || string(bp.body) != greeting {
		t.Fatalf("blueprint %s", bp)
	}
	if a := e.must(200, e.do("GET", "/incomplete-executions/"+ie+"/attempts", nil)); fmt.Sprint(a) != "map[items:[] nextCursor:<nil>]" {
		t.Fatalf("attempts %v", a)
	}
	// Fix the mapping and retry: the attempt resolves it.
	fixed := strings.Replace(greeting, `"{{1.raw}}"`, `"{\"name\": \"Ada\"}"`, 1)
	edited := e.must(200, e.do("PUT", "/incomplete-executions/"+ie+"/blueprint", fixed))
	if edited["status"] != "unresolved" || edited["id"] != ie {
		t.Fatalf("edited %v", edited)
	}
	if got := e.do("GET", "/incomplete-executions/"+ie+"/blueprint", nil); !strings.Contains(string(got.body), `"json": "{\"name\": \"Ada\"}"`) {
		t.Fatalf("stored blueprint %s", got.body)
	}
	res := e.must(200, e.do("POST", "/incomplete-executions/"+ie+"/retry", nil))
	run, after := res["run"].(map[string]any), res["incompleteExecution"].(map[string]any)
	if run["status"] != "success" || run["response"].(map[string]any)["body"] != "Hello, Ada!" ||
		after["status"] != "resolved" || after["attempts"] != 1.0 || after["resolvedAt"] != "2026-05-01T12:00:00Z" {
		t.Fatalf("retry %v", res)
	}
	atts := e.must(200, e.do("GET", "/incomplete-executions/"+ie+"/attempts", nil))["items"].([]any)
	if len(atts) != 1 || fmt.Sprint(atts[0]) != fmt.Sprintf("map[errorMessage:<nil> errorType:<nil> executionId:%s finishedAt:2026-05-01T12:00:00Z manual:true n:1 outcome:resolved startedAt:2026-05-01T12:00:00Z]", run["executionId"]) {
		t.Fatalf("attempts %v", atts)
	}
	// A resolved one is neither retried nor edited again.
	r := e.do("POST", "/incomplete-executions/"+ie+"/retry", nil)
	if code, msg, _ := r.err(t); r.status != 409 || code != "conflict" || !strings.Contains(msg, "already resolved") {
		t.Fatalf("retry of a resolved one: %s", r)
	}
	if r := e.do("PUT", "/incomplete-executions/"+ie+"/blueprint", fixed); r.status != 409 {
		t.Fatalf("edit of a resolved one: %s", r)
	}
	for _, p := range []string{"/bundle", "/blueprint", "/attempts"} {
		if r := e.do("GET", "/incomplete-executions/nope"+p, nil); r.status != 404 {
			t.Errorf("%s of a missing one: %s", p, r)
		}
	}
	if r := e.do("POST", "/incomplete-executions/nope/retry", nil); r.status != 404 {
		t.Fatalf("retry of a missing one: %s", r)
	}
}

func TestIncompleteBlueprintRefusals(t *testing.T) {
	e := newEnv(t)
	e.create(greeting)
	ie := e.failGreeting("1", 1)[0]
	withoutModule2 := `{"name":"x","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}}],"metadata":{"version":1,"scenario":{}}}`
	for _, tc := range []struct {
		body   string
		status int
		msg    string
	}{
		{`{`, 400, "body: is not valid JSON"},
		{withoutModule2, 422, "has no module 2"},
		{strings.Replace(greeting, "{{2.name}}!", "{{2.name!", 1), 422, "not valid"},
		{strings.Replace(greeting, "json:ParseJSON", "slack:Nope", 1), 422, "slack:Nope"},
	} {
		r := e.do("PUT", "/incomplete-executions/"+ie+"/blueprint", tc.body)
		if _, msg, _ := r.err(t); r.status != tc.status || !strings.Contains(msg, tc.msg) {
			t.Errorf("%s: %s", tc.body, r)
		}
	}
	if got := e.do("GET", "/incomplete-executions/"+ie+"/blueprint", nil); string(got.body) != greeting {
		t.Fatal("a refused blueprint was stored")
	}
}

func TestConfidentialBundleHidden(t *testing.T) {
	e := newEnv(t)
	e.create(strings.Replace(greeting, `"dlq": true`, `"dlq": true, "confidential": true`, 1))
	ie := e.failGreeting("1", 1)[0]
	b := e.must(200, e.do("GET", "/incomplete-executions/"+ie+"/bundle", nil))
	if fmt.Sprint(b) != "map[confidential:true input:<nil> outputs:<nil>]" {
		t.Fatalf("confidential bundle %v", b)
	}
}

func TestIncompleteDeleteAndBulk(t *testing.T) {
	e := newEnv(t)
	e.create(greeting)
	ies := e.failGreeting("1", 5)
	if r := e.do("DELETE", "/incomplete-executions/"+ies[0], nil); r.status != 204 {
		t.Fatalf("delete one: %s", r)
	}
	if r := e.do("DELETE", "/incomplete-executions/"+ies[0], nil); r.status != 404 {
		t.Fatalf("delete again: %s", r)
	}
	// Bulk retry queues them for the worker (pending, due now) and answers a job that
	// follows them to their outcome.
	r := e.do("POST", "/incomplete-executions/retry", map[string]any{"ids": []string{ies[1]}})
	got := e.must(202, r)
	if got["kind"] != "retry" || got["status"] != "running" || got["total"] != 1.0 || got["done"] != 0.0 ||
		r.header.Get("Location") != "/api/v1/jobs/"+got["id"].(string) {
		t.Fatalf("retry by ids %v %v", got, r.header)
	}
	if st := e.must(200, e.do("GET", "/incomplete-executions/"+ies[1], nil)); st["status"] != "pending" || st["nextAttemptAt"] != "2026-05-01T12:00:00Z" {
		t.Fatalf("queued one %v", st)
	}
	if n, err := e.svc.RunDue(t.Context()); err != nil || n != 1 { // the worker
		t.Fatalf("RunDue = %d, %v", n, err)
	}
	done := e.job(got)
	if done["status"] != "done" || done["done"] != 1.0 || fmt.Sprint(done["counts"]) != "map[deleted:0 failed:1 resolved:0 retrying:0 skipped:0]" ||
		done["finishedAt"] != "2026-05-01T12:00:00Z" {
		t.Fatalf("the job after the retry %v", done)
	}
	got = e.must(202, e.do("POST", "/incomplete-executions/retry", map[string]any{"scenarioId": 1, "all": true, "except": []string{ies[2]}}))
	if got["total"] != 3.0 {
		t.Fatalf("retry all but one %v", got)
	}
	for range 3 {
		e.svc.RunDue(t.Context())
	}
	if done := e.job(got); fmt.Sprint(done["counts"]) != "map[deleted:0 failed:3 resolved:0 retrying:0 skipped:0]" {
		t.Fatalf("retry all but one: %v", done)
	}
	if r := e.do("GET", "/jobs/nope", nil); r.status != 404 {
		t.Fatalf("an unknown job: %s", r)
	}
	for _, tc := range []struct {
		path, body, field string
	}{
		{"retry", `{}`, "ids"},
		{"retry", `{"ids":["a"],"all":true,"scenarioId":1}`, "all"},
		{"retry", `{"all":true}`, "scenarioId"},
		{"retry", `{"ids":["a"],"except":["b"]}`, "except"},
		{"retry", `{"ids":[""]}`, "ids[0]"},
		{"retry", `{"ids":"a"}`, "ids"},
		{"retry", `{"ids":["a"],"confirmed":true}`, "confirmed"},
		{"retry", `{"ids":["a"],"scenarioId":1}`, "scenarioId"},
		{"delete", `{"scenarioId":1,"all":true}`, "confirmed"},
		{"delete", ``, "body"},
	} {
		r := e.do("POST", "/incomplete-executions/"+tc.path, tc.body)
		if code, _, d := r.err(t); r.status != 400 || code != "invalid_input" || d["field"] != tc.field {
			t.Errorf("%s %s: %s", tc.path, tc.body, r)
		}
	}
	if r := e.do("POST", "/incomplete-executions/retry", `{"scenarioId":9,"all":true}`); r.status != 404 {
		t.Fatalf("retry all of a missing scenario: %s", r)
	}
	// A mistyped id is named and nothing is done.
	if r := e.do("POST", "/incomplete-executions/delete", `{"ids":["`+ies[1]+`","nope"]}`); r.status != 404 || !strings.Contains(r.String(), "nope") {
		t.Fatalf("delete with an unknown id: %s", r)
	}
	if r := e.do("POST", "/incomplete-executions/retry", `{"ids":["`+ies[1]+`","nope"]}`); r.status != 404 || !strings.Contains(r.String(), "no incomplete execution nope") {
		t.Fatalf("retry with an unknown id: %s", r)
	}
	if got := e.job(e.must(202, e.do("POST", "/incomplete-executions/delete", `{"ids":["`+ies[1]+`"]}`))); fmt.Sprint(got["counts"]) != "map[deleted:1 skipped:0]" {
		t.Fatalf("delete by ids %v", got)
	}
	got = e.job(e.must(202, e.do("POST", "/incomplete-executions/delete", `{"scenarioId":1,"all":true,"except":["`+ies[2]+`"],"confirmed":true}`)))
	if got["kind"] != "delete" || got["total"] != 2.0 || fmt.Sprint(got["counts"]) != "map[deleted:2 skipped:0]" {
		t.Fatalf("delete all but one %v", got)
	}
	left := e.must(200, e.do("GET", "/incomplete-executions", nil))["items"].([]any)
	if len(left) != 1 || left[0].(map[string]any)["id"] != ies[2] {
		t.Fatalf("left %v", left)
	}
}

// A sub-scenario run names the execution and module that called it, and a parent's
// calls are listed by ?parent= (docs/subscenarios.md).
func TestExecutionsCalledBy(t *testing.T) {
	e := newEnv(t)
	child := e.create(`{"name":"child","flow":[{"id":1,"module":"scenario-service:StartSubscenario","version":2},
		{"id":2,"module":"scenario-service:ReturnData","version":2,"mapper":{"n":"{{1.n}}"}}],"metadata":{"version":1}}`)
	childID := int64(child["id"].(float64))
	if _, err := e.svc.SetActive(t.Context(), childID, true); err != nil {
		t.Fatal(err)
	}
	parent := e.create(fmt.Sprintf(`{"name":"parent","flow":[{"id":1,"module":"placeholder:Placeholder"},
		{"id":2,"module":"scenario-service:CallSubscenario","version":2,"parameters":{"scenario":"%d"},"mapper":{"n":1}}],
		"metadata":{"version":1}}`, childID))
	rr, err := e.svc.Run(t.Context(), int64(parent["id"].(float64)), []weft.Bundle{{}})
	if err != nil || rr.Result.Status != "success" {
		t.Fatalf("run: %v %+v", err, rr)
	}
	p := e.must(200, e.do("GET", "/executions?parent="+rr.Execution.ID, nil))
	items := p["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("calls of %s: %v", rr.Execution.ID, items)
	}
	got := items[0].(map[string]any)
	if fmt.Sprint(got["calledBy"]) != fmt.Sprintf("map[executionId:%s moduleId:2]", rr.Execution.ID) ||
		got["scenarioId"] != float64(childID) {
		t.Fatalf("called execution %v", got)
	}
	one := e.must(200, e.do("GET", "/executions/"+got["id"].(string), nil))
	if fmt.Sprint(one["calledBy"]) != fmt.Sprint(got["calledBy"]) {
		t.Fatalf("execution %v", one)
	}
}

// TestBulkRetryProgressOverAPI: a client polling GET /jobs/{id} sees the job move —
// done and the counts grow as attempts end, status running until the last one — and
// the final counts by outcome.
func TestBulkRetryProgressOverAPI(t *testing.T) {
	e := newEnv(t)
	// An unknown scenario is named once (not "scenario 1: scenario 1: not found").
	if r := e.do("POST", "/scenarios/1/run", `{}`); r.status != 404 || !strings.Contains(r.String(), `"message":"scenario 1: not found"`) {
		t.Fatalf("run of a missing scenario: %s", r)
	}
	e.create(greeting)
	e.failGreeting("1", 5)
	accepted := e.must(202, e.do("POST", "/incomplete-executions/retry", map[string]any{"scenarioId": 1, "all": true}))
	id := accepted["id"].(string)
	if accepted["total"] != 5.0 || accepted["done"] != 0.0 || accepted["status"] != "running" {
		t.Fatalf("accepted %v", accepted)
	}
	j := e.jobs.Get(id)
	// until waits for the job to have counted n (it reads the store every Poll).
	until := func(n int) {
		t.Helper()
		for {
			changed := j.Changed()
			if j.Snapshot().Done >= n {
				return
			}
			select {
			case <-changed:
			case <-time.After(30 * time.Second):
				t.Fatalf("the job did not reach %d: %+v", n, j.Snapshot())
			}
		}
	}
	// The worker takes at most three retries of a scenario at a time.
	if n, err := e.svc.RunDue(t.Context()); err != nil || n != 3 {
		t.Fatalf("RunDue = %d, %v", n, err)
	}
	until(3)
	mid := e.must(200, e.do("GET", "/jobs/"+id, nil))
	if mid["status"] != "running" || mid["done"] != 3.0 || mid["total"] != 5.0 || mid["finishedAt"] != nil ||
		fmt.Sprint(mid["counts"]) != "map[deleted:0 failed:3 resolved:0 retrying:0 skipped:0]" {
		t.Fatalf("midway %v", mid)
	}
	if n, err := e.svc.RunDue(t.Context()); err != nil || n != 2 {
		t.Fatalf("RunDue = %d, %v", n, err)
	}
	end := e.job(accepted)
	if end["status"] != "done" || end["done"] != 5.0 || fmt.Sprint(end["counts"]) != "map[deleted:0 failed:5 resolved:0 retrying:0 skipped:0]" ||
		end["error"] != nil || end["finishedAt"] == nil {
		t.Fatalf("the end %v", end)
	}
}
