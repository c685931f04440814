package makeapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func TestScenarioLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	// Created as the SDK sends it: blueprint and scheduling as JSON strings, the
	// interface in metadata.
	out := e.ok("POST", "/scenarios?cols[]=id&cols[]=name&cols[]=scheduling&cols[]=isActive&cols[]=usedPackages", map[string]any{
		"teamId": 215, "blueprint": counter, "scheduling": `{"type":"indefinitely","interval":900}`,
		"metadata": map[string]any{"input_spec": []any{map[string]any{"name": "who", "type": "text"}}, "output_spec": []any{}}})
	sc := out["scenario"].(map[string]any)
	if len(sc) != 5 || sc["name"] != "Counter" || sc["isActive"] != false ||
		fmt.Sprint(sc["scheduling"]) != "map[interval:900 type:indefinitely]" || fmt.Sprint(sc["usedPackages"]) != "[datastore util]" {
		t.Fatalf("created %v", sc)
	}
	id := idOf(sc)
	stored, err := e.st.GetScenario(ctx, 1)
	if err != nil || stored.Schedule != (weft.Schedule{Type: "interval", Interval: 15}) || stored.Source != "make-api" {
		t.Fatalf("stored %+v %v", stored, err)
	}
	// The interface went into the blueprint, every other byte kept.
	raw, err := e.svc.ExportScenario(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"interface":{"input":[{"name":"who","type":"text"}],"output":[]}`) ||
		!strings.Contains(string(raw), `"parameters":{"datastore":27969}`) {
		t.Fatalf("stored blueprint %s", raw)
	}
	if got := e.ok("GET", "/scenarios/"+id+"/interface", nil); fmt.Sprint(got) != "map[interface:map[input:[map[name:who type:text]] output:[]]]" {
		t.Fatalf("interface %v", got)
	}

	full := e.ok("GET", "/scenarios/"+id, nil)["scenario"].(map[string]any)
	if full["teamId"] != 1.0 || full["description"] != "counts names" || full["hookId"] != nil || full["dlqCount"] != 0.0 ||
		full["scenarioVersion"] != 1.0 || full["created"] != "2026-05-01T12:00:00.000Z" {
		t.Fatalf("get %v", full)
	}

	// PATCH: a new name and description and a daily schedule.
	e.clock.Add(time.Minute)
	got := e.ok("PATCH", "/scenarios/"+id, map[string]any{"name": "Counter 2", "description": "d",
		"scheduling": map[string]any{"type": "weekly", "days": []int{1, 3}, "time": "08:30"}})["scenario"].(map[string]any)
	if got["name"] != "Counter 2" || got["description"] != "d" || got["scenarioVersion"] != 2.0 ||
		fmt.Sprint(got["scheduling"]) != "map[days:[1 3] time:08:30 type:weekly]" {
		t.Fatalf("patched %v", got)
	}
	if stored, _ = e.st.GetScenario(ctx, 1); stored.Schedule.Cron != "30 8 * * 1,3" || stored.Name != "Counter 2" {
		t.Fatalf("stored %+v", stored)
	}
	// Blueprint and versions.
	bp := e.ok("GET", "/scenarios/"+id+"/blueprint", nil)
	resp := bp["response"].(map[string]any)
	if bp["code"] != "OK" || resp["blueprint"].(map[string]any)["name"] != "Counter 2" || resp["idSequence"] != 3.0 ||
		fmt.Sprint(resp["metadata"]) != "map[input_spec:[map[name:who type:text]] output_spec:[]]" {
		t.Fatalf("blueprint %v", bp)
	}
	if old := e.ok("GET", "/scenarios/"+id+"/blueprint?blueprintId=1", nil)["response"].(map[string]any)["blueprint"].(map[string]any); old["name"] != "Counter" {
		t.Fatalf("version 1 %v", old)
	}
	vs := e.ok("GET", "/scenarios/"+id+"/blueprints", nil)["scenariosBlueprints"].([]any)
	if len(vs) != 2 || vs[0].(map[string]any)["version"] != 2.0 {
		t.Fatalf("versions %v", vs)
	}

	// A run of an inactive scenario is refused, as Make does; once started it runs.
	r := e.do("POST", "/scenarios/"+id+"/run", map[string]any{"responsive": true})
	if _, _, detail := r.makeErr(t); r.status != 400 || !strings.Contains(detail, "not activated") {
		t.Fatalf("inactive run: %s", r)
	}
	if got := e.ok("POST", "/scenarios/"+id+"/start", nil); fmt.Sprint(got) != "map[scenario:map[id:1 isActive:true islinked:true]]" {
		t.Fatalf("start %v", got)
	}
	run := e.ok("POST", "/scenarios/"+id+"/run", map[string]any{"data": map[string]any{}, "responsive": true})
	if run["status"] != 1.0 || len(run["executionId"].(string)) != 32 {
		t.Fatalf("run %v", run)
	}
	if rec, err := e.st.GetRecord(ctx, "27969", "x"); err != nil || fmt.Sprint(rec) != "map[n:1]" {
		t.Fatalf("the run's record: %v %v", rec, err)
	}
	notResponsive := e.ok("POST", "/scenarios/"+id+"/run", nil)
	if len(notResponsive) != 1 || notResponsive["executionId"] == run["executionId"] {
		t.Fatalf("run without responsive %v", notResponsive)
	}
	// Its logs, newest first, and one of them.
	logs := e.ok("GET", "/scenarios/"+id+"/logs", nil)["scenarioLogs"].([]any)
	if len(logs) != 2 || logs[1].(map[string]any)["id"] != run["executionId"] {
		t.Fatalf("logs %v", logs)
	}
	l := e.ok("GET", "/scenarios/"+id+"/logs/"+run["executionId"].(string), nil)["scenarioLog"].(map[string]any)
	if l["status"] != 1.0 || l["operations"] != 2.0 || l["type"] != "auto" || l["instant"] != false ||
		!strings.HasSuffix(l["imtId"].(string), "_scenario.1.auto."+run["executionId"].(string)) {
		t.Fatalf("log %v", l)
	}
	if d := e.ok("GET", "/scenarios/"+id+"/executions/"+run["executionId"].(string), nil); fmt.Sprint(d) != "map[status:SUCCESS]" {
		t.Fatalf("detail %v", d)
	}
	// pg[last] continues after an execution.
	if rest := e.ok("GET", "/scenarios/"+id+"/logs?pg[last]="+notResponsive["executionId"].(string), nil)["scenarioLogs"].([]any); len(rest) != 1 ||
		rest[0].(map[string]any)["id"] != run["executionId"] {
		t.Fatalf("after %v", rest)
	}
	if got := e.ok("POST", "/scenarios/"+id+"/stop", nil); fmt.Sprint(got) != "map[scenario:map[id:1 isActive:false islinked:false]]" {
		t.Fatalf("stop %v", got)
	}

	// Listing: Make wants teamId or organizationId (any id is weft's).
	if r := e.do("GET", "/scenarios", nil); r.status != 400 {
		t.Fatalf("list without a team: %s", r)
	}
	e.createScenario(strings.Replace(counter, `"Counter"`, `"Another"`, 1))
	list := e.ok("GET", "/scenarios?organizationId=3&pg[sortBy]=name&pg[sortDir]=desc&pg[limit]=1&cols[]=name", nil)
	if fmt.Sprint(list["scenarios"]) != "[map[name:Counter 2]]" || fmt.Sprint(list["pg"]) != "map[limit:1 offset:0 sortBy:name sortDir:desc]" {
		t.Fatalf("list %v", list)
	}
	if r := e.do("GET", "/scenarios?teamId=1&cols[]=colour", nil); r.status != 400 {
		t.Fatalf("unknown column: %s", r)
	}

	// Delete.
	if got := e.ok("DELETE", "/scenarios/"+id, nil); got["scenario"] != 1.0 {
		t.Fatalf("delete %v", got)
	}
	if _, err := e.st.GetScenario(ctx, 1); err == nil {
		t.Fatal("still stored")
	}
	if r := e.do("GET", "/scenarios/"+id, nil); r.status != 404 {
		t.Fatalf("deleted: %s", r)
	}
}

// Bad input is refused naming what is wrong, and nothing is stored.
func TestScenarioInputErrors(t *testing.T) {
	e := newEnv(t)
	for name, c := range map[string]struct {
		body any
		want string
	}{
		"no team":         {map[string]any{"blueprint": counter}, "teamId"},
		"no blueprint":    {map[string]any{"teamId": 1}, "blueprint"},
		"not JSON":        {map[string]any{"teamId": 1, "blueprint": "{nope"}, "blueprint"},
		"unknown field":   {map[string]any{"teamId": 1, "blueprint": counter, "nmae": "x"}, "nmae"},
		"template":        {map[string]any{"teamId": 1, "blueprint": counter, "basedon": "t"}, "basedon"},
		"between":         {map[string]any{"teamId": 1, "blueprint": counter, "scheduling": `{"type":"daily","time":"08:00","between":["a","b"]}`}, "between"},
		"seconds":         {map[string]any{"teamId": 1, "blueprint": counter, "scheduling": `{"type":"indefinitely","interval":90}`}, "interval"},
		"past once":       {map[string]any{"teamId": 1, "blueprint": counter, "scheduling": `{"type":"once","date":"2020-01-01T00:00:00Z"}`}, "date"},
		"bad blueprint":   {map[string]any{"teamId": 1, "blueprint": `{"name":"x","flow":[{"id":1,"module":"json:ParseJSON","version":1,"mapper":{"json":"{{"}}]}`}, "Invalid blueprint"},
		"bad time of day": {map[string]any{"teamId": 1, "blueprint": counter, "scheduling": `{"type":"daily","time":"25:00"}`}, "time"},
	} {
		r := e.do("POST", "/scenarios", c.body)
		code, msg, detail := r.makeErr(t)
		if r.status != 400 || code != "SC400" || !strings.Contains(msg+detail, c.want) {
			t.Errorf("%s: %s", name, r)
		}
	}
	if scs, _ := e.st.ListScenarios(t.Context()); len(scs) != 0 {
		t.Fatalf("stored %d scenarios", len(scs))
	}
	r := e.do("POST", "/scenarios", map[string]any{"teamId": 1, "blueprint": `{"name":"x","flow":[{"id":1,"module":"json:ParseJSON","version":1,"mapper":{"json":"{{"}}]}`})
	var m map[string]any
	_ = json.Unmarshal(r.body, &m)
	if subs, _ := m["suberrors"].([]any); len(subs) == 0 {
		t.Fatalf("no suberrors: %s", r)
	}
}

// A scenario with incomplete executions is not deleted unasked: Make has no such
// refusal, so confirmed=true (its word for "I mean it") deletes it.
func TestDeleteScenarioWithIncompleteExecutions(t *testing.T) {
	e := newEnv(t)
	sc := e.createScenario(greeting)
	e.failGreeting(idOf(sc), 1)
	r := e.do("DELETE", "/scenarios/1", nil)
	if _, _, detail := r.makeErr(t); r.status != 400 || !strings.Contains(detail, "confirmed=true") {
		t.Fatalf("delete: %s", r)
	}
	if n, _ := e.st.CountIncomplete(t.Context(), store.IncompleteFilter{ScenarioID: 1}); n != 1 {
		t.Fatalf("%d incomplete executions left", n)
	}
	e.ok("DELETE", "/scenarios/1?confirmed=true", nil)
	if _, err := e.st.GetScenario(t.Context(), 1); err == nil {
		t.Fatal("still there")
	}
}

// A scenario that returns outputs (scenario-service:ReturnData) hands them back on a
// responsive run, and its interface is read from its modules.
func TestRunOutputsAndModuleInterface(t *testing.T) {
	e := newEnv(t)
	bp := `{"name":"Double","flow":[
	 {"id":1,"module":"scenario-service:StartSubscenario","version":1,"parameters":{},"mapper":{},"metadata":{"interface":[{"name":"n","type":"number","required":true}]}},
	 {"id":2,"module":"scenario-service:ReturnData","version":1,"parameters":{},"mapper":{"twice":"{{1.n * 2}}"},"metadata":{"expect":[{"name":"twice","type":"number"}]}}],
	 "metadata":{"version":1,"scenario":{}}}`
	sc := e.createScenario(bp)
	if got := e.ok("GET", "/scenarios/"+idOf(sc)+"/interface", nil); fmt.Sprint(got) !=
		"map[interface:map[input:[map[name:n required:true type:number]] output:[map[name:twice type:number]]]]" {
		t.Fatalf("interface %v", got)
	}
	e.ok("POST", "/scenarios/"+idOf(sc)+"/start", nil)
	run := e.ok("POST", "/scenarios/"+idOf(sc)+"/run", map[string]any{"data": map[string]any{"n": 21}, "responsive": true})
	if run["status"] != 1.0 || fmt.Sprint(run["outputs"]) != "map[twice:42]" {
		t.Fatalf("run %v", run)
	}
	// PATCH interface: a new version with the declaration in metadata.interface.
	got := e.ok("PATCH", "/scenarios/"+idOf(sc)+"/interface", map[string]any{"interface": map[string]any{
		"input": []any{map[string]any{"name": "n", "type": "number"}}, "output": []any{}}})
	if fmt.Sprint(got) != "map[interface:map[input:[map[name:n type:number]] output:[]]]" {
		t.Fatalf("set interface %v", got)
	}
	if s, _ := e.st.GetScenario(t.Context(), 1); s.Version != 2 {
		t.Fatalf("version %d", s.Version)
	}
}
