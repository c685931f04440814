package declarative_test

import (
	"net/http"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
)

var typeformCreds = weft.Bundle{"accessToken": "tfp_token"}

// typeformResponses is GET /forms/{id}/responses as the Responses API documents it:
// newest first, page_size items.
const typeformResponses = `{"total_items":2,"page_count":1,"items":[
	{"landing_id":"l2","token":"l2","response_id":"l2","landed_at":"2026-03-02T10:00:00Z","submitted_at":"2026-03-02T10:05:00Z",
	 "metadata":{"user_agent":"Mozilla/5.0","platform":"other","referer":"https://acme.typeform.com/to/Djdlft47","network_id":"n1","browser":"default"},
	 "hidden":{},"calculated":{"score":0},
	 "answers":[{"field":{"id":"d14caed3","type":"short_text","ref":"title"},"type":"text","text":"Accessibility in retail"},
		{"field":{"id":"0a9f22b1","type":"number","ref":"words"},"type":"number","number":1500},
		{"field":{"id":"6ce0072a","type":"multiple_choice","ref":"tone"},"type":"choice","choice":{"label":"Casual"}},
		{"field":{"id":"7b1e","type":"multiple_choice","ref":"channels"},"type":"choices","choices":{"labels":["Blog","LinkedIn"]}},
		{"field":{"id":"9c2f","type":"email","ref":"mail"},"type":"email","email":"ada@example.com"}]},
	{"landing_id":"l1","token":"l1","response_id":"l1","landed_at":"2026-03-01T10:00:00Z","submitted_at":"2026-03-01T10:05:00Z","answers":[]}]}`

// Blueprint 367's "List Responses": the newest response of the brief form, its answers
// read by field id through mappable_answers.
func TestTypeformListResponses(t *testing.T) {
	s := newStandIn(t)
	s.fn = func(r *http.Request, _ string) reply {
		if r.Header.Get("Authorization") != "Bearer tfp_token" {
			return reply{status: 401, body: `{"code":"AUTHENTICATION_FAILED","description":"Authentication credentials not found on the Request Headers"}`}
		}
		if r.URL.Path != "/forms/Djdlft47/responses" {
			return reply{status: 404, body: `{"code":"FORM_NOT_FOUND","description":"Non existing form with uid nope"}`}
		}
		return ok(typeformResponses)
	}
	out, err := run(t, shipped(t, "typeform", "ListResponses", s), typeformCreds, `{"limit": "1", "formId": "Djdlft47"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "GET" || g.Query != "page_size=1" {
		t.Fatalf("request %s ?%s", g.Method, g.Query)
	}
	if len(out) != 1 {
		t.Fatalf("bundles %d, want the limit", len(out))
	}
	sameJSON(t, "mappable answers", out[0]["mappable_answers"], `{"d14caed3":"Accessibility in retail","0a9f22b1":1500,"6ce0072a":"Casual",
		"7b1e":"Blog, LinkedIn","9c2f":"ada@example.com"}`)
	if out[0]["response_id"] != "l2" || out[0]["__IMTINDEX__"] != 1.0 || out[0]["metadata"].(map[string]any)["browser"] != "default" {
		t.Fatalf("bundle %v", out[0])
	}
	// The filters go as the API names them.
	if _, err := run(t, shipped(t, "typeform", "ListResponses", s), typeformCreds, `{"formId": "Djdlft47", "completed": true, "query": "retail",
		"since": "2026-03-01T00:00:00Z", "fields": ["d14caed3", "0a9f22b1"], "excluded_response_ids": ["l1"]}`); err != nil {
		t.Fatal(err)
	}
	if q := s.requests()[1].Query; q != "completed=true&excluded_response_ids=l1&fields=d14caed3%2C0a9f22b1&page_size=10&query=retail&since=2026-03-01T00%3A00%3A00Z" {
		t.Fatalf("query %s", q)
	}
	checkDocumented(t, "typeform", "ListResponses", typeformCreds, `{"formId": "Djdlft47"}`, []documented{
		{"401", reply{status: 401, body: `{"code":"AUTHENTICATION_FAILED","description":"Authentication credentials not found on the Request Headers"}`},
			weft.InvalidAccessTokenError, "[401] Authentication credentials not found on the Request Headers (AUTHENTICATION_FAILED)", 0},
		{"403 scope", reply{status: 403, body: `{"code":"FORBIDDEN","description":"The token does not have the responses:read scope"}`}, weft.InvalidConfigurationError, "responses:read", 0},
		{"404", reply{status: 404, body: `{"code":"FORM_NOT_FOUND","description":"Non existing form with uid Djdlft47"}`}, weft.DataError, "(FORM_NOT_FOUND)", 0},
		{"429", reply{status: 429, body: `{"code":"TOO_MANY_REQUESTS","description":"Too many requests"}`}, weft.RateLimitError, "Too many requests", 0},
		{"500", reply{status: 500, body: `{"code":"INTERNAL_ERROR","description":"Internal error"}`}, weft.RuntimeError, "Internal error", 0},
	})
}

// Blueprint 367's trigger: the response with its event and mappable answers, as
// Make's interface lists them.
func TestTypeformWatchEventsWithResponses(t *testing.T) {
	spec := shipped(t, "typeform", "WatchEventsWithResponses", newStandIn(t))
	if spec.Kind != app.KindTrigger || spec.Hook == nil || spec.Hook.Register == nil || spec.Hook.Verify == nil {
		t.Fatalf("spec %+v", spec)
	}
	call := &app.HookCall{Params: weft.Bundle{"formId": "Djdlft47"}}
	out, keep, err := spec.Hook.Payload(call, decode(t, `{"event_id":"01HEV","event_type":"form_response","form_response":{"form_id":"Djdlft47",
		"token":"a3a1","submitted_at":"2026-03-02T10:05:00Z","landed_at":"2026-03-02T10:00:00Z","calculated":{"score":3},
		"definition":{"id":"Djdlft47","title":"Content Generator Brief","fields":[]},
		"answers":[{"field":{"id":"d14caed3","type":"short_text"},"type":"text","text":"Accessibility in retail"},
			{"field":{"id":"yesno","type":"yes_no"},"type":"boolean","boolean":false}]}}`))
	if err != nil || !keep {
		t.Fatalf("payload %v %v", keep, err)
	}
	sameJSON(t, "event", out["event"], `{"id":"01HEV","type":"form_response"}`)
	sameJSON(t, "mappable answers", out["mappable_answers"], `{"d14caed3":"Accessibility in retail","yesno":false}`)
	if out["form_id"] != "Djdlft47" || out["token"] != "a3a1" || out["calculated"].(map[string]any)["score"] != 3.0 {
		t.Fatalf("bundle %v", out)
	}
}
