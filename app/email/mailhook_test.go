package email

import (
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
)

func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

func TestMailhookSpec(t *testing.T) {
	s := apptest.Spec(t, Register, "gateway:CustomMailHook")
	if s.Kind != app.KindTrigger || s.New != nil {
		t.Errorf("kind %v, New set %v; want a trigger without Run", s.Kind, s.New != nil)
	}
	// Make's blueprint parameters pass the spec.
	if _, err := app.PrepareParameters(s, weft.Bundle{"hook": 123456.0, "maxResults": 1.0}); err != nil {
		t.Errorf("Make's parameters: %v", err)
	}
}

func TestParseMessagePlain(t *testing.T) {
	b := mustParse(t, crlf(`Received: from a by b; Fri, 2 Jan 2026 03:04:00 +0000
Received: from c by d; Fri, 2 Jan 2026 03:04:01 +0000
From: =?ISO-8859-1?Q?Andr=E9?= Dupont <andre@example.fr>
To: hook-1@hooks.weft.test, "Two, Second" <two@example.org>
Cc: <cc@example.org>
Reply-To: replies@example.fr
Subject: =?windows-1252?Q?Caf=E9_=96_menu?=
Date: Fri, 2 Jan 2026 04:04:05 +0100
Message-ID: <m1@example.fr>
In-Reply-To: <m0@example.org>
References: <a@x> <m0@example.org>
X-Custom: one

Hello,
line two
`))
	deepEqual(t, "bundle", b, weft.Bundle{
		"subject": "Café – menu",
		"from":    map[string]any{"name": "André Dupont", "address": "andre@example.fr"},
		"sender":  map[string]any{"name": "André Dupont", "email": "andre@example.fr"},
		"to": []any{
			map[string]any{"name": "", "address": "hook-1@hooks.weft.test"},
			map[string]any{"name": "Two, Second", "address": "two@example.org"},
		},
		"cc":         []any{map[string]any{"name": "", "address": "cc@example.org"}},
		"replyTo":    []any{map[string]any{"name": "", "address": "replies@example.fr"}},
		"date":       b["date"],
		"messageId":  "<m1@example.fr>",
		"inReplyTo":  "<m0@example.org>",
		"references": []any{"<a@x>", "<m0@example.org>"},
		"text":       "Hello,\nline two",
		"html":       "",
		"headers": map[string]any{
			"received":   []any{"from a by b; Fri, 2 Jan 2026 03:04:00 +0000", "from c by d; Fri, 2 Jan 2026 03:04:01 +0000"},
			"from":       "André Dupont <andre@example.fr>",
			"to":         `hook-1@hooks.weft.test, "Two, Second" <two@example.org>`,
			"cc":         "<cc@example.org>",
			"reply-to":   "replies@example.fr",
			"subject":    "Café – menu",
			"date":       "Fri, 2 Jan 2026 04:04:05 +0100",
			"message-id": "<m1@example.fr>", "in-reply-to": "<m0@example.org>",
			"references": "<a@x> <m0@example.org>", "x-custom": "one",
		},
		"attachments": []any{},
	})
	if d, ok := b["date"].(time.Time); !ok || !d.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("date = %#v; want 2026-01-02T03:04:05Z", b["date"])
	}
}

// A typical client message: mixed( alternative(text QP, html base64 latin-1), a PDF
// with an RFC 2231 UTF-8 name, an inline image with a Content-ID, a forwarded message).
func TestParseMessageMultipart(t *testing.T) {
	b := mustParse(t, crlf(`From: a@example.org
To: hook@hooks.test
Subject: report
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

preamble is ignored
--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Gr=C3=BC=C3=9Fe, the report is attached. This line is long enough to be so=
ft-wrapped.
--inner
Content-Type: text/html; charset=iso-8859-1
Content-Transfer-Encoding: base64

PHA+R3L832U8L3A+
--inner--
--outer
Content-Type: application/pdf
Content-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK
AAEC
--outer
Content-Type: image/png; name="logo.png"
Content-Disposition: inline
Content-ID: <logo@x>
Content-Transfer-Encoding: base64

iVBORw==
--outer
Content-Type: message/rfc822

From: x@y
Subject: inner

hi
--outer
Content-Type: text/plain
Content-Disposition: attachment; filename="=?UTF-8?B?bm90ZXMudHh0?="

a note
--outer--
epilogue is ignored
`))
	deepEqual(t, "text", b["text"], "Grüße, the report is attached. This line is long enough to be soft-wrapped.")
	deepEqual(t, "html", b["html"], "<p>Grüße</p>")
	deepEqual(t, "attachments", b["attachments"], []any{
		map[string]any{"fileName": "résumé.pdf", "contentType": "application/pdf", "size": 12.0,
			"data": []byte("%PDF-1.4\n\x00\x01\x02")},
		map[string]any{"fileName": "logo.png", "contentType": "image/png", "size": 4.0,
			"data": []byte("\x89PNG"), "cid": "logo@x"},
		map[string]any{"fileName": "message.eml", "contentType": "message/rfc822", "size": 31.0,
			"data": []byte("From: x@y\r\nSubject: inner\r\n\r\nhi")},
		map[string]any{"fileName": "notes.txt", "contentType": "text/plain", "size": 6.0, "data": []byte("a note")},
	})
}

// Lenient parsing: what cannot be decoded is kept, what cannot be read is an error.
func TestParseMessageEdgeCases(t *testing.T) {
	t.Run("no date, no content type, bare LF", func(t *testing.T) {
		b := mustParse(t, []byte("From: a@b.c\nSubject: x\n\nbody\n"))
		if _, ok := b["date"]; ok {
			t.Errorf("date = %v; want absent", b["date"])
		}
		deepEqual(t, "text", b["text"], "body")
	})
	t.Run("broken base64 kept as received", func(t *testing.T) {
		b := mustParse(t, crlf("From: a@b.c\nContent-Type: application/zip\nContent-Transfer-Encoding: base64\n\n!!not base64!!\n"))
		deepEqual(t, "attachments", b["attachments"], []any{map[string]any{
			"fileName": "attachment", "contentType": "application/zip", "size": 16.0, "data": []byte("!!not base64!!\r\n")}})
	})
	t.Run("display name that breaks RFC 5322", func(t *testing.T) {
		b := mustParse(t, crlf("From: John Q. Public, Esq. <jqp@example.org>\n\nx"))
		deepEqual(t, "from", b["from"], map[string]any{"name": "John Q. Public, Esq.", "address": "jqp@example.org"})
	})
	t.Run("no From", func(t *testing.T) {
		b := mustParse(t, crlf("Subject: x\n\nx"))
		deepEqual(t, "from", b["from"], map[string]any{"name": "", "address": ""})
		deepEqual(t, "to", b["to"], []any{})
	})
	t.Run("unknown charset", func(t *testing.T) {
		b := mustParse(t, crlf("Content-Type: text/plain; charset=x-unknown\n\nabc\xff"))
		deepEqual(t, "text", b["text"], "abc\uFFFD")
	})
	t.Run("missing closing boundary keeps the parts read", func(t *testing.T) {
		b := mustParse(t, crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nfirst\n--b\nContent-Type: text/plain\n\nsecond"))
		deepEqual(t, "text", b["text"], "first\nsecond")
	})
	t.Run("unreadable header", func(t *testing.T) {
		_, err := ParseMessage(strings.NewReader("this is not a header line\r\n\r\nbody"))
		wantType(t, err, weft.DataError)
	})
	t.Run("nesting bomb", func(t *testing.T) {
		var sb strings.Builder
		for i := 0; i < 30; i++ {
			sb.WriteString("Content-Type: multipart/mixed; boundary=b" + itoa(i) + "\r\n\r\n--b" + itoa(i) + "\r\n")
		}
		sb.WriteString("\r\nx\r\n")
		_, err := ParseMessage(strings.NewReader("From: a@b.c\r\n" + sb.String()))
		e := wantType(t, err, weft.DataError)
		if !strings.Contains(e.Message, "MIME levels") {
			t.Errorf("message %q", e.Message)
		}
	})
}

func itoa(i int) string { return string(rune('a'+i/26)) + string(rune('a'+i%26)) }
