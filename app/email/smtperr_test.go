package email

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"
	gmsmtp "github.com/wneessen/go-mail/smtp"

	"github.com/weftworks/weft"
)

var oneMail = func() weft.Bundle {
	return weft.Bundle{"to": []any{"bob@example.org", "carol@example.org"}, "subject": "s", "contentType": "text", "text": "body"}
}

// Every scripted reply of a real SMTP server gets its error type, with the code, the
// server's text and the command in the error.
func TestSendReplyCodes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sc      script
		typ     weft.ErrorType
		code    int
		command string
		text    string
	}{
		{"421 at EHLO", script{ehloErr: replyErr(421, 4, 3, 2, "Service not available")},
			weft.ConnectionError, 421, "EHLO", "4.3.2 Service not available"},
		{"451 at MAIL", script{mailErr: replyErr(451, 4, 3, 0, "Local error")},
			weft.ConnectionError, 451, "MAIL FROM", "4.3.0 Local error"},
		{"450 greylisted at RCPT", script{rcptErr: map[string]*smtp.SMTPError{"carol@example.org": replyErr(450, 4, 2, 0, "Greylisted")}},
			weft.ConnectionError, 450, "RCPT TO", "4.2.0 Greylisted"},
		{"452 at RCPT", script{rcptErr: map[string]*smtp.SMTPError{"bob@example.org": replyErr(452, 4, 3, 1, "Insufficient system storage")}},
			weft.OutOfSpaceError, 452, "RCPT TO", "4.3.1 Insufficient system storage"},
		{"550 at RCPT", script{rcptErr: map[string]*smtp.SMTPError{"carol@example.org": replyErr(550, 5, 1, 1, "No such user")}},
			weft.DataError, 550, "RCPT TO", "5.1.1 No such user"},
		{"553 at MAIL", script{mailErr: replyErr(553, 5, 1, 8, "Sender address rejected")},
			weft.DataError, 553, "MAIL FROM", "5.1.8 Sender address rejected"},
		{"530 at MAIL", script{mailErr: replyErr(530, 5, 7, 0, "Authentication required")},
			weft.InvalidConfigurationError, 530, "MAIL FROM", "5.7.0 Authentication required"},
		{"552 at DATA", script{dataErr: replyErr(552, 5, 3, 4, "Message too big")},
			weft.MaxFileSizeExceededError, 552, "end of DATA", "5.3.4 Message too big"},
		{"552 from the size limit", script{maxSize: 100},
			weft.MaxFileSizeExceededError, 552, "", "5.3.4 Maximum message size exceeded"},
		{"554 at DATA", script{dataErr: replyErr(554, 5, 7, 1, "Spam detected")},
			weft.DataError, 554, "end of DATA", "5.7.1 Spam detected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startSMTP(t, tc.sc)
			_, err := send(t, context.Background(), sendOpts(), ts.conn(), oneMail())
			e := wantType(t, err, tc.typ)
			deepEqual(t, "smtpCode", e.Details["smtpCode"], float64(tc.code))
			if tc.command != "" {
				deepEqual(t, "smtpCommand", e.Details["smtpCommand"], tc.command)
			}
			if msg, _ := e.Details["smtpMessage"].(string); !strings.Contains(msg, tc.text) {
				t.Errorf("smtpMessage %q does not contain %q", msg, tc.text)
			}
			want := fmt.Sprintf("SMTP server replied %d ", tc.code)
			if !strings.HasPrefix(e.Message, want) || !strings.Contains(e.Message, tc.text) {
				t.Errorf("message %q; want %q… with %q", e.Message, want, tc.text)
			}
			if len(ts.messages()) != 0 {
				t.Errorf("the server stored a message despite the failure")
			}
		})
	}
}

func TestSendAuth(t *testing.T) {
	ts := startSMTP(t, script{tls: "tls", user: "ann", pass: "right"})
	conn := ts.conn()
	if _, err := send(t, context.Background(), sendOpts(), conn, oneMail()); err != nil {
		t.Fatalf("AUTH PLAIN with the right password: %v", err)
	}
	deepEqual(t, "authenticated user", ts.messages()[0].authUser, "ann")

	conn["password"] = "wrong"
	_, err := send(t, context.Background(), sendOpts(), conn, oneMail())
	e := wantType(t, err, weft.InvalidAccessTokenError)
	deepEqual(t, "smtpCode", e.Details["smtpCode"], 535.0)
	deepEqual(t, "smtpCommand", e.Details["smtpCommand"], "AUTH")
	deepEqual(t, "enhancedCode", e.Details["enhancedCode"], "5.7.8")
	if strings.Contains(e.Error(), "wrong") {
		t.Errorf("the error shows the password: %q", e.Error())
	}
	deepEqual(t, "messages after the failure", len(ts.messages()), 1)

	// A username for a server that offers no AUTH at all: the connection is wrong.
	plain := startSMTP(t, script{})
	c2 := plain.conn()
	c2["username"], c2["password"] = "ann", "pw"
	_, err = send(t, context.Background(), sendOpts(), c2, oneMail())
	wantType(t, err, weft.InvalidConfigurationError)
}

// Failures without a reply: refused, closed, silent, untrusted, no STARTTLS.
func TestSendTransportFailures(t *testing.T) {
	from := weft.Bundle{"from": "shop@example.com"}
	connTo := func(addr string, tlsMode string) weft.Bundle {
		host, port, _ := net.SplitHostPort(addr)
		p, _ := strconv.Atoi(port)
		return weft.Bundle{"host": host, "port": float64(p), "tls": tlsMode, "from": from["from"]}
	}
	// rawServer accepts connections and hands each to serve.
	rawServer := func(t *testing.T, serve func(net.Conn)) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go serve(c)
			}
		}()
		return l.Addr().String()
	}
	hold := make(chan struct{})
	t.Cleanup(func() { close(hold) })
	silent := func(c net.Conn) { <-hold; c.Close() }

	t.Run("connection refused", func(t *testing.T) {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := l.Addr().String()
		l.Close()
		_, err := send(t, context.Background(), sendOpts(), connTo(addr, "none"), oneMail())
		e := wantType(t, err, weft.ConnectionError)
		if !strings.Contains(e.Message, "connection refused") {
			t.Errorf("message %q", e.Message)
		}
	})
	t.Run("closed after the greeting", func(t *testing.T) {
		addr := rawServer(t, func(c net.Conn) { c.Write([]byte("220 hi\r\n")); c.Close() })
		_, err := send(t, context.Background(), sendOpts(), connTo(addr, "none"), oneMail())
		wantType(t, err, weft.ConnectionError)
	})
	t.Run("silent server, command timeout", func(t *testing.T) {
		addr := rawServer(t, silent)
		o := sendOpts()
		o.Timeout = 150 * time.Millisecond
		_, err := send(t, context.Background(), o, connTo(addr, "none"), oneMail())
		e := wantType(t, err, weft.ModuleTimeoutError)
		if !strings.Contains(e.Message, "timed out") {
			t.Errorf("message %q", e.Message)
		}
	})
	t.Run("silent server, module deadline", func(t *testing.T) {
		addr := rawServer(t, silent)
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		_, err := send(t, ctx, sendOpts(), connTo(addr, "none"), oneMail())
		e := wantType(t, err, weft.ModuleTimeoutError)
		if !strings.Contains(e.Message, "module time limit") {
			t.Errorf("message %q", e.Message)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		ts := startSMTP(t, script{tls: "tls"})
		o := sendOpts()
		o.RootCAs = nil // the system pool does not know the test CA
		_, err := send(t, context.Background(), o, ts.conn(), oneMail())
		e := wantType(t, err, weft.ConnectionError)
		if !strings.Contains(e.Message, "TLS handshake failed") {
			t.Errorf("message %q", e.Message)
		}
		// rejectUnauthorized: false is the connection's explicit opt-out.
		c := ts.conn()
		c["rejectUnauthorized"] = false
		if _, err := send(t, context.Background(), o, c, oneMail()); err != nil {
			t.Errorf("with rejectUnauthorized false: %v", err)
		}
	})
	t.Run("untrusted certificate over STARTTLS", func(t *testing.T) {
		ts := startSMTP(t, script{tls: "starttls"})
		o := sendOpts()
		o.RootCAs = nil
		_, err := send(t, context.Background(), o, ts.conn(), oneMail())
		wantType(t, err, weft.ConnectionError)
		deepEqual(t, "messages", len(ts.messages()), 0)
	})
	t.Run("STARTTLS not offered", func(t *testing.T) {
		ts := startSMTP(t, script{}) // plain server
		c := ts.conn()
		c["tls"] = "starttls"
		_, err := send(t, context.Background(), sendOpts(), c, oneMail())
		e := wantType(t, err, weft.ConnectionError)
		if !strings.Contains(e.Message, "TLS unavailable") {
			t.Errorf("message %q", e.Message)
		}
		deepEqual(t, "messages sent in clear", len(ts.messages()), 0)
	})
	t.Run("implicit TLS to a plain server", func(t *testing.T) {
		ts := startSMTP(t, script{})
		c := ts.conn()
		c["tls"] = "tls"
		_, err := send(t, context.Background(), sendOpts(), c, oneMail())
		wantType(t, err, weft.ConnectionError)
	})
}

func TestErrorTypeForReply(t *testing.T) {
	for code, want := range map[int]weft.ErrorType{
		250: "", 354: "",
		421: weft.ConnectionError, 450: weft.ConnectionError, 451: weft.ConnectionError,
		452: weft.OutOfSpaceError, 454: weft.ConnectionError, 471: weft.ConnectionError,
		500: weft.UnexpectedError, 501: weft.DataError, 502: weft.UnexpectedError, 503: weft.UnexpectedError,
		504: weft.InvalidConfigurationError, 530: weft.InvalidConfigurationError,
		534: weft.InvalidConfigurationError, 535: weft.InvalidAccessTokenError,
		538: weft.InvalidConfigurationError, 550: weft.DataError, 551: weft.DataError,
		552: weft.MaxFileSizeExceededError, 553: weft.DataError, 554: weft.DataError, 555: weft.DataError,
	} {
		if got := ErrorTypeForReply(code); got != want {
			t.Errorf("ErrorTypeForReply(%d) = %q; want %q", code, got, want)
		}
	}
}

// Failures a real server cannot easily produce here, classified from the error values
// the libraries return.
func TestClassifyTransport(t *testing.T) {
	for _, tc := range []struct {
		err  error
		typ  weft.ErrorType
		what string
	}{
		{fmt.Errorf("dial failed: %w", gmsmtp.ErrUnencrypted), weft.InvalidConfigurationError, "unencrypted"},
		{&net.DNSError{Err: "no such host", Name: "smtp.nowhere.invalid", IsNotFound: true}, weft.ConnectionError, "host not found"},
		{&net.OpError{Op: "dial", Net: "tcp", Err: timeoutErr{}}, weft.ConnectionError, "connect timed out"},
		{&net.OpError{Op: "read", Net: "tcp", Err: timeoutErr{}}, weft.ModuleTimeoutError, "timed out"},
		{errors.New("something odd"), weft.RuntimeError, "failed"},
	} {
		typ, what := classifyTransport(tc.err)
		if typ != tc.typ || !strings.Contains(what, tc.what) {
			t.Errorf("classifyTransport(%v) = %s %q; want %s %q", tc.err, typ, what, tc.typ, tc.what)
		}
	}
	// The module's context wins: a closed connection after the deadline is a timeout.
	ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	if e := classifySend(ctx, "send", net.ErrClosed); e.Type != weft.ModuleTimeoutError {
		t.Errorf("after the deadline: %s; want ModuleTimeoutError", e.Type)
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }
