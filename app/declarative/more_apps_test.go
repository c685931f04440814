package declarative_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

// --- LINE ---

var lineCreds = weft.Bundle{"accessToken": "line-channel-token"}

func TestLineMessages(t *testing.T) {
	s := newStandIn(t, ok(`{"sentMessages":[{"id":"461230966842064897","quoteToken":"IStG5h1Tz7b"}]}`))
	// Blueprint 328's mappers.
	out, err := run(t, shipped(t, "line", "sendPushMessages", s), lineCreds,
		`{"to": "Uadf8c1a491e956af9b294b9f35c713a1", "messages": [{"type": "text", "text": "溫度：21"}], "notificationDisabled": false}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/message/push" || g.Header.Get("Authorization") != "Bearer line-channel-token" {
		t.Fatalf("request %s %s", g.Method, g.Path)
	}
	sameJSON(t, "push", jsonBody(t, g.Body), `{"to":"Uadf8c1a491e956af9b294b9f35c713a1","messages":[{"type":"text","text":"溫度：21"}],"notificationDisabled":false}`)
	sameJSON(t, "output", out, `[{"sentMessages":[{"id":"461230966842064897","quoteToken":"IStG5h1Tz7b"}]}]`)
	s.answer(ok(`{}`))
	if _, err := run(t, shipped(t, "line", "sendABroadcastMessage", s), lineCreds, `{"messages": [{"type": "sticker", "packageId": "446", "stickerId": "1988"}]}`); err != nil {
		t.Fatal(err)
	}
	g = s.requests()[1]
	if g.Path != "/message/broadcast" {
		t.Fatalf("request %s", g.Path)
	}
	sameJSON(t, "broadcast", jsonBody(t, g.Body), `{"messages":[{"type":"sticker","packageId":"446","stickerId":"1988"}],"notificationDisabled":false}`)
}

func TestLineErrors(t *testing.T) {
	lerr := func(status int, msg string) reply { return reply{status: status, body: `{"message":"` + msg + `"}`} }
	checkDocumented(t, "line", "sendPushMessages", lineCreds, `{"to": "U1", "messages": [{"type": "text", "text": "x"}]}`, []documented{
		{"401 token", lerr(401, "Authentication failed due to the following reason: invalid token."), weft.InvalidAccessTokenError, "invalid token", 0},
		{"400 details", reply{status: 400, body: `{"message":"The request body has 1 error(s)","details":[{"message":"May not be empty","property":"messages[0].text"}]}`},
			weft.DataError, "The request body has 1 error(s): May not be empty", 0},
		{"403 not allowed", lerr(403, "Access to this API is not available for your account"), weft.InvalidConfigurationError, "not available", 0},
		{"429 rate", reply{status: 429, body: `{"message":"The API rate limit has been exceeded. Try again later."}`}, weft.RateLimitError, "rate limit", 0},
		{"429 monthly limit", lerr(429, "You have reached your monthly limit."), weft.InvalidConfigurationError, "monthly limit", 0},
		{"500", lerr(500, "Internal server error"), weft.RuntimeError, "Internal server error", 0},
	})
}

// --- SendGrid ---

var sendgridCreds = weft.Bundle{"apiKey": "SG.key"}

func TestSendGridSendMail(t *testing.T) {
	s := newStandIn(t, reply{status: 202, header: map[string]string{"X-Message-Id": "GZwq3a9cQ-2b"}})
	exec := apptest.NewExec()
	exec.Connections["conn"] = sendgridCreds
	// Blueprint 118's mapper (send_at is now).
	out, err := apptest.Run(t.Context(), shipped(t, "sendgrid", "sendMail", s), weft.Bundle{"__IMTCONN__": "conn"}, weft.Bundle{
		"asm": map[string]any{}, "from": map[string]any{"name": "Rhulani", "email": "rhulani@example.com"},
		"send_at": time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "send_to": []any{map[string]any{"name": "Ada L", "email": "ada@example.com"}},
		"subject": "Welcome to WinterTech, Ada", "reply_to": map[string]any{}, "content_type": "text/plain",
		"content_value": "We're so glad to have you", "templateOrNot": "no_template",
		"attachments": []any{map[string]any{"filename": "a.txt", "content": []byte("hi")}}}, exec)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/mail/send" || g.Header.Get("Authorization") != "Bearer SG.key" {
		t.Fatalf("request %s %s", g.Method, g.Path)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"personalizations":[{"to":[{"name":"Ada L","email":"ada@example.com"}]}],
		"from":{"name":"Rhulani","email":"rhulani@example.com"},"subject":"Welcome to WinterTech, Ada",
		"content":[{"type":"text/plain","value":"We're so glad to have you"}],
		"attachments":[{"filename":"a.txt","content":"aGk=","disposition":"attachment"}],"send_at":1767323045}`)
	sameJSON(t, "output", out, `[{"messageId":"GZwq3a9cQ-2b"}]`)
	// A dynamic template instead of content.
	if _, err := run(t, shipped(t, "sendgrid", "sendMail", s), sendgridCreds, `{"from": {"email": "a@example.com"}, "send_to": [{"email": "b@example.com"}],
		"templateOrNot": "template", "template_id": "d-123", "dynamic_template_data": {"first": "Ada"}}`); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "template body", jsonBody(t, s.requests()[1].Body), `{"personalizations":[{"to":[{"email":"b@example.com"}],"dynamic_template_data":{"first":"Ada"}}],
		"from":{"email":"a@example.com"},"template_id":"d-123"}`)
}

func TestSendGridErrors(t *testing.T) {
	serr := func(status int, msg, field string) reply {
		return reply{status: status, body: `{"errors":[{"message":"` + msg + `","field":"` + field + `","help":null}]}`}
	}
	checkDocumented(t, "sendgrid", "sendMail", sendgridCreds, `{"from": {"email": "a@example.com"}, "send_to": [{"email": "b@example.com"}], "content_value": "x"}`, []documented{
		{"401 key", serr(401, "The provided authorization grant is invalid, expired, or revoked", ""), weft.InvalidAccessTokenError, "[401] The provided authorization grant is invalid", 0},
		{"403 sender", serr(403, "The from address does not match a verified Sender Identity.", "from"), weft.InvalidConfigurationError, "verified Sender Identity. (from)", 0},
		{"400 invalid", serr(400, "Does not contain a valid address.", "personalizations.0.to.0.email"), weft.DataError, "(personalizations.0.to.0.email)", 0},
		{"413", serr(413, "The JSON payload you have included in your request is too large.", ""), weft.MaxFileSizeExceededError, "too large", 0},
		{"429", reply{status: 429, body: `{"errors":[{"field":null,"message":"too many requests"}]}`, header: map[string]string{"Retry-After": "10"}}, weft.RateLimitError, "too many requests", 10 * time.Second},
		{"500", serr(500, "internal error", ""), weft.RuntimeError, "internal error", 0},
	})
}

// --- Clio Manage ---

func TestClioMakeAnAPICall(t *testing.T) {
	s := newStandIn(t, ok(`{"data":{"id":1,"custom_field_values":[{"id":"cf1","custom_field":{"id":9}}]}}`))
	// Blueprint 196's call. The region decides the host; the test points "us" at the
	// stand-in through the base URL override.
	out, err := run(t, shipped(t, "clio-manage", "makeApiCall", s), weft.Bundle{"accessToken": "clio-token", "region": "us"},
		`{"url": "/api/v4/matters/1.json?fields=custom_field_values{id,custom_field}", "method": "GET", "headers": [{"key": "Content-Type", "value": "application/json"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Path != "/api/v4/matters/1.json" || g.Query != "fields=custom_field_values%7Bid%2Ccustom_field%7D" || g.Header.Get("Authorization") != "Bearer clio-token" {
		t.Fatalf("request %s?%s auth %q", g.Path, g.Query, g.Header.Get("Authorization"))
	}
	if out[0]["statusCode"] != 200.0 {
		t.Fatalf("output %v", out)
	}
}

// Clio's documented errors ({"error": {"type", "message"}}) on Make an API Call: the
// statuses decide the type; Clio's rate limit answers 429 with Retry-After.
func TestClioErrors(t *testing.T) {
	cerr := func(status int, typ, msg string) reply {
		return reply{status: status, body: `{"error":{"type":"` + typ + `","message":"` + msg + `"}}`}
	}
	checkDocumented(t, "clio-manage", "makeApiCall", weft.Bundle{"accessToken": "clio-token", "region": "us"}, `{"url": "/api/v4/matters/1.json", "method": "GET"}`, []documented{
		{"401", cerr(401, "Unauthorized", "The access token is invalid or has expired"), weft.InvalidAccessTokenError, "has expired (Unauthorized)", 0},
		{"403", cerr(403, "Forbidden", "You do not have permission to access this resource"), weft.InvalidConfigurationError, "(Forbidden)", 0},
		{"404", cerr(404, "RecordNotFound", "Couldn't find Matter with 'id'=1"), weft.DataError, "Couldn't find Matter", 0},
		{"422", cerr(422, "UnprocessableEntity", "Display number has already been taken"), weft.DataError, "already been taken (UnprocessableEntity)", 0},
		{"429", reply{status: 429, body: `{"error":{"type":"RateLimited","message":"Rate limit exceeded. Retry in 17 seconds."}}`, header: map[string]string{"Retry-After": "17"}},
			weft.RateLimitError, "Rate limit exceeded", 17 * time.Second},
		{"503", cerr(503, "ServiceUnavailable", "Service unavailable"), weft.ConnectionError, "Service unavailable", 0},
		{"500", cerr(500, "InternalServerError", "Something went wrong"), weft.RuntimeError, "Something went wrong", 0},
	})
}

// --- ClickUp ---

var clickupCreds = weft.Bundle{"apiToken": "pk_42"}

func TestClickUpListAndUpdateTasks(t *testing.T) {
	s := newStandIn(t)
	var bodies []map[string]any
	s.fn = func(r *http.Request, body string) reply {
		if r.Header.Get("Authorization") != "pk_42" {
			return reply{status: 401, body: `{"err":"Token invalid","ECODE":"OAUTH_025"}`}
		}
		if r.Method == "PUT" {
			bodies = append(bodies, jsonBody(t, body))
			return ok(`{"id":"86b1","archived":true}`)
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if page == 0 {
			return ok(`{"tasks":[{"id":"t1"},{"id":"t2"}],"last_page":false}`)
		}
		return ok(`{"tasks":[{"id":"t3"},{"id":"t4"}],"last_page":true}`)
	}
	// Blueprint 255: the five latest completed tasks, archived one by one.
	out, err := run(t, shipped(t, "clickup", "getListTasks", s), clickupCreds, `{"limit": "3", "list_id": "901810905256", "team_id": "90181634483",
		"archived": false, "space_id": "90186413851", "statuses": ["complete"], "subtasks": true, "assignees": [101428348, 200472389],
		"folder_id": "folderlessList", "map_or_select": "select", "include_closed": true}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.requests()
	if len(g) != 2 || g[0].Path != "/list/901810905256/task" {
		t.Fatalf("requests %+v", g)
	}
	q, _ := url.ParseQuery(g[0].Query)
	if q.Get("archived") != "false" || q.Get("include_closed") != "true" || q.Get("subtasks") != "true" || q.Get("page") != "0" ||
		q["statuses[]"][0] != "complete" || len(q["assignees[]"]) != 2 {
		t.Fatalf("query %v", q)
	}
	if q2, _ := url.ParseQuery(g[1].Query); q2.Get("page") != "1" {
		t.Fatalf("second page query %v", q2)
	}
	if len(out) != 3 || out[2]["id"] != "t3" || out[2]["__IMTINDEX__"] != 3.0 {
		t.Fatalf("output %v", out)
	}
	if _, err := run(t, shipped(t, "clickup", "editATaskAdvanced", s), clickupCreds,
		`{"task_id": "86b1", "archived": true, "assignees": {}, "notify_all": false, "due_date_time": false, "start_date_time": false}`); err != nil {
		t.Fatal(err)
	}
	last := s.requests()[2]
	if last.Method != "PUT" || last.Path != "/task/86b1" {
		t.Fatalf("update %s %s", last.Method, last.Path)
	}
	sameJSON(t, "update", bodies[0], `{"due_date_time":false,"start_date_time":false,"archived":true}`)
}

func TestClickUpErrors(t *testing.T) {
	cerr := func(status int, msg, code string) reply {
		return reply{status: status, body: `{"err":"` + msg + `","ECODE":"` + code + `"}`}
	}
	checkDocumented(t, "clickup", "editATaskAdvanced", clickupCreds, `{"task_id": "1", "name": "x"}`, []documented{
		{"401 token", cerr(401, "Token invalid", "OAUTH_025"), weft.InvalidAccessTokenError, "[401] Token invalid (OAUTH_025)", 0},
		{"401 not authorized for the team", cerr(401, "Team not authorized", "OAUTH_027"), weft.InvalidConfigurationError, "OAUTH_027", 0},
		{"404 task", cerr(404, "Task not found", "ITEM_013"), weft.DataError, "Task not found", 0},
		{"400 status", cerr(400, "Status does not exist", "ITEM_114"), weft.DataError, "ITEM_114", 0},
		{"429", cerr(429, "Rate limit reached", "APP_002"), weft.RateLimitError, "Rate limit", 0},
	})
}

// --- Mandrill ---

func TestMandrillSendMessage(t *testing.T) {
	s := newStandIn(t, ok(`[{"email":"ada@example.com","status":"sent","reject_reason":null,"_id":"abc123"}]`))
	out, err := run(t, shipped(t, "mandrill", "sendMessage", s), weft.Bundle{"apiKey": "md-key"}, `{"html": "<p>Hi</p>", "subject": "Quick question",
		"from_email": "me@example.com", "from_name": "Me", "to": [{"email": "ada@example.com", "name": "Ada", "type": "to"}],
		"track_opens": true, "track_clicks": true, "tags": ["campaign"], "metadata": {"lead_score": "80"}}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Path != "/messages/send" {
		t.Fatalf("request %s", g.Path)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"key":"md-key","message":{"html":"<p>Hi</p>","subject":"Quick question","from_email":"me@example.com",
		"from_name":"Me","to":[{"email":"ada@example.com","name":"Ada","type":"to"}],"track_opens":true,"track_clicks":true,
		"tags":["campaign"],"metadata":{"lead_score":"80"}}}`)
	sameJSON(t, "output", out, `[{"email":"ada@example.com","status":"sent","reject_reason":null,"_id":"abc123"}]`)
	mderr := func(name, msg string) reply {
		return reply{status: 500, body: `{"status":"error","code":-1,"name":"` + name + `","message":"` + msg + `"}`}
	}
	checkDocumented(t, "mandrill", "sendMessage", weft.Bundle{"apiKey": "md-key"}, `{"to": [{"email": "a@example.com"}], "text": "x"}`, []documented{
		{"invalid key", mderr("Invalid_Key", "Invalid API key"), weft.InvalidAccessTokenError, "Invalid API key (Invalid_Key)", 0},
		{"payment", mderr("PaymentRequired", "This feature is only available for paid accounts"), weft.InvalidConfigurationError, "PaymentRequired", 0},
		{"validation", mderr("ValidationError", "You must specify a key value"), weft.DataError, "ValidationError", 0},
		{"general", mderr("GeneralError", "An unexpected error occurred"), weft.RuntimeError, "GeneralError", 0},
	})
}
