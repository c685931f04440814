package gmail_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

// A thread of two messages: the customer's question and a draft, which a reply skips.
const thread = `{"id": "th1", "historyId": "77", "messages": [
	{"id": "a1", "threadId": "th1", "labelIds": ["INBOX", "UNREAD"], "payload": {"headers": [
		{"name": "From", "value": "Ann Buyer <ann@shop.example>"},
		{"name": "To", "value": "me@example.com, Desk <desk@example.com>"},
		{"name": "Cc", "value": "carol@shop.example, Me Again <ME@example.com>"},
		{"name": "Subject", "value": "Invoice 42"},
		{"name": "Message-ID", "value": "<q1@mail.shop.example>"},
		{"name": "References", "value": "<q0@mail.shop.example>"}]}},
	{"id": "d1", "threadId": "th1", "labelIds": ["DRAFT"], "payload": {"headers": [
		{"name": "From", "value": "me@example.com"}, {"name": "Subject", "value": "Re: draft"}]}}]}`

// Blueprint 308's reply (reply mode sender, a collection body with an image): the
// thread is read with its headers, the reply goes into the thread to the sender.
func TestReplyToAnEmailSender(t *testing.T) {
	s := newStandIn(t)
	s.threads["th1"] = thread
	exec := apptest.NewExec()
	exec.Connections = conn(s.token)
	out, err := apptest.Run(t.Context(), spec(t, s, "google-email:replyToAnEmail"), weft.Bundle{"__IMTCONN__": 1}, weft.Bundle{
		"threadId": "th1", "replyMode": "sender", "bodyType": "collection",
		"contents": []any{map[string]any{"text": "Hi Ann,\nplease resend.", "image": map[string]any{"data": []byte("GIF89a"), "filename": "sign.gif"}}},
	}, exec)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "output", out, `[{"id": "m1", "threadId": "th1", "labelIds": ["SENT"]}]`)
	reqs := s.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	if g := reqs[0]; g.Method != "GET" || g.Path != "/gmail/v1/users/me/threads/th1" ||
		g.Query != "format=metadata&metadataHeaders=From&metadataHeaders=To&metadataHeaders=Cc&metadataHeaders=Reply-To&metadataHeaders=Subject&metadataHeaders=Message-ID&metadataHeaders=References" {
		t.Fatalf("thread request %s %s?%s", g.Method, g.Path, g.Query)
	}
	var body map[string]any
	if err := json.Unmarshal(reqs[1].Body, &body); err != nil || body["threadId"] != "th1" {
		t.Fatalf("send body %s", reqs[1].Body)
	}
	m, head := s.sentMessage(t)
	for _, line := range []string{`To: "Ann Buyer" <ann@shop.example>`, "Subject: Re: Invoice 42",
		"In-Reply-To: <q1@mail.shop.example>", "References: <q0@mail.shop.example> <q1@mail.shop.example>"} {
		if !strings.Contains(head, line+"\r\n") {
			t.Errorf("header lacks %q:\n%s", line, head)
		}
	}
	if strings.Contains(head, "\r\nCc:") {
		t.Errorf("reply mode sender copies nobody:\n%s", head)
	}
	if !strings.Contains(m["html"].(string), "Hi Ann,<br>please resend.") {
		t.Errorf("html %q", m["html"])
	}
}

// Reply mode all: the sender, the other recipients and the copies, without the
// account's own address (users.getProfile), each once.
func TestReplyToAnEmailAll(t *testing.T) {
	s := newStandIn(t)
	s.threads["th1"] = thread
	if _, err := run(t, s, "google-email:replyToAnEmail", `{"__IMTCONN__": 1}`,
		`{"threadId": "th1", "replyMode": "all", "bodyType": "rawHtml", "content": "<p>Done</p>"}`); err != nil {
		t.Fatal(err)
	}
	_, head := s.sentMessage(t)
	for _, line := range []string{`To: "Ann Buyer" <ann@shop.example>, "Desk" <desk@example.com>`, "Cc: <carol@shop.example>"} {
		if !strings.Contains(head, line+"\r\n") {
			t.Errorf("header lacks %q:\n%s", line, head)
		}
	}
}

// Reply mode custom takes the recipients given; a Re: subject is not doubled.
func TestReplyToAnEmailCustom(t *testing.T) {
	s := newStandIn(t)
	s.threads["th2"] = `{"id": "th2", "messages": [{"id": "b1", "labelIds": ["SENT"], "payload": {"headers": [
		{"name": "From", "value": "me@example.com"}, {"name": "To", "value": "zed@example.org"},
		{"name": "Subject", "value": "RE: Quote"}, {"name": "Message-ID", "value": "<s1@example.com>"}]}}]}`
	if _, err := run(t, s, "google-email:replyToAnEmail", `{"__IMTCONN__": 1}`,
		`{"threadId": "th2", "replyMode": "custom", "to": ["boss@example.org"], "bodyType": "rawHtml", "content": "fyi"}`); err != nil {
		t.Fatal(err)
	}
	_, head := s.sentMessage(t)
	for _, line := range []string{"To: <boss@example.org>", "Subject: RE: Quote"} {
		if !strings.Contains(head, line+"\r\n") {
			t.Errorf("header lacks %q:\n%s", line, head)
		}
	}
}

// Answering one's own last message continues to its recipients, as Gmail does.
func TestReplyToOwnMessage(t *testing.T) {
	s := newStandIn(t)
	s.threads["th2"] = `{"id": "th2", "messages": [{"id": "b1", "labelIds": ["SENT"], "payload": {"headers": [
		{"name": "From", "value": "me@example.com"}, {"name": "To", "value": "zed@example.org"},
		{"name": "Subject", "value": "Quote"}, {"name": "Message-ID", "value": "<s1@example.com>"}]}}]}`
	if _, err := run(t, s, "google-email:replyToAnEmail", `{"__IMTCONN__": 1}`,
		`{"threadId": "th2", "replyMode": "sender", "bodyType": "rawHtml", "content": "ping"}`); err != nil {
		t.Fatal(err)
	}
	_, head := s.sentMessage(t)
	if !strings.Contains(head, "To: <zed@example.org>\r\n") {
		t.Errorf("header:\n%s", head)
	}
}

func TestReplyToAnEmailProblems(t *testing.T) {
	s := newStandIn(t)
	s.threads["drafts"] = `{"id": "drafts", "messages": [{"id": "d", "labelIds": ["DRAFT"], "payload": {"headers": []}}]}`
	_, err := run(t, s, "google-email:replyToAnEmail", `{"__IMTCONN__": 1}`,
		`{"threadId": "drafts", "replyMode": "sender", "bodyType": "rawHtml", "content": "x"}`)
	apptest.WantError(t, err, weft.DataError, "threadId: thread drafts has no message to reply to")
	_, err = run(t, s, "google-email:replyToAnEmail", `{"__IMTCONN__": 1}`,
		`{"threadId": "gone", "replyMode": "sender", "bodyType": "rawHtml", "content": "x"}`)
	apptest.WantError(t, err, weft.DataError, "[404] Requested entity was not found.")
	s.threads["th2"] = `{"id": "th2", "messages": [{"id": "b1", "payload": {"headers": [{"name": "From", "value": "a@example.org"}]}}]}`
	_, err = run(t, s, "google-email:replyToAnEmail", `{"__IMTCONN__": 1}`,
		`{"threadId": "th2", "replyMode": "custom", "bodyType": "rawHtml", "content": "x"}`)
	apptest.WantError(t, err, weft.DataError, "to: the reply has no recipient (thread th2, reply mode custom)")
}
