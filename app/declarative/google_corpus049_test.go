package declarative_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/email"
	"github.com/weftworks/weft/engine"
)

// The email 049's Gmail trigger finds: one message in the inbox.
const triageEmail = `{"id": "mx1", "threadId": "tx1", "labelIds": ["INBOX", "UNREAD"], "snippet": "Hello…", "historyId": "77",
	"internalDate": "1772600000000", "sizeEstimate": 1200, "payload": {"mimeType": "text/plain", "headers": [
	{"name": "From", "value": "Ann Buyer <ann@shop.example>"}, {"name": "To", "value": "support@example.com"},
	{"name": "Subject", "value": "Where is my order?"}],
	"body": {"size": 30, "data": "T3JkZXIgNDIgaGFzIG5vdCBhcnJpdmVkLg=="}}}`

// 049 (the repo corpus: AI email triage): each new inbox email is classified by Gemini,
// whose JSON answer (cut out with a regular expression and parsed) routes it: a draft
// reply, a sheet row, a Slack alert, archiving (the INBOX label removed) or an escalation
// email. Each action is run once, the Gmail requests asserted.
func TestCorpus049EmailTriage(t *testing.T) {
	for _, tc := range []struct {
		action string
		want   []string // Gmail requests after the trigger's search and read
	}{
		{"auto_reply", []string{"POST /gmail/v1/users/me/drafts"}},
		{"archive", []string{"POST /gmail/v1/users/me/messages/mx1/modify"}},
		{"escalate", []string{"POST /gmail/v1/users/me/messages/send"}},
	} {
		t.Run(tc.action, func(t *testing.T) {
			gmail := newGoogleStandIn(t, map[string]string{
				"GET /gmail/v1/users/me/messages":             `{"messages": [{"id": "mx1", "threadId": "tx1"}], "resultSizeEstimate": 1}`,
				"GET /gmail/v1/users/me/messages/mx1":         triageEmail,
				"POST /gmail/v1/users/me/drafts":              `{"id": "r1", "message": {"id": "md1", "threadId": "tx1", "labelIds": ["DRAFT"]}}`,
				"POST /gmail/v1/users/me/messages/mx1/modify": `{"id": "mx1", "threadId": "tx1", "labelIds": ["UNREAD"]}`,
			})
			answer := `Here you go: {"category": "support", "priority": "medium", "action": "` + tc.action + `", "entities": "Ann, order 42",
				"summary": "Order 42 is late", "suggested_reply": "<p>Sorry Ann, order 42 ships today.</p>"}`
			gemini := newStandIn(t, ok(`{"candidates": [{"content": {"role": "model", "parts": [{"text": `+string(jsonOf(answer))+`}]}, "finishReason": "STOP"}]}`))
			eng, p := corpusEngine(t, "049-ai-email-triage.json", map[string]string{"google-email": gmail.URL, "gemini-ai": gemini.URL})
			res, err := eng.Run(context.Background(), p, engine.Input{}) // no position yet: every email
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != weft.StatusSuccess {
				t.Fatalf("status %s error %+v", res.Status, res.Error)
			}
			var keys []string
			for _, r := range gmail.requests() {
				if r.Header.Get("Authorization") != "Bearer tok-7919483" {
					t.Errorf("%s %s with %q", r.Method, r.Path, r.Header.Get("Authorization"))
				}
				keys = append(keys, r.Method+" "+r.Path)
			}
			want := append([]string{"GET /gmail/v1/users/me/messages", "GET /gmail/v1/users/me/messages/mx1"}, tc.want...)
			if strings.Join(keys, " | ") != strings.Join(want, " | ") {
				t.Fatalf("Gmail requests\n  %v\nwant\n  %v", keys, want)
			}
			if g := gmail.requests()[0]; g.Query != "labelIds=INBOX&maxResults=500" {
				t.Errorf("search ?%s", g.Query)
			}
			if !strings.Contains(gemini.only(t).Body, `From: Ann Buyer \u003c ann@shop.example \u003e\r\nSubject: Where is my order?\r\nBody: Order 42 has not arrived.`) &&
				!strings.Contains(gemini.only(t).Body, `From: Ann Buyer < ann@shop.example >\r\nSubject: Where is my order?\r\nBody: Order 42 has not arrived.`) {
				t.Errorf("Gemini got %s", gemini.only(t).Body)
			}
			switch tc.action {
			case "auto_reply":
				m, err := email.ParseMessage(bytes.NewReader(gmail.sent[0]))
				if err != nil {
					t.Fatal(err)
				}
				if m["subject"] != "Re: Where is my order?" || m["html"] != "<p>Sorry Ann, order 42 ships today.</p>" {
					t.Errorf("draft %v %v", m["subject"], m["html"])
				}
			case "archive":
				sameJSON(t, "labels", jsonBody(t, gmail.requests()[2].Body), `{"addLabelIds": [], "removeLabelIds": ["INBOX"]}`)
			case "escalate":
				m, err := email.ParseMessage(bytes.NewReader(gmail.sent[0]))
				if err != nil {
					t.Fatal(err)
				}
				if m["subject"] != "[ESCALATION]Where is my order?" || !strings.Contains(m["html"].(string), "Order 42 has not arrived.") {
					t.Errorf("escalation %v %v", m["subject"], m["html"])
				}
			}
		})
	}
}
