package declarative_test

import (
	"encoding/base64"
	"net/url"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

// --- WhatsApp Business Cloud ---

var whatsappCreds = weft.Bundle{"accessToken": "EAAG-system-user"}

func whatsappError(status, code int, msg, details string) reply {
	return reply{status: status, body: `{"error":{"message":"` + msg + `","type":"OAuthException","code":` + itoa(code) +
		`,"error_data":{"messaging_product":"whatsapp","details":"` + details + `"},"fbtrace_id":"Az8"}}`}
}

func TestWhatsAppSendMessage(t *testing.T) {
	s := newStandIn(t, ok(`{"messaging_product":"whatsapp","contacts":[{"input":"34600111222","wa_id":"34600111222"}],"messages":[{"id":"wamid.HBgL"}]}`))
	// Blueprint 115's mapper (a text reply to the sender of the incoming message).
	out, err := run(t, shipped(t, "whatsapp-business-cloud", "sendMessage", s), whatsappCreds,
		`{"fromId": "106540352242922", "to": "34600111222", "text": {"body": "Thanks for your message!", "preview_url": false}, "type": "text"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/106540352242922/messages" || g.Header.Get("Authorization") != "Bearer EAAG-system-user" {
		t.Fatalf("request %s %s auth %q", g.Method, g.Path, g.Header.Get("Authorization"))
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"messaging_product":"whatsapp","recipient_type":"individual","to":"34600111222","type":"text",
		"text":{"body":"Thanks for your message!","preview_url":false}}`)
	sameJSON(t, "output", out, `[{"messaging_product":"whatsapp","contacts":[{"input":"34600111222","wa_id":"34600111222"}],"messages":[{"id":"wamid.HBgL"}]}]`)
	// An image by link: only the chosen type's object is sent.
	if _, err := run(t, shipped(t, "whatsapp-business-cloud", "sendMessage", s), whatsappCreds,
		`{"fromId": "1", "to": "2", "type": "image", "image": {"link": "https://img.example/a.jpg", "caption": "a"}, "text": {"body": "ignored"}}`); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "image body", jsonBody(t, s.requests()[1].Body), `{"messaging_product":"whatsapp","recipient_type":"individual","to":"2","type":"image",
		"image":{"link":"https://img.example/a.jpg","caption":"a"}}`)
}

func TestWhatsAppErrors(t *testing.T) {
	mapper := `{"fromId": "1", "to": "2", "type": "text", "text": {"body": "hi"}}`
	checkDocumented(t, "whatsapp-business-cloud", "sendMessage", whatsappCreds, mapper, []documented{
		{"190 token", whatsappError(401, 190, "Error validating access token", "Session has expired"), weft.InvalidAccessTokenError, "(code 190): Session has expired", 0},
		{"10 permission", whatsappError(403, 10, "Permission denied", "whatsapp_business_messaging is missing"), weft.InvalidConfigurationError, "(code 10)", 0},
		{"131047 outside the 24-hour window", whatsappError(400, 131047, "Re-engagement message", "More than 24 hours have passed since the recipient last replied"), weft.DataError, "(code 131047): More than 24 hours", 0},
		{"131026 undeliverable", whatsappError(400, 131026, "Message Undeliverable", "Unable to deliver message"), weft.DataError, "131026", 0},
		{"100 invalid parameter", whatsappError(400, 100, "Invalid parameter", "Parameter 'to' is invalid"), weft.DataError, "(code 100)", 0},
		{"130429 throughput", whatsappError(400, 130429, "Rate limit hit", "Cloud API message throughput has been reached"), weft.RateLimitError, "130429", 0},
		{"131048 spam limit", whatsappError(400, 131048, "Spam rate limit hit", "too many previous messages were blocked"), weft.RateLimitError, "131048", 0},
		{"131056 pair limit", whatsappError(400, 131056, "(Business Account, Consumer Account) pair rate limit hit", "Too many messages to this number"), weft.RateLimitError, "131056", 0},
		{"133010 number not registered", whatsappError(400, 133010, "Phone number Not Registered", "The phone number is not registered on the Cloud API"), weft.InvalidConfigurationError, "133010", 0},
		{"131042 payment", whatsappError(400, 131042, "Business eligibility payment issue", "no valid payment method"), weft.InvalidConfigurationError, "131042", 0},
		{"131016 service unavailable", whatsappError(503, 131016, "Service unavailable", "A service is temporarily unavailable"), weft.ConnectionError, "131016", 0},
		{"131000 something went wrong", whatsappError(500, 131000, "Something went wrong", "unknown"), weft.RuntimeError, "131000", 0},
	})
}

// --- Pinterest ---

var pinterestCreds = weft.Bundle{"accessToken": "pina_token"}

func TestPinterestCreatePin(t *testing.T) {
	s := newStandIn(t, reply{status: 201, body: `{"id":"813744226420795884","created_at":"2026-01-02T03:04:05","link":"https://shop.example/p/1",
		"title":"Lamp","board_id":"1114359570238404947","media":{"media_type":"image"}}`})
	// Blueprint 025's mapper.
	out, err := run(t, shipped(t, "pinterest", "createPin", s), pinterestCreds, `{"link": "https://shop.example/p/1", "title": "Lamp",
		"board_id": "1114359570238404947", "description": "A good lamp",
		"media_source": {"url": "https://dummyimage.com/800x800/eeeeee/333333.jpg&text=Product+Image", "source_type": "image_url"}}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/pins" || g.Query != "" || g.Header.Get("Authorization") != "Bearer pina_token" {
		t.Fatalf("request %s %s?%s", g.Method, g.Path, g.Query)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"board_id":"1114359570238404947","title":"Lamp","description":"A good lamp","link":"https://shop.example/p/1",
		"media_source":{"source_type":"image_url","url":"https://dummyimage.com/800x800/eeeeee/333333.jpg&text=Product+Image"}}`)
	if out[0]["id"] != "813744226420795884" {
		t.Fatalf("output %v", out)
	}
	// A business account's pin names its ad account in the query; v1 exports give imageUrl.
	if _, err := run(t, shipped(t, "pinterest", "createPin", s), pinterestCreds,
		`{"board_id": "B", "ad_account_id": "549755885175", "imageUrl": "https://img.example/a.png", "note": "From make"}`); err != nil {
		t.Fatal(err)
	}
	g = s.requests()[1]
	if g.Query != "ad_account_id=549755885175" {
		t.Fatalf("query %q", g.Query)
	}
	sameJSON(t, "v1 body", jsonBody(t, g.Body), `{"board_id":"B","note":"From make","media_source":{"source_type":"image_url","url":"https://img.example/a.png"}}`)
}

func TestPinterestErrors(t *testing.T) {
	mapper := `{"board_id": "B", "media_source": {"source_type": "image_url", "url": "https://img.example/a.png"}}`
	perr := func(status, code int, msg string) reply {
		return reply{status: status, body: `{"code":` + itoa(code) + `,"message":"` + msg + `"}`}
	}
	checkDocumented(t, "pinterest", "createPin", pinterestCreds, mapper, []documented{
		{"401 authentication", perr(401, 2, "Authentication failed."), weft.InvalidAccessTokenError, "[401] Authentication failed. (code 2)", 0},
		{"403 scope", perr(403, 29, "You are not permitted to access that resource."), weft.InvalidConfigurationError, "not permitted", 0},
		{"404 board", perr(404, 40, "Board not found."), weft.DataError, "Board not found.", 0},
		{"400 invalid", perr(400, 1, "Invalid request: media_source.url is not a valid URL"), weft.DataError, "media_source.url", 0},
		{"429 rate limit", reply{status: 429, body: `{"code":8,"message":"You have exceeded your rate limit. Try again later."}`, header: map[string]string{"Retry-After": "60"}},
			weft.RateLimitError, "exceeded your rate limit", time.Minute},
		{"500", perr(500, 3, "Internal error"), weft.RuntimeError, "Internal error", 0},
	})
}

// --- Twilio ---

var twilioCreds = weft.Bundle{"accountSid": "AC0123", "authToken": "tw-secret"}

func TestTwilioSendSMS(t *testing.T) {
	s := newStandIn(t, reply{status: 201, body: `{"sid":"SM9","status":"queued","to":"+15551230000","from":"+15559870000","body":"Hi Ada","account_sid":"AC0123","num_segments":"1"}`})
	// Blueprint 193's mapper.
	out, err := run(t, shipped(t, "twilio", "sendSMS", s), twilioCreds,
		`{"from": "+15559870000", "to": "+15551230000", "body": "Hi Ada", "statusCallback": "https://hooks.example/sms"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/Accounts/AC0123/Messages.json" || g.Header.Get("Content-Type") != "application/x-www-form-urlencoded" ||
		g.Header.Get("Authorization") != "Basic "+base64.StdEncoding.EncodeToString([]byte("AC0123:tw-secret")) {
		t.Fatalf("request %s %s type %q auth %q", g.Method, g.Path, g.Header.Get("Content-Type"), g.Header.Get("Authorization"))
	}
	form, _ := url.ParseQuery(g.Body)
	if form.Get("To") != "+15551230000" || form.Get("From") != "+15559870000" || form.Get("Body") != "Hi Ada" ||
		form.Get("StatusCallback") != "https://hooks.example/sms" || len(form) != 4 {
		t.Fatalf("form %v", form)
	}
	if out[0]["sid"] != "SM9" || out[0]["status"] != "queued" {
		t.Fatalf("output %v", out)
	}
	// A messaging service sends from its pool; media go as repeated MediaUrl.
	if _, err := run(t, shipped(t, "twilio", "sendSMS", s), twilioCreds,
		`{"from": "MG42", "to": "+1555", "mediaUrl": ["https://m.example/a.jpg", "https://m.example/b.jpg"]}`); err != nil {
		t.Fatal(err)
	}
	form, _ = url.ParseQuery(s.requests()[1].Body)
	if form.Get("MessagingServiceSid") != "MG42" || form.Get("From") != "" || len(form["MediaUrl"]) != 2 {
		t.Fatalf("form %v", form)
	}
}

func TestTwilioErrors(t *testing.T) {
	terr := func(status, code int, msg string) reply {
		return reply{status: status, body: `{"code":` + itoa(code) + `,"message":"` + msg + `","more_info":"https://www.twilio.com/docs/errors/` + itoa(code) + `","status":` + itoa(status) + `}`}
	}
	checkDocumented(t, "twilio", "sendSMS", twilioCreds, `{"from": "+1", "to": "+2", "body": "x"}`, []documented{
		{"20003 authenticate", terr(401, 20003, "Authenticate"), weft.InvalidAccessTokenError, "[401] Authenticate (code 20003)", 0},
		{"21211 invalid To", terr(400, 21211, "The 'To' number +2 is not a valid phone number."), weft.DataError, "(code 21211)", 0},
		{"21610 unsubscribed", terr(400, 21610, "Attempt to send to unsubscribed recipient"), weft.DataError, "21610", 0},
		{"21606 From not yours", terr(400, 21606, "The From phone number +1 is not a valid, SMS-capable inbound phone number or short code for your account."), weft.InvalidConfigurationError, "21606", 0},
		{"21408 region not enabled", terr(400, 21408, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number"), weft.InvalidConfigurationError, "21408", 0},
		{"20429 too many requests", terr(429, 20429, "Too Many Requests"), weft.RateLimitError, "20429", 0},
		{"503", reply{status: 503, body: `unavailable`, header: map[string]string{"Content-Type": "text/plain"}}, weft.ConnectionError, "[503]", 0},
	})
}

// --- Resend ---

var resendCreds = weft.Bundle{"apiKey": "re_123"}

func TestResendSendEmail(t *testing.T) {
	s := newStandIn(t, ok(`{"id":"49a3999c-0ce1-4ea6-ab68-afcd6dc2e794"}`))
	exec := apptest.NewExec()
	exec.Key = "idem-7"
	exec.Connections["conn"] = resendCreds
	// Blueprint 192's mapper, plus an attachment and a schedule.
	out, err := apptest.Run(t.Context(), shipped(t, "resend", "sendEmail", s), weft.Bundle{"__IMTCONN__": "conn"}, weft.Bundle{
		"from": "Ada <ada@mail.example>", "to": []any{"bo@example.com"}, "subject": "Quick intro", "html": "<p>Hi</p>",
		"replyTo": []any{"reply@example.com"}, "tags": []any{map[string]any{"name": "campaign", "value": "god-mode-outreach"}},
		"attachments": []any{map[string]any{"fileName": "a.pdf", "data": []byte("%PDF")}},
		"scheduledAt": time.Date(2026, 1, 3, 9, 0, 0, 0, time.UTC)}, exec)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/emails" || g.Header.Get("Authorization") != "Bearer re_123" || g.Header.Get("Idempotency-Key") != "idem-7" {
		t.Fatalf("request %s %s auth %q key %q", g.Method, g.Path, g.Header.Get("Authorization"), g.Header.Get("Idempotency-Key"))
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"from":"Ada <ada@mail.example>","to":["bo@example.com"],"subject":"Quick intro","html":"<p>Hi</p>",
		"reply_to":["reply@example.com"],"tags":[{"name":"campaign","value":"god-mode-outreach"}],
		"attachments":[{"filename":"a.pdf","content":"JVBERg=="}],"scheduled_at":"2026-01-03T09:00:00.000Z"}`)
	sameJSON(t, "output", out, `[{"id":"49a3999c-0ce1-4ea6-ab68-afcd6dc2e794"}]`)
}

func TestResendErrors(t *testing.T) {
	rerr := func(status int, name, msg string) reply {
		return reply{status: status, body: `{"statusCode":` + itoa(status) + `,"name":"` + name + `","message":"` + msg + `"}`}
	}
	checkDocumented(t, "resend", "sendEmail", resendCreds, `{"from": "a@x.example", "to": ["b@example.com"], "subject": "s", "text": "t"}`, []documented{
		{"401 missing key", rerr(401, "missing_api_key", "Missing API key in the authorization header."), weft.InvalidAccessTokenError, "(missing_api_key)", 0},
		{"403 invalid key", rerr(403, "invalid_api_key", "API key is invalid"), weft.InvalidAccessTokenError, "[403] API key is invalid (invalid_api_key)", 0},
		{"401 restricted key", rerr(401, "restricted_api_key", "This API key is restricted to only send emails"), weft.InvalidConfigurationError, "restricted", 0},
		{"403 unverified domain", rerr(403, "validation_error", "The x.example domain is not verified."), weft.InvalidConfigurationError, "not verified", 0},
		{"422 invalid from", rerr(422, "invalid_from_address", "Invalid `from` field."), weft.DataError, "invalid_from_address", 0},
		{"422 validation", rerr(422, "validation_error", "The `to` field must be a `string`."), weft.DataError, "validation_error", 0},
		{"409 idempotency key reused", rerr(409, "invalid_idempotent_request", "Same idempotency key used with a different request payload."), weft.DataError, "invalid_idempotent_request", 0},
		{"409 concurrent", rerr(409, "concurrent_idempotent_requests", "Same idempotency key used while original request is still in progress."), weft.RateLimitError, "concurrent", 0},
		{"429 rate limit", reply{status: 429, body: `{"statusCode":429,"name":"rate_limit_exceeded","message":"Too many requests."}`, header: map[string]string{"Retry-After": "1"}},
			weft.RateLimitError, "rate_limit_exceeded", time.Second},
		{"429 daily quota", rerr(429, "daily_quota_exceeded", "You have reached your daily email sending quota."), weft.RateLimitError, "daily_quota_exceeded", 0},
		{"429 monthly quota", rerr(429, "monthly_quota_exceeded", "You have reached your monthly email sending quota."), weft.InvalidConfigurationError, "monthly_quota_exceeded", 0},
		{"500", rerr(500, "application_error", "An unexpected error occurred."), weft.RuntimeError, "application_error", 0},
	})
}
