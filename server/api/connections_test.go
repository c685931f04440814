package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/weftworks/weft/service"
)

func TestConnections(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/connections", `{"name":"Partner API","type":"apikey","data":{"apiKey":"s3cr3t-value"}}`)
	c := e.must(201, r)
	if fmt.Sprint(c) != "map[createdAt:2026-05-01T12:00:00Z id:1 keyId:"+c["keyId"].(string)+" name:Partner API type:apikey updatedAt:2026-05-01T12:00:00Z]" ||
		!strings.HasPrefix(c["keyId"].(string), "k") ||
		r.header.Get("Location") != "/api/v1/connections/1" {
		t.Fatalf("created %v %v", c, r.header)
	}
	e.must(201, e.do("POST", "/connections", `{"name":"Other","type":"basic","data":{"user":"u","password":"pw-value"}}`))
	e.clock.Add(60e9)
	up := e.must(200, e.do("PATCH", "/connections/1", `{"name":"Partner","data":{"apiKey":"n3w-value"}}`))
	if up["name"] != "Partner" || up["updatedAt"] != "2026-05-01T12:01:00Z" {
		t.Fatalf("updated %v", up)
	}
	// The service decrypts what the API stored; no answer ever carries it.
	creds, err := e.svc.ResolveConnection(1)
	if err != nil || creds["apiKey"] != "n3w-value" {
		t.Fatalf("ResolveConnection = %v, %v", creds, err)
	}
	for _, p := range []string{"/connections", "/connections/1", "/connections/2"} {
		r := e.do("GET", p, nil)
		if r.status != 200 || strings.Contains(string(r.body), "value") || strings.Contains(string(r.body), "data") {
			t.Errorf("%s: %s", p, r)
		}
	}
	page := e.must(200, e.do("GET", "/connections?limit=1", nil))
	next := e.must(200, e.do("GET", "/connections?limit=1&cursor="+page["nextCursor"].(string), nil))
	if items := next["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != 2.0 || next["nextCursor"] != nil {
		t.Fatalf("second page %v", next)
	}
	for _, tc := range []struct {
		method, path, body, field string
	}{
		{"POST", "/connections", `{"type":"apikey","data":{}}`, "name"},
		{"POST", "/connections", `{"name":" ","type":"apikey","data":{}}`, "name"},
		{"POST", "/connections", `{"name":"x","data":{}}`, "type"},
		{"POST", "/connections", `{"name":"x","type":"apikey"}`, "data"},
		{"POST", "/connections", `{"name":"x","type":"apikey","data":"k"}`, "data"},
		{"POST", "/connections", `{"name":"x","type":"apikey","data":{},"extra":1}`, "extra"},
		{"PATCH", "/connections/1", `{"type":"basic"}`, "type"},
		{"PATCH", "/connections/1", `{"name":""}`, "name"},
		{"PATCH", "/connections/x", `{}`, "id"},
	} {
		r := e.do(tc.method, tc.path, tc.body)
		if code, _, d := r.err(t); r.status != 400 || code != "invalid_input" || d["field"] != tc.field {
			t.Errorf("%s %s %s: %s", tc.method, tc.path, tc.body, r)
		}
	}
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/connections/9", ""}, {"PATCH", "/connections/9", `{"name":"x"}`}, {"DELETE", "/connections/9", ""},
	} {
		if r := e.do(tc.method, tc.path, tc.body); r.status != 404 {
			t.Errorf("%s %s: %s", tc.method, tc.path, r)
		}
	}
	if r := e.do("DELETE", "/connections/2", nil); r.status != 204 {
		t.Fatalf("delete: %s", r)
	}
}

func TestConnectionInUse(t *testing.T) {
	e := newEnv(t)
	e.must(201, e.do("POST", "/connections", `{"name":"c","type":"apikey","data":{"k":"v"}}`))
	// An incomplete execution whose blueprint names connection 1 holds it.
	e.create(strings.Replace(greeting, `"module": "json:ParseJSON", "version": 1, "parameters": {}`,
		`"module": "json:ParseJSON", "version": 1, "parameters": {"__IMTCONN__": 1}`, 1))
	ies := e.failGreeting("1", 1)
	r := e.do("DELETE", "/connections/1", nil)
	code, _, d := r.err(t)
	if r.status != 409 || code != "conflict" || fmt.Sprint(d["incompleteExecutions"]) != fmt.Sprint(ies) {
		t.Fatalf("delete in use: %s", r)
	}
	if r := e.do("DELETE", "/connections/1?force=true", nil); r.status != 204 {
		t.Fatalf("forced delete: %s", r)
	}
}

func TestNoSecretKeys(t *testing.T) {
	e := newEnv(t, func(c *service.Config) { c.Secrets = nil })
	r := e.do("POST", "/connections", `{"name":"c","type":"apikey","data":{"k":"v"}}`)
	if _, msg, _ := r.err(t); r.status != 500 || !strings.Contains(msg, "no secret keys") {
		t.Fatalf("without keys: %s", r)
	}
}

func TestHookSecret(t *testing.T) {
	e := newEnv(t)
	e.create(greeting)
	r := e.do("PUT", "/scenarios/1/hook/secret", `{"secret":"0123456789abcdef-shared"}`)
	h := e.must(200, r)
	if h["secret"] != "0123456789abcdef-shared" || h["hasSecret"] != true {
		t.Fatalf("set %v", h)
	}
	token := func() string {
		u := e.must(200, e.do("GET", "/scenarios/1/hook", nil))["url"].(string)
		return u[strings.LastIndex(u, "/")+1:]
	}
	got, err := e.svc.HookSecret(t.Context(), token())
	if err != nil || string(got) != "0123456789abcdef-shared" {
		t.Fatalf("HookSecret = %q, %v", got, err)
	}
	if g := e.must(200, e.do("GET", "/scenarios/1/hook", nil)); g["hasSecret"] != true || g["secret"] != nil {
		t.Fatalf("the secret is shown again: %v", g)
	}
	// A new address keeps the secret.
	e.must(200, e.do("POST", "/scenarios/1/hook/rotate", nil))
	if got, err := e.svc.HookSecret(t.Context(), token()); err != nil || string(got) != "0123456789abcdef-shared" {
		t.Fatalf("after rotation HookSecret = %q, %v", got, err)
	}
	gen := e.must(200, e.do("PUT", "/scenarios/1/hook/secret", nil))
	if s, _ := gen["secret"].(string); len(s) != 64 {
		t.Fatalf("generated secret %v", gen)
	}
	if got, _ := e.svc.HookSecret(t.Context(), token()); string(got) != gen["secret"] {
		t.Fatal("the generated secret is not the stored one")
	}
	if cl := e.must(200, e.do("DELETE", "/scenarios/1/hook/secret", nil)); cl["hasSecret"] != false {
		t.Fatalf("cleared %v", cl)
	}
	if got, err := e.svc.HookSecret(t.Context(), token()); err != nil || got != nil {
		t.Fatalf("after clearing HookSecret = %q, %v", got, err)
	}
	if r := e.do("PUT", "/scenarios/1/hook/secret", `{"secret":"short"}`); r.status != 400 {
		t.Fatalf("short secret: %s", r)
	}
	e.create(composeOnly)
	for _, p := range []string{"/scenarios/2/hook/secret", "/scenarios/9/hook/secret"} {
		if r := e.do("PUT", p, nil); r.status != 404 {
			t.Errorf("PUT %s: %s", p, r)
		}
		if r := e.do("DELETE", p, nil); r.status != 404 {
			t.Errorf("DELETE %s: %s", p, r)
		}
	}
}
