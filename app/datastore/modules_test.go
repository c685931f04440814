package datastore_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/datastore"
)

func TestAddRecord(t *testing.T) {
	for _, tc := range []struct {
		name    string
		seed    map[string]weft.Bundle
		mapper  string
		want    []weft.Bundle
		stored  map[string]weft.Bundle
		errType weft.ErrorType
		errText string
	}{
		{name: "new key", mapper: `{"key":"a","overwrite":false,"data":{"email":"a@x.io","n":2}}`,
			want:   []weft.Bundle{js(`{"key":"a","email":"a@x.io","n":2}`)},
			stored: map[string]weft.Bundle{"a": js(`{"email":"a@x.io","n":2}`)}},
		{name: "blank key is generated", mapper: `{"key":"","overwrite":false,"data":{"Key IDs":[]}}`,
			want:   []weft.Bundle{js(`{"key":"gen-1","Key IDs":[]}`)},
			stored: map[string]weft.Bundle{"gen-1": js(`{"Key IDs":[]}`)}},
		{name: "absent key is generated", mapper: `{"overwrite":true}`,
			want: []weft.Bundle{js(`{"key":"gen-1"}`)}, stored: map[string]weft.Bundle{"gen-1": {}}},
		{name: "the record key wins over a data field named key",
			mapper: `{"key":"a","overwrite":true,"data":{"key":"mine","v":1}}`,
			want:   []weft.Bundle{js(`{"key":"a","v":1}`)},
			stored: map[string]weft.Bundle{"a": js(`{"key":"mine","v":1}`)}},
		{name: "overwrite replaces the whole record", seed: map[string]weft.Bundle{"a": js(`{"old":1,"v":1}`)},
			mapper: `{"key":"a","overwrite":"true","data":{"v":2}}`,
			want:   []weft.Bundle{js(`{"key":"a","v":2}`)}, stored: map[string]weft.Bundle{"a": js(`{"v":2}`)}},
		{name: "existing key without overwrite", seed: map[string]weft.Bundle{"a": js(`{"v":1}`)},
			mapper:  `{"key":"a","overwrite":false,"data":{"v":2}}`,
			errType: weft.DuplicateDataError, errText: `data store "default" already has a record with key "a" (overwrite is off)`,
			stored: map[string]weft.Bundle{"a": js(`{"v":1}`)}},
		{name: "overwrite is required", mapper: `{"key":"a","data":{}}`,
			errType: weft.DataError, errText: "overwrite: missing value of required field", stored: map[string]weft.Bundle{}},
		{name: "data must be a collection", mapper: `{"key":"a","overwrite":true,"data":"v=1"}`,
			errType: weft.DataError, errText: "data: text is not a collection", stored: map[string]weft.Bundle{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.seed("default", tc.seed)
			out, err := h.call("AddRecord", nil, js(tc.mapper))
			if tc.errType != "" {
				apptest.WantError(t, err, tc.errType, tc.errText)
			} else if err != nil {
				t.Fatal(err)
			}
			same(t, "output", out, tc.want)
			h.mustCommit()
			same(t, "stored", h.stored("default"), tc.stored)
		})
	}
}

func TestAddRecordDuplicateOfOwnPendingWrite(t *testing.T) {
	h := newHarness(t)
	h.must("AddRecord", nil, js(`{"key":"a","overwrite":false,"data":{"v":1}}`))
	_, err := h.call("AddRecord", nil, js(`{"key":"a","overwrite":false,"data":{"v":2}}`))
	apptest.WantError(t, err, weft.DuplicateDataError, `key "a"`)
	// Deleted in this run: the key is free again for this run.
	h.must("DeleteRecord", nil, js(`{"key":"a"}`))
	h.must("AddRecord", nil, js(`{"key":"a","overwrite":false,"data":{"v":3}}`))
	h.mustCommit()
	same(t, "stored", h.stored("default"), map[string]weft.Bundle{"a": js(`{"v":3}`)})
}

func TestGetRecord(t *testing.T) {
	seed := map[string]weft.Bundle{"k1": js(`{"authCode":"xyz","Key IDs":["1","2"],"n":3}`)}
	for _, tc := range []struct {
		name    string
		mapper  string
		want    []weft.Bundle
		errText string
	}{
		{"fields at top level", `{"key":"k1","returnWrapped":false}`,
			[]weft.Bundle{js(`{"authCode":"xyz","Key IDs":["1","2"],"n":3}`)}, ""},
		{"returnWrapped defaults to false", `{"key":"k1"}`,
			[]weft.Bundle{js(`{"authCode":"xyz","Key IDs":["1","2"],"n":3}`)}, ""},
		{"wrapped", `{"key":"k1","returnWrapped":true}`,
			[]weft.Bundle{js(`{"key":"k1","data":{"authCode":"xyz","Key IDs":["1","2"],"n":3}}`)}, ""},
		{"missing record: one empty bundle", `{"key":"nope","returnWrapped":false}`, []weft.Bundle{{}}, ""},
		{"missing record wrapped: one empty bundle", `{"key":"nope","returnWrapped":true}`, []weft.Bundle{{}}, ""},
		{"key is required", `{"key":"","returnWrapped":false}`, nil, "key: missing value of required field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.seed("default", seed)
			out, err := h.call("GetRecord", nil, js(tc.mapper))
			if tc.errText != "" {
				apptest.WantError(t, err, weft.DataError, tc.errText)
			} else if err != nil {
				t.Fatal(err)
			}
			same(t, "output", out, tc.want)
		})
	}
}

func TestUpdateRecord(t *testing.T) {
	seed := map[string]weft.Bundle{"k": js(`{"name":"Ann","tags":["a"],"addr":{"city":"Oslo","zip":"0150"},"n":1}`)}
	for _, tc := range []struct {
		name    string
		mapper  string
		want    []weft.Bundle
		stored  map[string]weft.Bundle
		errText string
	}{
		{name: "only the given fields change",
			mapper: `{"key":"k","data":{"name":"Bo","n":2}}`,
			want:   []weft.Bundle{js(`{"key":"k","name":"Bo","tags":["a"],"addr":{"city":"Oslo","zip":"0150"},"n":2}`)},
			stored: map[string]weft.Bundle{"k": js(`{"name":"Bo","tags":["a"],"addr":{"city":"Oslo","zip":"0150"},"n":2}`)}},
		{name: "arrays are appended to by default",
			mapper: `{"key":"k","data":{"tags":["b","c"]},"overwriteArrays":false}`,
			want:   []weft.Bundle{js(`{"key":"k","name":"Ann","tags":["a","b","c"],"addr":{"city":"Oslo","zip":"0150"},"n":1}`)},
			stored: map[string]weft.Bundle{"k": js(`{"name":"Ann","tags":["a","b","c"],"addr":{"city":"Oslo","zip":"0150"},"n":1}`)}},
		{name: "overwriteArrays replaces them",
			mapper: `{"key":"k","data":{"tags":["b"]},"overwriteArrays":true}`,
			want:   []weft.Bundle{js(`{"key":"k","name":"Ann","tags":["b"],"addr":{"city":"Oslo","zip":"0150"},"n":1}`)},
			stored: map[string]weft.Bundle{"k": js(`{"name":"Ann","tags":["b"],"addr":{"city":"Oslo","zip":"0150"},"n":1}`)}},
		{name: "collections merge field by field",
			mapper: `{"key":"k","data":{"addr":{"zip":"0151","country":"NO"}}}`,
			want:   []weft.Bundle{js(`{"key":"k","name":"Ann","tags":["a"],"addr":{"city":"Oslo","zip":"0151","country":"NO"},"n":1}`)},
			stored: map[string]weft.Bundle{"k": js(`{"name":"Ann","tags":["a"],"addr":{"city":"Oslo","zip":"0151","country":"NO"},"n":1}`)}},
		{name: "a mapped null is written",
			mapper: `{"key":"k","data":{"name":null}}`,
			want:   []weft.Bundle{js(`{"key":"k","name":null,"tags":["a"],"addr":{"city":"Oslo","zip":"0150"},"n":1}`)},
			stored: map[string]weft.Bundle{"k": js(`{"name":null,"tags":["a"],"addr":{"city":"Oslo","zip":"0150"},"n":1}`)}},
		{name: "upsert creates a missing record",
			mapper: `{"key":"new","data":{"Key IDs":["7"]},"upsert":true}`,
			want:   []weft.Bundle{js(`{"key":"new","Key IDs":["7"]}`)},
			stored: map[string]weft.Bundle{"k": seed["k"], "new": js(`{"Key IDs":["7"]}`)}},
		{name: "missing record without upsert",
			mapper:  `{"key":"new","data":{"v":1},"upsert":false}`,
			errText: `data store "default" has no record with key "new" (turn on upsert`,
			stored:  map[string]weft.Bundle{"k": seed["k"]}},
		{name: "key is required", mapper: `{"data":{"v":1}}`,
			errText: "key: missing value of required field", stored: map[string]weft.Bundle{"k": seed["k"]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.seed("default", seed)
			out, err := h.call("UpdateRecord", nil, js(tc.mapper))
			if tc.errText != "" {
				apptest.WantError(t, err, weft.DataError, tc.errText)
			} else if err != nil {
				t.Fatal(err)
			}
			same(t, "output", out, tc.want)
			h.mustCommit()
			same(t, "stored", h.stored("default"), tc.stored)
		})
	}
}

// Blueprint 015's pattern: add an empty array, then append each page's ids to it.
func TestUpdateRecordAccumulatesPages(t *testing.T) {
	h := newHarness(t)
	key := h.must("AddRecord", weft.Bundle{"datastore": 27969.0},
		js(`{"key":"","overwrite":false,"data":{"Key IDs":[]}}`))[0]["key"]
	for _, page := range []string{`["1","2"]`, `["3"]`} {
		h.must("UpdateRecord", weft.Bundle{"datastore": 27969.0},
			weft.Bundle{"key": key, "data": weft.Bundle{"Key IDs": jsAny(page)}, "upsert": true, "overwriteArrays": false})
	}
	got := h.must("GetRecord", weft.Bundle{"datastore": 27969.0}, weft.Bundle{"key": key, "returnWrapped": false})
	same(t, "record", got, []weft.Bundle{js(`{"Key IDs":["1","2","3"]}`)})
	h.mustCommit()
	same(t, "stored", h.stored("27969"), map[string]weft.Bundle{"gen-1": js(`{"Key IDs":["1","2","3"]}`)})
}

func TestDeleteRecord(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  string
		want map[string]weft.Bundle
	}{
		{"existing record", "a", map[string]weft.Bundle{"b": js(`{"v":2}`)}},
		{"missing record is not an error", "zzz", map[string]weft.Bundle{"a": js(`{"v":1}`), "b": js(`{"v":2}`)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.seed("default", map[string]weft.Bundle{"a": js(`{"v":1}`), "b": js(`{"v":2}`)})
			out := h.must("DeleteRecord", nil, weft.Bundle{"key": tc.key})
			same(t, "output", out, []weft.Bundle{{"key": tc.key}})
			h.mustCommit()
			same(t, "stored", h.stored("default"), tc.want)
		})
	}
	h := newHarness(t)
	_, err := h.call("DeleteRecord", nil, js(`{}`))
	apptest.WantError(t, err, weft.DataError, "key: missing value of required field")
}

func TestExistRecord(t *testing.T) {
	h := newHarness(t)
	h.seed("default", map[string]weft.Bundle{"a": {}})
	for key, want := range map[string]bool{"a": true, "b": false} {
		out := h.must("ExistRecord", nil, weft.Bundle{"key": key})
		same(t, "exist "+key, out, []weft.Bundle{{"exist": want}})
	}
}

func TestDataStoreParameter(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		params weft.Bundle
		store  string
	}{
		{nil, "default"},
		{weft.Bundle{"datastore": nil}, "default"},
		{weft.Bundle{"datastore": ""}, "default"},
		{weft.Bundle{"datastore": 27969.0}, "27969"},
		{weft.Bundle{"datastore": "27969"}, "27969"},
		{weft.Bundle{"datastore": "Contacts"}, "Contacts"},
	} {
		h.must("AddRecord", tc.params, weft.Bundle{"key": "k", "overwrite": true,
			"data": weft.Bundle{"from": tc.store}})
	}
	h.mustCommit()
	for _, name := range []string{"default", "27969", "Contacts"} {
		same(t, name, h.stored(name), map[string]weft.Bundle{"k": {"from": name}})
	}
	// Stores are separate tables: the same key elsewhere does not exist here.
	same(t, "exist elsewhere", h.must("ExistRecord", weft.Bundle{"datastore": "other"}, weft.Bundle{"key": "k"}),
		[]weft.Bundle{{"exist": false}})
}

// Big integers stay exact, nested values and null survive; a date comes back in a form
// the date operators read (ISO text from the SQLite store).
func TestRecordValuesRoundTrip(t *testing.T) {
	h := newHarness(t)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	data := weft.Bundle{"at": at, "id": int64(1) << 60, "ok": true, "none": nil, "sub": js(`{"a":[1,{"b":"c"}]}`)}
	h.must("AddRecord", nil, weft.Bundle{"key": "t", "overwrite": true, "data": data})
	h.mustCommit()
	got := h.must("GetRecord", nil, weft.Bundle{"key": "t"})
	same(t, "record", got, []weft.Bundle{data})
	if got[0]["id"] != int64(1)<<60 {
		t.Fatalf("id %#v; want int64 %d", got[0]["id"], int64(1)<<60)
	}
	for _, tc := range []struct {
		o    string
		want int
	}{{"date:equal", 1}, {"date:greater", 0}, {"date:less", 0}} {
		out := h.must("SearchRecord", nil, weft.Bundle{"filter": []any{[]any{
			map[string]any{"a": "at", "o": tc.o, "b": "2026-01-02T03:04:05Z"}}}})
		if len(out) != tc.want {
			t.Fatalf("%s: %d records; want %d", tc.o, len(out), tc.want)
		}
	}
}

func TestNewUUID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b := datastore.NewUUID(), datastore.NewUUID()
	if !re.MatchString(a) || !re.MatchString(b) || a == b {
		t.Fatalf("NewUUID gave %q and %q; want two different version 4 UUIDs", a, b)
	}
}
