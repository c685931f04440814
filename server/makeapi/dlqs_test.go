package makeapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/weftworks/weft"
)

func TestIncompleteExecutions(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	sc := e.createScenario(greeting)
	ids := e.failGreeting(idOf(sc), 3)

	if r := e.do("GET", "/dlqs", nil); r.status != 400 {
		t.Fatalf("without scenarioId: %s", r)
	}
	list := e.ok("GET", "/dlqs?scenarioId=1", nil)["dlqs"].([]any)
	if len(list) != 3 {
		t.Fatalf("list %v", list)
	}
	first := list[0].(map[string]any)
	if first["id"] != ids[0] || first["index"] != 1.0 || first["resolved"] != false || first["retry"] != false ||
		first["attempts"] != 0.0 || first["scenarioName"] != "Greeting" || first["size"].(float64) <= 0 ||
		!strings.HasPrefix(first["reason"].(string), "DataError: ") || first["created"] != "2026-05-01T12:00:00.000Z" {
		t.Fatalf("first %v", first)
	}
	if sc := e.ok("GET", "/scenarios/1?cols[]=dlqCount", nil)["scenario"]; fmt.Sprint(sc) != "map[dlqCount:3]" {
		t.Fatalf("dlqCount %v", sc)
	}
	got := e.ok("GET", "/dlqs/"+ids[1], nil)["dlq"].(map[string]any)
	if got["index"] != 2.0 || got["executionId"] == "" || got["companyId"] != 1.0 {
		t.Fatalf("get %v", got)
	}
	if r := e.do("GET", "/dlqs/nope", nil); r.status != 404 {
		t.Fatalf("unknown: %s", r)
	}

	// The bundle: the outputs upstream of the failing module, by module id.
	b := e.ok("GET", "/dlqs/"+ids[0]+"/bundle", nil)
	if b["code"] != "OK" || fmt.Sprint(b["response"]) != "map[1:map[raw:{broken 0]]" {
		t.Fatalf("bundle %v", b)
	}
	bp := e.ok("GET", "/dlqs/"+ids[0]+"/blueprint", nil)["response"].(map[string]any)["blueprint"].(map[string]any)
	if bp["name"] != "Greeting" {
		t.Fatalf("blueprint %v", bp)
	}

	// Fix the first one's blueprint (as the SDK sends it: a string) and retry it.
	fixed := strings.Replace(greeting, `"json":"{{1.raw}}"`, `"json":"{\"name\":\"fixed\"}"`, 1)
	up := e.ok("PATCH", "/dlqs/"+ids[0], map[string]any{"blueprint": fixed, "failer": 2})["dlq"].(map[string]any)
	if up["failer"] != 2.0 || !strings.Contains(fmt.Sprint(up["blueprint"]), "fixed") {
		t.Fatalf("update %v", up)
	}
	if r := e.do("PATCH", "/dlqs/"+ids[0], map[string]any{"failer": 3}); r.status != 400 {
		t.Fatalf("another failer: %s", r)
	}
	retried := e.ok("POST", "/dlqs/"+ids[0]+"/retry", nil)["dlq"].(map[string]any)
	if retried["resolved"] != true || retried["attempts"] != 1.0 {
		t.Fatalf("retried %v", retried)
	}
	if ie, _ := e.st.GetIncomplete(ctx, ids[0]); ie.Status != weft.IncompleteResolved {
		t.Fatalf("stored %s", ie.Status)
	}
	if r := e.do("POST", "/dlqs/"+ids[0]+"/retry", nil); r.status != 400 {
		t.Fatalf("retry of a resolved one: %s", r)
	}
	// Its executions: the attempt, then the run that stored it.
	logs := e.ok("GET", "/dlqs/"+ids[0]+"/logs", nil)["dlqLogs"].([]any)
	if len(logs) != 2 || logs[0].(map[string]any)["type"] != "retry" || logs[0].(map[string]any)["status"] != 1.0 ||
		logs[1].(map[string]any)["id"] != first["executionId"] {
		t.Fatalf("dlq logs %v", logs)
	}
	one := e.ok("GET", "/dlqs/"+ids[0]+"/logs/"+first["executionId"].(string), nil)["dlqLog"].(map[string]any)
	if one["status"] != 2.0 {
		t.Fatalf("dlq log %v", one)
	}

	// Retry many: all but one; the worker runs them.
	r := e.ok("POST", "/dlqs/retry?scenarioId=1", map[string]any{"all": true, "exceptIds": []string{ids[2]}})
	if fmt.Sprint(r["dlqs"]) != fmt.Sprintf("[%s]", ids[1]) {
		t.Fatalf("retry many %v", r)
	}
	if ie, _ := e.st.GetIncomplete(ctx, ids[1]); ie.Status != weft.IncompletePending || !ie.ManualRetry {
		t.Fatalf("scheduled %+v", ie)
	}
	if ie, _ := e.st.GetIncomplete(ctx, ids[2]); ie.Status != weft.IncompleteUnresolved {
		t.Fatalf("excepted one %s", ie.Status)
	}
	if n, err := e.svc.RunDue(ctx); err != nil || n != 1 {
		t.Fatalf("worker ran %d: %v", n, err)
	}
	if ie, _ := e.st.GetIncomplete(ctx, ids[1]); ie.Attempts != 1 {
		t.Fatalf("attempts %d", ie.Attempts)
	}

	// Delete: all needs confirmed=true (Make's IM004, 406); ids do not.
	r2 := e.do("DELETE", "/dlqs?scenarioId=1", map[string]any{"all": true})
	if code, _, _ := r2.makeErr(t); r2.status != 406 || code != "IM004" {
		t.Fatalf("unconfirmed: %s", r2)
	}
	if del := e.ok("DELETE", "/dlqs?scenarioId=1", map[string]any{"ids": []string{ids[2]}}); fmt.Sprint(del["dlqs"]) != "["+ids[2]+"]" {
		t.Fatalf("delete %v", del)
	}
	if r := e.do("DELETE", "/dlqs?scenarioId=1", map[string]any{"ids": []string{ids[2]}}); r.status != 404 {
		t.Fatalf("deleted twice: %s", r)
	}
	del := e.ok("DELETE", "/dlqs?scenarioId=1&confirmed=true", map[string]any{"all": true})
	if len(del["dlqs"].([]any)) != 2 {
		t.Fatalf("delete all %v", del)
	}
	if left := e.ok("GET", "/dlqs?scenarioId=1", nil)["dlqs"].([]any); len(left) != 0 {
		t.Fatalf("left %v", left)
	}
}

// An incomplete execution being retried right now is kept by a bulk delete, which
// deletes the others and says which it kept (Make's behaviour).
func TestDeleteKeepsOneInProgress(t *testing.T) {
	e := newEnv(t)
	sc := e.createScenario(greeting)
	ids := e.failGreeting(idOf(sc), 2)
	ie, err := e.st.GetIncomplete(t.Context(), ids[0])
	if err != nil {
		t.Fatal(err)
	}
	ie.Status = weft.IncompleteInProgress
	if err := e.st.UpdateIncomplete(t.Context(), ie); err != nil {
		t.Fatal(err)
	}
	r := e.do("DELETE", "/dlqs?scenarioId=1&confirmed=true", map[string]any{"all": true})
	if _, _, detail := r.makeErr(t); r.status != 400 || !strings.Contains(detail, ids[0]) || !strings.Contains(detail, "other 1 were deleted") {
		t.Fatalf("delete: %s", r)
	}
	if _, err := e.st.GetIncomplete(t.Context(), ids[1]); err == nil {
		t.Fatal("the other one is still there")
	}
	if _, err := e.st.GetIncomplete(t.Context(), ids[0]); err != nil {
		t.Fatalf("the one in progress is gone: %v", err)
	}
}
