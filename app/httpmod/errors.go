package httpmod

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/netpolicy"
)

// ErrorTypeForStatus is weft's default HTTP status → error type table (SPEC §3.1). It
// returns "" for statuses that are not errors (below 400). Every app that talks HTTP
// should classify through this one table so {{N.error.type}} means the same everywhere.
func ErrorTypeForStatus(status int) weft.ErrorType {
	switch {
	case status < 400:
		return ""
	case status == 401:
		return weft.InvalidAccessTokenError
	case status == 403:
		return weft.InvalidConfigurationError
	case status == 408:
		return weft.ModuleTimeoutError
	case status == 413:
		return weft.MaxFileSizeExceededError
	case status == 429:
		return weft.RateLimitError
	case status < 500:
		// 400, 404, 422 and every other client error: the request (the data) is what
		// the service refused, so a person fixes it and resumes.
		return weft.DataError
	case status == 502, status == 503, status == 504:
		return weft.ConnectionError
	case status == 507:
		return weft.OutOfSpaceError
	}
	return weft.RuntimeError
}

// ErrorTable overrides ErrorTypeForStatus for one module. Keys are an exact status
// ("409") or a class ("4xx", "5xx"); an exact status wins over its class, a class over
// the default table. It is the module parameter "errorTypes".
type ErrorTable map[string]weft.ErrorType

var tableKey = regexp.MustCompile(`^(?:[45][0-9][0-9]|[45]xx)$`)

// ParseErrorTable reads the "errorTypes" parameter: a collection of status (or class) to
// error type name. Nil or empty is no override.
func ParseErrorTable(v any) (ErrorTable, error) {
	if v == nil || v == "" {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, configError("parameters.errorTypes", "must be a collection of status → error type, got %T", v)
	}
	t := make(ErrorTable, len(m))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // report the first bad key deterministically
	for _, k := range keys {
		key := strings.ToLower(strings.TrimSpace(k))
		if !tableKey.MatchString(key) {
			return nil, configError("parameters.errorTypes."+k, "key must be an HTTP error status 400…599 or 4xx/5xx")
		}
		name, _ := m[k].(string)
		typ := weft.ErrorType(strings.TrimSpace(name))
		if !typ.Valid() {
			return nil, configError("parameters.errorTypes."+k, "%q is not an error type (one of %s)", name, typeNames())
		}
		t[key] = typ
	}
	return t, nil
}

func typeNames() string {
	s := make([]string, len(weft.ErrorTypes))
	for i, t := range weft.ErrorTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// TypeFor returns the error type of a status with the overrides applied ("" when the
// status is not an error).
func (t ErrorTable) TypeFor(status int) weft.ErrorType {
	if status < 400 {
		return ""
	}
	if typ, ok := t[strconv.Itoa(status)]; ok {
		return typ
	}
	if status < 600 {
		if typ, ok := t[strconv.Itoa(status/100)+"xx"]; ok {
			return typ
		}
	}
	return ErrorTypeForStatus(status)
}

// Limits of what an error keeps of the response: a short excerpt in the message (read
// in logs and handler routes), a few KB in Details (kept with the incomplete execution).
const (
	messageExcerpt = 200
	detailsBody    = 4 << 10
)

// StatusError builds the error for an HTTP error response. now is the execution's clock,
// against which a Retry-After date is measured. target names the request for the message
// (method and URL, secrets already removed). It returns nil when the status is not an
// error under the table.
func (t ErrorTable) StatusError(target string, status int, header http.Header, body []byte, now time.Time) *weft.Error {
	typ := t.TypeFor(status)
	if typ == "" {
		return nil
	}
	msg := fmt.Sprintf("[%d %s] %s", status, statusText(status), target)
	if ex := excerpt(body, messageExcerpt); ex != "" {
		msg += ": " + ex
	}
	text, cut := truncateUTF8(body, detailsBody)
	details := map[string]any{
		"statusCode": float64(status),
		"headers":    headerMap(header),
		"body":       text,
	}
	if cut {
		details["bodyTruncated"] = true
	}
	e := &weft.Error{Type: typ, Message: msg, Details: details}
	if _, raw, ok := strings.Cut(target, " "); ok {
		if u, err := url.Parse(raw); err == nil && u.Host != "" {
			e.Endpoint = Endpoint(u)
		}
	}
	// Kept for every type (a 503 often says when to come back); the engine honours it
	// for RateLimitError (SPEC §5.3).
	e.RetryAfter = RetryAfter(header.Get("Retry-After"), now)
	return e
}

func statusText(status int) string {
	if s := http.StatusText(status); s != "" {
		return s
	}
	return "HTTP error"
}

// RetryAfter reads a Retry-After value: delay seconds or an HTTP date, measured from now.
// Unreadable, negative or past values give zero ("no delay asked").
func RetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 || n > int64(366*24*time.Hour/time.Second) {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}

// excerpt is the body as one short line for a message. Double quotes become single
// quotes and backslashes are dropped: blueprints splice {{N.error.message}} into JSON
// text (Make's own example 002 does), which must stay valid. The exact body is in
// Details["body"].
func excerpt(body []byte, max int) string {
	s, cut := truncateUTF8(body, max)
	s = strings.Join(strings.Fields(s), " ")
	s = messageSafe.Replace(s)
	if cut {
		s += "…"
	}
	return s
}

var messageSafe = strings.NewReplacer(`"`, "'", `\`, "")

// truncateUTF8 returns at most max bytes of b as valid UTF-8 text, never splitting a
// character, and whether anything was cut.
func truncateUTF8(b []byte, max int) (string, bool) {
	cut := false
	if len(b) > max {
		b, cut = b[:max], true
		// Step back over the bytes of a character the cut split (at most 3).
		for i := 1; i < utf8.UTFMax && len(b) > 0; i++ {
			if r, size := utf8.DecodeLastRune(b); r != utf8.RuneError || size != 1 {
				break
			}
			b = b[:len(b)-1]
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), cut
}

// errBodyTooLarge is returned while reading a response larger than the module's cap.
var errBodyTooLarge = errors.New("response body too large")

// errTooManyRedirects ends a redirect chain longer than maxRedirects.
var errTooManyRedirects = errors.New("too many redirects")

// ClassifyTransportError gives a failure to get a response (no HTTP status) its error
// type. Connection refused or reset, DNS failures, TLS handshake failures and a
// connection closed mid-response are ConnectionErrors (retried automatically); deadlines
// are ModuleTimeoutErrors; a body over the size cap is a MaxFileSizeExceededError; an
// endless redirect chain or a malformed response is an UnexpectedError; anything else
// is a RuntimeError. An *weft.Error keeps its type. The cause stays in Err.
func ClassifyTransportError(err error) *weft.Error {
	if err == nil {
		return nil
	}
	var we *weft.Error
	if errors.As(err, &we) {
		return we
	}
	// The outbound policy refused the address: a person must allow it (or fix the URL);
	// retrying cannot help.
	var denied *netpolicy.DeniedError
	if errors.As(err, &denied) {
		return &weft.Error{Type: weft.InvalidConfigurationError, Message: denied.Error(), Err: err,
			Details: map[string]any{"rule": denied.Rule}}
	}
	typ, what := classify(err)
	return &weft.Error{Type: typ, Message: what + ": " + err.Error(), Err: err}
}

func classify(err error) (weft.ErrorType, string) {
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
	switch {
	case errors.Is(err, errBodyTooLarge):
		return weft.MaxFileSizeExceededError, "response too large"
	case errors.Is(err, errTooManyRedirects):
		return weft.UnexpectedError, "redirect loop"
	case errors.Is(err, context.DeadlineExceeded):
		return weft.ModuleTimeoutError, "timed out"
	case errors.Is(err, context.Canceled):
		// The run itself was stopped; the engine sees its own context and decides.
		return weft.RuntimeError, "cancelled"
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
		// net/http replaces the RecordHeaderError of a plain-HTTP peer with this text.
		strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return weft.ConnectionError, "TLS handshake failed"
	case errors.As(err, &opErr) && opErr.Op == "dial" && opErr.Timeout():
		// The host never answered the connection attempt: unreachable, not slow.
		return weft.ConnectionError, "connect timed out"
	case errors.As(err, &netErr) && netErr.Timeout():
		return weft.ModuleTimeoutError, "timed out"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return weft.ConnectionError, "connection closed by the server"
	case errors.As(err, &opErr):
		return weft.ConnectionError, "connection failed"
	case isMalformedResponse(err):
		return weft.UnexpectedError, "malformed response"
	}
	return weft.RuntimeError, "request failed"
}

// isMalformedResponse recognises net/http's errors for a peer that does not speak HTTP
// (it has no exported type for them).
func isMalformedResponse(err error) bool {
	s := err.Error()
	return strings.Contains(s, "malformed HTTP")
}

func configError(path, format string, args ...any) *weft.Error {
	return &weft.Error{Type: weft.InvalidConfigurationError,
		Message: path + ": " + fmt.Sprintf(format, args...)}
}
