package makeapi_test

import (
	"fmt"
	"strings"
	"testing"
)

func TestConnections(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	// The SDK's body: accountName is the name, accountType the type, the credentials beside.
	c := e.ok("POST", "/connections?teamId=4", map[string]any{"accountName": "Partner", "accountType": "partner-api", "token": "s3cret"})["connection"].(map[string]any)
	if c["name"] != "Partner" || c["accountName"] != "partner-api" || c["accountType"] != "basic" || c["teamId"] != 1.0 {
		t.Fatalf("created %v", c)
	}
	if strings.Contains(fmt.Sprint(c), "s3cret") {
		t.Fatal("credentials came out")
	}
	data, err := e.svc.ResolveConnection(1)
	if err != nil || data["token"] != "s3cret" {
		t.Fatalf("stored credentials %v %v", data, err)
	}
	list := e.ok("GET", "/connections?teamId=1&type[]=partner-api&cols[]=id&cols[]=name", nil)
	if fmt.Sprint(list["connections"]) != "[map[id:1 name:Partner]]" {
		t.Fatalf("list %v", list)
	}
	if none := e.ok("GET", "/connections?teamId=1&type[]=other", nil); len(none["connections"].([]any)) != 0 {
		t.Fatalf("filtered %v", none)
	}
	if got := e.ok("POST", "/connections/1/test", nil); got["verified"] != true {
		t.Fatalf("test %v", got)
	}
	if got := e.ok("PATCH", "/connections/1", map[string]any{"name": "Partner EU"})["connection"].(map[string]any); got["name"] != "Partner EU" {
		t.Fatalf("rename %v", got)
	}
	if got := e.ok("POST", "/connections/1/set-data", map[string]any{"token": "new"}); got["changed"] != true {
		t.Fatalf("set-data %v", got)
	}
	if data, _ := e.svc.ResolveConnection(1); data["token"] != "new" {
		t.Fatalf("new credentials %v", data)
	}
	// An OAuth connection that was never connected does not verify.
	oc, err := e.svc.CreateConnection(ctx, "Google", "google", map[string]any{"provider": "google"})
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/connections/%d", oc.ID)
	if got := e.ok("GET", path, nil)["connection"].(map[string]any); got["accountType"] != "oauth" {
		t.Fatalf("oauth %v", got)
	}
	if got := e.ok("POST", path+"/test", nil); got["verified"] != false {
		t.Fatalf("oauth test %v", got)
	}
	if got := e.ok("DELETE", "/connections/1?confirmed=true", nil); got["connection"] != 1.0 {
		t.Fatalf("delete %v", got)
	}
	if _, err := e.st.GetConnection(ctx, 1); err == nil {
		t.Fatal("still stored")
	}
	if r := e.do("POST", "/connections?teamId=1", map[string]any{"accountName": "", "accountType": "x"}); r.status != 400 {
		t.Fatalf("no name: %s", r)
	}
}

// Make's keys are weft's connections of a key type: the HTTP app reads them.
func TestKeys(t *testing.T) {
	e := newEnv(t)
	types := e.ok("GET", "/keys/types", nil)["keysTypes"].([]any)
	if len(types) != 2 || types[0].(map[string]any)["name"] != "apikeyauth" {
		t.Fatalf("types %v", types)
	}
	k := e.ok("POST", "/keys", map[string]any{"name": "Partner key", "teamId": 3, "typeName": "apikeyauth",
		"parameters": map[string]any{"key": "sk-1", "name": "X-API-Key", "placement": "header"}})["key"].(map[string]any)
	if fmt.Sprint(k) != "map[id:1 name:Partner key packageName:<nil> teamId:1 theme:#ffffff typeName:apikeyauth]" {
		t.Fatalf("key %v", k)
	}
	if data, err := e.svc.ResolveConnection(1); err != nil || data["key"] != "sk-1" {
		t.Fatalf("credentials %v %v", data, err)
	}
	for _, body := range []map[string]any{
		{"name": "x", "teamId": 1, "typeName": "rsa", "parameters": map[string]any{}},
		{"name": "x", "teamId": 1, "typeName": "basicauth", "parameters": map[string]any{"username": "u"}},
		{"name": "x", "teamId": 1, "typeName": "basicauth", "parameters": map[string]any{"username": "u", "password": "p", "realm": "r"}},
	} {
		if r := e.do("POST", "/keys", body); r.status != 400 {
			t.Errorf("%v: %s", body, r)
		}
	}
	// Keys and connections are apart.
	if list := e.ok("GET", "/keys?teamId=1", nil)["keys"].([]any); len(list) != 1 {
		t.Fatalf("keys %v", list)
	}
	if list := e.ok("GET", "/connections?teamId=1", nil)["connections"].([]any); len(list) != 0 {
		t.Fatalf("connections %v", list)
	}
	if r := e.do("GET", "/connections/1", nil); r.status != 404 {
		t.Fatalf("a key as a connection: %s", r)
	}
	up := e.ok("PATCH", "/keys/1", map[string]any{"name": "Renamed", "parameters": map[string]any{"key": "sk-2"}})["key"].(map[string]any)
	if up["name"] != "Renamed" {
		t.Fatalf("update %v", up)
	}
	if data, _ := e.svc.ResolveConnection(1); data["key"] != "sk-2" {
		t.Fatalf("new credentials %v", data)
	}
	e.ok("DELETE", "/keys/1?confirmed=true", nil)
	if r := e.do("GET", "/keys/1", nil); r.status != 404 {
		t.Fatalf("deleted key: %s", r)
	}
}

// weft has one organization and one team; any id names them.
func TestOrganizationAndTeam(t *testing.T) {
	e := newEnv(t)
	e.createScenario(counter)
	e.ok("POST", "/scenarios/1/start", nil)
	orgs := e.ok("GET", "/organizations", nil)["organizations"].([]any)
	if fmt.Sprint(orgs) != "[map[id:1 isPaused:false name:weft zone:weft.example.com]]" {
		t.Fatalf("organizations %v", orgs)
	}
	if got := e.ok("GET", "/organizations/4411", nil)["organization"].(map[string]any); got["id"] != 1.0 {
		t.Fatalf("organization %v", got)
	}
	if r := e.do("GET", "/teams", nil); r.status != 400 {
		t.Fatalf("teams without an organization: %s", r)
	}
	teams := e.ok("GET", "/teams?organizationId=4411", nil)["teams"].([]any)
	if fmt.Sprint(teams) != "[map[activeScenarios:1 id:1 isPaused:false name:weft organizationId:1]]" {
		t.Fatalf("teams %v", teams)
	}
	if got := e.ok("GET", "/teams/215?cols[]=name", nil); fmt.Sprint(got) != "map[team:map[name:weft]]" {
		t.Fatalf("team %v", got)
	}
}
