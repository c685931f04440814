package notion_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/notion"
	"github.com/weftworks/weft/value"
)

// got is one request the stand-in received.
type got struct {
	Method, Path, Version, Auth string
	Body                        map[string]any
}

// notionAPI is a stand-in for Notion's API as its reference describes it: databases
// (API 2022-06-28) and data sources (2025-09-03) with a schema, pages created and
// updated under them with typed property values, queries paged by start_cursor, block
// children appended. Requests with another Notion-Version than the resource's, or
// without the token, are refused as Notion refuses them.
type notionAPI struct {
	*httptest.Server
	mu      sync.Mutex
	got     []got
	schemas map[string]map[string]any // database or data source id → properties by name
	// dataSources names each data source's database: a query of the data source lists
	// the pages created under either.
	dataSources map[string]string
	pages       map[string]map[string]any
	order       []string // page ids in creation order
	nextID      int
	fail        func(r *http.Request) (int, string, map[string]string) // answers instead, when it returns a status
}

func newNotionAPI(t *testing.T) *notionAPI {
	n := &notionAPI{schemas: map[string]map[string]any{}, pages: map[string]map[string]any{}, dataSources: map[string]string{}}
	n.Server = httptest.NewServer(http.HandlerFunc(n.serve))
	t.Cleanup(n.Close)
	return n
}

func (n *notionAPI) requests() []got {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]got(nil), n.got...)
}

func (n *notionAPI) answer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func notionError(status int, code, msg string) map[string]any {
	return map[string]any{"object": "error", "status": status, "code": code, "message": msg}
}

func (n *notionAPI) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &body); err != nil {
			n.answer(w, 400, notionError(400, "invalid_json", "Error parsing JSON body."))
			return
		}
	}
	n.mu.Lock()
	n.got = append(n.got, got{r.Method, r.URL.EscapedPath(), r.Header.Get("Notion-Version"), r.Header.Get("Authorization"), body})
	fail := n.fail
	n.mu.Unlock()
	if fail != nil {
		if status, b, h := fail(r); status != 0 {
			for k, v := range h {
				w.Header().Set(k, v)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			io.WriteString(w, b)
			return
		}
	}
	if r.Header.Get("Authorization") != "Bearer ntn_secret" {
		n.answer(w, 401, notionError(401, "unauthorized", "API token is invalid."))
		return
	}
	if r.Header.Get("Notion-Version") == "" {
		n.answer(w, 400, notionError(400, "missing_version", "Notion-Version header failed validation."))
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	v := r.Header.Get("Notion-Version")
	switch {
	case r.Method == "GET" && len(parts) == 3 && (parts[1] == "databases" || parts[1] == "data_sources"):
		props, ok := n.schemas[parts[1]+"/"+parts[2]]
		if !ok || (parts[1] == "data_sources") != (v == notion.VersionDataSources) {
			n.answer(w, 404, notionError(404, "object_not_found", "Could not find database with ID: "+parts[2]+"."))
			return
		}
		n.answer(w, 200, map[string]any{"object": strings.TrimSuffix(parts[1], "s"), "id": parts[2], "title": []any{},
			"properties": props})
	case r.Method == "POST" && r.URL.Path == "/v1/pages":
		parent, _ := body["parent"].(map[string]any)
		key := "databases/" + value.Text(parent["database_id"])
		if id := value.Text(parent["data_source_id"]); id != "" {
			key = "data_sources/" + id
		}
		props, ok := n.schemas[key]
		if !ok {
			n.answer(w, 404, notionError(404, "object_not_found", "Could not find "+key+"."))
			return
		}
		n.nextID++
		id := fmt.Sprintf("page-%d", n.nextID)
		page := map[string]any{"object": "page", "id": id, "created_time": "2026-03-04T05:06:00.000Z",
			"parent": parent, "archived": false, "url": "https://www.notion.so/" + id, "properties": map[string]any{}}
		if msg := n.apply(page, props, body["properties"]); msg != "" {
			n.answer(w, 400, notionError(400, "validation_error", msg))
			return
		}
		n.pages[id] = page
		n.order = append(n.order, id)
		n.answer(w, 200, page)
	case r.Method == "PATCH" && len(parts) == 3 && parts[1] == "pages":
		page, ok := n.pages[parts[2]]
		if !ok {
			n.answer(w, 404, notionError(404, "object_not_found", "Could not find page with ID: "+parts[2]+"."))
			return
		}
		parent := page["parent"].(map[string]any)
		key := "databases/" + value.Text(parent["database_id"])
		if id := value.Text(parent["data_source_id"]); id != "" {
			key = "data_sources/" + id
		}
		if msg := n.apply(page, n.schemas[key], body["properties"]); msg != "" {
			n.answer(w, 400, notionError(400, "validation_error", msg))
			return
		}
		n.answer(w, 200, page)
	case r.Method == "GET" && len(parts) == 3 && parts[1] == "pages":
		page, ok := n.pages[parts[2]]
		if !ok {
			n.answer(w, 404, notionError(404, "object_not_found", "Could not find page with ID: "+parts[2]+"."))
			return
		}
		n.answer(w, 200, page)
	case r.Method == "POST" && len(parts) == 4 && parts[3] == "query":
		n.query(w, parts[1], parts[2], body)
	case r.Method == "PATCH" && len(parts) == 4 && parts[1] == "blocks" && parts[3] == "children":
		if _, ok := n.pages[parts[2]]; !ok {
			n.answer(w, 404, notionError(404, "object_not_found", "Could not find block with ID: "+parts[2]+"."))
			return
		}
		var results []any
		for i, c := range value.Array(body["children"]) {
			b := maps.Clone(c.(map[string]any))
			b["id"] = fmt.Sprintf("block-%d", i+1)
			b["object"] = "block"
			results = append(results, b)
		}
		n.answer(w, 200, map[string]any{"object": "list", "results": results})
	default:
		n.answer(w, 400, notionError(400, "invalid_request_url", "Invalid request URL."))
	}
}

// apply writes typed property values into a page as Notion stores them, refusing a
// value whose shape does not fit the property's type.
func (n *notionAPI) apply(page, schema map[string]any, in any) string {
	props := page["properties"].(map[string]any)
	m, _ := in.(map[string]any)
	for key, v := range m {
		var name string
		var def map[string]any
		for nm, d := range schema {
			if dm := d.(map[string]any); dm["id"] == key || nm == key {
				name, def = nm, dm
			}
		}
		if def == nil {
			return key + " is not a property that exists."
		}
		typ := def["type"].(string)
		vm, ok := v.(map[string]any)
		if !ok || len(vm) != 1 || vm[typ] == nil && typ != "checkbox" {
			return fmt.Sprintf("%s is expected to be %s.", name, typ)
		}
		val := vm[typ]
		if typ == "title" || typ == "rich_text" {
			var out []any
			for _, e := range value.Array(val) {
				t := e.(map[string]any)["text"].(map[string]any)
				out = append(out, map[string]any{"type": "text", "text": t, "plain_text": t["content"]})
			}
			val = out
		}
		props[name] = map[string]any{"id": def["id"], "type": typ, typ: val}
	}
	return ""
}

// query answers a database or data source query: an equals filter on a rich text
// property is applied, pages come in creation order, two per page at most.
func (n *notionAPI) query(w http.ResponseWriter, kind, id string, body map[string]any) {
	if _, ok := n.schemas[kind+"/"+id]; !ok {
		n.answer(w, 404, notionError(404, "object_not_found", "Could not find "+kind+" with ID: "+id+"."))
		return
	}
	field := map[string]string{"databases": "database_id", "data_sources": "data_source_id"}[kind]
	var match []any
	for _, pid := range n.order {
		p := n.pages[pid]
		parent := p["parent"].(map[string]any)
		if value.Text(parent[field]) != id && (kind != "data_sources" || value.Text(parent["database_id"]) != n.dataSources[id]) {
			continue
		}
		if f, ok := body["filter"].(map[string]any); ok {
			prop, _ := p["properties"].(map[string]any)[value.Text(f["property"])].(map[string]any)
			var text string
			for _, rt := range value.Array(prop["rich_text"]) {
				text += value.Text(rt.(map[string]any)["plain_text"])
			}
			for _, rt := range value.Array(prop["title"]) {
				text += value.Text(rt.(map[string]any)["plain_text"])
			}
			cond, _ := f["rich_text"].(map[string]any)
			if cond == nil {
				cond, _ = f["title"].(map[string]any)
			}
			if cond == nil || value.Text(cond["equals"]) != text {
				continue
			}
		}
		match = append(match, p)
	}
	start, _ := strconv.Atoi(value.Text(body["start_cursor"]))
	size := 2
	if ps, ok := value.Number(body["page_size"]); ok && int(ps) < size {
		size = int(ps)
	}
	end := min(start+size, len(match))
	out := map[string]any{"object": "list", "results": match[start:end], "has_more": end < len(match), "next_cursor": nil}
	if end < len(match) {
		out["next_cursor"] = strconv.Itoa(end)
	}
	n.answer(w, 200, out)
}

// spec returns a module type of the app pointed at the stand-in.
func (n *notionAPI) spec(t *testing.T, name string) *app.Spec {
	t.Helper()
	return apptest.Spec(t, func(r *app.Registry) error {
		return notion.RegisterOptions(r, notion.Options{BaseURL: n.URL, Getenv: func(string) string { return "" }})
	}, name)
}

var creds = weft.Bundle{"accessToken": "ntn_secret"}

// run runs a module once with the connection "7".
func run(t *testing.T, spec *app.Spec, mapper string) ([]weft.Bundle, error) {
	t.Helper()
	exec := apptest.NewExec()
	exec.Connections["7"] = creds
	m, err := value.DecodeJSON([]byte(mapper))
	if err != nil {
		t.Fatalf("mapper %s: %v", mapper, err)
	}
	return apptest.Run(context.Background(), spec, weft.Bundle{"__IMTCONN__": 7.0}, m.(map[string]any), exec)
}

func sameJSON(t *testing.T, what string, got any, want string) {
	t.Helper()
	w, err := value.DecodeJSON([]byte(want))
	if err != nil {
		t.Fatalf("%s: bad expectation %s: %v", what, want, err)
	}
	if g, e := string(value.JSON(got)), string(value.JSON(w)); g != e {
		t.Fatalf("%s:\n got %s\nwant %s", what, g, e)
	}
}

func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	v, err := value.DecodeJSON([]byte(s))
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return v
}
