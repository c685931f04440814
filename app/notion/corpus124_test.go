package notion_test

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/value"
)

// Corpus blueprint 124 (davjdion/healthkit-notion-etl, testdata/SOURCES.tsv), as
// exported from Make: a webhook with the day's health figures → Notion "Search
// Objects" for today's log in a data source → a router: the log exists → "Update a
// Database Item", it does not → "Create a Database Item". The scenario runs with dlq
// off, so a Notion failure fails the run.
const (
	db124 = "35a13dc6dfa28038bd86e52f6fb784a7"
	ds124 = "35a13dc6-dfa2-80fd-8daf-000bfe2bb7ec"
)

// schema124 is the database's schema as the blueprint's expect describes it.
func schema124() map[string]any {
	p := func(id, typ string) map[string]any {
		return map[string]any{"id": id, "type": typ, typ: map[string]any{}}
	}
	return map[string]any{
		"Date": p("title", "title"), "Age": p("%3D%5Cn%3F", "number"), "Height": p("Q%5BPr", "number"),
		"Calorii": p("SOIL", "number"), "Carbohidrati": p("TNwE", "number"), "Step calories": p("Zgdg", "number"),
		"Gym": p("%5E%7BhN", "select"), "Workout": p("fhLF", "select"), "Proteine": p("gOzp", "number"),
		"Weight": p("o%60UA", "number"), "Grasimi": p("ot%7DA", "number"), "Steps": p("%7C%40E%5B", "number"),
	}
}

func run124(t *testing.T, n *notionAPI, payload string) *engine.Result {
	t.Helper()
	t.Setenv("WEFT_APP_BASEURL_NOTION", n.URL)
	reg, err := all.New(all.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	eng, err := engine.New(engine.Options{Registry: reg, Clock: func() time.Time { return now },
		NewID: func() string { return "exec-124" },
		Connections: func(ref any) (weft.Bundle, error) {
			if value.Text(ref) != "7295424" {
				return nil, weft.Errorf(weft.InvalidConfigurationError, "connection %v not found", ref)
			}
			return weft.Bundle{"accessToken": "ntn_secret"}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("testdata/124-integration-webhooks.json")
	if err != nil {
		t.Fatal(err)
	}
	bp, err := blueprint.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := eng.Compile(bp)
	if err != nil {
		t.Fatalf("compile 124: %v", err)
	}
	in, err := value.DecodeJSON([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Run(context.Background(), plan, engine.Input{Trigger: [][]weft.Bundle{{in.(map[string]any)}}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

const payload124 = `{"Carbohidrati": 210, "Workout": "Push", "Proteine": "150", "Grasimi": 60.5, "Gym": "Downtown", "Steps": 9120}`

func TestCorpus124(t *testing.T) {
	newAPI := func(t *testing.T) *notionAPI {
		n := newNotionAPI(t)
		n.schemas["databases/"+db124] = schema124()
		n.schemas["data_sources/"+ds124] = schema124()
		n.dataSources[ds124] = db124
		return n
	}
	t.Run("no log today: the search finds nothing and the route ends there, as in Make", func(t *testing.T) {
		// A search module that finds nothing emits no bundle, so the router after it
		// does not run: the blueprint's "Does not exist" route (create a page) cannot
		// be reached this way in Make either.
		n := newAPI(t)
		res := run124(t, n, payload124)
		if res.Status != weft.StatusSuccess || res.Operations != 2 {
			t.Fatalf("status %s, %d operations, error %+v", res.Status, res.Operations, res.Error)
		}
		reqs := n.requests()
		if len(reqs) != 1 {
			t.Fatalf("%d requests: %+v", len(reqs), reqs)
		}
		q := reqs[0]
		if q.Method != "POST" || q.Path != "/v1/data_sources/"+ds124+"/query" || q.Version != "2025-09-03" || q.Auth != "Bearer ntn_secret" {
			t.Fatalf("search %+v", q)
		}
		sameJSON(t, "search", q.Body, `{"filter": {"property": "Date", "title": {"equals": "04.03.2026"}}, "page_size": 10}`)
	})
	t.Run("today's log exists: searched, then updated", func(t *testing.T) {
		n := newAPI(t)
		todaysLog(n)
		res := run124(t, n, payload124)
		if res.Status != weft.StatusSuccess || res.Operations != 3 {
			t.Fatalf("status %s, %d operations, error %+v", res.Status, res.Operations, res.Error)
		}
		reqs := n.requests()
		if len(reqs) != 3 {
			t.Fatalf("%d requests: %+v", len(reqs), reqs)
		}
		if s := reqs[1]; s.Method != "GET" || s.Path != "/v1/databases/"+db124 || s.Version != "2022-06-28" {
			t.Fatalf("schema %+v", s)
		}
		u := reqs[2]
		if u.Method != "PATCH" || u.Path != "/v1/pages/page-7" || u.Version != "2022-06-28" {
			t.Fatalf("update %+v", u)
		}
		// {{Gym}} (no module number) maps to nothing: the Gym property is left as it is.
		sameJSON(t, "update", u.Body, `{"properties": {
			"title": {"title": [{"type": "text", "text": {"content": "Daily Log"}}]},
			"TNwE": {"number": 210}, "Zgdg": {"number": 0.045}, "fhLF": {"select": {"name": "Push"}},
			"gOzp": {"number": 150}, "Q%5BPr": {"number": 185}, "o%60UA": {"number": 75}, "ot%7DA": {"number": 60.5},
			"%3D%5Cn%3F": {"number": 19}, "%7C%40E%5B": {"number": 9120}}}`)
		for _, r := range reqs {
			if r.Method == "POST" && r.Path == "/v1/pages" {
				t.Fatal("a page was created although today's log exists")
			}
		}
	})
	t.Run("Notion rate-limits the update: dlq off, the run fails", func(t *testing.T) {
		n := newAPI(t)
		todaysLog(n)
		n.fail = func(r *http.Request) (int, string, map[string]string) {
			if r.Method == "PATCH" {
				return 429, `{"object":"error","status":429,"code":"rate_limited","message":"You have been rate limited."}`, map[string]string{"Retry-After": "30"}
			}
			return 0, "", nil
		}
		res := run124(t, n, payload124)
		if res.Status != weft.StatusError || res.Error == nil || res.Error.ModuleID != 5 || res.Error.Type != weft.RateLimitError ||
			!strings.Contains(res.Error.Message, "rate_limited") || len(res.Incomplete) != 0 {
			t.Fatalf("status %s, error %+v, %d incomplete", res.Status, res.Error, len(res.Incomplete))
		}
	})
	t.Run("a figure that is not a number where Notion wants one: a DataError before any write", func(t *testing.T) {
		n := newAPI(t)
		todaysLog(n)
		res := run124(t, n, `{"Carbohidrati": "lots", "Workout": "Push", "Steps": 1}`)
		if res.Status != weft.StatusError || res.Error == nil || res.Error.ModuleID != 5 || res.Error.Type != weft.DataError ||
			!strings.Contains(res.Error.Message, `fields.TNwE (Carbohidrati, number): "lots" is not a number`) {
			t.Fatalf("status %s, error %+v", res.Status, res.Error)
		}
		for _, r := range n.requests() {
			if r.Method == "PATCH" {
				t.Fatal("a page was updated from bad data")
			}
		}
	})
}

// todaysLog puts the page the search finds: today's log, created under the database.
func todaysLog(n *notionAPI) {
	n.pages["page-7"] = map[string]any{"object": "page", "id": "page-7", "parent": map[string]any{"database_id": db124},
		"properties": map[string]any{"Date": map[string]any{"id": "title", "type": "title",
			"title": []any{map[string]any{"type": "text", "text": map[string]any{"content": "04.03.2026"}, "plain_text": "04.03.2026"}}}}}
	n.order = append(n.order, "page-7")
}
