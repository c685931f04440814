package declarative_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

var lokaliseCreds = weft.Bundle{"apiToken": "lok-token"}

func lokaliseError(status int, msg string) reply {
	return reply{status: status, body: `{"error":{"message":"` + msg + `","code":` + itoa(status) + `}}`}
}

const lokaliseTask = `{"project_id":"8530821864d3e26c5cb2b9.72951273","task":{"task_id":12345,"title":"Release 2","description":"",
	"status":"in progress","progress":40,"due_date":"2026-01-10 00:00:00 (Etc/UTC)","keys_count":12,"words_count":340,
	"created_by_email":"pm@example.com","task_type":"translation","parent_task_id":null,
	"languages":[{"language_iso":"es","users":[{"user_id":176168}],"progress":40}]}}`

// lokaliseAPI answers as Lokalise's API v2 reference documents: the token in
// X-Api-Token, tasks under projects, pagination headers on lists.
func lokaliseAPI(t *testing.T) *standIn {
	s := newStandIn(t)
	s.fn = func(r *http.Request, body string) reply {
		if r.Header.Get("X-Api-Token") != "lok-token" {
			return lokaliseError(401, "Invalid `X-Api-Token` header")
		}
		switch {
		case r.Method == "GET" && r.URL.Path == "/api2/projects/8530821864d3e26c5cb2b9.72951273/tasks/12345":
			return ok(lokaliseTask)
		case r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/tasks/404"):
			return lokaliseError(404, "Not Found")
		case r.Method == "POST" && r.URL.Path == "/api2/projects/P1/tasks":
			return ok(`{"project_id":"P1","task":{"task_id":777,"title":"T"}}`)
		case r.Method == "GET" && r.URL.Path == "/api2/projects/P1/translations":
			return reply{status: 200, body: `{"project_id":"P1","translations":[{"translation_id":1,"key_id":11}]}`,
				header: map[string]string{"X-Pagination-Page-Count": "3", "X-Pagination-Total-Count": "3"}}
		}
		return lokaliseError(404, "Not Found")
	}
	return s
}

func TestLokaliseGetATask(t *testing.T) {
	s := lokaliseAPI(t)
	out, err := run(t, shipped(t, "lokalise", "getATask", s), lokaliseCreds, `{"task_id": "12345", "project_id": "8530821864d3e26c5cb2b9.72951273"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "GET" || g.Path != "/api2/projects/8530821864d3e26c5cb2b9.72951273/tasks/12345" || g.Header.Get("X-Api-Token") != "lok-token" {
		t.Fatalf("request %s %s", g.Method, g.Path)
	}
	sameJSON(t, "output", out, `[`+lokaliseTask+`]`)
}

func TestLokaliseCreateATask(t *testing.T) {
	s := lokaliseAPI(t)
	exec := apptest.NewExec()
	exec.Connections["conn"] = lokaliseCreds
	// The mapper of testdata/blueprints/015 (keys as the data store holds them).
	out, err := apptest.Run(t.Context(), shipped(t, "lokalise", "createATask", s), weft.Bundle{"__IMTCONN__": "conn"}, weft.Bundle{
		"project_id": "P1", "title": "Execution 1", "task_type": "translation", "keys": []any{11.0, 12.0}, "source_language_iso": "en",
		"languages":            []any{map[string]any{"language_iso": "es", "Type": map[string]any{"users": []any{map[string]any{"team_id": 302187.0, "user_id": []any{176168.0}}}}}},
		"auto_close_languages": true, "auto_close_task": true, "auto_close_items": true,
		"due_date": time.Date(2026, 1, 10, 9, 30, 0, 0, time.UTC)}, exec)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/api2/projects/P1/tasks" {
		t.Fatalf("request %s %s", g.Method, g.Path)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"title":"Execution 1","due_date":"2026-01-10 09:30:00","keys":[11,12],
		"languages":[{"language_iso":"es","users":[176168]}],"task_type":"translation","source_language_iso":"en",
		"auto_close_languages":true,"auto_close_task":true,"auto_close_items":true}`)
	sameJSON(t, "output", out, `[{"project_id":"P1","task":{"task_id":777,"title":"T"}}]`)
}

func TestLokaliseMakeAnAPICall(t *testing.T) {
	s := lokaliseAPI(t)
	// testdata/blueprints/015: a path with its own query, a header list.
	out, err := run(t, shipped(t, "lokalise", "lokaliseRest", s), lokaliseCreds, `{"url": "/api2/projects/P1/translations?disable_references=1&filter_unverified=1&page=1&limit=1",
		"method": "GET", "headers": [{"key": "accept", "value": "application/json"}], "qs": [{"key": "x", "value": "y"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "GET" || g.Path != "/api2/projects/P1/translations" || g.Query != "disable_references=1&filter_unverified=1&limit=1&page=1&x=y" ||
		g.Header.Get("Accept") != "application/json" {
		t.Fatalf("request %s %s?%s", g.Method, g.Path, g.Query)
	}
	if out[0]["statusCode"] != 200.0 || out[0]["headers"].(map[string]any)["x-pagination-page-count"] != "3" {
		t.Fatalf("output %v", out[0])
	}
	sameJSON(t, "body", out[0]["body"], `{"project_id":"P1","translations":[{"translation_id":1,"key_id":11}]}`)
	// The token goes to Lokalise only: an absolute URL is read as a path there.
	_, err = run(t, shipped(t, "lokalise", "lokaliseRest", s), lokaliseCreds, `{"url": "https://evil.example/api2/projects/P1/tasks", "method": "POST", "body": "{\"title\":\"T\"}"}`)
	if err != nil {
		t.Fatal(err)
	}
	g = s.requests()[1]
	if g.Method != "POST" || g.Path != "/api2/projects/P1/tasks" {
		t.Fatalf("absolute URL sent to %s %s", g.Method, g.Path)
	}
	sameJSON(t, "posted body", jsonBody(t, g.Body), `{"title":"T"}`)
	_, err = run(t, shipped(t, "lokalise", "lokaliseRest", s), lokaliseCreds, `{"url": "/api2/x", "method": "TRACE"}`)
	apptest.WantError(t, err, weft.DataError, `"TRACE" is not one of GET, POST, PUT, PATCH, DELETE`)
}

func TestLokaliseErrors(t *testing.T) {
	checkDocumented(t, "lokalise", "getATask", lokaliseCreds, `{"task_id": "1", "project_id": "P1"}`, []documented{
		{"401 token", lokaliseError(401, "Invalid `X-Api-Token` header"), weft.InvalidAccessTokenError, "[401] Invalid `X-Api-Token` header", 0},
		{"403 forbidden", lokaliseError(403, "Forbidden"), weft.InvalidConfigurationError, "Forbidden", 0},
		{"404 not found", lokaliseError(404, "Not Found"), weft.DataError, "[404] Not Found", 0},
		{"400 invalid", lokaliseError(400, "Invalid `project_id` parameter"), weft.DataError, "project_id", 0},
		{"406 not acceptable", lokaliseError(406, "Not acceptable"), weft.DataError, "Not acceptable", 0},
		{"429 too many requests", lokaliseError(429, "Too many requests"), weft.RateLimitError, "Too many requests", time.Second},
		{"429 with Retry-After", reply{status: 429, body: `{"error":{"message":"Too many requests","code":429}}`, header: map[string]string{"Retry-After": "7"}}, weft.RateLimitError, "Too many", 7 * time.Second},
		{"500", lokaliseError(500, "Internal server error"), weft.RuntimeError, "Internal server error", 0},
		{"503", reply{status: 503, body: `busy`, header: map[string]string{"Content-Type": "text/plain"}}, weft.ConnectionError, "[503]", 0},
	})
}
