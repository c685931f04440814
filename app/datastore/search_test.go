package datastore_test

import (
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

var people = map[string]weft.Bundle{
	"p1": {"name": "Ann", "Email ID": "ann@x.io", "age": 31.0, "seen": time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), "tags": []any{"vip"}},
	"p2": {"name": "bob", "Email ID": "bob@y.io", "age": 25.0, "seen": time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)},
	"p3": {"name": "Cid", "Email ID": "cid@x.io", "age": 40.0, "tags": []any{"new", "vip"}},
	"p4": {"name": "Ann", "Email ID": "ann2@z.io", "age": 19.0, "seen": time.Date(2025, 12, 31, 10, 0, 0, 0, time.UTC)},
}

// keys lists the keys of search output bundles, checking __IMTINDEX__/__IMTLENGTH__.
func keys(t *testing.T, out []weft.Bundle) []string {
	t.Helper()
	ks := []string{}
	for i, b := range out {
		if b["__IMTINDEX__"] != float64(i+1) || b["__IMTLENGTH__"] != float64(len(out)) {
			t.Fatalf("bundle %d: __IMTINDEX__ %v __IMTLENGTH__ %v of %d", i, b["__IMTINDEX__"], b["__IMTLENGTH__"], len(out))
		}
		ks = append(ks, b["key"].(string))
	}
	return ks
}

func TestSearchRecordFilterAndSort(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params string
		mapper string
		want   []string
	}{
		{"no filter: every record in key order", `{}`, `{}`, []string{"p1", "p2", "p3", "p4"}},
		{"empty groups", `{}`, `{"filter":[],"sort":[]}`, []string{"p1", "p2", "p3", "p4"}},
		{"text equal on a field with a space", `{}`, `{"filter":[[{"a":"Email ID","o":"text:equal","b":"bob@y.io"}]]}`, []string{"p2"}},
		{"text equal ci", `{}`, `{"filter":[[{"a":"name","o":"text:equal:ci","b":"BOB"}]]}`, []string{"p2"}},
		{"text contain", `{}`, `{"filter":[[{"a":"Email ID","o":"text:contain","b":"@x.io"}]]}`, []string{"p1", "p3"}},
		{"text pattern", `{}`, `{"filter":[[{"a":"Email ID","o":"text:pattern","b":"^ann\\d?@"}]]}`, []string{"p1", "p4"}},
		{"number greater (text b)", `{}`, `{"filter":[[{"a":"age","o":"number:greater","b":"30"}]]}`, []string{"p1", "p3"}},
		{"AND inside a group", `{}`, `{"filter":[[{"a":"age","o":"number:greater","b":20},{"a":"name","o":"text:equal","b":"Ann"}]]}`, []string{"p1"}},
		{"OR between groups", `{}`, `{"filter":[[{"a":"name","o":"text:equal","b":"bob"}],[{"a":"age","o":"number:less","b":20}]]}`, []string{"p2", "p4"}},
		{"date less", `{}`, `{"filter":[[{"a":"seen","o":"date:less","b":"2026-01-01T12:00:00Z"}]]}`, []string{"p1", "p4"}},
		{"exist", `{}`, `{"filter":[[{"a":"seen","o":"exist"}]]}`, []string{"p1", "p2", "p4"}},
		{"not exist", `{}`, `{"filter":[[{"a":"seen","o":"notexist"}]]}`, []string{"p3"}},
		{"array contains", `{}`, `{"filter":[[{"a":"tags","o":"array:contain","b":"vip"}]]}`, []string{"p1", "p3"}},
		{"the key", `{}`, `{"filter":[[{"a":"key","o":"text:equal","b":"p3"}]]}`, []string{"p3"}},
		{"b holding {{ is plain text", `{}`, `{"filter":[[{"a":"name","o":"text:equal","b":"{{1.x}}"}]]}`, []string{}},
		{"sort by a field ascending", `{}`, `{"sort":[{"key":"age","order":1}]}`, []string{"p4", "p2", "p1", "p3"}},
		{"sort descending", `{}`, `{"sort":[{"key":"age","order":-1}]}`, []string{"p3", "p1", "p2", "p4"}},
		{"order as text, default ascending", `{}`, `{"sort":[{"key":"age","order":"-1"},{"key":"name"}]}`, []string{"p3", "p1", "p2", "p4"}},
		{"two sort keys, ties keep key order", `{}`, `{"sort":[{"key":"name","order":1},{"key":"age","order":1}]}`, []string{"p4", "p1", "p3", "p2"}},
		{"empty values sort first", `{}`, `{"sort":[{"key":"seen","order":1}]}`, []string{"p3", "p4", "p1", "p2"}},
		{"sort by key descending", `{}`, `{"sort":[{"key":"key","order":-1}]}`, []string{"p4", "p3", "p2", "p1"}},
		{"limit after filter and sort", `{"limit":2}`, `{"sort":[{"key":"age","order":-1}]}`, []string{"p3", "p1"}},
		{"limit 0 is all", `{"limit":0}`, `{}`, []string{"p1", "p2", "p3", "p4"}},
		{"mapped limit wins", `{"limit":3}`, `{"mappAbleLimit":"1"}`, []string{"p1"}},
		{"no match stops the route", `{"continueWhenNoRes":false}`, `{"filter":[[{"a":"age","o":"number:greater","b":99}]]}`, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.seed("default", people)
			out := h.must("SearchRecord", js(tc.params), js(tc.mapper))
			same(t, "keys", keys(t, out), tc.want)
		})
	}
}

func TestSearchRecordOutput(t *testing.T) {
	h := newHarness(t)
	h.seed("55", map[string]weft.Bundle{"U1": js(`{"Slack User ID":"U1","n":1}`)})
	out := h.must("SearchRecord", weft.Bundle{"datastore": 55.0}, js(`{"filter":[[{"a":"n","o":"number:equal","b":"1"}]]}`))
	same(t, "output", out, []weft.Bundle{js(`{"key":"U1","data":{"Slack User ID":"U1","n":1},"__IMTINDEX__":1,"__IMTLENGTH__":1}`)})

	out = h.must("SearchRecord", weft.Bundle{"datastore": 55.0, "continueWhenNoRes": true},
		js(`{"filter":[[{"a":"n","o":"number:equal","b":"2"}]]}`))
	same(t, "no match, continue", out, []weft.Bundle{js(`{"__IMTLENGTH__":0}`)})
}

func TestSearchRecordErrors(t *testing.T) {
	for _, tc := range []struct {
		name, mapper, want string
	}{
		{"filter not an array", `{"filter":"name = Ann"}`, "filter: text is not an array of condition groups"},
		{"group not an array", `{"filter":[{"a":"name","o":"exist"}]}`, "filter/0: collection is not an array of conditions"},
		{"condition not a collection", `{"filter":[["name"]]}`, "filter/0/0: text is not a condition {a, o, b}"},
		{"missing field", `{"filter":[[{"a":"","o":"exist"}]]}`, "filter/0/0/a: missing the record field to test"},
		{"unknown operator", `{"filter":[[{"a":"age","o":"number:bigger","b":1}]]}`, `filter/0/0/o: "number:bigger" is not a filter operator`},
		{"bad pattern", `{"filter":[[{"a":"name","o":"exist"}],[{"a":"name","o":"text:pattern","b":"("}]]}`, "filter/1/0/b:"},
		{"sort without a field", `{"sort":[{"order":1}]}`, "sort/0/key: missing value of required field"},
		{"bad sort order", `{"sort":[{"key":"age","order":"up"}]}`, `sort/0/order: "up" is not one of 1, -1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.seed("default", people)
			_, err := h.call("SearchRecord", nil, js(tc.mapper))
			apptest.WantError(t, err, weft.DataError, tc.want)
		})
	}
}

func TestSearchRecordSeesPendingWrites(t *testing.T) {
	h := newHarness(t)
	h.seed("default", people)
	h.must("DeleteRecord", nil, js(`{"key":"p1"}`))
	h.must("UpdateRecord", nil, js(`{"key":"p2","data":{"age":50}}`))
	h.must("AddRecord", nil, js(`{"key":"p0","overwrite":false,"data":{"name":"Zed","age":60}}`))
	out := h.must("SearchRecord", nil, js(`{"filter":[[{"a":"age","o":"number:greaterorequal","b":40}]],"sort":[{"key":"age","order":-1}]}`))
	same(t, "keys", keys(t, out), []string{"p0", "p2", "p3"})
	same(t, "p2 data", out[1]["data"].(map[string]any)["age"], 50.0)
}

// Without filter and sort the backend stops at the limit, except when pending writes
// change which records come first.
func TestSearchRecordLimitWithPendingWrites(t *testing.T) {
	h := newHarness(t)
	h.seed("default", people)
	same(t, "committed only", keys(t, h.must("SearchRecord", js(`{"limit":2}`), js(`{}`))), []string{"p1", "p2"})
	h.must("DeleteRecord", nil, js(`{"key":"p1"}`))
	h.must("AddRecord", nil, js(`{"key":"p0","overwrite":false,"data":{}}`))
	same(t, "with pending", keys(t, h.must("SearchRecord", js(`{"limit":2}`), js(`{}`))), []string{"p0", "p2"})
	h.must("DeleteRecord", nil, js(`{"key":"p0"}`))
	h.must("DeleteRecord", nil, js(`{"key":"p2"}`))
	same(t, "pending deletes", keys(t, h.must("SearchRecord", js(`{"limit":2}`), js(`{}`))), []string{"p3", "p4"})
}
