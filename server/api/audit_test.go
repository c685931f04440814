package api_test

import (
	"fmt"
	"testing"
)

// TestAuditLog: the API records its successful changes with the token that made them;
// reads and refused changes are not recorded; admins page through the log.
func TestAuditLog(t *testing.T) {
	e := newEnv(t)
	sc := e.create(greeting) // POST /scenarios as the admin token
	e.must(200, e.do("POST", "/scenarios/"+id(sc)+"/activate", nil))
	e.must(200, e.do("GET", "/scenarios/"+id(sc), nil))
	if r := e.do("POST", "/scenarios/999/activate", nil); r.status != 404 {
		t.Fatalf("activate an unknown scenario: %s", r)
	}
	reader := e.token("scenarios:read")
	if r := e.doAs(reader, "GET", "/audit", nil); r.status != 403 {
		t.Fatalf("a non-admin reads the audit log: %s", r)
	}
	page := e.must(200, e.do("GET", "/audit?limit=1", nil))
	items := page["items"].([]any)
	if len(items) != 1 || page["nextCursor"] == nil {
		t.Fatalf("first page: %v", page)
	}
	first := items[0].(map[string]any)
	want := map[string]any{"actor": "token t-admin", "action": "api POST scenarios/{id}/activate", "target": "scenarios/" + id(sc) + "/activate"}
	for k, v := range want {
		if first[k] != v {
			t.Errorf("newest entry %s = %v, want %v", k, first[k], v)
		}
	}
	rest := e.must(200, e.do("GET", "/audit?cursor="+fmt.Sprint(page["nextCursor"]), nil))
	older := rest["items"].([]any)
	if len(older) != 1 || older[0].(map[string]any)["action"] != "api POST scenarios" || rest["nextCursor"] != nil {
		t.Fatalf("second page: %v", rest)
	}
}
