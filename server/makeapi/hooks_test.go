package makeapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// Make's order: make a hook, then a scenario whose trigger names it. The scenario takes
// the hook over — its address and the payloads that waited for it.
func TestHookBeforeItsScenario(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	h := e.ok("POST", "/hooks?useDefaults=requiredOnly", map[string]any{"name": "Orders", "teamId": 9, "typeName": "gateway-webhook"})["hook"].(map[string]any)
	hid := idOf(h)
	if h["name"] != "Orders" || h["type"] != "web" || h["typeName"] != "gateway-webhook" || h["enabled"] != true ||
		h["scenarioId"] != nil || h["url"] != baseURL+"/hooks/"+h["udid"].(string) || fmt.Sprint(h["data"]) != "map[headers:false method:false stringify:false]" {
		t.Fatalf("hook %v", h)
	}
	// It is a hook, not a scenario.
	if list := e.ok("GET", "/scenarios?teamId=1", nil)["scenarios"].([]any); len(list) != 0 {
		t.Fatalf("scenarios %v", list)
	}
	if r := e.do("GET", "/scenarios/"+hid, nil); r.status != 404 {
		t.Fatalf("scenario of a hook: %s", r)
	}
	if p := e.ok("GET", "/hooks/"+hid+"/ping", nil); fmt.Sprint(p) != fmt.Sprintf("map[address:%s attached:false gone:false learning:false]", h["url"]) {
		t.Fatalf("ping %v", p)
	}
	// A payload arrives before the scenario exists: it waits in the hook's queue.
	if _, err := e.svc.Enqueue(ctx, 1, weft.Bundle{"order": 1}); err != nil {
		t.Fatal(err)
	}
	if got := e.ok("GET", "/hooks/"+hid, nil)["hook"].(map[string]any); got["queueCount"] != 1.0 {
		t.Fatalf("queue %v", got)
	}

	// The scenario names the hook in its trigger: it takes the hook over.
	bp := strings.Replace(greeting, `"parameters":{"hook":1}`, `"parameters":{"hook":`+hid+`}`, 1)
	sc := e.createScenario(bp)
	if idOf(sc) != hid || sc["hookId"] != h["id"] || sc["name"] != "Greeting" {
		t.Fatalf("scenario %v", sc)
	}
	got := e.ok("GET", "/hooks/"+hid, nil)["hook"].(map[string]any)
	if got["udid"] != h["udid"] || got["scenarioId"] != sc["id"] || got["scenarioName"] != "Greeting" || got["scenarioIsActive"] != false {
		t.Fatalf("hook after %v", got)
	}
	if in := e.ok("GET", "/hooks/"+hid+"/incomings", nil)["incomings"].([]any); len(in) != 1 {
		t.Fatalf("incomings %v", in)
	}
	// A scenario's hook goes with the scenario.
	if r := e.do("DELETE", "/hooks/"+hid+"?confirmed=true", nil); r.status != 400 {
		t.Fatalf("delete a scenario's hook: %s", r)
	}
	// A second scenario naming an assigned hook gets its own.
	other := e.createScenario(bp)
	if idOf(other) == hid || other["hookId"] != other["id"] {
		t.Fatalf("other %v", other)
	}
	hooks := e.ok("GET", "/hooks?teamId=1&assigned=true", nil)["hooks"].([]any)
	if len(hooks) != 2 {
		t.Fatalf("hooks %v", hooks)
	}

	// A hook nobody took over is deleted with its queue.
	h2 := e.ok("POST", "/hooks", map[string]any{"name": "Spare", "teamId": 1, "typeName": "gateway-mailhook"})["hook"].(map[string]any)
	if h2["type"] != "mail" {
		t.Fatalf("mailhook %v", h2)
	}
	if unassigned := e.ok("GET", "/hooks?teamId=1&assigned=false", nil)["hooks"].([]any); len(unassigned) != 1 {
		t.Fatalf("unassigned %v", unassigned)
	}
	if got := e.ok("DELETE", "/hooks/"+idOf(h2)+"?confirmed=true", nil); got["hook"] != h2["id"] {
		t.Fatalf("delete %v", got)
	}
	if r := e.do("GET", "/hooks/"+idOf(h2), nil); r.status != 404 {
		t.Fatalf("deleted hook: %s", r)
	}
}

func TestHookSettingsAndQueue(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	sc := e.createScenario(greeting)
	id := idOf(sc)
	// weft's own settings are accepted; others are refused, never dropped.
	if got := e.ok("POST", "/hooks/"+id+"/set-data", map[string]any{"headers": false, "stringify": false}); got["changed"] != false {
		t.Fatalf("set-data %v", got)
	}
	for _, body := range []map[string]any{{"headers": true}, {"ip": "10.0.0.1"}, {"udt": 5}, {"colour": "red"}} {
		if r := e.do("POST", "/hooks/"+id+"/set-data", body); r.status != 400 {
			t.Errorf("%v: %s", body, r)
		}
	}
	if got := e.ok("POST", "/hooks/"+id+"/enable", nil); fmt.Sprint(got) != "map[hook:map[enabled:true id:1]]" {
		t.Fatalf("enable %v", got)
	}
	if r := e.do("POST", "/hooks/"+id+"/disable", nil); r.status != 400 {
		t.Fatalf("disable: %s", r)
	}
	for i := range 3 {
		if _, err := e.svc.Enqueue(ctx, 1, weft.Bundle{"n": i}); err != nil {
			t.Fatal(err)
		}
	}
	in := e.ok("GET", "/hooks/"+id+"/incomings?pg[limit]=2", nil)
	items := in["incomings"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["id"] != "1" || items[0].(map[string]any)["scope"] != "hook" {
		t.Fatalf("incomings %v", in)
	}
	one := e.ok("GET", "/hooks/"+id+"/incomings/2", nil)["incoming"].(map[string]any)
	if fmt.Sprint(one["data"]) != "map[n:1]" {
		t.Fatalf("incoming %v", one)
	}
	if r := e.do("DELETE", "/hooks/"+id+"/incomings", map[string]any{"all": true}); r.status != 406 {
		t.Fatalf("unconfirmed: %s", r)
	}
	if got := e.ok("DELETE", "/hooks/"+id+"/incomings", map[string]any{"ids": []string{"1"}}); fmt.Sprint(got) != "map[incomings:[1]]" {
		t.Fatalf("delete %v", got)
	}
	got := e.ok("DELETE", "/hooks/"+id+"/incomings?confirmed=true", map[string]any{"all": true, "exceptIds": []string{"3"}})
	if fmt.Sprint(got) != "map[incomings:[2]]" {
		t.Fatalf("delete all %v", got)
	}
	left, err := e.svc.ListQueue(ctx, store.QueueFilter{ScenarioID: 1})
	if err != nil || len(left) != 1 || left[0].ID != 3 {
		t.Fatalf("left %v %v", left, err)
	}
	if r := e.do("GET", "/hooks/"+id+"/incomings/1", nil); r.status != 404 {
		t.Fatalf("deleted payload: %s", r)
	}
}
