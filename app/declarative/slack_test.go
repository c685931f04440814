package declarative_test

import (
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

var slackCreds = weft.Bundle{"accessToken": "xoxb-secret-token"}

func TestSlackCreateMessage(t *testing.T) {
	s := newStandIn(t, ok(`{"ok":true,"channel":"C123","ts":"1700000000.000100","message":{"text":"hi","ts":"1700000000.000100"}}`))
	// The mapper of blueprint 021: blocks as Block Kit JSON text wrapped in {"blocks": …}.
	out, err := run(t, shipped(t, "slack", "CreateMessage", s), slackCreds, `{
		"channelWType": "list", "channelType": "private", "channel": "C123", "mrkdwn": true, "parse": false,
		"blocks": "{\n \"blocks\": [{\"type\": \"section\", \"text\": {\"type\": \"mrkdwn\", \"text\": \"*Positive*\"}}]\n}",
		"thread_ts": ""}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/chat.postMessage" || g.Header.Get("Authorization") != "Bearer xoxb-secret-token" ||
		g.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("request %s %s auth %q type %q", g.Method, g.Path, g.Header.Get("Authorization"), g.Header.Get("Content-Type"))
	}
	// Empty and unset fields are not sent; parse false sends nothing.
	sameJSON(t, "body", jsonBody(t, g.Body), `{"channel":"C123","mrkdwn":true,
		"blocks":[{"type":"section","text":{"type":"mrkdwn","text":"*Positive*"}}]}`)
	sameJSON(t, "output", out, `[{"channel":"C123","ts":"1700000000.000100","message":{"text":"hi","ts":"1700000000.000100"}}]`)
}

func TestSlackCreateMessageTextAndOptions(t *testing.T) {
	s := newStandIn(t, ok(`{"ok":true,"channel":"C9","ts":"1.2"}`))
	_, err := run(t, shipped(t, "slack", "CreateMessage", s), slackCreds, `{
		"channelWType": "list", "channel": "C9", "text": "Order 7 \"paid\"", "parse": true, "unfurl_links": false,
		"thread_ts": "1.1", "username": "Bot", "icon_url": "https://example.com/i.png",
		"blocks": "[{\"type\":\"divider\"}]"}`)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "body", jsonBody(t, s.only(t).Body), `{"channel":"C9","text":"Order 7 \"paid\"","parse":"full",
		"unfurl_links":false,"thread_ts":"1.1","username":"Bot","icon_url":"https://example.com/i.png",
		"blocks":[{"type":"divider"}]}`)
}

func TestSlackErrors(t *testing.T) {
	mapper := `{"channelWType": "list", "channel": "C1", "text": "x"}`
	checkErrors(t, "slack", "CreateMessage", slackCreds, mapper, []errCase{
		{"invalid_auth", ok(`{"ok":false,"error":"invalid_auth"}`), weft.InvalidAccessTokenError, "[200] invalid_auth"},
		{"not_authed", ok(`{"ok":false,"error":"not_authed"}`), weft.InvalidAccessTokenError, "not_authed"},
		{"token_revoked", ok(`{"ok":false,"error":"token_revoked"}`), weft.InvalidAccessTokenError, "token_revoked"},
		{"channel_not_found", ok(`{"ok":false,"error":"channel_not_found"}`), weft.DataError, "[200] channel_not_found"},
		{"is_archived", ok(`{"ok":false,"error":"is_archived"}`), weft.DataError, "is_archived"},
		{"invalid_blocks", ok(`{"ok":false,"error":"invalid_blocks"}`), weft.DataError, "invalid_blocks"},
		{"unknown code is the data's", ok(`{"ok":false,"error":"something_new"}`), weft.DataError, "something_new"},
		{"missing_scope", ok(`{"ok":false,"error":"missing_scope"}`), weft.InvalidConfigurationError, "missing_scope"},
		{"not_in_channel", ok(`{"ok":false,"error":"not_in_channel"}`), weft.InvalidConfigurationError, "not_in_channel"},
		{"ratelimited in the body", ok(`{"ok":false,"error":"ratelimited"}`), weft.RateLimitError, "ratelimited"},
		{"429 with Retry-After", reply{status: 429, body: `{"ok":false,"error":"ratelimited"}`,
			header: map[string]string{"Retry-After": "30"}}, weft.RateLimitError, "[429] ratelimited"},
		{"service_unavailable", ok(`{"ok":false,"error":"service_unavailable"}`), weft.ConnectionError, "service_unavailable"},
		{"fatal_error", ok(`{"ok":false,"error":"fatal_error"}`), weft.RuntimeError, "fatal_error"},
		{"503 HTML page", reply{status: 503, body: `<html>down</html>`, header: map[string]string{"Content-Type": "text/html"}},
			weft.ConnectionError, "[503] POST"},
		{"500", reply{status: 500, body: `oops`, header: map[string]string{"Content-Type": "text/plain"}}, weft.RuntimeError, "oops"},
		{"200 not JSON", reply{status: 200, body: `{broken`}, weft.UnexpectedError, "not"},
	})
}

func TestSlackRateLimitKeepsRetryAfter(t *testing.T) {
	s := newStandIn(t, reply{status: 429, body: `{"ok":false,"error":"ratelimited"}`, header: map[string]string{"Retry-After": "30"}})
	_, err := run(t, shipped(t, "slack", "CreateMessage", s), slackCreds, `{"channelWType":"list","channel":"C1","text":"x"}`)
	e := apptest.WantError(t, err, weft.RateLimitError, "ratelimited")
	if e.RetryAfter != 30*time.Second {
		t.Fatalf("RetryAfter %s, want 30s", e.RetryAfter)
	}
	if e.Details["statusCode"] != 429.0 || e.Details["body"] != `{"ok":false,"error":"ratelimited"}` {
		t.Fatalf("details %v", e.Details)
	}
}

func TestSlackConnectionProblems(t *testing.T) {
	s := newStandIn(t)
	spec := shipped(t, "slack", "CreateMessage", s)
	mapper := `{"channelWType":"list","channel":"C1","text":"x"}`
	_, err := run(t, spec, weft.Bundle{"accessToken": ""}, mapper)
	apptest.WantError(t, err, weft.InvalidAccessTokenError, "connection conn is not connected: a person must connect (authorize) it")
	_, err = apptest.Run(t.Context(), spec, weft.Bundle{"__IMTCONN__": "missing"}, decode(t, mapper), apptest.NewExec())
	apptest.WantError(t, err, weft.InvalidConfigurationError, `parameters.__IMTCONN__: connection "missing" not found`)
	_, err = apptest.Run(t.Context(), spec, weft.Bundle{}, decode(t, mapper), apptest.NewExec())
	apptest.WantError(t, err, weft.InvalidConfigurationError, "__IMTCONN__")
	_, err = run(t, spec, slackCreds, `{"channelWType":"list","text":"x"}`)
	apptest.WantError(t, err, weft.DataError, "channel: missing value of required field")
	_, err = run(t, spec, slackCreds, `{"channelWType":"list","channel":"C1","blocks":"{not json"}`)
	apptest.WantError(t, err, weft.DataError, "invalid JSON")
	if n := len(s.requests()); n != 0 {
		t.Fatalf("%d requests sent for calls that cannot be made", n)
	}
}
