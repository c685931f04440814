package gmail

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/httpmod"
	"github.com/weftworks/weft/value"
)

// Google's error answer (https://cloud.google.com/apis/design/errors and the Gmail
// guide "Resolve errors"):
//
//	{"error": {"code": 403, "message": "…", "status": "PERMISSION_DENIED",
//	           "errors": [{"domain": "usageLimits", "reason": "userRateLimitExceeded", …}]}}
//
// ErrorFor types it (docs/gmail.md, "Errors"):
//
//   - 429, status RESOURCE_EXHAUSTED, or a reason rateLimitExceeded,
//     userRateLimitExceeded, dailyLimitExceeded, quotaExceeded (Gmail answers 403 for
//     its usage limits) → RateLimitError, retried after Retry-After when given;
//   - 403 for missing scopes (reason insufficientPermissions, or the message "insufficient
//     authentication scopes") → InvalidAccessTokenError: a person reconnects the account
//     with the scopes, and the connection's page retries what waited for it;
//   - 400 FAILED_PRECONDITION ("Mail service not enabled", "Precondition check
//     failed") → InvalidConfigurationError: the account cannot use Gmail until an
//     administrator changes it;
//   - everything else by httpmod.ErrorTypeForStatus (400/404 DataError, 401
//     InvalidAccessTokenError, 403 InvalidConfigurationError, 413
//     MaxFileSizeExceededError, 502-504 ConnectionError, other 5xx RuntimeError).
//
// The message is "[status] " and Google's message; Details hold statusCode, status,
// reason and the body's first 4 KB.
func ErrorFor(status int, header http.Header, raw []byte, now time.Time) *weft.Error {
	var gstatus, msg string
	var reasons []string
	if v, err := value.DecodeJSON(raw); err == nil {
		if m, ok := v.(map[string]any); ok {
			if e, ok := m["error"].(map[string]any); ok {
				gstatus = value.Text(e["status"])
				msg = value.Text(e["message"])
				for _, x := range value.Array(e["errors"]) {
					if em, ok := x.(map[string]any); ok {
						if r := value.Text(em["reason"]); r != "" {
							reasons = append(reasons, r)
						}
					}
				}
			} else if s, ok := m["error"].(string); ok {
				msg = s // the OAuth form: {"error": "invalid_token", …}
				if d := value.Text(m["error_description"]); d != "" {
					msg += ": " + d
				}
			}
		}
	}
	has := func(list ...string) bool {
		return slices.ContainsFunc(reasons, func(r string) bool { return slices.Contains(list, r) })
	}
	typ := httpmod.ErrorTypeForStatus(status)
	switch {
	case status == http.StatusTooManyRequests || gstatus == "RESOURCE_EXHAUSTED" ||
		has("rateLimitExceeded", "userRateLimitExceeded", "dailyLimitExceeded", "quotaExceeded"):
		typ = weft.RateLimitError
	case status == http.StatusForbidden && (has("insufficientPermissions") ||
		strings.Contains(strings.ToLower(msg), "insufficient authentication scopes")):
		typ = weft.InvalidAccessTokenError
	case status == http.StatusBadRequest && (gstatus == "FAILED_PRECONDITION" || has("failedPrecondition")):
		typ = weft.InvalidConfigurationError
	}
	if msg == "" {
		msg = excerpt(raw, 200)
		if msg == "" {
			msg = http.StatusText(status)
		}
	}
	body, _ := truncate(raw, 4<<10)
	d := map[string]any{"statusCode": float64(status), "body": body}
	if gstatus != "" {
		d["status"] = gstatus
	}
	if len(reasons) > 0 {
		d["reason"] = reasons[0]
	}
	e := &weft.Error{Type: typ, Message: fmt.Sprintf("[%d] %s", status, oneLine(msg)), Details: d}
	if header != nil {
		e.RetryAfter = httpmod.RetryAfter(header.Get("Retry-After"), now)
	}
	return e
}

// oneLine keeps a message on one line, double quotes turned single so that
// {{N.error.message}} spliced into JSON text stays valid (as the HTTP app does).
func oneLine(s string) string {
	return strings.NewReplacer(`"`, "'", `\`, "").Replace(strings.Join(strings.Fields(s), " "))
}

func excerpt(raw []byte, max int) string {
	s, cut := truncate(raw, max)
	s = oneLine(s)
	if cut {
		s += "…"
	}
	return s
}

// truncate keeps at most max bytes of b as text; a character the cut splits is dropped.
func truncate(b []byte, max int) (string, bool) {
	if len(b) <= max {
		return strings.ToValidUTF8(string(b), "\uFFFD"), false
	}
	return strings.ToValidUTF8(string(b[:max]), ""), true
}
