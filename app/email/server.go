package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"strings"
	"sync"
	"time"

	smtp "github.com/emersion/go-smtp"

	"github.com/weftworks/weft"
)

// ErrUnknownMailbox is what Accept or the deliver function return for an address that
// is no mailhook: the sender gets a permanent 550 5.1.1 for it.
var ErrUnknownMailbox = errors.New("no such mailhook")

// MailhookServer receives email over SMTP and delivers each message, as the bundle of
// ParseMessage, once per accepted recipient. It is the MX of the mailhook domain: it
// takes mail without authentication and relays nothing.
//
// Set the exported fields before Serve or ListenAndServe.
type MailhookServer struct {
	// Addr is the listening address of ListenAndServe (":25", "127.0.0.1:2525").
	Addr string
	// Domain is the name the server greets with. Defaults to "localhost".
	Domain string
	// MaxMessageBytes caps a message; a larger one is refused with 552 before it is
	// parsed. Defaults to 25 MiB.
	MaxMessageBytes int64
	// MaxRecipients caps RCPT TO per message. Defaults to 100.
	MaxRecipients int
	// ReadTimeout and WriteTimeout bound each network read and write. Default 5 and
	// 1 minutes (RFC 5321 §4.5.3.2 asks servers for minutes, not seconds).
	ReadTimeout, WriteTimeout time.Duration
	// TLSConfig, when set, offers STARTTLS.
	TLSConfig *tls.Config
	// Accept, when set, checks a recipient at RCPT TO so that unknown addresses are
	// refused before the message is sent: ErrUnknownMailbox refuses it permanently
	// (550), any other error temporarily (451).
	Accept func(rcpt string) error
	// Now stamps messages that carry no readable Date header. Defaults to time.Now.
	Now func() time.Time
	// ErrorLog receives connection errors. Defaults to the standard logger.
	ErrorLog *log.Logger

	deliver func(rcpt string, b weft.Bundle) error

	mu  sync.Mutex
	srv *smtp.Server
}

// NewMailhookServer returns a server listening on addr (used by ListenAndServe) that
// calls deliver for each accepted recipient of each received message. deliver may be
// called concurrently; the bundles it gets share their nested values (attachments'
// data), which it must not modify. Its error decides the reply: ErrUnknownMailbox
// rejects the recipient; any other error makes the sender try again later (451), so
// a message is never lost between SMTP and weft's queue (the lead's `weft serve`
// wires deliver to the queue).
func NewMailhookServer(addr string, deliver func(rcpt string, b weft.Bundle) error) *MailhookServer {
	return &MailhookServer{Addr: addr, deliver: deliver}
}

func (s *MailhookServer) server() *smtp.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return s.srv
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &hookSession{s: s}, nil
	}))
	srv.Addr = s.Addr
	srv.Domain = or(s.Domain, "localhost")
	srv.MaxMessageBytes = s.MaxMessageBytes
	if srv.MaxMessageBytes <= 0 {
		srv.MaxMessageBytes = 25 << 20
	}
	srv.MaxRecipients = s.MaxRecipients
	if srv.MaxRecipients <= 0 {
		srv.MaxRecipients = 100
	}
	srv.ReadTimeout, srv.WriteTimeout = s.ReadTimeout, s.WriteTimeout
	if srv.ReadTimeout <= 0 {
		srv.ReadTimeout = 5 * time.Minute
	}
	if srv.WriteTimeout <= 0 {
		srv.WriteTimeout = time.Minute
	}
	srv.TLSConfig = s.TLSConfig
	if s.ErrorLog != nil {
		srv.ErrorLog = s.ErrorLog
	}
	s.srv = srv
	return srv
}

// ListenAndServe listens on Addr and serves until Close or Shutdown, then returns nil.
func (s *MailhookServer) ListenAndServe() error { return s.server().ListenAndServe() }

// Serve accepts connections on l until Close or Shutdown, then returns nil.
func (s *MailhookServer) Serve(l net.Listener) error { return s.server().Serve(l) }

// Close stops the server at once, closing every connection.
func (s *MailhookServer) Close() error { return s.server().Close() }

// Shutdown stops accepting connections and waits for open ones to end, or ctx.
func (s *MailhookServer) Shutdown(ctx context.Context) error { return s.server().Shutdown(ctx) }

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// hookSession is one SMTP transaction's state.
type hookSession struct {
	s     *MailhookServer
	rcpts []string
}

func (h *hookSession) Reset()        { h.rcpts = nil }
func (h *hookSession) Logout() error { return nil }

func (h *hookSession) Mail(string, *smtp.MailOptions) error { return nil }

func (h *hookSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	to = strings.TrimSpace(to)
	for _, r := range h.rcpts {
		if strings.EqualFold(r, to) {
			return nil // the same mailhook twice gets the message once
		}
	}
	if h.s.Accept != nil {
		if err := h.s.Accept(to); err != nil {
			return rcptError(to, err)
		}
	}
	h.rcpts = append(h.rcpts, to)
	return nil
}

func rcptError(to string, err error) error {
	if errors.Is(err, ErrUnknownMailbox) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
			Message: fmt.Sprintf("no mailhook at %s", to)}
	}
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
		Message: "cannot accept mail right now, try again later"}
}

func (h *hookSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err // go-smtp's ErrDataTooLarge answers 552
	}
	b, err := ParseMessage(bytes.NewReader(raw))
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0},
			Message: "message cannot be parsed: " + oneLine(weft.AsError(err).Message)}
	}
	if _, ok := b["date"]; !ok {
		now := time.Now
		if h.s.Now != nil {
			now = h.s.Now
		}
		b["date"] = now()
	}
	delivered, unknown := 0, 0
	var failed error
	for _, rcpt := range h.rcpts {
		err := h.s.deliver(rcpt, maps.Clone(b))
		switch {
		case err == nil:
			delivered++
		case errors.Is(err, ErrUnknownMailbox):
			unknown++
		default:
			failed = err
		}
	}
	switch {
	case failed != nil:
		// SMTP has one reply for every recipient: ask for the whole message again.
		// Recipients already delivered may see it twice (at least once beats lost).
		if h.s.ErrorLog != nil {
			h.s.ErrorLog.Printf("mailhook: deliver: %v", failed)
		}
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
			Message: "cannot queue the message right now, try again later"}
	case delivered == 0 && unknown > 0:
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
			Message: "no mailhook at any recipient"}
	}
	return nil
}
