package gmail_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/gmail"
)

func googleError(code int, status, reason, msg string) string {
	return `{"error": {"code": ` + itoa(code) + `, "message": "` + msg + `", "status": "` + status + `",
		"errors": [{"message": "` + msg + `", "domain": "global", "reason": "` + reason + `"}]}}`
}

// The Gmail app's error table (errors.go), checked on the module and through the
// engine: type, and what weft then does with the bundle (SPEC §3.2).
func TestSendAnEmailErrors(t *testing.T) {
	s := newStandIn(t)
	const send = "/gmail/v1/users/me/messages/send"
	fails := func(status int, header map[string]string, body string) func(testing.TB, *apptest.ErrorCase) {
		return func(_ testing.TB, c *apptest.ErrorCase) {
			s.failing("POST", send, status, header, body)
			c.Connections = conn(s.token)
		}
	}
	ok := func(_ testing.TB, c *apptest.ErrorCase) {
		s.failing("", "", 0, nil, "")
		c.Connections = conn(s.token)
	}
	p := weft.Bundle{"__IMTCONN__": 1}
	m := weft.Bundle{"to": []any{"ann@example.org"}, "subject": "Hi", "bodyType": "rawHtml", "content": "<p>Hi</p>"}
	apptest.CheckErrors(t, spec(t, s, "google-email:sendAnEmail"), []apptest.ErrorCase{
		{Name: "400 invalid header", Params: p, Mapper: m, Want: weft.DataError, WantMessage: "[400] Invalid To header",
			Setup: fails(400, nil, googleError(400, "INVALID_ARGUMENT", "invalidArgument", "Invalid To header"))},
		{Name: "400 mail service not enabled", Params: p, Mapper: m, Want: weft.InvalidConfigurationError,
			Setup: fails(400, nil, googleError(400, "FAILED_PRECONDITION", "failedPrecondition", "Mail service not enabled"))},
		{Name: "401 token rejected twice", Params: p, Mapper: m, Want: weft.InvalidAccessTokenError,
			WantMessage: "[401] Request had invalid authentication credentials.",
			Setup: func(_ testing.TB, c *apptest.ErrorCase) {
				s.failing("", "", 0, nil, "")
				c.Connections = conn("ya29.revoked")
			}},
		{Name: "403 scope missing", Params: p, Mapper: m, Want: weft.InvalidAccessTokenError,
			Setup: fails(403, nil, googleError(403, "PERMISSION_DENIED", "insufficientPermissions", "Request had insufficient authentication scopes."))},
		{Name: "403 user rate limit", Params: p, Mapper: m, Want: weft.RateLimitError,
			Setup: fails(403, nil, googleError(403, "PERMISSION_DENIED", "userRateLimitExceeded", "User-rate limit exceeded"))},
		{Name: "403 daily sending limit", Params: p, Mapper: m, Want: weft.RateLimitError,
			Setup: fails(403, nil, googleError(403, "", "dailyLimitExceeded", "Daily Limit Exceeded"))},
		{Name: "403 domain policy", Params: p, Mapper: m, Want: weft.InvalidConfigurationError,
			Setup: fails(403, nil, googleError(403, "PERMISSION_DENIED", "domainPolicy", "The domain administrators have disabled Gmail apps."))},
		{Name: "429 with Retry-After", Params: p, Mapper: m, Want: weft.RateLimitError,
			Setup: fails(429, map[string]string{"Retry-After": "30"}, googleError(429, "RESOURCE_EXHAUSTED", "rateLimitExceeded", "Too many concurrent requests for user")),
			Check: func(t testing.TB, e *weft.Error) {
				if e.RetryAfter != 30*time.Second || e.Details["reason"] != "rateLimitExceeded" || e.Details["statusCode"] != 429.0 {
					t.Errorf("RetryAfter %s, details %v", e.RetryAfter, e.Details)
				}
			}},
		{Name: "413 too large", Params: p, Mapper: m, Want: weft.MaxFileSizeExceededError,
			Setup: fails(413, map[string]string{"Content-Type": "text/html"}, "<html>Request Entity Too Large</html>")},
		{Name: "500 backend error", Params: p, Mapper: m, Want: weft.RuntimeError,
			Setup: fails(500, nil, googleError(500, "INTERNAL", "backendError", "Backend Error"))},
		{Name: "503 unavailable", Params: p, Mapper: m, Want: weft.ConnectionError,
			Setup: fails(503, nil, googleError(503, "UNAVAILABLE", "backendError", "The service is currently unavailable."))},
		{Name: "200 that is not JSON", Params: p, Mapper: m, Want: weft.UnexpectedError,
			Setup: fails(200, nil, "<html>captive portal</html>")},
		{Name: "no answer in time", Params: p, Mapper: m, Want: weft.ModuleTimeoutError, Timeout: 100 * time.Millisecond,
			Setup: func(_ testing.TB, c *apptest.ErrorCase) {
				s.failing("", "", 0, nil, "")
				s.mu.Lock()
				s.hang = true
				s.mu.Unlock()
				c.Connections = conn(s.token)
			}},
		{Name: "unknown connection", Params: weft.Bundle{"__IMTCONN__": 7}, Mapper: m, Setup: ok,
			Want: weft.InvalidConfigurationError, WantMessage: "parameters.__IMTCONN__"},
		{Name: "connection not connected", Params: p, Mapper: m, Want: weft.InvalidAccessTokenError,
			Connections: map[string]weft.Bundle{"1": {"provider": "google"}}, WantMessage: "is not connected"},
		{Name: "recipient missing", Params: p, Mapper: weft.Bundle{"bodyType": "rawHtml"}, Setup: ok,
			Want: weft.DataError, WantMessage: "to: missing value of required field"},
	})
	s.mu.Lock()
	s.hang = false
	s.mu.Unlock()
}

func TestSendAnEmailConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nothing listens on its port any more
	spec := apptest.Spec(t, func(r *app.Registry) error {
		return gmail.RegisterOptions(r, gmail.Options{BaseURL: srv.URL})
	}, "google-email:sendAnEmail")
	apptest.CheckErrors(t, spec, []apptest.ErrorCase{
		{Name: "connection refused", Params: weft.Bundle{"__IMTCONN__": 1},
			Mapper:      weft.Bundle{"to": []any{"ann@example.org"}, "bodyType": "rawHtml", "content": "x"},
			Connections: conn("ya29.test"), Want: weft.ConnectionError},
	})
}

// A message over Gmail's 35 MB is refused before it is sent.
func TestSendAnEmailTooLarge(t *testing.T) {
	s := newStandIn(t)
	exec := apptest.NewExec()
	exec.Connections = conn(s.token)
	_, err := apptest.Run(t.Context(), spec(t, s, "google-email:sendAnEmail"), weft.Bundle{"__IMTCONN__": 1}, weft.Bundle{
		"to": []any{"ann@example.org"}, "bodyType": "rawHtml",
		"attachments": []any{map[string]any{"filename": "big.bin", "data": make([]byte, 30<<20)}},
	}, exec)
	e := apptest.WantError(t, err, weft.MaxFileSizeExceededError, "Gmail sends at most 36700160 (35 MB)")
	if e.Details["maxSize"] != float64(35<<20) {
		t.Errorf("details %v", e.Details)
	}
	if n := len(s.requests()); n != 0 {
		t.Errorf("%d requests", n)
	}
}

// The token never appears in messages, even when a transport error names the URL.
func TestErrorForMessages(t *testing.T) {
	e := gmail.ErrorFor(404, nil, []byte(`{"error": {"code": 404, "message": "Requested entity was \"not\" found.", "status": "NOT_FOUND"}}`), time.Now())
	if e.Type != weft.DataError || e.Message != "[404] Requested entity was 'not' found." || e.Details["status"] != "NOT_FOUND" {
		t.Errorf("%s %q %v", e.Type, e.Message, e.Details)
	}
	e = gmail.ErrorFor(502, nil, []byte("<html>\n<b>Bad gateway</b>\n</html>"), time.Now())
	if e.Type != weft.ConnectionError || !strings.HasPrefix(e.Message, "[502] <html> <b>Bad gateway</b>") {
		t.Errorf("%s %q", e.Type, e.Message)
	}
}

// The app's table holds for every action, whichever request fails: the thread read of a
// reply, the message read of attachments, a draft, a label change.
func TestEveryActionErrors(t *testing.T) {
	for _, tc := range []struct {
		module, method, path, mapper string
		setup                        func(s *standIn)
	}{
		{"google-email:ActionSendEmail", "POST", "/gmail/v1/users/me/messages/send", `{"to": ["a@example.org"], "html": "x"}`, nil},
		{"google-email:replyToAnEmail", "GET", "/gmail/v1/users/me/threads/th1", `{"threadId": "th1", "replyMode": "sender", "bodyType": "rawHtml", "content": "x"}`, nil},
		{"google-email:listEmailAttachments", "GET", "/gmail/v1/users/me/messages/m9", `{"messageId": "m9", "include": ["attachment"], "returnAttachmentData": true}`, nil},
		{"google-email:createADraft", "POST", "/gmail/v1/users/me/drafts", `{"to": ["a@example.org"], "bodyType": "rawHtml", "content": "x"}`, nil},
		{"google-email:updateEmailLabels", "POST", "/gmail/v1/users/me/messages/e1/modify", `{"messageId": "e1", "addLabels": ["STARRED"]}`, nil},
	} {
		t.Run(tc.module, func(t *testing.T) {
			s := newStandIn(t)
			param := weft.Bundle{"__IMTCONN__": 1}
			if tc.module == "google-email:ActionSendEmail" {
				param = weft.Bundle{"account": 1}
			}
			fails := func(status int, header map[string]string, body string) func(testing.TB, *apptest.ErrorCase) {
				return func(_ testing.TB, c *apptest.ErrorCase) {
					s.failing(tc.method, tc.path, status, header, body)
					c.Connections = conn(s.token)
				}
			}
			m := decode(t, tc.mapper)
			apptest.CheckErrors(t, spec(t, s, tc.module), []apptest.ErrorCase{
				{Name: "404", Params: param, Mapper: m, Want: weft.DataError, Setup: fails(404, nil, googleError(404, "NOT_FOUND", "notFound", "Requested entity was not found."))},
				{Name: "401", Params: param, Mapper: m, Want: weft.InvalidAccessTokenError,
					Setup: func(_ testing.TB, c *apptest.ErrorCase) {
						s.failing("", "", 0, nil, "")
						c.Connections = conn("ya29.revoked")
					}},
				{Name: "429", Params: param, Mapper: m, Want: weft.RateLimitError,
					Setup: fails(429, nil, googleError(429, "RESOURCE_EXHAUSTED", "rateLimitExceeded", "Too many requests"))},
				{Name: "503", Params: param, Mapper: m, Want: weft.ConnectionError,
					Setup: fails(503, nil, googleError(503, "UNAVAILABLE", "backendError", "unavailable"))},
			})
		})
	}
}
