package declarative_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/declarative"
)

// An instant trigger whose service signs its calls the way Slack does: HMAC-SHA256 of
// "v0:{timestamp}:{body}" with the connection's signing secret, in X-Slack-Signature
// as "v0=" + hex, with X-Slack-Request-Timestamp at most 5 minutes old. attach's
// output (a webhook id) is kept and sent by detach.
const signedDef = `{
  "name": "signed",
  "base": {"baseUrl": "https://api.signed.test"},
  "connection": {"type": "bearer", "fields": [{"name": "accessToken", "type": "password", "required": true}, {"name": "signingSecret", "type": "password", "required": true}]},
  "modules": {
    "WatchEvents": {
      "parameters": [{"name": "channel", "type": "text"}],
      "webhook": {
        "attach": {"url": "/hooks", "method": "POST", "body": {"target": "{{webhook.url}}", "channel": "{{parameters.channel}}"},
                   "response": {"output": {"id": "{{body.id}}"}}},
        "detach": {"url": "/hooks/{{webhook.id}}", "method": "DELETE"},
        "verify": {"header": "X-Slack-Signature",
                   "hmac": {"key": "{{connection.signingSecret}}", "message": "v0:{{headers.` + "`x-slack-request-timestamp`" + `}}:{{rawBody}}", "prefix": "v0=", "encoding": "hex"},
                   "timestamp": {"header": "X-Slack-Request-Timestamp", "maxAge": 300}}
      }
    }
  }
}`

func TestWebhookDefinitionHMAC(t *testing.T) {
	s := newStandIn(t, ok(`{"id":"wh_7"}`))
	r := testApp(t, signedDef, s)
	spec, found := r.Lookup("signed:WatchEvents")
	if !found || spec.Hook == nil || spec.Kind != app.KindTrigger || spec.New != nil {
		t.Fatalf("spec: %+v", spec)
	}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	call := &app.HookCall{URL: "https://weft.example/hooks/tok", Params: weft.Bundle{"__IMTCONN__": 1.0, "channel": "C1"},
		Connection: func(any) (weft.Bundle, error) {
			return weft.Bundle{"accessToken": "xoxb-1", "signingSecret": "shh-signing"}, nil
		}, Now: func() time.Time { return now }}
	state, err := spec.Hook.Register(context.Background(), call)
	if err != nil {
		t.Fatal(err)
	}
	g := s.requests()
	if len(g) != 1 || g[0].Method != "POST" || g[0].Path != "/hooks" || g[0].Body != `{"channel":"C1","target":"https://weft.example/hooks/tok"}` ||
		g[0].Header.Get("Authorization") != "Bearer xoxb-1" {
		t.Fatalf("attach: %+v", g)
	}
	if data, _ := state["data"].(map[string]any); data["id"] != "wh_7" {
		t.Fatalf("state %v", state)
	}

	body := []byte(`{"type":"event_callback","event":{"text":"hi"}}`)
	sign := func(ts int64, b []byte) *http.Request {
		mac := hmac.New(sha256.New, []byte("shh-signing"))
		fmt.Fprintf(mac, "v0:%d:%s", ts, b)
		req := httptest.NewRequest("POST", "/hooks/tok", strings.NewReader(string(b)))
		req.Header.Set("X-Slack-Request-Timestamp", fmt.Sprint(ts))
		req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
		return req
	}
	if err := spec.Hook.Verify(context.Background(), call, sign(now.Unix(), body), body, state); err != nil {
		t.Fatalf("a signed call: %v", err)
	}
	for name, req := range map[string]*http.Request{
		"another body": sign(now.Unix(), []byte(`{"forged":true}`)),
		"an old call":  sign(now.Add(-10*time.Minute).Unix(), body),
		"no signature": httptest.NewRequest("POST", "/hooks/tok", nil),
		"a wrong encoded": func() *http.Request {
			r := sign(now.Unix(), body)
			r.Header.Set("X-Slack-Signature", "v0=zz")
			return r
		}(),
	} {
		var ve *app.VerifyError
		if err := spec.Hook.Verify(context.Background(), call, req, body, state); !errors.As(err, &ve) || ve.Status != 401 {
			t.Errorf("%s: %v", name, err)
		}
	}

	if err := spec.Hook.Unregister(context.Background(), call, state); err != nil {
		t.Fatal(err)
	}
	if g := s.requests(); len(g) != 2 || g[1].Method != "DELETE" || g[1].Path != "/hooks/wh_7" {
		t.Fatalf("detach: %+v", g)
	}
}

func TestWebhookDefinitionErrors(t *testing.T) {
	for _, tc := range []struct{ name, webhook, want string }{
		{"detach without attach", `{"detach": {"url": "/x"}}`, "webhook/detach: detach undoes attach"},
		{"no attach: the address is given by hand", `{"payload": {"condition": "{{body.type = \"x\"}}", "output": "{{body.message}}"}}`, ""},
		{"unknown payload key", `{"payload": {"filter": "{{body.x}}"}}`, `webhook/payload/filter: unknown key`},
		{"a request root in the payload", `{"payload": {"output": "{{connection.x}}"}}`, "connection"},
		{"both value and hmac", `{"attach": {"url": "/x"}, "verify": {"header": "X", "value": "a", "hmac": {"key": "k"}}}`, "give either value"},
		{"unknown algorithm", `{"attach": {"url": "/x"}, "verify": {"header": "X", "hmac": {"key": "k", "algorithm": "md5"}}}`, `"md5" is not an HMAC algorithm`},
		{"a response root in verify", `{"attach": {"url": "/x"}, "verify": {"header": "X", "value": "{{body.x}}"}}`, "body"},
		{"webhook roots in attach and verify", `{"attach": {"url": "/x?u={{webhook.url}}"}, "verify": {"header": "X", "value": "{{webhook.secret}}"}}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			def := `{"name": "w", "base": {"baseUrl": "https://w.test"}, "connection": {"type": "none"},
				"modules": {"Watch": {"webhook": ` + tc.webhook + `}}}`
			_, err := loadDef(def)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("valid definition refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	// Only an instant trigger's requests read {{webhook}}.
	_, err := loadDef(`{"name": "w", "base": {"baseUrl": "https://w.test"}, "connection": {"type": "none"},
		"modules": {"Send": {"communication": {"url": "/x?u={{webhook.url}}"}}}}`)
	if err == nil || !strings.Contains(err.Error(), "webhook") {
		t.Fatalf("{{webhook}} in an action: %v", err)
	}
}

func loadDef(def string) ([]app.Spec, error) {
	return declarative.LoadOptions(fstest.MapFS{"w.json": {Data: []byte(def)}}, declarative.Options{Getenv: noEnv})
}
