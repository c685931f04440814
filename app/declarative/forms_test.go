package declarative_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
)

// pollerOf builds a shipped polling trigger with its parameters and the connection
// "conn" holding creds, and the call Poll and Start take.
func pollerOf(t *testing.T, spec *app.Spec, creds weft.Bundle, params string) (app.Poller, *app.Call) {
	t.Helper()
	if !spec.Poll || spec.Kind != app.KindTrigger {
		t.Fatalf("%s is not a polling trigger", spec.Name)
	}
	raw := decode(t, params)
	raw["__IMTCONN__"] = "conn"
	p, err := app.PrepareParameters(spec, raw)
	if err != nil {
		t.Fatal(err)
	}
	m, err := spec.New(app.Config{ModuleID: 1, Version: 1, Parameters: p})
	if err != nil {
		t.Fatal(err)
	}
	exec := apptest.NewExec()
	exec.Connections["conn"] = creds
	return m.(app.Poller), &app.Call{ModuleID: 1, Params: p, Input: weft.Bundle{}, Exec: exec}
}

// pollKeys polls once and returns the items' keys and the last position.
func pollKeys(t *testing.T, p app.Poller, c *app.Call, pos json.RawMessage) ([]string, json.RawMessage, []app.PollItem) {
	t.Helper()
	items, err := p.Poll(context.Background(), c, pos)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, it := range items {
		keys = append(keys, it.Key)
		pos = it.Position
	}
	return keys, pos, items
}

// formsAPI is a stand-in for forms.responses.list: it applies the "timestamp > N" and
// "timestamp >= N" filters on lastSubmittedTime as Google documents them, and pages two
// responses at a time with a page token that is only valid with the same filter.
type formsAPI struct {
	*standIn
	mu        sync.Mutex
	responses []map[string]any
}

func newFormsAPI(t *testing.T) *formsAPI {
	f := &formsAPI{}
	f.standIn = newStandIn(t)
	f.fn = func(r *http.Request, _ string) reply {
		if r.Header.Get("Authorization") != "Bearer ya29.secret" {
			return reply{status: 401, body: `{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}`}
		}
		if r.URL.Path != "/v1/forms/1FAIpQL-form/responses" {
			return reply{status: 404, body: `{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND"}}`}
		}
		q := r.URL.Query()
		var cut func(string) bool
		if fl := q.Get("filter"); fl != "" {
			op, ts, ok := strings.Cut(strings.TrimPrefix(fl, "timestamp "), " ")
			at, err := time.Parse(time.RFC3339Nano, ts)
			if !strings.HasPrefix(fl, "timestamp ") || !ok || err != nil || (op != ">" && op != ">=") {
				return reply{status: 400, body: `{"error":{"code":400,"message":"Invalid filter: ` + fl + `","status":"INVALID_ARGUMENT"}}`}
			}
			cut = func(submitted string) bool {
				s, _ := time.Parse(time.RFC3339Nano, submitted)
				return s.Before(at) || op == ">" && s.Equal(at)
			}
		}
		f.mu.Lock()
		var list []any
		for _, resp := range f.responses {
			if cut == nil || !cut(resp["lastSubmittedTime"].(string)) {
				list = append(list, resp)
			}
		}
		f.mu.Unlock()
		start := 0
		if tok := q.Get("pageToken"); tok != "" {
			n, err := strconv.Atoi(strings.TrimPrefix(tok, q.Get("filter")+"#"))
			if err != nil || !strings.HasPrefix(tok, q.Get("filter")+"#") {
				return reply{status: 400, body: `{"error":{"code":400,"message":"Invalid page token.","status":"INVALID_ARGUMENT"}}`}
			}
			start = n
		}
		end := min(start+2, len(list))
		page := map[string]any{}
		if start < end {
			page["responses"] = list[start:end]
		}
		if end < len(list) {
			page["nextPageToken"] = q.Get("filter") + "#" + strconv.Itoa(end)
		}
		b, _ := json.Marshal(page)
		return ok(string(b))
	}
	return f
}

// add submits a response created at created (and last submitted at submitted, when
// given): an answer to question 2483a228.
func (f *formsAPI) add(id, created string, submitted ...string) {
	last := created
	if len(submitted) > 0 {
		last = submitted[0]
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	// The API returns responses in no documented order: newest first here.
	f.responses = append([]map[string]any{{
		"responseId": id, "createTime": created, "lastSubmittedTime": last, "respondentEmail": id + "@example.com",
		"answers": map[string]any{"2483a228": map[string]any{"questionId": "2483a228",
			"textAnswers": map[string]any{"answers": []any{map[string]any{"value": "Ann " + id}}}}},
	}}, f.responses...)
}

// google-forms:watchResponses (8 corpus blueprints, parameters {formId, limit}): the
// responses after the position, oldest first by createTime, limit per run, asking the
// API only for what was submitted since the position.
func TestFormsWatchResponses(t *testing.T) {
	f := newFormsAPI(t)
	f.add("r1", "2026-03-01T10:00:00.100Z")
	f.add("r2", "2026-03-01T11:00:00Z")
	p, c := pollerOf(t, shipped(t, "google-forms", "watchResponses", f.standIn), googleCreds,
		`{"limit": 2, "formId": "1FAIpQL-form"}`)

	// From now on: the newest response is the position; nothing is emitted for it.
	pos, err := p.Start(context.Background(), c, app.StartFrom{Mode: app.StartNow})
	if err != nil {
		t.Fatal(err)
	}
	if g := f.requests()[0]; g.Method != "GET" || g.Path != "/v1/forms/1FAIpQL-form/responses" || g.Query != "" {
		t.Fatalf("start request %s %s?%s", g.Method, g.Path, g.Query)
	}
	keys, _, _ := pollKeys(t, p, c, pos)
	if len(keys) != 0 {
		t.Fatalf("nothing new: %v", keys)
	}
	last := f.requests()[len(f.requests())-1]
	if q, _ := url.ParseQuery(last.Query); q.Get("filter") != "timestamp >= 2026-03-01T11:00:00Z" {
		t.Fatalf("poll asks %q; want the responses since the position", last.Query)
	}

	// Three new responses, one edited old one: two per run, oldest first, each once.
	f.add("r3", "2026-03-02T09:00:00Z")
	f.add("r4", "2026-03-02T08:00:00Z")
	f.add("r5", "2026-03-02T10:00:00Z")
	f.mu.Lock()
	for _, r := range f.responses {
		if r["responseId"] == "r1" {
			r["lastSubmittedTime"] = "2026-03-02T12:00:00Z" // r1 edited: not a new response
		}
	}
	f.mu.Unlock()
	before := len(f.requests())
	keys, pos2, items := pollKeys(t, p, c, pos)
	if fmt.Sprint(keys) != "[r4 r3]" {
		t.Fatalf("first run emits %v; want [r4 r3] (oldest first, limit 2)", keys)
	}
	if got := len(f.requests()) - before; got != 3 {
		t.Fatalf("%d requests; want 3 pages of 2", got)
	}
	sameJSON(t, "bundle", items[0].Bundle, `{"responseId":"r4","createTime":"2026-03-02T08:00:00Z",
		"lastSubmittedTime":"2026-03-02T08:00:00Z","respondentEmail":"r4@example.com",
		"answers":{"2483a228":{"questionId":"2483a228","textAnswers":{"answers":[{"value":"Ann r4"}]}}}}`)
	keys, pos3, _ := pollKeys(t, p, c, pos2)
	if fmt.Sprint(keys) != "[r5]" {
		t.Fatalf("second run emits %v; want [r5]", keys)
	}
	if keys, _, _ := pollKeys(t, p, c, pos3); len(keys) != 0 {
		t.Fatalf("third run emits %v; want nothing", keys)
	}
	// A run that did not commit polls from the old position again: the same items.
	if keys, _, _ := pollKeys(t, p, c, pos2); fmt.Sprint(keys) != "[r5]" {
		t.Fatalf("again from the uncommitted position: %v", keys)
	}

	// Two responses created in the same instant are both emitted, each once.
	f.add("r6", "2026-03-03T00:00:00Z")
	f.add("r7", "2026-03-03T00:00:00Z")
	p1, c1 := pollerOf(t, shipped(t, "google-forms", "watchResponses", f.standIn), googleCreds,
		`{"limit": 1, "formId": "1FAIpQL-form"}`)
	k1, after6, _ := pollKeys(t, p1, c1, pos3)
	k2, after7, _ := pollKeys(t, p1, c1, after6)
	k3, _, _ := pollKeys(t, p1, c1, after7)
	if fmt.Sprint(k1, k2, k3) != "[r6] [r7] []" {
		t.Fatalf("same instant, limit 1: %v %v %v", k1, k2, k3)
	}

	// All: every response, oldest first; since a date: those created at or after it.
	all, err := p.Start(context.Background(), c, app.StartFrom{Mode: app.StartAll})
	if err != nil {
		t.Fatal(err)
	}
	if keys, _, _ := pollKeys(t, p, c, all); fmt.Sprint(keys) != "[r1 r2]" {
		t.Fatalf("from all: %v", keys)
	}
	since, err := p.Start(context.Background(), c, app.StartFrom{Mode: app.StartSince, Since: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if keys, _, _ := pollKeys(t, p, c, since); fmt.Sprint(keys) != "[r3 r5]" {
		t.Fatalf("since 2026-03-02T09:00Z: %v", keys)
	}
	last3, err := p.Start(context.Background(), c, app.StartFrom{Mode: app.StartLast, Last: 3})
	if err != nil {
		t.Fatal(err)
	}
	if keys, _, _ := pollKeys(t, p, c, last3); fmt.Sprint(keys) != "[r5 r6]" {
		t.Fatalf("last 3 (r5 r6 r7), limit 2: %v", keys)
	}
}

// The trigger's failures are typed as for every Google API: the run stops at the
// trigger (no incomplete execution, SPEC §3.2) and the position stays.
func TestFormsWatchResponsesErrors(t *testing.T) {
	googleErr := func(code int, status, msg string) reply {
		return reply{status: code, body: `{"error":{"code":` + itoa(code) + `,"message":"` + msg + `","status":"` + status + `"}}`}
	}
	for _, tc := range []struct {
		name string
		r    reply
		typ  weft.ErrorType
		msg  string
	}{
		{"no such form", googleErr(404, "NOT_FOUND", "Requested entity was not found."), weft.DataError, "[404] Requested entity was not found."},
		{"expired token", googleErr(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."), weft.InvalidAccessTokenError, "[401] Request had invalid"},
		{"scope missing", googleErr(403, "PERMISSION_DENIED", "Request had insufficient authentication scopes."), weft.InvalidConfigurationError, "insufficient authentication scopes"},
		{"quota", googleErr(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Read requests'"), weft.RateLimitError, "Quota exceeded"},
		{"unavailable", googleErr(503, "UNAVAILABLE", "The service is currently unavailable."), weft.ConnectionError, "currently unavailable"},
		{"internal", googleErr(500, "INTERNAL", "Internal error encountered."), weft.RuntimeError, "Internal error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStandIn(t, tc.r)
			p, c := pollerOf(t, shipped(t, "google-forms", "watchResponses", s), googleCreds, `{"limit": 1, "formId": "f"}`)
			_, err := p.Poll(context.Background(), c, json.RawMessage(`{"date":"2026-03-01T00:00:00Z","atDate":["x"]}`))
			apptest.WantError(t, err, tc.typ, tc.msg)
			_, err = p.Start(context.Background(), c, app.StartFrom{Mode: app.StartNow})
			apptest.WantError(t, err, tc.typ, tc.msg)
		})
	}
}
