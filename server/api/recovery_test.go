package api_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// orderStandIn reads a POSTed order and drops the connection without an answer (the
// write happened; the answer is lost) while drop is set, else answers 503; GET
// /orders/o1 finds the order.
func orderStandIn(t *testing.T, drop bool) (*httptest.Server, func() int) {
	var mu sync.Mutex
	posts := 0
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			if r.URL.Path != "/orders/o1" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id":"o1","state":"placed"}`)
			return
		}
		io.ReadAll(r.Body)
		mu.Lock()
		posts++
		mu.Unlock()
		if !drop {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(s.Close)
	return s, func() int { mu.Lock(); defer mu.Unlock(); return posts }
}

func orderBlueprint(base string) string {
	return `{"name":"Orders","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth","idempotencyKey":false},
		 "mapper":{"url":"` + base + `/orders","method":"post","contentType":"json","inputMethod":"jsonString",
		 "jsonStringBodyContent":"{\"id\":\"{{1.id}}\"}"}},
		{"id":3,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"{{1.id}} {{2.data.state}}"}}],
		"metadata":{"version":1,"scenario":{}}}`
}

func TestOutcomeUnknownCheckAndMarkDone(t *testing.T) {
	e := newEnv(t)
	s, posts := orderStandIn(t, true)
	sc := e.create(orderBlueprint(s.URL))
	run := e.must(200, e.do("POST", "/scenarios/"+id(sc)+"/run", `{"id":"o1"}`))
	ieID := run["incompleteExecutions"].([]any)[0].(string)
	ie := e.must(200, e.do("GET", "/incomplete-executions/"+ieID, nil))
	host := strings.TrimPrefix(s.URL, "http://")
	if ie["outcomeUnknown"] != true || ie["status"] != "unresolved" || ie["breakerKey"] != "host:"+host {
		t.Fatalf("incomplete execution %v", ie)
	}

	pv := e.must(200, e.do("POST", "/incomplete-executions/"+ieID+"/preview", `{"edits":["2.mapper.url=`+s.URL+`/v2/orders"]}`))
	mods := pv["modules"].([]any)
	if len(mods) != 3 || mods[1].(map[string]any)["repeats"] != true || mods[0].(map[string]any)["stored"] != true ||
		pv["changes"].([]any)[0].(map[string]any)["after"] != s.URL+"/v2/orders" {
		t.Fatalf("preview %v", pv)
	}
	if r := e.do("POST", "/incomplete-executions/"+ieID+"/preview", `{"edits":["1.mapper.x=1"]}`); r.status != 422 {
		t.Fatalf("preview of an edit before the failing module: %s", r)
	}
	if r := e.do("POST", "/incomplete-executions/"+ieID+"/preview", `{"edits":["nope"]}`); r.status != 400 {
		t.Fatalf("preview of a malformed edit: %s", r)
	}
	e.must(200, e.do("POST", "/incomplete-executions/"+ieID+"/preview", nil))

	// A retry from a module after the failing one is refused, naming why.
	if r := e.do("POST", "/incomplete-executions/"+ieID+"/retry", `{"from":3}`); r.status != 400 || !strings.Contains(r.String(), "straight stretch") {
		t.Fatalf("retry from a later module: %s", r)
	}

	if r := e.do("POST", "/incomplete-executions/"+ieID+"/check", `{}`); r.status != 400 {
		t.Fatalf("check without a url: %s", r)
	}
	chk := e.must(200, e.do("POST", "/incomplete-executions/"+ieID+"/check", `{"url":"/orders/o1"}`))
	if chk["done"] != true || chk["status"] != 200.0 || chk["output"].(map[string]any)["data"].(map[string]any)["state"] != "placed" {
		t.Fatalf("check %v", chk)
	}
	if r := e.do("POST", "/incomplete-executions/"+ieID+"/mark-done", `{"output":[1]}`); r.status != 400 {
		t.Fatalf("mark done with an array: %s", r)
	}
	done := e.must(200, e.do("POST", "/incomplete-executions/"+ieID+"/mark-done",
		`{"output":{"statusCode":201,"data":{"id":"o1","state":"placed"}}}`))
	after := done["incompleteExecution"].(map[string]any)
	if after["status"] != "resolved" || after["outcomeUnknown"] != false || done["run"].(map[string]any)["status"] != "success" {
		t.Fatalf("mark done %v", done)
	}
	if r := e.do("POST", "/incomplete-executions/"+ieID+"/mark-done", `{"output":{}}`); r.status != 409 {
		t.Fatalf("mark done twice: %s", r)
	}
	if n := posts(); n != 1 {
		t.Fatalf("the order was posted %d times, want once", n)
	}

	// A module without a read-back call: 409.
	g := e.create(greeting)
	bad := e.failGreeting(id(g), 1)[0]
	if r := e.do("POST", "/incomplete-executions/"+bad+"/check", `{"url":"http://127.0.0.1/"}`); r.status != 409 {
		t.Fatalf("check of Parse JSON: %s", r)
	}
}

func TestBreakersListAndReset(t *testing.T) {
	e := newEnv(t)
	s, _ := orderStandIn(t, false)
	sc := e.create(orderBlueprint(s.URL))
	for i := range 3 {
		e.must(200, e.do("POST", "/scenarios/"+id(sc)+"/run", fmt.Sprintf(`{"id":"o%d"}`, i)))
	}
	list := e.must(200, e.do("GET", "/breakers", nil))["items"].([]any)
	key := "host:" + strings.TrimPrefix(s.URL, "http://")
	if len(list) != 1 || list[0].(map[string]any)["key"] != key || list[0].(map[string]any)["waiting"] != 3.0 ||
		list[0].(map[string]any)["errorType"] != "ConnectionError" {
		t.Fatalf("breakers %v", list)
	}
	path := "/breakers/" + url.PathEscape(key) + "/reset"
	if got := e.must(200, e.do("POST", path, nil)); got["released"] != 3.0 {
		t.Fatalf("reset %v", got)
	}
	if r := e.do("POST", path, nil); r.status != 404 {
		t.Fatalf("reset of a closed breaker: %s", r)
	}
	if list := e.must(200, e.do("GET", "/breakers", nil))["items"].([]any); len(list) != 0 {
		t.Fatalf("breakers after reset %v", list)
	}
}

// The recovery endpoints (check, mark-done, preview, retry from) find an incomplete
// execution by a unique prefix of its id like the others, and refuse an ambiguous one.
func TestRecoveryEndpointsTakeIDPrefixes(t *testing.T) {
	e := newEnv(t)
	e.create(greeting)
	e.failGreeting("1", 2) // incomplete executions id0002, id0004
	for _, c := range []struct{ path, body string }{
		{"/incomplete-executions/id000/check", `{"url":"/x"}`},
		{"/incomplete-executions/id000/mark-done", `{"output":{}}`},
		{"/incomplete-executions/id000/preview", `{}`},
		{"/incomplete-executions/id000/retry", `{"from":"trigger"}`},
	} {
		r := e.do("POST", c.path, c.body)
		if code, _, _ := r.err(t); r.status != 400 || code != "ambiguous_id" {
			t.Fatalf("%s with an ambiguous prefix: %s", c.path, r)
		}
	}
	if p := e.must(200, e.do("POST", "/incomplete-executions/id0004/preview", `{}`)); p["failedModuleId"] == nil {
		t.Fatalf("preview by prefix: %v", p)
	}
	// A check of a module without a read-back is a 409 only once the prefix named it.
	if r := e.do("POST", "/incomplete-executions/id0004/check", `{"url":"/x"}`); r.status != 409 {
		t.Fatalf("check by prefix: %s", r)
	}
	got := e.must(200, e.do("POST", "/incomplete-executions/id0002/mark-done", `{"output":{}}`))
	if ie := got["incompleteExecution"].(map[string]any); ie["id"] != "id0002" || ie["status"] != "resolved" {
		t.Fatalf("mark-done by prefix: %v", got)
	}
}
