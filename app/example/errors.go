package example

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/weftworks/weft"
)

// The error table of the weather API. The type decides what weft does with a bundle
// that failed (SPEC §3.2): retried automatically, kept for a person, or the run fails.
//
//	status / failure                 type                        then
//	401 key rejected                 InvalidAccessTokenError     kept; a person renews the key
//	403 plan lacks the endpoint      InvalidConfigurationError   kept; a person changes the plan
//	400, 404, 422, other 4xx         DataError                   kept; a person fixes the city
//	408                              ModuleTimeoutError          retried
//	429 quota                        RateLimitError              retried after Retry-After
//	502, 503, 504                    ConnectionError             retried
//	other 5xx                        RuntimeError                the run fails
//	refused, reset, DNS              ConnectionError             retried
//	module deadline                  ModuleTimeoutError          retried
//	2xx with a body we cannot read   UnexpectedError             kept; a person looks
func errorType(status int) weft.ErrorType {
	switch {
	case status == http.StatusUnauthorized:
		return weft.InvalidAccessTokenError
	case status == http.StatusForbidden:
		return weft.InvalidConfigurationError
	case status == http.StatusRequestTimeout:
		return weft.ModuleTimeoutError
	case status == http.StatusTooManyRequests:
		return weft.RateLimitError
	case status < 500:
		return weft.DataError
	case status == http.StatusBadGateway, status == http.StatusServiceUnavailable, status == http.StatusGatewayTimeout:
		return weft.ConnectionError
	}
	return weft.RuntimeError
}

// apiError is the API's error body: {"error": {"code": "city_not_found", "message": "…"}}.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// statusError builds the error of a non-2xx answer. The message carries the API's own
// explanation, which is what a person reading the incomplete execution needs; Details
// keep the status and code for error handler routes ({{2.error.details.code}}).
func statusError(what string, resp *http.Response, body []byte, now time.Time) *weft.Error {
	var ae apiError
	_ = json.Unmarshal(body, &ae) // an unreadable error body still has its status
	msg := fmt.Sprintf("%s: [%d %s]", what, resp.StatusCode, http.StatusText(resp.StatusCode))
	if ae.Error.Message != "" {
		msg += " " + ae.Error.Message
	}
	e := &weft.Error{Type: errorType(resp.StatusCode), Message: msg,
		Details: map[string]any{"statusCode": float64(resp.StatusCode)}}
	if ae.Error.Code != "" {
		e.Details["code"] = ae.Error.Code
	}
	if e.Type == weft.RateLimitError {
		// The retry waits at least this long (SPEC §5.3); now is the run's clock.
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), now)
	}
	return e
}

// retryAfter reads Retry-After as seconds or an HTTP date; zero when absent or unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}

// transportError types a request that got no answer. The module's own deadline is a
// ModuleTimeoutError; the run being cancelled is left to the engine (it sees its own
// context); anything else on the way (refused, reset, DNS) is a ConnectionError, which
// is retried: the next attempt may well find the service back.
func transportError(ctx context.Context, what string, err error) *weft.Error {
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &weft.Error{Type: weft.ModuleTimeoutError, Message: what + ": no answer in time", Err: err}
	case errors.Is(err, context.Canceled):
		return &weft.Error{Type: weft.RuntimeError, Message: what + ": cancelled", Err: err}
	}
	return &weft.Error{Type: weft.ConnectionError, Message: what + ": " + err.Error(), Err: err}
}

// malformed is a 2xx answer the module cannot interpret: the service changed or is not
// the weather API. Nothing to retry, a person must look.
func malformed(what string, body []byte, cause error) *weft.Error {
	ex := string(body)
	if len(ex) > 120 {
		ex = strings.ToValidUTF8(ex[:120], "") + "…" // never split a character
	}
	return &weft.Error{Type: weft.UnexpectedError, Err: cause,
		Message: fmt.Sprintf("%s: malformed answer (%v)", what, cause), Details: map[string]any{"body": ex}}
}
