package declarative_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
)

// airtableAPI is a stand-in for POST /v0/{base}/{table}/listRecords: it applies
// maxRecords, the first sort and the pageSize (3 here) with an opaque offset, as
// Airtable documents them, and records each body.
type airtableAPI struct {
	*standIn
	mu      sync.Mutex
	records []map[string]any
}

func newAirtableAPI(t *testing.T) *airtableAPI {
	a := &airtableAPI{}
	a.standIn = newStandIn(t)
	a.fn = func(r *http.Request, body string) reply {
		if r.Header.Get("Authorization") != "Bearer pat.secret" {
			return reply{status: 401, body: `{"error":{"type":"AUTHENTICATION_REQUIRED","message":"Authentication required"}}`}
		}
		if r.Method != "POST" || r.URL.Path != "/appB/tblT/listRecords" {
			return reply{status: 404, body: `{"error":"NOT_FOUND"}`}
		}
		var req struct {
			MaxRecords int                 `json:"maxRecords"`
			Offset     string              `json:"offset"`
			Sort       []map[string]string `json:"sort"`
		}
		if err := json.Unmarshal([]byte(body), &req); err != nil {
			return reply{status: 422, body: `{"error":{"type":"INVALID_REQUEST_UNKNOWN","message":"Invalid request"}}`}
		}
		a.mu.Lock()
		list := append([]map[string]any(nil), a.records...)
		a.mu.Unlock()
		if len(req.Sort) > 0 {
			f, desc := req.Sort[0]["field"], req.Sort[0]["direction"] == "desc"
			sort.SliceStable(list, func(i, j int) bool {
				x, y := fmt.Sprint(list[i]["fields"].(map[string]any)[f]), fmt.Sprint(list[j]["fields"].(map[string]any)[f])
				if desc {
					return x > y
				}
				return x < y
			})
		}
		if req.MaxRecords > 0 && len(list) > req.MaxRecords {
			list = list[:req.MaxRecords]
		}
		start, _ := strconv.Atoi(req.Offset)
		end := min(start+3, len(list))
		page := map[string]any{"records": list[start:end]}
		if end < len(list) {
			page["offset"] = strconv.Itoa(end)
		}
		b, _ := json.Marshal(page)
		return ok(string(b))
	}
	return a
}

func (a *airtableAPI) add(id, name, modified string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.records = append(a.records, map[string]any{"id": id, "createdTime": "2026-01-01T00:00:00.000Z",
		"fields": map[string]any{"Name": name, "Last Modified": modified}})
}

// airtable:ActionSearchRecords (13 instances; blueprint 020's mapper): listRecords with
// the formula, view, output fields and sort; every page; one bundle per record.
func TestAirtableSearchRecords(t *testing.T) {
	a := newAirtableAPI(t)
	for i := 1; i <= 7; i++ {
		a.add(fmt.Sprintf("rec%d", i), fmt.Sprintf("N%d", 8-i), "")
	}
	spec := shipped(t, "airtable", "ActionSearchRecords", a.standIn)
	out, err := run(t, spec, airtableCreds, `{"base": "appB", "view": "viwHyowhfQYvh0fAe", "table": "tblT",
		"fields": ["Name"], "formula": "{Company (ID)}='42'", "maxRecords": "5", "useColumnId": false,
		"sort": [{"field": "Name", "direction": "asc"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	reqs := a.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests; want 2 pages", len(reqs))
	}
	sameJSON(t, "first body", jsonBody(t, reqs[0].Body), `{"filterByFormula":"{Company (ID)}='42'","maxRecords":5,
		"view":"viwHyowhfQYvh0fAe","fields":["Name"],"sort":[{"field":"Name","direction":"asc"}]}`)
	sameJSON(t, "second body", jsonBody(t, reqs[1].Body), `{"filterByFormula":"{Company (ID)}='42'","maxRecords":5,
		"view":"viwHyowhfQYvh0fAe","fields":["Name"],"sort":[{"field":"Name","direction":"asc"}],"offset":"3"}`)
	if len(out) != 5 {
		t.Fatalf("%d bundles; want 5", len(out))
	}
	sameJSON(t, "first bundle", out[0], `{"Name":"N1","Last Modified":"","id":"rec7","createdTime":"2026-01-01T00:00:00.000Z","__IMTINDEX__":1,"__IMTLENGTH__":5}`)
	sameJSON(t, "last bundle", out[4]["Name"], `"N5"`)

	// No limit, no options: every record, nothing optional sent.
	out, err = run(t, spec, airtableCreds, `{"base": "appB", "table": "tblT", "useColumnId": true}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 7 {
		t.Fatalf("%d bundles; want all 7", len(out))
	}
	reqs = a.requests()
	sameJSON(t, "bare body", jsonBody(t, reqs[2].Body), `{"returnFieldsByFieldId":true}`)
}

func TestAirtableGetRecord(t *testing.T) {
	s := newStandIn(t, ok(airtableRecord))
	// Blueprint 020's mapper.
	out, err := run(t, shipped(t, "airtable", "ActionGetRecord", s), airtableCreds,
		`{"id": "recA1", "base": "appbhdF78LhXRbCtL", "table": "tblulr9Q4LIOj5gcw", "useColumnId": false}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "GET" || g.Path != "/appbhdF78LhXRbCtL/tblulr9Q4LIOj5gcw/recA1" || g.Query != "" || g.Body != "" {
		t.Fatalf("request %s %s?%s %q", g.Method, g.Path, g.Query, g.Body)
	}
	sameJSON(t, "output", out, `[{"id":"recA1","createdTime":"2026-03-04T05:06:07.000Z","Name":"Ada","Amount":12.5}]`)
	if _, err := run(t, shipped(t, "airtable", "ActionGetRecord", s), airtableCreds, `{"id": "recA1", "base": "b", "table": "t", "useColumnId": true}`); err != nil {
		t.Fatal(err)
	}
	if g := s.requests()[1]; g.Query != "returnFieldsByFieldId=true" {
		t.Fatalf("query %q", g.Query)
	}
}

// airtable:upsertRecord (blueprints 362–365: a search, then recordId
// {{ifempty(3.id; emptystring)}}): PATCH the record when there is an ID, POST a new one
// when there is none.
func TestAirtableUpsertRecord(t *testing.T) {
	s := newStandIn(t, ok(airtableRecord))
	spec := shipped(t, "airtable", "upsertRecord", s)
	mapper := `{"base": "appIx01XgyF4cM0AY", "table": "tblXxFhaoXJv8EJJI", "typecast": false, "useColumnId": false,
		"record": {"fld1OSEjdKwZG1Bqx": "hello", "fldHGNFudp9fE4ae3": false, "fldZS62c8NqpBbojf": "Website", "fldEmpty": ""},
		"recordId": %q}`
	out, err := run(t, spec, airtableCreds, fmt.Sprintf(mapper, ""))
	if err != nil {
		t.Fatal(err)
	}
	g := s.requests()[0]
	if g.Method != "POST" || g.Path != "/appIx01XgyF4cM0AY/tblXxFhaoXJv8EJJI" {
		t.Fatalf("create: %s %s", g.Method, g.Path)
	}
	sameJSON(t, "create body", jsonBody(t, g.Body), `{"fields":{"fld1OSEjdKwZG1Bqx":"hello","fldHGNFudp9fE4ae3":false,"fldZS62c8NqpBbojf":"Website"},"typecast":false}`)
	sameJSON(t, "output", out, `[{"id":"recA1","createdTime":"2026-03-04T05:06:07.000Z","Name":"Ada","Amount":12.5}]`)

	if _, err := run(t, spec, airtableCreds, fmt.Sprintf(mapper, "rec 9")); err != nil {
		t.Fatal(err)
	}
	g = s.requests()[1]
	if g.Method != "PATCH" || g.Path != "/appIx01XgyF4cM0AY/tblXxFhaoXJv8EJJI/rec%209" {
		t.Fatalf("update: %s %s", g.Method, g.Path)
	}
	sameJSON(t, "update body", jsonBody(t, g.Body), `{"fields":{"fld1OSEjdKwZG1Bqx":"hello","fldHGNFudp9fE4ae3":false,"fldZS62c8NqpBbojf":"Website"},"typecast":false}`)
}

// airtable:TriggerWatchRecords (blueprints 264, 297, 355, 382): listRecords sorted by
// the trigger field, newest first, read until the position; the records modified
// since, oldest first, maxRecords per run.
func TestAirtableWatchRecords(t *testing.T) {
	a := newAirtableAPI(t)
	a.add("rec1", "Ann", "2026-03-01T10:00:00.000Z")
	a.add("rec2", "Bob", "2026-03-01T11:00:00.000Z")
	a.add("rec3", "Cid", "")
	p, c := pollerOf(t, shipped(t, "airtable", "TriggerWatchRecords", a.standIn), airtableCreds,
		`{"base": "appB", "view": "", "table": "tblT", "config": {"labelField": "Name", "triggerField": "Last Modified"},
		  "formula": "{Qualification} = \"qualified\"", "maxRecords": 2, "useColumnId": false}`)
	pos, err := p.Start(context.Background(), c, app.StartFrom{Mode: app.StartNow})
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "listRecords body", jsonBody(t, a.requests()[0].Body),
		`{"filterByFormula":"{Qualification} = \"qualified\"","sort":[{"field":"Last Modified","direction":"desc"}]}`)
	if keys, _, _ := pollKeys(t, p, c, pos); len(keys) != 0 {
		t.Fatalf("nothing new: %v", keys)
	}

	// Three new records and one modified: the four, oldest first, two per run.
	for i, m := range []string{"2026-03-02T09:00:00.000Z", "2026-03-02T08:00:00.000Z", "2026-03-02T10:00:00.000Z"} {
		a.add(fmt.Sprintf("rec%d", 4+i), "New", m)
	}
	a.mu.Lock()
	a.records[0]["fields"].(map[string]any)["Last Modified"] = "2026-03-02T11:00:00.000Z"
	a.mu.Unlock()
	before := len(a.requests())
	keys, pos2, items := pollKeys(t, p, c, pos)
	if fmt.Sprint(keys) != "[rec5 rec4]" {
		t.Fatalf("first run %v; want [rec5 rec4]", keys)
	}
	if n := len(a.requests()) - before; n != 2 {
		t.Fatalf("%d pages read; want 2 (the second reaches the position)", n)
	}
	sameJSON(t, "bundle", items[0].Bundle, `{"Name":"New","Last Modified":"2026-03-02T08:00:00.000Z","id":"rec5","createdTime":"2026-01-01T00:00:00.000Z"}`)
	keys, pos3, _ := pollKeys(t, p, c, pos2)
	if fmt.Sprint(keys) != "[rec6 rec1]" {
		t.Fatalf("second run %v; want [rec6 rec1] (rec1 was modified)", keys)
	}
	if keys, _, _ := pollKeys(t, p, c, pos3); len(keys) != 0 {
		t.Fatalf("third run %v", keys)
	}
	since, err := p.Start(context.Background(), c, app.StartFrom{Mode: app.StartSince, Since: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if keys, _, _ := pollKeys(t, p, c, since); fmt.Sprint(keys) != "[rec6 rec1]" {
		t.Fatalf("since 09:30: %v", keys)
	}
}

func airtableErrors() []tableCase {
	return []tableCase{
		{"unknown field", reply{status: 422, body: `{"error":{"type":"UNKNOWN_FIELD_NAME","message":"Unknown field name: \"Nme\""}}`},
			weft.DataError, `[422] UNKNOWN_FIELD_NAME: Unknown field name: "Nme"`, 0},
		{"bad formula", reply{status: 422, body: `{"error":{"type":"INVALID_FILTER_BY_FORMULA","message":"The formula for filtering records is invalid"}}`},
			weft.DataError, "INVALID_FILTER_BY_FORMULA", 0},
		{"bad token", reply{status: 401, body: `{"error":{"type":"AUTHENTICATION_REQUIRED","message":"Authentication required"}}`},
			weft.InvalidAccessTokenError, "AUTHENTICATION_REQUIRED", 0},
		{"no permission or no base", reply{status: 403, body: `{"error":{"type":"INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND","message":"Invalid permissions, or the requested model was not found."}}`},
			weft.InvalidConfigurationError, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND", 0},
		{"no such record", reply{status: 404, body: `{"error":{"type":"MODEL_ID_NOT_FOUND","message":"Could not find a record with ID \"recX\"."}}`},
			weft.DataError, "MODEL_ID_NOT_FOUND", 0},
		{"billing limit", reply{status: 402, body: `{"error":{"type":"PUBLIC_API_BILLING_LIMIT_EXCEEDED","message":"Billing limit exceeded"}}`},
			weft.InvalidConfigurationError, "PUBLIC_API_BILLING_LIMIT_EXCEEDED", 0},
		{"too large", reply{status: 413, body: `{"error":{"type":"REQUEST_TOO_LARGE","message":"Request body is too large"}}`},
			weft.MaxFileSizeExceededError, "REQUEST_TOO_LARGE", 0},
		{"rate limit", reply{status: 429, body: `{"errors":[{"error":"RATE_LIMIT_REACHED","message":"Rate limit exceeded."}]}`},
			weft.RateLimitError, "[429]", 30 * time.Second},
		{"server error", reply{status: 500, body: `{"error":"SERVER_ERROR"}`}, weft.RuntimeError, "SERVER_ERROR", 0},
		{"down", reply{status: 503, body: `{"error":"SERVICE_UNAVAILABLE"}`}, weft.ConnectionError, "SERVICE_UNAVAILABLE", 0},
	}
}

// Airtable's documented errors through each new action, directly and in the engine.
func TestAirtableDataErrorTables(t *testing.T) {
	t.Run("ActionSearchRecords", func(t *testing.T) {
		checkErrorTable(t, "airtable", "ActionSearchRecords", airtableCreds,
			func(tag string) weft.Bundle { return weft.Bundle{"base": "appB", "table": tag} }, airtableErrors())
	})
	t.Run("ActionGetRecord", func(t *testing.T) {
		checkErrorTable(t, "airtable", "ActionGetRecord", airtableCreds,
			func(tag string) weft.Bundle { return weft.Bundle{"base": "appB", "table": "tblT", "id": tag} }, airtableErrors())
	})
	t.Run("upsertRecord", func(t *testing.T) {
		checkErrorTable(t, "airtable", "upsertRecord", airtableCreds,
			func(tag string) weft.Bundle {
				return weft.Bundle{"base": "appB", "table": "tblT", "recordId": tag, "record": map[string]any{"Name": "x"}}
			}, airtableErrors())
	})
}

// A trigger's failure stops the run without an incomplete execution; the position stays.
func TestAirtableWatchRecordsErrors(t *testing.T) {
	for _, tc := range airtableErrors() {
		t.Run(tc.name, func(t *testing.T) {
			s := newStandIn(t, tc.reply)
			p, c := pollerOf(t, shipped(t, "airtable", "TriggerWatchRecords", s), airtableCreds,
				`{"base": "appB", "table": "tblT", "config": {"triggerField": "Created"}, "maxRecords": 1}`)
			_, err := p.Poll(context.Background(), c, json.RawMessage(`{"date":"2026-03-01T00:00:00Z","atDate":["rec1"]}`))
			e := weft.AsError(err)
			if err == nil || e.Type != tc.typ {
				t.Fatalf("error %v; want %s", err, tc.typ)
			}
		})
	}
}
