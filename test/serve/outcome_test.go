package serve

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// The end-to-end case on the real binary: a webhook payload's POST reaches a
// partner that reads the order and drops the connection without an answer. weft keeps
// the bundle as an incomplete execution whose outcome is unknown, schedules no retry of
// it, and a person reads the order back and marks it done through the API: the
// partner got the order once.
func TestServeOutcomeUnknown(t *testing.T) {
	bin := build(t)
	data := t.TempDir()
	var mu sync.Mutex
	var posts []string
	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			if r.URL.Path != "/orders/o-7" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"id":"o-7","state":"placed"}`)
			return
		}
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		posts = append(posts, string(b))
		mu.Unlock()
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close() // the order is taken; the answer never comes
		}
	}))
	defer partner.Close()
	written := func() int { mu.Lock(); defer mu.Unlock(); return len(posts) }

	p := start(t, bin, data, "--net-allow", strings.TrimPrefix(partner.URL, "http://"))
	p.token = adminToken(t, bin, data)
	bp := `{"name":"orders","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth","idempotencyKey":false},
		 "mapper":{"url":"` + partner.URL + `/orders","method":"post","contentType":"json","inputMethod":"jsonString",
		 "jsonStringBodyContent":"{\"id\":\"{{1.id}}\"}"}},
		{"id":3,"module":"util:ComposeTransformer","version":1,"mapper":{"value":"{{2.data.state}}"}}],
		"metadata":{"version":1,"instant":true}}`
	id, hook := p.activeScenario(bp)
	resp, err := http.Post(hook, "application/json", strings.NewReader(`{"id":"o-7"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	var ie map[string]any
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body := p.do("GET", fmt.Sprintf("/api/v1/incomplete-executions?scenario=%d", id), "")
		var page struct{ Items []map[string]any }
		json.Unmarshal([]byte(body), &page)
		if len(page.Items) == 1 {
			ie = page.Items[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no incomplete execution after 30 s: %s", body)
		}
		time.Sleep(20 * time.Millisecond) // the process's worker runs the payload
	}
	if ie["outcomeUnknown"] != true || ie["status"] != "unresolved" || ie["autoRetry"] != false || ie["nextAttemptAt"] != nil {
		t.Fatalf("incomplete execution %v: want outcome unknown, unresolved, no retry scheduled", ie)
	}
	ieID := ie["id"].(string)
	code, body := p.do("POST", "/api/v1/incomplete-executions/"+ieID+"/check", `{"url":"/orders/o-7"}`)
	if code != 200 || !strings.Contains(body, `"done":true`) {
		t.Fatalf("check: %d %s", code, body)
	}
	code, body = p.do("POST", "/api/v1/incomplete-executions/"+ieID+"/mark-done", `{"output":{"statusCode":201,"data":{"state":"placed"}}}`)
	if code != 200 || !strings.Contains(body, `"status":"resolved"`) {
		t.Fatalf("mark-done: %d %s", code, body)
	}
	if n := written(); n != 1 {
		t.Fatalf("the partner got %d orders, want 1", n)
	}
	p.stop()
}
