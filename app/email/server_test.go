package email

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"

	"github.com/weftworks/weft"
)

// inbox records what a MailhookServer delivered.
type inbox struct {
	mu   sync.Mutex
	got  map[string][]weft.Bundle
	fail map[string]error // deliver's answer per recipient
}

func (in *inbox) deliver(rcpt string, b weft.Bundle) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if err := in.fail[rcpt]; err != nil {
		return err
	}
	if in.got == nil {
		in.got = map[string][]weft.Bundle{}
	}
	in.got[rcpt] = append(in.got[rcpt], b)
	return nil
}

func (in *inbox) count() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	n := 0
	for _, l := range in.got {
		n += len(l)
	}
	return n
}

// startHook serves s on 127.0.0.1 and returns its address.
func startHook(t *testing.T, s *MailhookServer) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		<-done
	})
	return l.Addr().String()
}

func hookConn(addr string) weft.Bundle {
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return weft.Bundle{"host": host, "port": float64(p), "tls": "none", "from": "Shop <shop@example.com>"}
}

var fixedNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// Send an email with the module to the mailhook server: each recipient gets the bundle
// the trigger will start the scenario with.
func TestMailhookServerRoundTrip(t *testing.T) {
	in := &inbox{}
	s := NewMailhookServer("", in.deliver)
	s.Now = func() time.Time { return fixedNow }
	addr := startHook(t, s)
	_, err := send(t, context.Background(), sendOpts(), hookConn(addr), weft.Bundle{
		"to":          []any{"hook-a@hooks.test", "hook-b@hooks.test"},
		"bcc":         []any{"hook-a@hooks.test"}, // the same mailhook twice gets it once
		"subject":     "New lead",
		"contentType": "html", "html": "<p>Hi</p>", "text": "Hi",
		"attachments": []any{map[string]any{"fileName": "lead.json", "data": `{"id":1}`}},
	})
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.got) != 2 || len(in.got["hook-a@hooks.test"]) != 1 || len(in.got["hook-b@hooks.test"]) != 1 {
		t.Fatalf("delivered %v; want one bundle for each of hook-a and hook-b", in.got)
	}
	b := in.got["hook-b@hooks.test"][0]
	deepEqual(t, "subject", b["subject"], "New lead")
	deepEqual(t, "from", b["from"], map[string]any{"name": "Shop", "address": "shop@example.com"})
	deepEqual(t, "text", b["text"], "Hi")
	deepEqual(t, "html", b["html"], "<p>Hi</p>")
	deepEqual(t, "messageId", b["messageId"], "<fixed-id@example.com>")
	deepEqual(t, "date", b["date"].(time.Time).UTC(), time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	deepEqual(t, "attachments", b["attachments"], []any{map[string]any{
		"fileName": "lead.json", "contentType": "application/json", "size": 8.0, "data": []byte(`{"id":1}`)}})
	// Each recipient has its own top-level map: a consumer adding a key touches one.
	in.got["hook-a@hooks.test"][0]["extra"] = 1
	if _, leaked := b["extra"]; leaked {
		t.Error("recipients share one bundle map")
	}
}

// rawSend speaks SMTP with go-smtp's client, to control every byte of the message.
func rawSend(addr string, rcpts []string, msg string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.SendMail("sender@example.org", rcpts, strings.NewReader(strings.ReplaceAll(msg, "\n", "\r\n")))
}

func smtpCode(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

func TestMailhookServerReplies(t *testing.T) {
	t.Run("date from the injected clock when the message has none", func(t *testing.T) {
		in := &inbox{}
		s := NewMailhookServer("", in.deliver)
		s.Now = func() time.Time { return fixedNow }
		addr := startHook(t, s)
		if err := rawSend(addr, []string{"h@x"}, "From: a@b.c\nSubject: no date\n\nbody\n"); err != nil {
			t.Fatal(err)
		}
		deepEqual(t, "date", in.got["h@x"][0]["date"], fixedNow)
	})
	t.Run("Accept refuses unknown recipients at RCPT", func(t *testing.T) {
		in := &inbox{}
		s := NewMailhookServer("", in.deliver)
		s.Accept = func(rcpt string) error {
			switch rcpt {
			case "known@x":
				return nil
			case "busy@x":
				return errors.New("database locked")
			}
			return ErrUnknownMailbox
		}
		addr := startHook(t, s)
		deepEqual(t, "unknown", smtpCode(rawSend(addr, []string{"nobody@x"}, "Subject: x\n\nx")), 550)
		deepEqual(t, "lookup failure", smtpCode(rawSend(addr, []string{"busy@x"}, "Subject: x\n\nx")), 451)
		if err := rawSend(addr, []string{"known@x"}, "Subject: x\n\nx"); err != nil {
			t.Fatalf("known recipient: %v", err)
		}
		deepEqual(t, "delivered", in.count(), 1)
		// Through the send module, the same refusal is a DataError naming the code.
		_, err := send(t, context.Background(), sendOpts(), hookConn(addr), weft.Bundle{"to": []any{"nobody@x"}, "text": "x"})
		e := wantType(t, err, weft.DataError)
		deepEqual(t, "smtpCode", e.Details["smtpCode"], 550.0)
	})
	t.Run("deliver failure asks the sender to retry", func(t *testing.T) {
		in := &inbox{fail: map[string]error{"down@x": errors.New("queue full")}}
		addr := startHook(t, NewMailhookServer("", in.deliver))
		err := rawSend(addr, []string{"down@x"}, "Subject: x\n\nx")
		deepEqual(t, "code", smtpCode(err), 451)
		_, err = send(t, context.Background(), sendOpts(), hookConn(addr), weft.Bundle{"to": []any{"down@x"}, "text": "x"})
		wantType(t, err, weft.ConnectionError)
	})
	t.Run("deliver unknown for every recipient is permanent", func(t *testing.T) {
		in := &inbox{fail: map[string]error{"gone@x": ErrUnknownMailbox}}
		addr := startHook(t, NewMailhookServer("", in.deliver))
		deepEqual(t, "all unknown", smtpCode(rawSend(addr, []string{"gone@x"}, "Subject: x\n\nx")), 550)
		// One known recipient is enough for the message to be accepted.
		if err := rawSend(addr, []string{"gone@x", "ok@x"}, "Subject: x\n\nx"); err != nil {
			t.Fatalf("mixed recipients: %v", err)
		}
		deepEqual(t, "delivered", in.count(), 1)
	})
	t.Run("message over the size limit", func(t *testing.T) {
		in := &inbox{}
		s := NewMailhookServer("", in.deliver)
		s.MaxMessageBytes = 1024
		addr := startHook(t, s)
		big := "Subject: big\n\n" + strings.Repeat("0123456789abcdef\n", 200)
		deepEqual(t, "code", smtpCode(rawSend(addr, []string{"h@x"}, big)), 552)
		deepEqual(t, "delivered", in.count(), 0)
		_, err := send(t, context.Background(), sendOpts(), hookConn(addr), weft.Bundle{"to": []any{"h@x"}, "text": strings.Repeat("x", 4096)})
		wantType(t, err, weft.MaxFileSizeExceededError)
	})
	t.Run("unparseable message", func(t *testing.T) {
		in := &inbox{}
		addr := startHook(t, NewMailhookServer("", in.deliver))
		deepEqual(t, "code", smtpCode(rawSend(addr, []string{"h@x"}, "not a header\n\nbody")), 554)
		deepEqual(t, "delivered", in.count(), 0)
	})
	t.Run("too many recipients", func(t *testing.T) {
		in := &inbox{}
		s := NewMailhookServer("", in.deliver)
		s.MaxRecipients = 2
		addr := startHook(t, s)
		err := rawSend(addr, []string{"a@x", "b@x", "c@x"}, "Subject: x\n\nx")
		if c := smtpCode(err); c != 452 && c != 552 {
			t.Errorf("third recipient: code %d (%v); want a 452/552 refusal", c, err)
		}
	})
}

// With a TLSConfig the server offers STARTTLS, and the send module uses it.
func TestMailhookServerStartTLS(t *testing.T) {
	in := &inbox{}
	s := NewMailhookServer("", in.deliver)
	cert, _ := testCert()
	s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	addr := startHook(t, s)
	c := hookConn(addr)
	c["tls"] = "starttls"
	if _, err := send(t, context.Background(), sendOpts(), c, weft.Bundle{"to": []any{"h@x"}, "text": "secret"}); err != nil {
		t.Fatalf("send over STARTTLS: %v", err)
	}
	deepEqual(t, "text", in.got["h@x"][0]["text"], "secret")
}

// Shutdown stops the server; ListenAndServe then returns nil.
func TestMailhookServerListenAndShutdown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	in := &inbox{}
	s := NewMailhookServer(addr, in.deliver)
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe() }()
	// Retry until the listener is up (connect attempts, not sleeps).
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err = rawSend(addr, []string{"h@x"}, "Subject: x\n\nx"); err == nil || time.Now().After(deadline) {
			break
		}
		runtime.Gosched()
	}
	if err != nil {
		t.Fatalf("send to ListenAndServe: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("ListenAndServe returned %v; want nil after Shutdown", err)
	}
	deepEqual(t, "delivered", in.count(), 1)
}
