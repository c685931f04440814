package notion_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/notion"
)

const db011 = "2a1b2541331a80988f37e438237855e8"

// schema011 is the database of corpus blueprint 011 (its expect names the property IDs
// and types), with a property of each other writable type beside them.
func schema011() map[string]any {
	p := func(id, typ string) map[string]any {
		return map[string]any{"id": id, "type": typ, typ: map[string]any{}}
	}
	return map[string]any{
		"Name": p("title", "title"), "Summary": p("ZI~i", "rich_text"), "Type": p("%5E%40sv", "select"),
		"Status": p("diVb", "status"), "Course": p("kcjY", "select"), "Date": p("wW~J", "date"),
		"Count": p("cnt", "number"), "Tags": p("yQg~", "multi_select"), "Done": p("dn", "checkbox"),
		"Link": p("K%3Ed%5E", "url"), "Files": p("TtX%3C", "files"), "Owner": p("own", "people"),
		"Related": p("rel", "relation"), "Mail": p("ml", "email"), "Total": p("fx", "formula"),
	}
}

// notion:createAPage (7 blueprints): the database's schema is read, Make's fields
// keyed by property ID become typed property values, the page is created under the
// database, and the output is the page with properties_value.
func TestCreateAPage(t *testing.T) {
	n := newNotionAPI(t)
	n.schemas["databases/"+db011] = schema011()
	out, err := run(t, n.spec(t, "notion:createAPage"), `{"select": "list", "database": "`+db011+`",
		"fields": {"ZI~i": "Read chapter 3", "diVb": "Nuevo", "kcjY": "[2025/26] C2.381", "title": "Lab 1", "%5E%40sv": "Entrega",
			"wW~J": {"end": "2026-03-06T23:30:00Z", "start": "2026-03-05", "includeTime": false},
			"cnt": "0.045", "yQg~": ["a", "b"], "dn": "true", "K%3Ed%5E": "https://example.com/x",
			"TtX%3C": [{"url": "https://img.example/p.png", "name": "img_1"}], "own": "u-1, u-2", "rel": ["https://www.notion.so/Other-page-0123456789abcdef0123456789abcdef"],
			"ml": "", "Name": null}}`)
	if err != nil {
		t.Fatal(err)
	}
	reqs := n.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests; want the schema and the page", len(reqs))
	}
	if r := reqs[0]; r.Method != "GET" || r.Path != "/v1/databases/"+db011 || r.Version != "2022-06-28" || r.Auth != "Bearer ntn_secret" {
		t.Fatalf("schema request %+v", r)
	}
	if r := reqs[1]; r.Method != "POST" || r.Path != "/v1/pages" || r.Version != "2022-06-28" {
		t.Fatalf("create request %s %s %s", r.Method, r.Path, r.Version)
	}
	sameJSON(t, "page body", reqs[1].Body, `{"parent": {"database_id": "`+db011+`"}, "properties": {
		"title": {"title": [{"type": "text", "text": {"content": "Lab 1"}}]},
		"ZI~i": {"rich_text": [{"type": "text", "text": {"content": "Read chapter 3"}}]},
		"diVb": {"status": {"name": "Nuevo"}},
		"kcjY": {"select": {"name": "[2025/26] C2.381"}},
		"%5E%40sv": {"select": {"name": "Entrega"}},
		"wW~J": {"date": {"start": "2026-03-05", "end": "2026-03-06"}},
		"cnt": {"number": 0.045},
		"yQg~": {"multi_select": [{"name": "a"}, {"name": "b"}]},
		"dn": {"checkbox": true},
		"K%3Ed%5E": {"url": "https://example.com/x"},
		"TtX%3C": {"files": [{"name": "img_1", "type": "external", "external": {"url": "https://img.example/p.png"}}]},
		"own": {"people": [{"id": "u-1", "object": "user"}, {"id": "u-2", "object": "user"}]},
		"rel": {"relation": [{"id": "0123456789abcdef0123456789abcdef"}]}}}`)
	if len(out) != 1 || out[0]["id"] != "page-1" || out[0]["url"] != "https://www.notion.so/page-1" {
		t.Fatalf("output %v", out)
	}
	vals := out[0]["properties_value"].(map[string]any)
	sameJSON(t, "properties_value.Summary", vals["Summary"], `[{"type":"text","text":{"content":"Read chapter 3"},"plain_text":"Read chapter 3"}]`)
	sameJSON(t, "properties_value.Link", vals["Link"], `"https://example.com/x"`)
	sameJSON(t, "properties_value.Type", vals["Type"], `{"name":"Entrega"}`)
}

// Date fields: with includeTime an instant; a plain date with a time of day keeps it;
// the day is the scenario's (time zone), not UTC's.
func TestCreateAPageDates(t *testing.T) {
	n := newNotionAPI(t)
	n.schemas["databases/d1"] = map[string]any{"When": map[string]any{"id": "w", "type": "date"}}
	for _, tc := range []struct{ in, want string }{
		{`{"start": "2026-03-05T08:00:00+01:00", "includeTime": true, "timeZone": "Europe/Prague"}`,
			`{"start": "2026-03-05T07:00:00.000Z", "time_zone": "Europe/Prague"}`},
		{`"2026-03-05T08:00:00Z"`, `{"start": "2026-03-05T08:00:00.000Z"}`},
		{`"2026-03-05"`, `{"start": "2026-03-05"}`},
		{`{"start": "2026-03-05T23:30:00Z", "includeTime": false}`, `{"start": "2026-03-06"}`},
	} {
		spec := n.spec(t, "notion:createAPage")
		exec := apptest.NewExec()
		exec.Loc, _ = time.LoadLocation("Europe/Prague")
		exec.Connections["7"] = creds
		mapper := weft.Bundle{"database": "d1", "fields": map[string]any{"w": decodeJSON(t, tc.in)}}
		if _, err := apptest.Run(t.Context(), spec, weft.Bundle{"__IMTCONN__": 7.0}, mapper, exec); err != nil {
			t.Fatal(err)
		}
		reqs := n.requests()
		sameJSON(t, tc.in, reqs[len(reqs)-1].Body["properties"].(map[string]any)["w"].(map[string]any)["date"], tc.want)
	}
}

// A text longer than Notion's 2000 characters per rich text object is split, not
// refused (multi-byte characters counted as characters).
func TestLongTextIsSplit(t *testing.T) {
	n := newNotionAPI(t)
	n.schemas["databases/d1"] = map[string]any{"Name": map[string]any{"id": "title", "type": "title"}}
	long := strings.Repeat("é", 2500)
	if _, err := run(t, n.spec(t, "notion:createAPage"), `{"database": "d1", "fields": {"title": "`+long+`"}}`); err != nil {
		t.Fatal(err)
	}
	title := n.requests()[1].Body["properties"].(map[string]any)["title"].(map[string]any)["title"].([]any)
	if len(title) != 2 || len([]rune(title[0].(map[string]any)["text"].(map[string]any)["content"].(string))) != 2000 {
		t.Fatalf("title split into %d pieces", len(title))
	}
}

// Values that cannot be their property are the input's fault: DataError naming the
// field, and nothing is created.
func TestCreateAPageBadFields(t *testing.T) {
	n := newNotionAPI(t)
	n.schemas["databases/"+db011] = schema011()
	for _, tc := range []struct{ fields, msg string }{
		{`{"nope": "x"}`, "fields.nope: the database has no property with this ID or name"},
		{`{"cnt": "a dozen"}`, `fields.cnt (Count, number): "a dozen" is not a number`},
		{`{"fx": "1+1"}`, "fields.fx (Total, formula): Notion computes this property"},
		{`{"wW~J": {"start": "someday"}}`, `fields.wW~J (Date, date): start "someday" is not a date`},
	} {
		_, err := run(t, n.spec(t, "notion:createAPage"), `{"database": "`+db011+`", "fields": `+tc.fields+`}`)
		apptest.WantError(t, err, weft.DataError, tc.msg)
	}
	for _, r := range n.requests() {
		if r.Method == "POST" {
			t.Fatalf("a page was created: %+v", r)
		}
	}
}

// notion:createDataSourceItem (blueprint 121): API 2025-09-03, the data source's
// schema, a data_source_id parent.
func TestCreateDataSourceItem(t *testing.T) {
	n := newNotionAPI(t)
	ds := "200c003d-3b7a-410d-840c-8e19b0667edc"
	n.schemas["data_sources/"+ds] = map[string]any{
		"Ticket ID": map[string]any{"id": "title", "type": "title"}, "Issue Summary": map[string]any{"id": "NUO%3F", "type": "rich_text"},
		"Date": map[string]any{"id": "PBu~", "type": "date"}, "Confidence Score": map[string]any{"id": "SnDf", "type": "number"},
		"Customer Email": map[string]any{"id": "Vq_%3E", "type": "email"}, "Status": map[string]any{"id": "rcsH", "type": "select"},
	}
	out, err := run(t, n.spec(t, "notion:createDataSourceItem"), `{"select": "list", "data_source": "`+ds+`",
		"fields": {"title": "resp-1", "NUO%3F": "Refund", "PBu~": {"start": "2026-01-02T03:04:05Z", "includeTime": false},
			"SnDf": 0.92, "Vq_%3E": "ann@example.com", "rcsH": "Auto-Replied"}}`)
	if err != nil {
		t.Fatal(err)
	}
	reqs := n.requests()
	if reqs[0].Path != "/v1/data_sources/"+ds || reqs[0].Version != "2025-09-03" || reqs[1].Version != "2025-09-03" {
		t.Fatalf("requests %+v", reqs)
	}
	sameJSON(t, "body", reqs[1].Body, `{"parent": {"type": "data_source_id", "data_source_id": "`+ds+`"}, "properties": {
		"title": {"title": [{"type": "text", "text": {"content": "resp-1"}}]},
		"NUO%3F": {"rich_text": [{"type": "text", "text": {"content": "Refund"}}]},
		"PBu~": {"date": {"start": "2026-01-02"}}, "SnDf": {"number": 0.92},
		"Vq_%3E": {"email": "ann@example.com"}, "rcsH": {"select": {"name": "Auto-Replied"}}}}`)
	if out[0]["properties_value"].(map[string]any)["Confidence Score"] != 0.92 {
		t.Fatalf("output %v", out[0])
	}
}

// notion:updateADatabaseItem (blueprints 124, 334, 335, 357): the schema of the page's
// database, PATCH of the given properties only.
func TestUpdateADatabaseItem(t *testing.T) {
	n := newNotionAPI(t)
	n.schemas["databases/"+db011] = schema011()
	if _, err := run(t, n.spec(t, "notion:createAPage"), `{"database": "`+db011+`", "fields": {"title": "Lab 1", "diVb": "Nuevo"}}`); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, n.spec(t, "notion:updateADatabaseItem"), `{"select": "list", "database": "`+db011+`", "page": "page-1",
		"fields": {"diVb": "Hecho", "cnt": "3", "title": ""}}`)
	if err != nil {
		t.Fatal(err)
	}
	r := n.requests()[3]
	if r.Method != "PATCH" || r.Path != "/v1/pages/page-1" || r.Version != "2022-06-28" {
		t.Fatalf("update request %s %s %s", r.Method, r.Path, r.Version)
	}
	sameJSON(t, "body", r.Body, `{"properties": {"diVb": {"status": {"name": "Hecho"}}, "cnt": {"number": 3}}}`)
	vals := out[0]["properties_value"].(map[string]any)
	sameJSON(t, "status", vals["Status"], `{"name":"Hecho"}`)
	sameJSON(t, "title kept", vals["Name"], `[{"type":"text","text":{"content":"Lab 1"},"plain_text":"Lab 1"}]`)

	// updateBy data_source reads the data source's schema with API 2025-09-03.
	n.schemas["data_sources/ds1"] = map[string]any{"Name": map[string]any{"id": "title", "type": "title"}}
	if _, err := run(t, n.spec(t, "notion:updateADatabaseItem"), `{"updateBy": "data_source", "data_source": "ds1", "page": "page-1",
		"fields": {"title": "Lab 2"}}`); err != nil {
		t.Fatal(err)
	}
	reqs := n.requests()
	if g := reqs[len(reqs)-2]; g.Path != "/v1/data_sources/ds1" || g.Version != "2025-09-03" {
		t.Fatalf("schema request %+v", g)
	}
	_, err = run(t, n.spec(t, "notion:updateADatabaseItem"), `{"updateBy": "data_source", "page": "page-1", "fields": {}}`)
	apptest.WantError(t, err, weft.DataError, "data_source: missing value of required field")
	_, err = run(t, n.spec(t, "notion:updateADatabaseItem"), `{"database": "`+db011+`", "page": "nope", "fields": {"diVb": "x"}}`)
	apptest.WantError(t, err, weft.DataError, "[404] object_not_found: Could not find page with ID: nope.")
}

// notion:searchObjects1 (blueprints 124, 136, 334, 335): a database query with Make's
// filter, every page up to the limit, one bundle per item.
func TestSearchObjects(t *testing.T) {
	n := newNotionAPI(t)
	n.schemas["databases/"+db011] = schema011()
	for i := 1; i <= 5; i++ {
		summary := "other"
		if i%2 == 1 {
			summary = "odd"
		}
		if _, err := run(t, n.spec(t, "notion:createAPage"), fmt.Sprintf(`{"database": "%s", "fields": {"title": "T%d", "ZI~i": %q}}`, db011, i, summary)); err != nil {
			t.Fatal(err)
		}
	}
	before := len(n.requests())
	// Blueprint 136's search, by a rich text property.
	out, err := run(t, n.spec(t, "notion:searchObjects1"), `{"limit": "10", "select": "item", "database": "`+db011+`",
		"filter": [[{"a": "Summary |&*^%$#@| rich_text", "b": "odd", "o": "text:equals"}]],
		"sorts": [{"select": "timestamp", "timestamp": "created_time", "direction": "ascending"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	reqs := n.requests()[before:]
	if len(reqs) != 2 {
		t.Fatalf("%d query requests; want 2 pages", len(reqs))
	}
	if r := reqs[0]; r.Method != "POST" || r.Path != "/v1/databases/"+db011+"/query" || r.Version != "2022-06-28" {
		t.Fatalf("query %s %s %s", r.Method, r.Path, r.Version)
	}
	sameJSON(t, "first query", reqs[0].Body, `{"filter": {"property": "Summary", "rich_text": {"equals": "odd"}},
		"sorts": [{"timestamp": "created_time", "direction": "ascending"}], "page_size": 10}`)
	sameJSON(t, "second query", reqs[1].Body, `{"filter": {"property": "Summary", "rich_text": {"equals": "odd"}},
		"sorts": [{"timestamp": "created_time", "direction": "ascending"}], "page_size": 8, "start_cursor": "2"}`)
	if len(out) != 3 || out[0]["id"] != "page-1" || out[2]["id"] != "page-5" || out[2]["__IMTINDEX__"] != 3.0 || out[0]["__IMTLENGTH__"] != 3.0 {
		t.Fatalf("output %v", out)
	}
	sameJSON(t, "properties_value", out[0]["properties_value"].(map[string]any)["Summary"],
		`[{"type":"text","text":{"content":"odd"},"plain_text":"odd"}]`)

	// Blueprint 334: no filter, a limit under the page size.
	out, err = run(t, n.spec(t, "notion:searchObjects1"), `{"limit": "1", "select": "item", "database": "`+db011+`"}`)
	if err != nil || len(out) != 1 {
		t.Fatalf("limit 1: %d bundles, %v", len(out), err)
	}
	reqs = n.requests()
	sameJSON(t, "limited query", reqs[len(reqs)-1].Body, `{"page_size": 1}`)

	// Data source items (blueprint 124) speak API 2025-09-03.
	n.schemas["data_sources/ds1"] = map[string]any{}
	if _, err := run(t, n.spec(t, "notion:searchObjects1"), `{"select": "data_source_item", "data_source": "ds1",
		"filter": [[{"a": "Date |&*^%$#@| title", "b": "04.03.2026", "o": "text:equals"}]]}`); err != nil {
		t.Fatal(err)
	}
	reqs = n.requests()
	if r := reqs[len(reqs)-1]; r.Path != "/v1/data_sources/ds1/query" || r.Version != "2025-09-03" {
		t.Fatalf("data source query %+v", r)
	}
	sameJSON(t, "title filter", reqs[len(reqs)-1].Body, `{"filter": {"property": "Date", "title": {"equals": "04.03.2026"}}, "page_size": 100}`)

	_, err = run(t, n.spec(t, "notion:searchObjects1"), `{"select": "page"}`)
	apptest.WantError(t, err, weft.InvalidConfigurationError, `select: searching "page"`)
	_, err = run(t, n.spec(t, "notion:searchObjects1"), `{"select": "item", "database": "x", "filter": [[{"a": "N |&*^%$#@| number", "o": "number:greater_than", "b": "many"}]]}`)
	apptest.WantError(t, err, weft.DataError, `filter/0/0: greater_than compares numbers; "many" is not one`)
}

func TestGetADatabaseItemAndDatabase(t *testing.T) {
	n := newNotionAPI(t)
	n.schemas["databases/"+db011] = schema011()
	if _, err := run(t, n.spec(t, "notion:createAPage"), `{"database": "`+db011+`", "fields": {"title": "Lab 1", "K%3Ed%5E": "https://x.test"}}`); err != nil {
		t.Fatal(err)
	}
	// Blueprint 334's mapper.
	out, err := run(t, n.spec(t, "notion:getADatabaseItem"), `{"page": "page-1", "select": "map"}`)
	if err != nil {
		t.Fatal(err)
	}
	if r := n.requests()[2]; r.Method != "GET" || r.Path != "/v1/pages/page-1" || r.Version != "2022-06-28" {
		t.Fatalf("request %+v", r)
	}
	if out[0]["id"] != "page-1" || out[0]["properties_value"].(map[string]any)["Link"] != "https://x.test" {
		t.Fatalf("output %v", out[0])
	}
	// Blueprint 335's mapper.
	out, err = run(t, n.spec(t, "notion:getADatabase"), `{"database": "`+db011+`"}`)
	if err != nil {
		t.Fatal(err)
	}
	if r := n.requests()[3]; r.Path != "/v1/databases/"+db011 {
		t.Fatalf("request %+v", r)
	}
	if out[0]["id"] != db011 || out[0]["properties_value"].(map[string]any)["Type"] == nil {
		t.Fatalf("output %v", out[0])
	}
}

// notion:appendAPageContent (blueprint 357): Make's content objects with the older
// "text" key are sent as rich_text; a divider without settings gets an empty one.
func TestAppendAPageContent(t *testing.T) {
	n := newNotionAPI(t)
	n.schemas["databases/d1"] = map[string]any{"Name": map[string]any{"id": "title", "type": "title"}}
	if _, err := run(t, n.spec(t, "notion:createAPage"), `{"database": "d1", "fields": {"title": "Post"}}`); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, n.spec(t, "notion:appendAPageContent"), `{"page": "page-1", "objects": [
		{"type": "paragraph", "paragraph": {"text": [{"text": {"content": "Summary"}, "type": "text", "annotations": {"color": "default"}}]}},
		{"type": "divider"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	r := n.requests()[2]
	if r.Method != "PATCH" || r.Path != "/v1/blocks/page-1/children" {
		t.Fatalf("request %s %s", r.Method, r.Path)
	}
	sameJSON(t, "children", r.Body, `{"children": [
		{"type": "paragraph", "paragraph": {"rich_text": [{"text": {"content": "Summary"}, "type": "text", "annotations": {"color": "default"}}]}},
		{"type": "divider", "divider": {}}]}`)
	if len(out[0]["results"].([]any)) != 2 {
		t.Fatalf("output %v", out)
	}
	_, err = run(t, n.spec(t, "notion:appendAPageContent"), `{"page": "page-1", "objects": [{"paragraph": {}}]}`)
	apptest.WantError(t, err, weft.DataError, "objects/0: the block has no type")
}

// Notion's documented errors (status codes and their code) through every module that
// writes or reads, directly and in the engine: the type, and what weft then does.
func TestNotionErrorTable(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		header map[string]string
		want   weft.ErrorType
		msg    string
	}{
		{"validation", 400, `{"object":"error","status":400,"code":"validation_error","message":"body failed validation: body.properties.Status.select.name should be a string."}`, nil,
			weft.DataError, "[400] validation_error: body failed validation"},
		{"revoked token", 401, `{"object":"error","status":401,"code":"unauthorized","message":"API token is invalid."}`, nil,
			weft.InvalidAccessTokenError, "[401] unauthorized: API token is invalid."},
		{"not shared with the integration", 403, `{"object":"error","status":403,"code":"restricted_resource","message":"Insufficient permissions for this endpoint."}`, nil,
			weft.InvalidConfigurationError, "restricted_resource"},
		{"no such object", 404, `{"object":"error","status":404,"code":"object_not_found","message":"Could not find page with ID: x."}`, nil,
			weft.DataError, "object_not_found"},
		{"conflict", 409, `{"object":"error","status":409,"code":"conflict_error","message":"Conflict occurred while saving. Please try again."}`, nil,
			weft.ConnectionError, "conflict_error"},
		{"rate limited", 429, `{"object":"error","status":429,"code":"rate_limited","message":"You have been rate limited. Please try again in a few minutes."}`,
			map[string]string{"Retry-After": "7"}, weft.RateLimitError, "rate_limited"},
		{"internal", 500, `{"object":"error","status":500,"code":"internal_server_error","message":"Unexpected error occurred."}`, nil,
			weft.RuntimeError, "internal_server_error"},
		{"bad gateway", 502, `{"object":"error","status":502,"code":"bad_gateway","message":"Notion encountered an issue while attempting to complete this request."}`, nil,
			weft.ConnectionError, "bad_gateway"},
		{"unavailable", 503, `{"object":"error","status":503,"code":"service_unavailable","message":"Notion is unavailable."}`, nil,
			weft.ConnectionError, "service_unavailable"},
		{"database unavailable", 503, `{"object":"error","status":503,"code":"database_connection_unavailable","message":"Notion's database is unavailable."}`, nil,
			weft.ConnectionError, "database_connection_unavailable"},
		{"gateway timeout", 504, `{"object":"error","status":504,"code":"gateway_timeout","message":"Notion timed out while attempting to complete this request."}`, nil,
			weft.ConnectionError, "gateway_timeout"},
		{"not JSON", 502, `<html>Bad Gateway</html>`, nil, weft.ConnectionError, "[502] <html>Bad Gateway</html>"},
	}
	for _, module := range []struct {
		name   string
		mapper func(tag string) weft.Bundle
	}{
		{"notion:createAPage", func(tag string) weft.Bundle {
			return weft.Bundle{"database": tag, "fields": map[string]any{"title": "x"}}
		}},
		{"notion:createDataSourceItem", func(tag string) weft.Bundle { return weft.Bundle{"data_source": tag} }},
		{"notion:updateADatabaseItem", func(tag string) weft.Bundle { return weft.Bundle{"database": tag, "page": "p"} }},
		{"notion:searchObjects1", func(tag string) weft.Bundle { return weft.Bundle{"select": "item", "database": tag} }},
		{"notion:getADatabaseItem", func(tag string) weft.Bundle { return weft.Bundle{"page": tag} }},
		{"notion:getADatabase", func(tag string) weft.Bundle { return weft.Bundle{"database": tag} }},
		{"notion:appendAPageContent", func(tag string) weft.Bundle {
			return weft.Bundle{"page": tag, "objects": []any{map[string]any{"type": "divider"}}}
		}},
	} {
		t.Run(module.name, func(t *testing.T) {
			n := newNotionAPI(t)
			n.fail = func(r *http.Request) (int, string, map[string]string) {
				for i, c := range cases {
					if strings.Contains(r.URL.Path, fmt.Sprintf("case%02d", i)) {
						return c.status, c.body, c.header
					}
				}
				return 0, "", nil
			}
			var ecs []apptest.ErrorCase
			for i, c := range cases {
				ec := apptest.ErrorCase{Name: c.name, Params: weft.Bundle{"__IMTCONN__": 7.0},
					Mapper: module.mapper(fmt.Sprintf("case%02d", i)), Connections: map[string]weft.Bundle{"7": creds},
					Want: c.want, WantMessage: c.msg}
				if c.header["Retry-After"] != "" {
					ec.Check = func(t testing.TB, e *weft.Error) {
						if e.RetryAfter != 7*time.Second {
							t.Errorf("RetryAfter %s; want 7s", e.RetryAfter)
						}
					}
				}
				ecs = append(ecs, ec)
			}
			ecs = append(ecs, apptest.ErrorCase{Name: "missing connection", Params: weft.Bundle{"__IMTCONN__": 8.0},
				Mapper: module.mapper("x"), Want: weft.InvalidConfigurationError, WantMessage: `parameters.__IMTCONN__: connection "8" not found`})
			apptest.CheckErrors(t, n.spec(t, module.name), ecs)
		})
	}
}

// A token Notion refused once is asked for again; an internal integration's token
// cannot be renewed, so Notion's 401 stands as InvalidAccessTokenError.
func TestRefusedTokenIsInvalidAccessToken(t *testing.T) {
	n := newNotionAPI(t)
	spec := n.spec(t, "notion:getADatabase")
	exec := apptest.NewExec()
	exec.Connections["7"] = weft.Bundle{"accessToken": "ntn_revoked"}
	_, err := apptest.Run(t.Context(), spec, weft.Bundle{"__IMTCONN__": 7.0}, weft.Bundle{"database": "d"}, exec)
	e := apptest.WantError(t, err, weft.InvalidAccessTokenError, "[401] unauthorized")
	if strings.Contains(e.Message, "ntn_revoked") {
		t.Fatalf("token in the message: %s", e.Message)
	}
}

var _ = notion.DefaultBaseURL

// A query without a limit reads at most 100 pages, even from a service that always
// says there is more.
func TestSearchObjectsPagesAreBounded(t *testing.T) {
	n := newNotionAPI(t)
	var calls atomic.Int32
	n.fail = func(r *http.Request) (int, string, map[string]string) {
		c := calls.Add(1)
		return 200, fmt.Sprintf(`{"object":"list","results":[{"object":"page","id":"p%d","properties":{}}],"has_more":true,"next_cursor":"c%d"}`, c, c), nil
	}
	out, err := run(t, n.spec(t, "notion:searchObjects1"), `{"select": "item", "database": "d1"}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 100 || calls.Load() != 100 {
		t.Fatalf("%d bundles from %d requests; want 100 from 100", len(out), calls.Load())
	}
}
