package declarative_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/declarative"
)

// A method template picks the method from the input (an upsert); what it evaluates to
// must be an HTTP method, else the input is wrong (DataError).
func TestMethodTemplate(t *testing.T) {
	s := newStandIn(t)
	def := patched(t, func(m map[string]any) {
		comm(m)["method"] = `{{ifempty(parameters.verb; "post")}}`
		obj(m, "modules", "Send")["mapper"] = []any{map[string]any{"name": "text"}, map[string]any{"name": "verb"}}
	})
	spec, _ := testApp(t, def, s).Lookup("demo:Send")
	if _, err := run(t, spec, weft.Bundle{"accessToken": "t"}, `{"text": "a"}`); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, spec, weft.Bundle{"accessToken": "t"}, `{"text": "a", "verb": " patch "}`); err != nil {
		t.Fatal(err)
	}
	if g := s.requests(); g[0].Method != "POST" || g[1].Method != "PATCH" {
		t.Fatalf("methods %s, %s", g[0].Method, g[1].Method)
	}
	_, err := run(t, spec, weft.Bundle{"accessToken": "t"}, `{"text": "a", "verb": "FETCH"}`)
	wantType(t, err, weft.DataError, `building the request: "FETCH" is not an HTTP method`)
	if len(s.requests()) != 2 {
		t.Fatal("a request with a bad method was sent")
	}
}

// {{position}} is a polling trigger's: another module reading it is a load error.
func TestPositionOnlyInPollingTriggers(t *testing.T) {
	def := patched(t, func(m map[string]any) { comm(m)["qs"] = map[string]any{"since": "{{position.date}}"} })
	_, err := declarative.LoadOptions(fstest.MapFS{"demo.json": {Data: []byte(def)}}, declarative.Options{Getenv: noEnv})
	if err == nil || !strings.Contains(err.Error(), `demo.json#/modules/Send/communication/qs/since: template "{{position.date}}": position is not available here`) {
		t.Fatalf("error = %v", err)
	}
}

// A trigger of type id reads {{position.id}}: empty on the first poll, the last id
// emitted afterwards.
func TestPositionIDInTheRequest(t *testing.T) {
	s := newStandIn(t, ok(`{"items":[{"id":5},{"id":7}]}`))
	def := `{"name": "demo", "base": {"baseUrl": "https://api.demo.test"},
	  "modules": {"Watch": {
	    "parameters": [{"name": "limit", "type": "uinteger", "default": 10}],
	    "communication": {"url": "/items", "qs": {"after": "{{ifempty(position.id; ignore)}}"},
	      "response": {"iterate": "{{body.items}}", "limit": "{{parameters.limit}}",
	        "trigger": {"type": "id", "order": "asc", "id": "{{item.id}}"}}}}}}`
	spec, _ := testApp(t, def, s).Lookup("demo:Watch")
	p, err := app.PrepareParameters(spec, weft.Bundle{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := spec.New(app.Config{ModuleID: 1, Parameters: p})
	if err != nil {
		t.Fatal(err)
	}
	poller := m.(app.Poller)
	c := &app.Call{ModuleID: 1, Params: p, Input: weft.Bundle{}, Exec: apptest.NewExec()}
	if _, err := poller.Poll(context.Background(), c, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := poller.Poll(context.Background(), c, json.RawMessage(`{"id":5}`)); err != nil {
		t.Fatal(err)
	}
	if g := s.requests(); g[0].Query != "" || g[1].Query != "after=5" {
		t.Fatalf("queries %q, %q", g[0].Query, g[1].Query)
	}
}
