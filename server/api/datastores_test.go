package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/weftworks/weft"
)

func TestDataStoreRecords(t *testing.T) {
	e := newEnv(t)
	r := e.do("PUT", "/datastores/27969/records/k1", `{"email":"ada@example.com","n":1234567890123456789}`)
	if got := e.must(201, r); fmt.Sprint(got) != "map[data:map[email:ada@example.com n:1.2345678901234568e+18] key:k1]" {
		t.Fatalf("put %v", got)
	}
	// Big integers are kept exactly.
	if r := e.do("GET", "/datastores/27969/records/k1", nil); !strings.Contains(string(r.body), `"n":1234567890123456789`) {
		t.Fatalf("get %s", r)
	}
	e.must(200, e.do("PUT", "/datastores/27969/records/k1", `{"email":"b@example.com"}`))
	if got := e.must(200, e.do("GET", "/datastores/27969/records/k1", nil)); fmt.Sprint(got) != "map[data:map[email:b@example.com] key:k1]" {
		t.Fatalf("replaced %v", got)
	}
	// What the API writes, the datastore modules read (same store).
	rec, err := e.st.GetRecord(t.Context(), "27969", "k1")
	if err != nil || fmt.Sprint(rec) != fmt.Sprint(weft.Bundle{"email": "b@example.com"}) {
		t.Fatalf("store has %v, %v", rec, err)
	}
	for _, k := range []string{"k2", "k3", "a b", "k4"} {
		e.must(201, e.do("PUT", "/datastores/27969/records/"+strings.ReplaceAll(k, " ", "%20"), `{"k":"`+k+`"}`))
	}
	e.must(201, e.do("PUT", "/datastores/other/records/k1", `{}`))
	var keys []string
	path := "/datastores/27969/records?limit=2"
	for range 5 {
		p := e.must(200, e.do("GET", path, nil))
		for _, it := range p["items"].([]any) {
			keys = append(keys, it.(map[string]any)["key"].(string))
		}
		if p["nextCursor"] == nil {
			break
		}
		path = "/datastores/27969/records?limit=2&cursor=" + p["nextCursor"].(string)
	}
	if strings.Join(keys, ",") != "a b,k1,k2,k3,k4" {
		t.Fatalf("pages %v", keys)
	}
	if r := e.do("DELETE", "/datastores/27969/records/k2", nil); r.status != 204 {
		t.Fatalf("delete %s", r)
	}
	for _, tc := range []struct {
		method, path, body string
		status             int
	}{
		{"GET", "/datastores/27969/records/k2", "", 404},
		{"DELETE", "/datastores/27969/records/k2", "", 404},
		{"PUT", "/datastores/27969/records/k9", "[1]", 400},
		{"PUT", "/datastores/27969/records/k9", "{", 400},
		{"PUT", "/datastores/27969/records/k9", "", 400},
		{"GET", "/datastores/empty/records", "", 200},
	} {
		if r := e.do(tc.method, tc.path, tc.body); r.status != tc.status {
			t.Errorf("%s %s %s: %s", tc.method, tc.path, tc.body, r)
		}
	}
}

func TestHooks(t *testing.T) {
	e := newEnv(t)
	e.create(greeting)
	e.create(composeOnly)
	e.create(echo)
	list := e.must(200, e.do("GET", "/hooks", nil))["items"].([]any)
	if len(list) != 2 {
		t.Fatalf("hooks %v", list)
	}
	h := e.must(200, e.do("GET", "/scenarios/1/hook", nil))
	if fmt.Sprint(h) != fmt.Sprint(list[0]) || h["hasSecret"] != false || h["scenarioId"] != 1.0 || h["createdAt"] != "2026-05-01T12:00:00Z" {
		t.Fatalf("hook %v (list %v)", h, list[0])
	}
	old := h["url"].(string)
	token := old[strings.LastIndex(old, "/")+1:]
	if _, err := e.st.GetHook(t.Context(), token); err != nil {
		t.Fatalf("the URL's token is not the stored hook: %v", err)
	}
	rot := e.must(200, e.do("POST", "/scenarios/1/hook/rotate", nil))
	if rot["url"] == old || !hookURL.MatchString(rot["url"].(string)) {
		t.Fatalf("rotated %v", rot)
	}
	if _, err := e.st.GetHook(t.Context(), token); err == nil {
		t.Fatal("the old address still works after a rotation")
	}
	if sc := e.must(200, e.do("GET", "/scenarios/1", nil)); sc["hookUrl"] != rot["url"] {
		t.Fatalf("scenario shows %v", sc["hookUrl"])
	}
	page := e.must(200, e.do("GET", "/hooks?limit=1", nil))
	next := e.must(200, e.do("GET", "/hooks?limit=1&cursor="+page["nextCursor"].(string), nil))
	if items := next["items"].([]any); len(items) != 1 || items[0].(map[string]any)["scenarioId"] != 3.0 || next["nextCursor"] != nil {
		t.Fatalf("second page %v", next)
	}
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/scenarios/2/hook", 404},
		{"GET", "/scenarios/9/hook", 404},
		{"POST", "/scenarios/2/hook/rotate", 404},
		{"POST", "/scenarios/9/hook/rotate", 404},
	} {
		if r := e.do(tc.method, tc.path, nil); r.status != tc.status {
			t.Errorf("%s %s: %s", tc.method, tc.path, r)
		}
	}
	// An update that makes a scenario start with a webhook gives it an address.
	sc := e.must(200, e.do("PUT", "/scenarios/2", echo))
	if !hookURL.MatchString(fmt.Sprint(sc["hookUrl"])) {
		t.Fatalf("scenario 2 after the update %v", sc)
	}
}
