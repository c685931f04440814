package declarative_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/value"
)

var discordCreds = weft.Bundle{"botToken": "bot-secret-token", "guildId": "G1"}

// discordAPI is a stand-in for Discord's REST API v10 as its reference documents it:
// bot authorization, messages created in channels (a nonce with enforce_nonce answers
// the message already created with it), DM channels, channel webhooks, member roles.
type discordAPI struct {
	*standIn
	mu       sync.Mutex
	messages []map[string]any
	byNonce  map[string]map[string]any
	// loseNext creates the next message, then answers 503 as a failing gateway would.
	loseNext bool
}

func newDiscordAPI(t *testing.T) *discordAPI {
	d := &discordAPI{standIn: newStandIn(t), byNonce: map[string]map[string]any{}}
	d.fn = d.serve
	return d
}

func discordError(status int, code int, msg string) reply {
	return reply{status: status, body: `{"message":"` + msg + `","code":` + itoa(code) + `}`}
}

func (d *discordAPI) serve(r *http.Request, body string) reply {
	path := strings.TrimPrefix(r.URL.Path, "/api/v10")
	if strings.HasPrefix(path, "/api/webhooks/") {
		if r.Header.Get("Authorization") != "" {
			return discordError(400, 0, "webhooks take no Authorization")
		}
		return d.create("WEBHOOKCHANNEL", body, r.URL.Query().Get("wait") == "true")
	}
	if r.Header.Get("Authorization") != "Bot bot-secret-token" {
		return discordError(401, 0, "401: Unauthorized")
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case r.Method == "POST" && path == "/users/@me/channels":
		var in map[string]any
		if v, err := value.DecodeJSON([]byte(body)); err == nil {
			in, _ = v.(map[string]any)
		}
		return ok(`{"id":"DM-` + value.Text(in["recipient_id"]) + `","type":1}`)
	case r.Method == "POST" && len(parts) == 3 && parts[0] == "channels" && parts[2] == "messages":
		if parts[1] == "404" {
			return discordError(404, 10003, "Unknown Channel")
		}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			form, err := parseForm(r.Header.Get("Content-Type"), body)
			if err != nil {
				return discordError(400, 50035, "Invalid Form Body")
			}
			for _, p := range form {
				if p.Name == "payload_json" {
					return d.create(parts[1], p.Body, true)
				}
			}
			return discordError(400, 50006, "Cannot send an empty message")
		}
		return d.create(parts[1], body, true)
	case (r.Method == "PUT" || r.Method == "DELETE") && len(parts) == 6 && parts[0] == "guilds" && parts[2] == "members" && parts[4] == "roles":
		if parts[1] != "G1" {
			return discordError(404, 10004, "Unknown Guild")
		}
		return reply{status: 204}
	}
	return discordError(404, 0, "404: Not Found")
}

// create stores a message; a nonce sent with enforce_nonce that was seen already
// answers the stored message, as Discord documents.
func (d *discordAPI) create(channel, body string, answer bool) reply {
	v, err := value.DecodeJSON([]byte(body))
	in, isMap := v.(map[string]any)
	if err != nil || !isMap {
		return discordError(400, 50109, "The request body contains invalid JSON.")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	nonce := value.Text(in["nonce"])
	if prev, seen := d.byNonce[nonce]; seen && nonce != "" && in["enforce_nonce"] == true {
		return ok(string(value.JSON(prev)))
	}
	msg := map[string]any{"id": "M" + itoa(len(d.messages)+1), "channel_id": channel, "content": value.Text(in["content"]),
		"author": map[string]any{"id": "B1", "username": "weft-bot", "bot": true}, "timestamp": "2026-01-02T03:04:05.000000+00:00",
		"tts": in["tts"] == true, "embeds": value.Array(in["embeds"]), "attachments": []any{}}
	if nonce != "" {
		msg["nonce"] = nonce
		d.byNonce[nonce] = msg
	}
	d.messages = append(d.messages, msg)
	if d.loseNext {
		d.loseNext = false
		return reply{status: 503, body: `upstream connect error`, header: map[string]string{"Content-Type": "text/plain"}}
	}
	if !answer {
		return reply{status: 204}
	}
	return ok(string(value.JSON(msg)))
}

func (d *discordAPI) stored() []map[string]any {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]map[string]any(nil), d.messages...)
}

// The mapper of corpus blueprint 026 (all 38 uses in the corpus look like it).
const discordCorpusMapper = `{"select": "channel", "content": "🔔 Solana Price Alert 🔔\n\n$142.5", "channelId": "1280652667408089210", "message_reference": {}}`

func TestDiscordCreateMessageToChannel(t *testing.T) {
	d := newDiscordAPI(t)
	out, err := run(t, shipped(t, "discord", "createMessage", d.standIn), discordCreds, discordCorpusMapper)
	if err != nil {
		t.Fatal(err)
	}
	g := d.only(t)
	if g.Method != "POST" || g.Path != "/channels/1280652667408089210/messages" ||
		g.Header.Get("Authorization") != "Bot bot-secret-token" || g.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("request %s %s auth %q type %q", g.Method, g.Path, g.Header.Get("Authorization"), g.Header.Get("Content-Type"))
	}
	// An empty message_reference is not sent; the nonce is the call's idempotency key.
	sameJSON(t, "body", jsonBody(t, g.Body), `{"content":"🔔 Solana Price Alert 🔔\n\n$142.5","nonce":"test-key","enforce_nonce":true}`)
	sameJSON(t, "output", out, `[{"id":"M1","channel_id":"1280652667408089210","content":"🔔 Solana Price Alert 🔔\n\n$142.5",
		"author":{"id":"B1","username":"weft-bot","bot":true},"timestamp":"2026-01-02T03:04:05.000000+00:00","tts":false,
		"embeds":[],"attachments":[],"nonce":"test-key"}]`)
}

func TestDiscordCreateMessageEmbedsStickersReply(t *testing.T) {
	d := newDiscordAPI(t)
	exec := apptest.NewExec()
	exec.Key = "0123456789abcdef0123456789abcdef"
	exec.Connections["conn"] = discordCreds
	_, err := apptest.Run(context.Background(), shipped(t, "discord", "createMessage", d.standIn), weft.Bundle{"__IMTCONN__": "conn"},
		weft.Bundle{"select": "thread", "channelId": "C1", "threadId": "T9", "content": "see below", "tts": "true",
			"embeds": []any{map[string]any{"title": "Gas", "color": "16711680", "timestamp": time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
				"fields": []any{map[string]any{"name": "Safe", "value": "12", "inline": true}}}},
			"sticker_ids":       []any{map[string]any{"id": "749054660769218631"}},
			"components":        []any{map[string]any{"type": 1.0, "components": []any{map[string]any{"type": 2.0, "style": 5.0, "label": "Open", "url": "https://etherscan.io"}}}},
			"message_reference": map[string]any{"message_id": "M0"}}, exec)
	if err != nil {
		t.Fatal(err)
	}
	g := d.only(t)
	if g.Path != "/channels/T9/messages" {
		t.Fatalf("thread message posted to %s, want the thread's channel", g.Path)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"content":"see below","tts":true,
		"embeds":[{"title":"Gas","color":16711680,"timestamp":"2026-01-02T03:04:05.000Z","fields":[{"name":"Safe","value":"12","inline":true}]}],
		"sticker_ids":["749054660769218631"],
		"components":[{"type":1,"components":[{"type":2,"style":5,"label":"Open","url":"https://etherscan.io"}]}],
		"message_reference":{"message_id":"M0"},"nonce":"0123456789abcdef012345678","enforce_nonce":true}`)
}

func TestDiscordCreateMessageWithFiles(t *testing.T) {
	d := newDiscordAPI(t)
	exec := apptest.NewExec()
	exec.Connections["conn"] = discordCreds
	png := []byte("\x89PNG\r\n\x1a\nchart")
	_, err := apptest.Run(context.Background(), shipped(t, "discord", "createMessage", d.standIn), weft.Bundle{"__IMTCONN__": "conn"},
		weft.Bundle{"select": "channel", "channelId": "C1", "content": "today's chart",
			"files": []any{map[string]any{"filename": "chart.png", "data": png}, map[string]any{"filename": "notes.txt", "data": "plain text"}}}, exec)
	if err != nil {
		t.Fatal(err)
	}
	g := d.only(t)
	if g.Path != "/channels/C1/messages" || g.Header.Get("Authorization") != "Bot bot-secret-token" {
		t.Fatalf("request %s auth %q", g.Path, g.Header.Get("Authorization"))
	}
	parts := formParts(t, g.Header.Get("Content-Type"), g.Body)
	if len(parts) != 3 {
		t.Fatalf("%d parts: %+v", len(parts), parts)
	}
	if p := parts[0]; p.Name != "files[0]" || p.FileName != "chart.png" || p.Type != "image/png" || p.Body != string(png) {
		t.Fatalf("first file %+v", p)
	}
	if p := parts[1]; p.Name != "files[1]" || p.FileName != "notes.txt" || !strings.HasPrefix(p.Type, "text/plain") || p.Body != "plain text" {
		t.Fatalf("second file %+v", p)
	}
	if parts[2].Name != "payload_json" {
		t.Fatalf("third part %+v", parts[2])
	}
	sameJSON(t, "payload_json", jsonBody(t, parts[2].Body), `{"content":"today's chart","nonce":"test-key","enforce_nonce":true,
		"attachments":[{"id":0,"filename":"chart.png"},{"id":1,"filename":"notes.txt"}]}`)

	// Over Discord's 10 MB per file: refused before anything is sent.
	_, err = apptest.Run(context.Background(), shipped(t, "discord", "createMessage", d.standIn), weft.Bundle{"__IMTCONN__": "conn"},
		weft.Bundle{"select": "channel", "channelId": "C1",
			"files": []any{map[string]any{"filename": "video.mp4", "data": bytes.Repeat([]byte{1}, 10<<20+1)}}}, exec)
	apptest.WantError(t, err, weft.MaxFileSizeExceededError, `the file "video.mp4" is 10485761 bytes; the service accepts at most 10485760`)
	if n := len(d.requests()); n != 1 {
		t.Fatalf("%d requests, want none for the file over the limit", n-1)
	}
}

func TestDiscordDirectMessage(t *testing.T) {
	d := newDiscordAPI(t)
	out, err := run(t, shipped(t, "discord", "createMessage", d.standIn), discordCreds, `{"select": "user", "userId": "U42", "content": "hi"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := d.requests()
	if len(g) != 2 || g[0].Method != "POST" || g[0].Path != "/users/@me/channels" || g[1].Path != "/channels/DM-U42/messages" {
		t.Fatalf("requests %+v", g)
	}
	sameJSON(t, "open DM", jsonBody(t, g[0].Body), `{"recipient_id":"U42"}`)
	if out[0]["channel_id"] != "DM-U42" {
		t.Fatalf("output %v", out)
	}
}

// A message whose answer was lost (created, then 503) is retried from its incomplete
// execution with the same nonce: Discord answers the message it made, none is doubled.
func TestDiscordRetryPostsOnce(t *testing.T) {
	d := newDiscordAPI(t)
	d.loseNext = true
	exec := apptest.NewExec()
	exec.Connections["1"] = discordCreds
	eng, err := apptest.Engine(exec, shipped(t, "discord", "createMessage", d.standIn))
	if err != nil {
		t.Fatal(err)
	}
	flow, err := apptest.ModuleFlow("discord:createMessage", weft.Bundle{"__IMTCONN__": "1"},
		weft.Bundle{"select": nil, "channelId": nil, "content": nil})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := apptest.Compile(eng, flow, "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Run(context.Background(), plan, engine.Input{Trigger: [][]weft.Bundle{{{"select": "channel", "channelId": "C1", "content": "Transfer done"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != weft.StatusWarning || len(res.Incomplete) != 1 || !res.Incomplete[0].AutoRetry || res.Error.Type != weft.ConnectionError {
		t.Fatalf("first run: status %s error %+v", res.Status, res.Error)
	}
	retry, err := eng.Resume(context.Background(), plan, res.Incomplete[0], engine.ResumeInput{})
	if err != nil {
		t.Fatal(err)
	}
	if retry.Status != weft.StatusSuccess {
		t.Fatalf("retry: status %s error %+v", retry.Status, retry.Error)
	}
	g := d.requests()
	if len(g) != 2 || jsonBody(t, g[0].Body)["nonce"] != jsonBody(t, g[1].Body)["nonce"] {
		t.Fatalf("requests %+v, want two with the same nonce", g)
	}
	if m := d.stored(); len(m) != 1 {
		t.Fatalf("%d messages posted, want 1: %v", len(m), m)
	}
	if out := retry.Log[len(retry.Log)-1].Output; len(out) != 1 || out[0]["id"] != "M1" {
		t.Fatalf("retry output %v", out)
	}
}

func TestDiscordPostMessageThroughWebhook(t *testing.T) {
	d := newDiscordAPI(t)
	spec := shipped(t, "discord", "PostMessage", d.standIn)
	hook := d.URL + "/api/webhooks/123/hook-token"
	out, err := run(t, spec, discordCreds, `{"content": ":bell: signed", "moduleWebhookUrl": "`+hook+`"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := d.only(t)
	if g.Method != "POST" || g.Path != "/api/webhooks/123/hook-token" || g.Query != "wait=true" || g.Header.Get("Authorization") != "" {
		t.Fatalf("webhook request %s %s?%s auth %q", g.Method, g.Path, g.Query, g.Header.Get("Authorization"))
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"content":":bell: signed"}`)
	if out[0]["channel_id"] != "WEBHOOKCHANNEL" {
		t.Fatalf("output %v", out)
	}
	// The connection's webhook when the module sets none.
	withHook := weft.Bundle{"webhookUrl": hook}
	if _, err := run(t, spec, withHook, `{"content": "x"}`); err != nil {
		t.Fatal(err)
	}
	// Neither: nothing is sent anywhere.
	_, err = run(t, spec, discordCreds, `{"content": "x"}`)
	apptest.WantError(t, err, weft.DataError, "the URL is empty")
	if n := len(d.requests()); n != 2 {
		t.Fatalf("%d requests, want 2", n)
	}
}

func TestDiscordMemberRoles(t *testing.T) {
	d := newDiscordAPI(t)
	out, err := run(t, shipped(t, "discord", "RemoveGuildMemberRole", d.standIn), discordCreds, `{"roleId": "1080704303976685639", "userId": "U7"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := d.only(t)
	if g.Method != "DELETE" || g.Path != "/guilds/G1/members/U7/roles/1080704303976685639" || g.Header.Get("Authorization") != "Bot bot-secret-token" {
		t.Fatalf("request %s %s", g.Method, g.Path)
	}
	sameJSON(t, "output", out, `[{}]`)
	_, err = run(t, shipped(t, "discord", "AddGuildMemberRole", d.standIn), discordCreds, `{"roleId": "R1", "userId": "U7", "guildId": "G2"}`)
	apptest.WantError(t, err, weft.DataError, "[404] Unknown Guild (code 10004)")
}

func TestDiscordErrors(t *testing.T) {
	checkDocumented(t, "discord", "createMessage", discordCreds, discordCorpusMapper, []documented{
		{"401 bad token", discordError(401, 0, "401: Unauthorized"), weft.InvalidAccessTokenError, "[401] 401: Unauthorized", 0},
		{"403 missing permissions", discordError(403, 50013, "Missing Permissions"), weft.InvalidConfigurationError, "Missing Permissions (code 50013)", 0},
		{"403 missing access", discordError(403, 50001, "Missing Access"), weft.InvalidConfigurationError, "Missing Access", 0},
		{"403 the user accepts no DMs", discordError(403, 50007, "Cannot send messages to this user"), weft.DataError, "Cannot send messages to this user", 0},
		{"404 unknown channel", discordError(404, 10003, "Unknown Channel"), weft.DataError, "[404] Unknown Channel (code 10003)", 0},
		{"400 invalid form body", reply{status: 400, body: `{"message":"Invalid Form Body","code":50035,"errors":{"content":{"_errors":[{"code":"BASE_TYPE_MAX_LENGTH","message":"Must be 2000 or fewer in length."}]}}}`},
			weft.DataError, "Invalid Form Body (code 50035): {'content':{'_errors':[{'code':'BASE_TYPE_MAX_LENGTH'", 0},
		{"400 empty message", discordError(400, 50006, "Cannot send an empty message"), weft.DataError, "Cannot send an empty message", 0},
		{"413 request too large", discordError(413, 40005, "Request entity too large"), weft.MaxFileSizeExceededError, "Request entity too large", 0},
		{"400 file too large", discordError(400, 50045, "File uploaded exceeds the maximum size"), weft.MaxFileSizeExceededError, "exceeds the maximum size", 0},
		{"429 rate limited", reply{status: 429, body: `{"message":"You are being rate limited.","retry_after":64.57,"global":false}`},
			weft.RateLimitError, "You are being rate limited.", 65 * time.Second},
		{"429 global with Retry-After", reply{status: 429, body: `{"message":"You are being rate limited.","global":true}`, header: map[string]string{"Retry-After": "3"}},
			weft.RateLimitError, "rate limited", 3 * time.Second},
		{"slowmode", discordError(429, 20016, "This action cannot be performed due to slowmode rate limit"), weft.RateLimitError, "slowmode", 0},
		{"502 no gateway", reply{status: 502, body: `<html>502 Bad Gateway</html>`, header: map[string]string{"Content-Type": "text/html"}}, weft.ConnectionError, "[502]", 0},
		{"500", discordError(500, 0, "500: Internal Server Error"), weft.RuntimeError, "500: Internal Server Error", 0},
	})
}

func TestDiscordConnectionProblems(t *testing.T) {
	d := newDiscordAPI(t)
	spec := shipped(t, "discord", "createMessage", d.standIn)
	_, err := run(t, spec, weft.Bundle{"webhookUrl": "https://discord.com/api/webhooks/1/x"}, discordCorpusMapper)
	apptest.WantError(t, err, weft.InvalidAccessTokenError, "the connection has no token")
	_, err = apptest.Run(t.Context(), spec, weft.Bundle{}, decode(t, discordCorpusMapper), apptest.NewExec())
	apptest.WantError(t, err, weft.InvalidConfigurationError, "__IMTCONN__")
	// The token never reaches a message.
	d.answer(discordError(404, 10003, "Unknown Channel bot-secret-token"))
	_, err = run(t, spec, discordCreds, discordCorpusMapper)
	if e := apptest.WantError(t, err, weft.DataError, "Unknown Channel"); strings.Contains(e.Message+string(value.JSON(e.Details)), "bot-secret-token") {
		t.Fatalf("token in the error: %s %v", e.Message, e.Details)
	}
}
