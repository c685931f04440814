package gmail_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

// Blueprint 049's createADraft: the reply saved as a draft (drafts.create with the
// MIME message), in the thread when one is given.
func TestCreateADraft(t *testing.T) {
	s := newStandIn(t)
	out, err := run(t, s, "google-email:createADraft", `{"__IMTCONN__": 1}`,
		`{"to": ["ann@shop.example"], "subject": "Re: Invoice", "bodyType": "rawHtml", "content": "<p>Thanks, we will pay on Friday.</p>", "threadId": "th1"}`)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "output", out, `[{"id": "r-1", "message": {"id": "m-d1", "threadId": "th1", "labelIds": ["DRAFT"]}}]`)
	r := s.requests()[0]
	var body map[string]map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil || r.Path != "/gmail/v1/users/me/drafts" || body["message"]["threadId"] != "th1" {
		t.Fatalf("request %s %s", r.Path, r.Body)
	}
	m, head := s.sentMessage(t)
	if !strings.Contains(head, "Subject: Re: Invoice\r\n") || m["html"] != "<p>Thanks, we will pay on Friday.</p>" {
		t.Errorf("draft %q %v", head, m["html"])
	}
}

// Blueprint 049's updateEmailLabels: one label given as text is removed.
func TestUpdateEmailLabels(t *testing.T) {
	s := newStandIn(t)
	s.deliver("e1", "Urgent", time.Now(), "INBOX", "UNREAD")
	out, err := run(t, s, "google-email:updateEmailLabels", `{"__IMTCONN__": 1}`, `{"messageId": "e1", "removeLabels": "INBOX"}`)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "output", out, `[{"id": "e1", "threadId": "t-e1", "labelIds": ["UNREAD"]}]`)
	r := s.requests()[0]
	if r.Method != "POST" || r.Path != "/gmail/v1/users/me/messages/e1/modify" || string(r.Body) != `{"addLabelIds":[],"removeLabelIds":["INBOX"]}` {
		t.Fatalf("request %s %s %s", r.Method, r.Path, r.Body)
	}
	if _, err := run(t, s, "google-email:updateEmailLabels", `{"__IMTCONN__": 1}`, `{"messageId": "e1", "addLabels": ["STARRED", "Label_7"]}`); err != nil {
		t.Fatal(err)
	}
	if got := s.labelsOf("e1"); strings.Join(got, ",") != "UNREAD,STARRED,Label_7" {
		t.Errorf("labels %v", got)
	}
	_, err = run(t, s, "google-email:updateEmailLabels", `{"__IMTCONN__": 1}`, `{"messageId": "e1"}`)
	apptest.WantError(t, err, weft.DataError, "give a label to add or to remove")
	_, err = run(t, s, "google-email:updateEmailLabels", `{"__IMTCONN__": 1}`, `{"messageId": "gone", "addLabels": ["STARRED"]}`)
	apptest.WantError(t, err, weft.DataError, "[404] Requested entity was not found.")
}
