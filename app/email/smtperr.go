package email

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"regexp"
	"strings"
	"syscall"

	mail "github.com/wneessen/go-mail"
	gmsmtp "github.com/wneessen/go-mail/smtp"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/netpolicy"
)

// ErrorTypeForReply is weft's SMTP reply code → error type table (SPEC §3.1). It returns
// "" for codes that are not failures (below 400).
//
// The SMTP standard itself says which failures are worth retrying: every 4xx reply is
// transient (RFC 5321 §4.2.1), so it is retried as a ConnectionError, except 452
// (insufficient system storage), which is the server's "out of space". A 5xx reply is
// permanent: retrying the same message cannot succeed, so a person must look.
func ErrorTypeForReply(code int) weft.ErrorType {
	switch {
	case code < 400:
		return ""
	case code == 452:
		return weft.OutOfSpaceError
	case code < 500:
		// 421 service not available, 450 mailbox busy, 451 local error, 454 TLS or
		// authentication temporarily unavailable, greylisting…
		return weft.ConnectionError
	case code == 535:
		// Credentials rejected: a person renews them (HTTP 401's counterpart).
		return weft.InvalidAccessTokenError
	case code == 530, code == 534, code == 538, code == 504:
		// Authentication required, mechanism too weak, encryption required,
		// mechanism/parameter not implemented: the connection's settings must change.
		return weft.InvalidConfigurationError
	case code == 552:
		// Message size exceeds the server's limit (or the mailbox's storage allocation).
		return weft.MaxFileSizeExceededError
	case code == 500, code == 502, code == 503:
		// The server did not understand or accept a command weft sent in that order:
		// a protocol mismatch weft cannot interpret, not bad data.
		return weft.UnexpectedError
	}
	// 550 mailbox unavailable, 553 mailbox name not allowed, 554 transaction failed
	// (often a content/spam rejection), 501 bad address syntax, 551, 555…: the server
	// refused this message or address, so the data must change.
	return weft.DataError
}

// enhancedCode finds an RFC 3463 enhanced status code ("5.7.8") at the start of a reply.
var enhancedCode = regexp.MustCompile(`^([245]\.\d{1,3}\.\d{1,3})\b`)

// classifySend gives a failure of one send its error type. ctx is the module's context:
// when it has ended, the failure is its deadline whatever the connection reported (the
// connection was closed under the client). stage names the phase for messages
// ("connect", "send").
func classifySend(ctx context.Context, stage string, err error) *weft.Error {
	if err == nil {
		return nil
	}
	var we *weft.Error
	if errors.As(err, &we) {
		return we
	}
	var denied *netpolicy.DeniedError
	if errors.As(err, &denied) { // a person must allow the server; retrying cannot help
		return &weft.Error{Type: weft.InvalidConfigurationError, Message: "SMTP " + stage + ": " + denied.Error(),
			Details: map[string]any{"rule": denied.Rule}, Err: err}
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			return &weft.Error{Type: weft.ModuleTimeoutError,
				Message: "SMTP " + stage + " timed out (module time limit)", Err: err}
		}
		return &weft.Error{Type: weft.RuntimeError, Message: "SMTP " + stage + " cancelled", Err: err}
	}
	if code, text, cmd, ok := smtpReply(err); ok {
		typ := ErrorTypeForReply(code)
		if typ == "" {
			typ = weft.UnexpectedError // a 2xx/3xx "failure": the client could not interpret it
		}
		details := map[string]any{"smtpCode": float64(code), "smtpMessage": text}
		if cmd != "" {
			details["smtpCommand"] = cmd
		}
		if m := enhancedCode.FindStringSubmatch(text); m != nil {
			details["enhancedCode"] = m[1]
		}
		msg := fmt.Sprintf("SMTP server replied %d %s", code, oneLine(text))
		if cmd != "" {
			msg += " (to " + cmd + ")"
		}
		return &weft.Error{Type: typ, Message: msg, Details: details, Err: err}
	}
	typ, what := classifyTransport(err)
	return &weft.Error{Type: typ, Message: "SMTP " + stage + ": " + what + ": " + err.Error(), Err: err}
}

// smtpReply extracts the server's reply from an error of go-mail: a *mail.SendError
// (MAIL, RCPT, DATA…) carries the code but does not unwrap, a *textproto.Error (greeting,
// EHLO, STARTTLS, AUTH) is wrapped. cmd names the command that got the reply.
func smtpReply(err error) (code int, text, cmd string, ok bool) {
	var se *mail.SendError
	if errors.As(err, &se) && se.ErrorCode() >= 400 {
		code = se.ErrorCode()
		text = replyText(se.Error(), code)
		return code, text, commandOf(se.Reason), true
	}
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 400 {
		cmd := ""
		if strings.Contains(err.Error(), "SMTP AUTH failed") {
			cmd = "AUTH"
		} else if strings.Contains(err.Error(), "EHLO/HELO") {
			cmd = "EHLO"
		}
		return te.Code, te.Msg, cmd, true
	}
	return 0, "", "", false
}

// replyText cuts the reply out of go-mail's SendError text ("sending SMTP RCPT TO command:
// 550 5.1.1 no such user, affected recipient(s): …").
func replyText(s string, code int) string {
	prefix := fmt.Sprintf("%03d ", code)
	if i := strings.Index(s, prefix); i >= 0 {
		s = s[i+len(prefix):]
	}
	if i := strings.Index(s, ", affected "); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

func commandOf(r mail.SendErrReason) string {
	switch r {
	case mail.ErrSMTPMailFrom:
		return "MAIL FROM"
	case mail.ErrSMTPRcptTo:
		return "RCPT TO"
	case mail.ErrSMTPData, mail.ErrWriteContent:
		return "DATA"
	case mail.ErrSMTPDataClose:
		return "end of DATA"
	case mail.ErrSMTPReset:
		return "RSET"
	}
	return ""
}

// oneLine keeps a multi-line reply readable in a message; double quotes become single
// quotes since blueprints splice {{N.error.message}} into JSON text.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, `"`, "'")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// classifyTransport types a failure without an SMTP reply. It follows the HTTP app's
// ClassifyTransportError so the same network failure has the same type in every app.
func classifyTransport(err error) (weft.ErrorType, string) {
	var (
		dnsErr   *net.DNSError
		recErr   tls.RecordHeaderError
		verErr   *tls.CertificateVerificationError
		alertErr tls.AlertError
		unknown  x509.UnknownAuthorityError
		hostErr  x509.HostnameError
		invalid  x509.CertificateInvalidError
		netErr   net.Error
		opErr    *net.OpError
	)
	s := err.Error()
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return weft.ModuleTimeoutError, "timed out"
	case errors.Is(err, gmsmtp.ErrUnencrypted):
		return weft.InvalidConfigurationError,
			"the server would receive the password unencrypted (set the connection's tls to starttls or tls)"
	case strings.Contains(s, "server does not support SMTP AUTH"), // plain and per-type errors
		errors.Is(err, mail.ErrNoSupportedAuthDiscovered):
		return weft.InvalidConfigurationError, "the server offers no authentication weft can use (check the connection's tls and username)"
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return weft.ConnectionError, "host not found"
		}
		return weft.ConnectionError, "DNS lookup failed"
	case errors.Is(err, syscall.ECONNREFUSED):
		return weft.ConnectionError, "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE):
		return weft.ConnectionError, "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return weft.ConnectionError, "host unreachable"
	case errors.As(err, &recErr), errors.As(err, &verErr), errors.As(err, &alertErr),
		errors.As(err, &unknown), errors.As(err, &hostErr), errors.As(err, &invalid),
		strings.Contains(s, "tls: "):
		return weft.ConnectionError, "TLS handshake failed"
	case strings.Contains(s, "does not support STARTTLS"):
		// Also what a man in the middle stripping STARTTLS looks like: never send in
		// clear, retry later.
		return weft.ConnectionError, "TLS unavailable"
	case errors.As(err, &opErr) && opErr.Op == "dial" && opErr.Timeout():
		return weft.ConnectionError, "connect timed out"
	case errors.As(err, &netErr) && netErr.Timeout():
		return weft.ModuleTimeoutError, "timed out"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return weft.ConnectionError, "connection closed by the server"
	case errors.As(err, &opErr):
		return weft.ConnectionError, "connection failed"
	case errors.Is(err, mail.ErrNoActiveConnection), strings.Contains(s, "checking SMTP connection"):
		return weft.ConnectionError, "connection lost"
	case strings.Contains(s, "short response"), strings.Contains(s, "invalid response"):
		return weft.UnexpectedError, "malformed reply"
	}
	return weft.RuntimeError, "failed"
}
