package email

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

// A full message over STARTTLS with AUTH PLAIN: the server must receive the envelope,
// the headers, both bodies and the attachments exactly, and no Bcc header.
func TestSendDeliversEverything(t *testing.T) {
	ts := startSMTP(t, script{tls: "starttls", user: "ann", pass: "s3cret"})
	pdf := []byte("%PDF-1.4 \x00\x01\x02 binary")
	out, err := send(t, context.Background(), sendOpts(), ts.conn(), weft.Bundle{
		"to":          []any{"Bob <bob@example.org>", map[string]any{"address": "carol@example.org", "name": "Carol"}},
		"cc":          []any{"dave@example.org, erin@example.org"},
		"bcc":         []any{"", "boss@example.org"},
		"subject":     "Your order — 42\n",
		"contentType": "html",
		"html":        "<p>Thanks for order <b>42</b></p><img src=\"cid:logo\">",
		"text":        "Thanks for order 42",
		"replyTo":     "support@example.com",
		"inReplyTo":   "abc@mail.example.org",
		"references":  []any{"<r1@x>", "r2@y"},
		"priority":    "high",
		"headers":     []any{map[string]any{"key": "X-Order", "value": "42"}},
		"attachments": []any{
			map[string]any{"fileName": "invoice.pdf", "data": pdf},
			map[string]any{"fileName": "notes/readme.txt", "data": "plain text file", "contentType": "text/plain"},
			map[string]any{"fileName": "logo.png", "data": []byte("\x89PNG"), "cid": "logo"},
		},
	})
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	deepEqual(t, "output", out, []weft.Bundle{{
		"messageId": "<fixed-id@example.com>",
		"envelope": map[string]any{"from": "shop@example.com", "to": []any{
			"bob@example.org", "carol@example.org", "dave@example.org", "erin@example.org", "boss@example.org"}},
		"response": "2.0.0 OK: queued", // go-smtp's text of its 250 reply to DATA
	}})
	got := ts.messages()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	m := got[0]
	deepEqual(t, "MAIL FROM", m.from, "shop@example.com")
	deepEqual(t, "RCPT TO", m.rcpts, []string{"bob@example.org", "carol@example.org", "dave@example.org", "erin@example.org", "boss@example.org"})
	deepEqual(t, "authenticated user", m.authUser, "ann")
	deepEqual(t, "over TLS", m.tls, true)

	raw := string(m.data)
	head, _, _ := strings.Cut(raw, "\r\n\r\n")
	for _, line := range []string{
		"Message-ID: <fixed-id@example.com>",
		"Date: Fri, 02 Jan 2026 03:04:05 +0000",
		"In-Reply-To: <abc@mail.example.org>",
		"References: <r1@x> <r2@y>",
		"X-Order: 42",
		"Importance: high",
		`From: "Shop" <shop@example.com>`,
	} {
		if !strings.Contains(head, line+"\r\n") {
			t.Errorf("header lacks %q:\n%s", line, head)
		}
	}
	if strings.Contains(strings.ToLower(head), "\r\nbcc:") {
		t.Errorf("the message carries a Bcc header:\n%s", head)
	}

	b := mustParse(t, m.data)
	deepEqual(t, "subject", b["subject"], "Your order — 42")
	deepEqual(t, "to", b["to"], []any{
		map[string]any{"name": "Bob", "address": "bob@example.org"},
		map[string]any{"name": "Carol", "address": "carol@example.org"}})
	deepEqual(t, "cc", b["cc"], []any{
		map[string]any{"name": "", "address": "dave@example.org"},
		map[string]any{"name": "", "address": "erin@example.org"}})
	deepEqual(t, "replyTo", b["replyTo"], []any{map[string]any{"name": "", "address": "support@example.com"}})
	deepEqual(t, "text", b["text"], "Thanks for order 42")
	deepEqual(t, "html", b["html"], "<p>Thanks for order <b>42</b></p><img src=\"cid:logo\">")
	deepEqual(t, "date", b["date"].(time.Time).UTC(), time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	deepEqual(t, "attachments", b["attachments"], []any{
		map[string]any{"fileName": "logo.png", "contentType": "image/png", "size": 4.0, "data": []byte("\x89PNG"), "cid": "logo"},
		map[string]any{"fileName": "invoice.pdf", "contentType": "application/pdf", "size": float64(len(pdf)), "data": pdf},
		map[string]any{"fileName": "readme.txt", "contentType": "text/plain", "size": 15.0, "data": []byte("plain text file")},
	})
}

// Each TLS mode of the connection reaches the server the way it says.
func TestSendTLSModes(t *testing.T) {
	for _, tc := range []struct {
		mode    string
		wantTLS bool
	}{{"none", false}, {"starttls", true}, {"tls", true}} {
		t.Run(tc.mode, func(t *testing.T) {
			ts := startSMTP(t, script{tls: tc.mode, user: "ann", pass: "pw"})
			_, err := send(t, context.Background(), sendOpts(), ts.conn(),
				weft.Bundle{"to": []any{"bob@example.org"}, "subject": "hi", "contentType": "text", "text": "hello"})
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			got := ts.messages()
			if len(got) != 1 {
				t.Fatalf("received %d messages", len(got))
			}
			deepEqual(t, "tls", got[0].tls, tc.wantTLS)
			deepEqual(t, "auth user", got[0].authUser, "ann")
			deepEqual(t, "text", mustParse(t, got[0].data)["text"], "hello")
		})
	}
}

// The body follows contentType; the field that holds the only content wins.
func TestSendBodies(t *testing.T) {
	for _, tc := range []struct {
		name             string
		in               weft.Bundle
		wantText, wantHT string
		wantMultipart    bool
	}{
		{"text", weft.Bundle{"contentType": "text", "text": "plain"}, "plain", "", false},
		{"html", weft.Bundle{"contentType": "html", "html": "<b>x</b>"}, "", "<b>x</b>", false},
		{"html default", weft.Bundle{"html": "<i>y</i>"}, "", "<i>y</i>", false},
		{"both", weft.Bundle{"contentType": "html", "html": "<b>x</b>", "text": "x"}, "x", "<b>x</b>", true},
		{"text type, html field", weft.Bundle{"contentType": "text", "html": "<b>z</b>"}, "", "<b>z</b>", false},
		{"html type, text field", weft.Bundle{"contentType": "html", "text": "only"}, "only", "", false},
		{"empty", weft.Bundle{"contentType": "text"}, "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startSMTP(t, script{})
			tc.in["to"] = []any{"bob@example.org"}
			if _, err := send(t, context.Background(), sendOpts(), ts.conn(), tc.in); err != nil {
				t.Fatalf("send: %v", err)
			}
			data := ts.messages()[0].data
			b := mustParse(t, data)
			deepEqual(t, "text", b["text"], tc.wantText)
			deepEqual(t, "html", b["html"], tc.wantHT)
			deepEqual(t, "multipart/alternative", strings.Contains(string(data), "multipart/alternative"), tc.wantMultipart)
		})
	}
}

// Bad input fails before any connection is made, with the field named.
func TestSendRejectsBadInput(t *testing.T) {
	// Nothing listens here: a module that dialled would fail with a ConnectionError.
	closed := weft.Bundle{"host": "127.0.0.1", "port": 1.0, "tls": "none", "from": "shop@example.com"}
	ok := weft.Bundle{"to": []any{"bob@example.org"}, "text": "x"}
	with := func(k string, v any) weft.Bundle {
		b := weft.Bundle{}
		for kk, vv := range ok {
			b[kk] = vv
		}
		b[k] = v
		return b
	}
	for _, tc := range []struct {
		name   string
		conn   weft.Bundle
		mapper weft.Bundle
		typ    weft.ErrorType
		msg    string
	}{
		{"no recipient", closed, weft.Bundle{"to": []any{}}, weft.DataError, "to: missing value"},
		{"only empty recipients", closed, with("to", []any{"", " "}), weft.DataError, "to: no recipient"},
		{"bad recipient", closed, with("to", []any{"bob@example.org", "not an address"}), weft.DataError, `to/1: "not an address"`},
		{"bad cc", closed, with("cc", []any{map[string]any{"name": "x"}}), weft.DataError, "cc/0: collection has no address"},
		{"bad from", closed, with("from", "nobody"), weft.DataError, `from: "nobody"`},
		{"bad content type", closed, with("contentType", "pdf"), weft.DataError, "contentType"},
		{"reserved header", closed, with("headers", []any{map[string]any{"key": "Bcc", "value": "x@y"}}), weft.DataError, "headers/0/key: Bcc is set with the module's bcc field"},
		{"mime header", closed, with("headers", []any{map[string]any{"key": "Content-Type", "value": "text/plain"}}), weft.DataError, "headers/0/key: Content-Type is set by the module"},
		{"header injection", closed, with("headers", []any{map[string]any{"key": "X-A", "value": "1\r\nBcc: evil@x"}}), weft.DataError, "headers/0/value: a header value cannot hold a line break"},
		{"bad header name", closed, with("headers", []any{map[string]any{"key": "X A", "value": "1"}}), weft.DataError, `headers/0/key: "X A" is not a valid header name`},
		{"attachment without name", closed, with("attachments", []any{map[string]any{"fileName": "", "data": "x"}}), weft.DataError, "attachments/0/fileName"},
		{"bad message id", closed, with("inReplyTo", "a b@c"), weft.DataError, "inReplyTo"},
		{"no sender anywhere", weft.Bundle{"host": "127.0.0.1", "port": 1.0, "tls": "none"}, ok, weft.InvalidConfigurationError, "no sender address"},
		{"no host", weft.Bundle{"port": 25.0}, ok, weft.InvalidConfigurationError, "host"},
		{"bad port", weft.Bundle{"host": "127.0.0.1", "port": 70000.0}, ok, weft.InvalidConfigurationError, "port"},
		{"bad tls", weft.Bundle{"host": "127.0.0.1", "tls": "maybe"}, ok, weft.InvalidConfigurationError, `tls "maybe"`},
		{"password missing", weft.Bundle{"host": "127.0.0.1", "username": "ann"}, ok, weft.InvalidAccessTokenError, "no password"},
		{"bad connection from", weft.Bundle{"host": "127.0.0.1", "from": "??"}, ok, weft.InvalidConfigurationError, "from"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := send(t, context.Background(), sendOpts(), tc.conn, tc.mapper)
			e := wantType(t, err, tc.typ)
			if !strings.Contains(e.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", e.Error(), tc.msg)
			}
		})
	}
}

func TestSendConfiguration(t *testing.T) {
	spec := sendSpecFor(t, sendOpts())
	if spec.ACID {
		t.Error("sending cannot be undone: the module must not be ACID")
	}
	mapper := func() weft.Bundle { return weft.Bundle{"to": []any{"bob@example.org"}, "text": "x"} }

	// saveAfterSent needs IMAP: refused when the blueprint is compiled.
	_, err := apptest.Run(context.Background(), spec, weft.Bundle{"account": "smtp", "saveAfterSent": true}, mapper(), nil)
	e := wantType(t, err, weft.InvalidConfigurationError)
	if !strings.Contains(e.Message, "saveAfterSent") {
		t.Errorf("message %q does not name saveAfterSent", e.Message)
	}
	// No connection parameter at all.
	_, err = apptest.Run(context.Background(), spec, weft.Bundle{}, mapper(), nil)
	wantType(t, err, weft.InvalidConfigurationError)
	// A connection the execution does not know keeps the execution's error type and
	// names the parameter.
	_, err = apptest.Run(context.Background(), spec, weft.Bundle{"account": "missing"}, mapper(), nil)
	e = wantType(t, err, weft.InvalidConfigurationError)
	if !strings.HasPrefix(e.Message, "parameters.account: ") {
		t.Errorf("message %q does not name parameters.account", e.Message)
	}
	// Make's generic connection key works too.
	ts := startSMTP(t, script{})
	exec := apptest.NewExec()
	exec.Connections["c1"] = ts.conn()
	if _, err := apptest.Run(context.Background(), spec, weft.Bundle{"__IMTCONN__": "c1"}, mapper(), exec); err != nil {
		t.Fatalf("send with __IMTCONN__: %v", err)
	}
	deepEqual(t, "messages", len(ts.messages()), 1)
}
