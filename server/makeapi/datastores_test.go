package makeapi_test

import (
	"fmt"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/value"
)

func TestDataStoresAndRecords(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	if r := e.do("GET", "/data-stores/27969", nil); r.status != 404 {
		t.Fatalf("a store nobody names: %s", r)
	}
	e.createScenario(counter) // its datastore module names 27969
	list := e.ok("GET", "/data-stores?teamId=1", nil)
	if fmt.Sprint(list["dataStores"]) != "[map[datastructureId:<nil> id:27969 name:Data store 27969 records:0 teamId:1]]" {
		t.Fatalf("list %v", list)
	}
	// Records: what the datastore modules read and write.
	// Big integers stay exact both ways.
	created := e.do("POST", "/data-stores/27969/data", `{"key":"ada","data":{"email":"ada@example.com","n":1234567890123456789}}`)
	if created.status != 200 || string(created.body) != `{"data":{"email":"ada@example.com","n":1234567890123456789},"key":"ada"}`+"\n" {
		t.Fatalf("create %s", created)
	}
	got, err := e.st.GetRecord(ctx, "27969", "ada")
	if err != nil || string(value.JSON(got)) != `{"email":"ada@example.com","n":1234567890123456789}` {
		t.Fatalf("stored %s %v", value.JSON(got), err)
	}
	if r := e.do("POST", "/data-stores/27969/data", map[string]any{"key": "ada", "data": map[string]any{}}); r.status != 400 {
		t.Fatalf("existing key: %s", r)
	}
	made := e.ok("POST", "/data-stores/27969/data", map[string]any{"data": map[string]any{"email": "bob@example.com"}})
	if made["key"] != "key1" {
		t.Fatalf("generated key %v", made)
	}
	up := e.ok("PATCH", "/data-stores/27969/data/ada", map[string]any{"email": "ada@weft.dev"})
	if fmt.Sprint(up["data"]) != "map[email:ada@weft.dev n:1.2345678901234568e+18]" {
		t.Fatalf("update %v", up)
	}
	if r := e.do("PATCH", "/data-stores/27969/data/nobody", map[string]any{"x": 1}); r.status != 404 {
		t.Fatalf("update a missing key: %s", r)
	}
	rep := e.ok("PUT", "/data-stores/27969/data/ada", map[string]any{"only": true})
	if fmt.Sprint(rep) != "map[data:map[only:true] key:ada]" {
		t.Fatalf("replace %v", rep)
	}
	recs := e.ok("GET", "/data-stores/27969/data?pg[limit]=1&pg[offset]=1", nil)
	if fmt.Sprint(recs["records"]) != "[map[data:map[email:bob@example.com] key:key1]]" || recs["count"] != 2.0 {
		t.Fatalf("records %v", recs)
	}
	if ds := e.ok("GET", "/data-stores/27969", nil)["dataStore"].(map[string]any); ds["records"] != 2.0 {
		t.Fatalf("store %v", ds)
	}
	// Deleting needs confirmed=true (the SDK sends it).
	if r := e.do("DELETE", "/data-stores/27969/data", map[string]any{"keys": []string{"ada"}}); r.status != 406 {
		t.Fatalf("unconfirmed: %s", r)
	}
	if del := e.ok("DELETE", "/data-stores/27969/data?confirmed=true", map[string]any{"keys": []string{"ada", "ghost"}}); fmt.Sprint(del) != "map[keys:[ada]]" {
		t.Fatalf("delete %v", del)
	}
	if _, err := e.st.GetRecord(ctx, "27969", "ada"); err == nil {
		t.Fatal("ada is still there")
	}
	if del := e.ok("DELETE", "/data-stores/27969/data?confirmed=true", map[string]any{"all": true}); fmt.Sprint(del) != "map[keys:[key1]]" {
		t.Fatalf("delete all %v", del)
	}
	// A store only records name is reachable by id too.
	if err := e.st.PutRecord(ctx, "555", "k", weft.Bundle{"v": 1}, false); err != nil {
		t.Fatal(err)
	}
	if ds := e.ok("GET", "/data-stores/555", nil)["dataStore"].(map[string]any); ds["records"] != 1.0 {
		t.Fatalf("store 555 %v", ds)
	}
}
