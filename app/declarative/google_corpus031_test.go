package declarative_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/email"
	"github.com/weftworks/weft/engine"
)

// The review 031's Airtable trigger finds: approved, the lead prefers email.
const approvedReview = `{"records": [{"id": "recREV7", "createdTime": "2026-03-01T10:00:00.000Z", "fields": {
	"Review ID": "R-7", "Approval Status": "Approved", "Preffered Contact": ["Email"], "Lead Email": ["lead@example.org"],
	"Service Interest lead": ["Kitchen remodel"], "Approved Reply": "Hi Sam,\nthanks for your request.", "Linked Lead": ["recLEAD1"],
	"Created At": "2026-03-01T10:00:00.000Z"}}]}`

// 031 (the repo corpus: human-reviewed lead follow-up): an approved review whose lead
// prefers email is sent the approved reply through Gmail, the lead marked Sent and the
// message logged in Airtable, Slack told. When Gmail refuses the email, the module's
// error handler route marks the lead Error, logs the failure, tells Slack and ignores
// the error: the run still succeeds, nothing is lost.
func TestCorpus031ApprovedReplyByGmail(t *testing.T) {
	for _, tc := range []struct {
		name      string
		gmailFail bool
		leadState string
		slackText string
	}{
		{"sent", false, "Sent", "Approved reply sent"},
		{"Gmail refuses: the handler route", true, "Error", "Approved email failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			airtable := newStandIn(t)
			airtable.fn = func(r *http.Request, body string) reply {
				if strings.HasSuffix(r.URL.Path, "/listRecords") {
					return ok(approvedReview)
				}
				return ok(`{"id": "recNEW", "createdTime": "2026-03-04T05:06:07.000Z", "fields": {"Lead ID": "L-1"}}`)
			}
			slack := newStandIn(t, ok(`{"ok": true, "channel": "C1", "ts": "1.2"}`))
			answers := map[string]string{}
			gmail := newGoogleStandIn(t, answers)
			if tc.gmailFail {
				gmail.fn = func(*http.Request, string) reply {
					return reply{status: 400, body: googleErr(400, "INVALID_ARGUMENT", "invalidArgument", "Invalid To header")}
				}
			}
			eng, p := corpusEngine(t, "031-human-review-followup-ifelse.json",
				map[string]string{"airtable": airtable.URL, "slack": slack.URL, "google-email": gmail.URL})
			res, err := eng.Run(context.Background(), p, engine.Input{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != weft.StatusSuccess || len(res.Incomplete) != 0 {
				t.Fatalf("status %s error %+v incomplete %d", res.Status, res.Error, len(res.Incomplete))
			}
			g := gmail.requests()
			if len(g) != 1 || g[0].Method != "POST" || g[0].Path != "/gmail/v1/users/me/messages/send" ||
				g[0].Header.Get("Authorization") != "Bearer tok-<CONN_05>" {
				t.Fatalf("Gmail requests %+v", g)
			}
			if !tc.gmailFail {
				m, err := email.ParseMessage(bytes.NewReader(gmail.sent[0]))
				if err != nil {
					t.Fatal(err)
				}
				to := m["to"].([]any)[0].(map[string]any)["address"]
				if to != "lead@example.org" || m["subject"] != "Your Kitchen remodel follow-up" ||
					m["html"] != "<p>Hi Sam,<br>thanks for your request.</p>" {
					t.Errorf("email to %v subject %q html %q", to, m["subject"], m["html"])
				}
			}
			a := airtable.requests()
			if len(a) != 3 || a[1].Method != "PATCH" || a[2].Method != "POST" {
				t.Fatalf("Airtable requests %+v", a)
			}
			if !strings.Contains(a[1].Body, `"fld8wqAQdB0lKsrae":"`+tc.leadState+`"`) {
				t.Errorf("lead update %s", a[1].Body)
			}
			if s := slack.only(t); !strings.Contains(s.Body, tc.slackText) {
				t.Errorf("Slack %s", s.Body)
			}
		})
	}
}
