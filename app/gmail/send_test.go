package gmail_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

// Blueprint 009's sendAnEmail (raw HTML, an attachment from an upstream file): one
// messages.send with the MIME message in raw, Bcc kept for Gmail to deliver.
func TestSendAnEmailRawHTML(t *testing.T) {
	s := newStandIn(t)
	out, err := run(t, s, "google-email:sendAnEmail", `{"__IMTCONN__": 1}`, `{
		"to": ["ann@example.org", "Bob <bob@example.org>"], "cc": ["carol@example.org"], "bcc": ["boss@example.org"],
		"subject": "NEW LEAD RECEIVED!", "bodyType": "rawHtml",
		"content": "<b>NEW LEAD RECEIVED!</b><br><br>\r\n<b>Name:</b> Ada",
		"from": "\"Mariano\" <mariano@example.com>",
		"attachments": [{"filename": "lead.txt", "data": "name=Ada"}],
		"emailHeaders": [{"key": "X-Lead", "value": "42"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "output", out, `[{"id": "m1", "threadId": "t1", "labelIds": ["SENT"]}]`)
	reqs := s.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/gmail/v1/users/me/messages/send" || r.Query != "" ||
		r.Header.Get("Authorization") != "Bearer ya29.test" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("request %s %s?%s %v", r.Method, r.Path, r.Query, r.Header)
	}
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil || len(body) != 1 || body["raw"] == nil {
		t.Fatalf("body %s: want only raw", r.Body)
	}
	m, head := s.sentMessage(t)
	for _, line := range []string{`From: "Mariano" <mariano@example.com>`, `To: <ann@example.org>, "Bob" <bob@example.org>`,
		"Cc: <carol@example.org>", "Bcc: <boss@example.org>", "Subject: NEW LEAD RECEIVED!", "X-Lead: 42",
		"Message-ID: <fixed-id@example.com>", "Date: Fri, 02 Jan 2026 03:04:05 +0000"} {
		if !strings.Contains(head, line+"\r\n") {
			t.Errorf("header lacks %q:\n%s", line, head)
		}
	}
	// Line breaks travel as CRLF in MIME and read back as \n.
	if m["html"] != "<b>NEW LEAD RECEIVED!</b><br><br>\n<b>Name:</b> Ada" {
		t.Errorf("html %q", m["html"])
	}
	atts := m["attachments"].([]any)
	if len(atts) != 1 {
		t.Fatalf("attachments %#v", atts)
	}
	a := atts[0].(map[string]any)
	if a["fileName"] != "lead.txt" || string(a["data"].([]byte)) != "name=Ada" {
		t.Errorf("attachment %#v", a)
	}
}

// Blueprint 141's collection body: paragraphs of text (escaped, line breaks kept),
// inline images by content id, the signature after them.
func TestSendAnEmailCollection(t *testing.T) {
	s := newStandIn(t)
	exec := apptest.NewExec()
	exec.Connections = conn(s.token)
	_, err := apptest.Run(t.Context(), spec(t, s, "google-email:sendAnEmail"), weft.Bundle{"__IMTCONN__": 1}, weft.Bundle{
		"to": []any{"ann@example.org"}, "subject": "Weekly", "bodyType": "collection",
		"contents": []any{
			map[string]any{"text": "Hello <team>,\nnumbers below.", "image": map[string]any{}},
			map[string]any{"image": map[string]any{"filename": "chart.png", "data": []byte("\x89PNG\r\n"), "width": "300"}},
		},
		"signature": "<div>Best regards, Ryan</div>",
	}, exec)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := s.sentMessage(t)
	want := `<p>Hello &lt;team&gt;,<br>numbers below.</p><p><img src="cid:image2.weft" alt="chart.png" width="300"></p><br><br><div>Best regards, Ryan</div>`
	if m["html"] != want {
		t.Errorf("html\n  %q\nwant\n  %q", m["html"], want)
	}
	atts := m["attachments"].([]any)
	if len(atts) != 1 || atts[0].(map[string]any)["fileName"] != "chart.png" || string(atts[0].(map[string]any)["data"].([]byte)) != "\x89PNG\r\n" {
		t.Fatalf("inline image %#v", atts)
	}
}

// A From holding a display name alone (blueprint 176) gets the account's address from
// users.getProfile.
func TestSendAnEmailFromNameOnly(t *testing.T) {
	s := newStandIn(t)
	if _, err := run(t, s, "google-email:sendAnEmail", `{"__IMTCONN__": 1}`,
		`{"to": ["ann@example.org"], "bodyType": "rawHtml", "content": "hi", "from": "\"Brad - LUX Quality Homes\""}`); err != nil {
		t.Fatal(err)
	}
	reqs := s.requests()
	if len(reqs) != 2 || reqs[0].Method != "GET" || reqs[0].Path != "/gmail/v1/users/me/profile" {
		t.Fatalf("requests %+v", reqs)
	}
	_, head := s.sentMessage(t)
	if !strings.Contains(head, `From: "Brad - LUX Quality Homes" <me@example.com>`+"\r\n") {
		t.Errorf("header:\n%s", head)
	}
}

// Make's version 2 module (blueprint 021): "account" connection, html, attachments with
// fileName and cid.
func TestActionSendEmailLegacy(t *testing.T) {
	s := newStandIn(t)
	exec := apptest.NewExec()
	exec.Connections = conn(s.token)
	out, err := apptest.Run(t.Context(), spec(t, s, "google-email:ActionSendEmail"), weft.Bundle{"account": 1}, weft.Bundle{
		"from": "", "to": []any{"mchau4@example.edu"}, "subject": "📅 Upcoming Club Events This Week",
		"html":        `<h4>Hey</h4><img src="cid:logo">`,
		"attachments": []any{map[string]any{"fileName": "logo.png", "data": []byte("PNG"), "cid": "logo"}},
		"cc":          []any{}, "bcc": []any{},
	}, exec)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "output", out, `[{"id": "m1", "threadId": "t1", "labelIds": ["SENT"]}]`)
	m, head := s.sentMessage(t)
	if strings.Contains(head, "\r\nFrom:") || strings.HasPrefix(head, "From:") {
		t.Errorf("a From header without a from (Gmail writes the account's):\n%s", head)
	}
	if m["subject"] != "📅 Upcoming Club Events This Week" || m["html"] != `<h4>Hey</h4><img src="cid:logo">` {
		t.Errorf("message %v", m)
	}
	if a := m["attachments"].([]any); len(a) != 1 || a[0].(map[string]any)["fileName"] != "logo.png" {
		t.Errorf("attachments %#v", a)
	}
}

func TestSendAnEmailBadInput(t *testing.T) {
	s := newStandIn(t)
	_, err := run(t, s, "google-email:sendAnEmail", `{"__IMTCONN__": 1}`, `{"to": ["not an address"], "bodyType": "rawHtml"}`)
	apptest.WantError(t, err, weft.DataError, `to/0: "not an address" is not an email address`)
	_, err = run(t, s, "google-email:sendAnEmail", `{"__IMTCONN__": 1}`, `{"to": ["a@example.org"], "bodyType": "rawHtml", "from": "x@"}`)
	apptest.WantError(t, err, weft.DataError, `from: "x@" is not an email address`)
	_, err = run(t, s, "google-email:sendAnEmail", `{"__IMTCONN__": 1}`, `{"to": ["a@example.org"], "bodyType": "html"}`)
	apptest.WantError(t, err, weft.DataError, `bodyType: "html" is not one of rawHtml, collection`)
	_, err = run(t, s, "google-email:sendAnEmail", `{"__IMTCONN__": 1}`,
		`{"to": ["a@example.org"], "bodyType": "collection", "contents": [{"image": {"filename": "x.png"}}]}`)
	apptest.WantError(t, err, weft.DataError, `contents/0/image/data: the image "x.png" has no data`)
	if n := len(s.requests()); n != 0 {
		t.Errorf("%d requests for input that cannot be sent", n)
	}
}
