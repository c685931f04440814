package declarative_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

// slackSearch answers search.messages from matches, in pages of count, as Slack's
// paging object describes ({count, total, page, pages}).
func slackSearch(t *testing.T, matches []string) *standIn {
	s := newStandIn(t)
	s.fn = func(r *http.Request, _ string) reply {
		if r.Header.Get("Authorization") != "Bearer xoxp-user-token" {
			return ok(`{"ok":false,"error":"not_authed"}`)
		}
		switch r.URL.Path {
		case "/users.info":
			if r.URL.Query().Get("user") != "U1" {
				return ok(`{"ok":false,"error":"user_not_found"}`)
			}
			return ok(`{"ok":true,"user":{"id":"U1","name":"ada","real_name":"Ada L","tz":"Europe/Paris","profile":{"image_512":"https://a.test/512.png"}}}`)
		case "/search.messages":
		default:
			return ok(`{"ok":false,"error":"unknown_method"}`)
		}
		q := r.URL.Query()
		count, _ := strconv.Atoi(q.Get("count"))
		page := 1
		if p := q.Get("page"); p != "" {
			page, _ = strconv.Atoi(p)
		}
		pages := (len(matches) + count - 1) / count
		from, to := (page-1)*count, min(page*count, len(matches))
		return ok(`{"ok":true,"query":"` + q.Get("query") + `","messages":{"total":` + itoa(len(matches)) +
			`,"paging":{"count":` + itoa(count) + `,"total":` + itoa(len(matches)) + `,"page":` + itoa(page) + `,"pages":` + itoa(pages) +
			`},"matches":[` + strings.Join(matches[from:to], ",") + `]}}`)
	}
	return s
}

func match(n int) string {
	return `{"iid":"i` + itoa(n) + `","team":"T1","channel":{"id":"C1","name":"random"},"type":"message","user":"U1","username":"ada","ts":"170000000` +
		itoa(n) + `.000100","text":"message ` + itoa(n) + `","permalink":"https://x.slack.com/archives/C1/p` + itoa(n) + `"}`
}

var slackUser = weft.Bundle{"accessToken": "xoxp-user-token"}

func TestSlackSearchMessagesPagesUpToTheLimit(t *testing.T) {
	var matches []string
	for i := 1; i <= 130; i++ {
		matches = append(matches, match(i))
	}
	s := slackSearch(t, matches)
	out, err := run(t, shipped(t, "slack", "SearchMessages", s), slackUser, `{"query": "on:2026-02-24", "limit": "120", "sort": "timestamp", "sort_dir": "asc"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.requests()
	if len(g) != 2 || g[0].Method != "GET" || g[0].Path != "/search.messages" ||
		g[0].Query != "count=100&query=on%3A2026-02-24&sort=timestamp&sort_dir=asc" || g[1].Query != "count=100&page=2&query=on%3A2026-02-24&sort=timestamp&sort_dir=asc" {
		t.Fatalf("requests %+v", g)
	}
	if len(out) != 120 || out[0]["text"] != "message 1" || out[119]["text"] != "message 120" || out[119]["__IMTINDEX__"] != 120.0 ||
		out[0]["__IMTLENGTH__"] != 120.0 || out[0]["channel"].(map[string]any)["id"] != "C1" {
		t.Fatalf("%d bundles, first %v", len(out), out[0])
	}
	// Fewer matches than the limit: one page, every match.
	s = slackSearch(t, matches[:3])
	out, err = run(t, shipped(t, "slack", "SearchMessages", s), slackUser, `{"query": "x", "limit": 30}`)
	if err != nil || len(out) != 3 || len(s.requests()) != 1 || s.requests()[0].Query != "count=30&query=x" {
		t.Fatalf("err %v bundles %d requests %+v", err, len(out), s.requests())
	}
}

func TestSlackGetUser(t *testing.T) {
	s := slackSearch(t, nil)
	out, err := run(t, shipped(t, "slack", "GetUser", s), slackUser, `{"user": "U1"}`)
	if err != nil {
		t.Fatal(err)
	}
	if g := s.only(t); g.Path != "/users.info" || g.Query != "user=U1" {
		t.Fatalf("request %+v", g)
	}
	sameJSON(t, "output", out, `[{"id":"U1","name":"ada","real_name":"Ada L","tz":"Europe/Paris","profile":{"image_512":"https://a.test/512.png"}}]`)
	_, err = run(t, shipped(t, "slack", "GetUser", s), slackUser, `{"user": "U404"}`)
	apptest.WantError(t, err, weft.DataError, "[200] user_not_found")
}

// The v5 export's lower-case createMessage takes its channel from the parameters
// (blueprints 179–191).
func TestSlackCreateMessageV5(t *testing.T) {
	s := newStandIn(t, ok(`{"ok":true,"channel":"C42","ts":"1.5","message":{"text":"hi"}}`))
	exec := apptest.NewExec()
	exec.Connections["conn"] = slackCreds
	spec := shipped(t, "slack", "createMessage", s)
	out, err := apptest.Run(t.Context(), spec, weft.Bundle{"__IMTCONN__": "conn", "channel": "C42"}, weft.Bundle{"text": ":dart: *Done*"}, exec)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Path != "/chat.postMessage" || g.Header.Get("Authorization") != "Bearer xoxb-secret-token" {
		t.Fatalf("request %s auth %q", g.Path, g.Header.Get("Authorization"))
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"channel":"C42","text":":dart: *Done*"}`)
	sameJSON(t, "output", out, `[{"channel":"C42","ts":"1.5","message":{"text":"hi"}}]`)
}

func TestSlackSearchErrors(t *testing.T) {
	checkDocumented(t, "slack", "SearchMessages", slackUser, `{"query": "x", "limit": 5}`, []documented{
		{"bot token cannot search", ok(`{"ok":false,"error":"not_allowed_token_type"}`), weft.InvalidConfigurationError, "[200] not_allowed_token_type", 0},
		{"missing scope", ok(`{"ok":false,"error":"missing_scope","needed":"search:read"}`), weft.InvalidConfigurationError, "missing_scope", 0},
		{"revoked", ok(`{"ok":false,"error":"token_revoked"}`), weft.InvalidAccessTokenError, "token_revoked", 0},
		{"rate limited", reply{status: 429, body: `{"ok":false,"error":"ratelimited"}`, header: map[string]string{"Retry-After": "20"}}, weft.RateLimitError, "ratelimited", 20e9},
		{"internal", ok(`{"ok":false,"error":"internal_error"}`), weft.RuntimeError, "internal_error", 0},
	})
}
