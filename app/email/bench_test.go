package email

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/weftworks/weft"
)

// sampleMessage is a typical client message: text and HTML alternatives and an
// attachment of 16×n bytes.
func sampleMessage(n int) []byte {
	att := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("weft-attachment-"), n))
	var lines []string
	for len(att) > 76 {
		lines = append(lines, att[:76])
		att = att[76:]
	}
	lines = append(lines, att)
	return crlf(`From: Ann <ann@example.org>
To: hook@hooks.test
Subject: =?UTF-8?Q?Bestellung_=E2=84=96_42?=
Date: Fri, 2 Jan 2026 04:04:05 +0100
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=outer

--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Hello =E2=80=94 the order is attached.
--inner
Content-Type: text/html; charset=utf-8

<p>Hello &mdash; the order is attached.</p>
--inner--
--outer
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="order.bin"
Content-Transfer-Encoding: base64

` + strings.Join(lines, "\n") + `
--outer--
`)
}

func BenchmarkParseMessage(b *testing.B) {
	msg := sampleMessage(6400) // 100 KiB attachment
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseMessage(bytes.NewReader(msg)); err != nil {
			b.Fatal(err)
		}
	}
}

// One message per operation over a fresh connection to a local go-smtp server (the
// module does not pool connections: each send is its own SMTP session).
func BenchmarkSendEmail(b *testing.B) {
	ts := startSMTP(b, script{})
	b.ReportAllocs()
	for b.Loop() {
		_, err := send(b, context.Background(), sendOpts(), ts.conn(),
			weft.Bundle{"to": []any{"bob@example.org"}, "subject": "order 42", "contentType": "text", "text": "hello"})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzParseMessage: any input yields a bundle or a DataError, never a panic.
func FuzzParseMessage(f *testing.F) {
	f.Add(sampleMessage(8)) // small: the fuzzer mutates every byte
	f.Add(crlf("From: a@b.c\nSubject: x\n\nbody\n"))
	f.Add(crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nx\n--b--\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseMessage(bytes.NewReader(data))
		if err != nil {
			var we *weft.Error
			if !errors.As(err, &we) || we.Type != weft.DataError {
				t.Fatalf("error %v is not a DataError", err)
			}
			return
		}
		for _, k := range []string{"text", "html", "subject", "from", "to", "headers", "attachments"} {
			if _, ok := b[k]; !ok {
				t.Fatalf("bundle lacks %q", k)
			}
		}
	})
}
