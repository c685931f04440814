package declarative_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

// googleCase is one row of a Google app's error table: Google's answer and the type it
// must become, checked by apptest.CheckErrors on the module and through the engine.
type googleCase struct {
	name    string
	status  int
	body    string
	header  map[string]string
	want    weft.ErrorType
	message string
	check   func(testing.TB, *weft.Error)
}

// googleErr is Google's error answer (https://cloud.google.com/apis/design/errors).
func googleErr(code int, status, reason, msg string) string {
	return `{"error": {"code": ` + itoa(code) + `, "message": "` + msg + `", "status": "` + status + `",
		"errors": [{"message": "` + msg + `", "domain": "global", "reason": "` + reason + `"}]}}`
}

// googleErrorTable is the table every Google app shares (base.response.error of
// apps/google-*.json), with the rows of the app's own.
func googleErrorTable(extra ...googleCase) []googleCase {
	return append([]googleCase{
		{name: "400 invalid", status: 400, body: googleErr(400, "INVALID_ARGUMENT", "invalid", "Invalid value"),
			want: weft.DataError, message: "[400] Invalid value"},
		{name: "401 token refused", status: 401, body: googleErr(401, "UNAUTHENTICATED", "authError", "Request had invalid authentication credentials."),
			want: weft.InvalidAccessTokenError, message: "[401] Request had invalid authentication credentials."},
		{name: "403 scope missing", status: 403, body: googleErr(403, "PERMISSION_DENIED", "insufficientPermissions", "Request had insufficient authentication scopes."),
			want: weft.InvalidAccessTokenError},
		{name: "403 no access", status: 403, body: googleErr(403, "PERMISSION_DENIED", "forbidden", "The caller does not have permission"),
			want: weft.InvalidConfigurationError},
		{name: "403 user rate limit", status: 403, body: googleErr(403, "PERMISSION_DENIED", "userRateLimitExceeded", "User Rate Limit Exceeded"),
			want: weft.RateLimitError},
		{name: "403 quota", status: 403, body: googleErr(403, "", "quotaExceeded", "Calendar usage limits exceeded."),
			want: weft.RateLimitError},
		{name: "404 not found", status: 404, body: googleErr(404, "NOT_FOUND", "notFound", "Not Found"), want: weft.DataError},
		{name: "429 with Retry-After", status: 429, body: googleErr(429, "RESOURCE_EXHAUSTED", "rateLimitExceeded", "Rate Limit Exceeded"),
			header: map[string]string{"Retry-After": "30"}, want: weft.RateLimitError,
			check: func(t testing.TB, e *weft.Error) {
				if e.RetryAfter.Seconds() != 30 {
					t.Errorf("RetryAfter %s", e.RetryAfter)
				}
			}},
		{name: "500 backend", status: 500, body: googleErr(500, "INTERNAL", "backendError", "Backend Error"), want: weft.RuntimeError},
		{name: "503 unavailable", status: 503, body: googleErr(503, "UNAVAILABLE", "backendError", "The service is currently unavailable."),
			want: weft.ConnectionError},
	}, extra...)
}

// checkGoogleErrors runs the table with apptest.CheckErrors against one stand-in whose
// answer each case sets.
func checkGoogleErrors(t *testing.T, appName, module, mapper string, cases []googleCase) {
	t.Helper()
	checkGoogleErrorsAfter(t, appName, module, mapper, nil, cases)
}

// checkGoogleErrorsAfter is checkGoogleErrors for a later request of a module that
// makes several: the stand-in answers the first requests of each run with before, in
// order, and every later one (the failing step, a retry of it) with the case's answer.
func checkGoogleErrorsAfter(t *testing.T, appName, module, mapper string, before []reply, cases []googleCase) {
	t.Helper()
	var mu sync.Mutex
	var current reply
	n := 0
	s := newStandIn(t)
	s.fn = func(*http.Request, string) reply {
		mu.Lock()
		defer mu.Unlock()
		n++
		if n <= len(before) {
			return before[n-1]
		}
		return current
	}
	var rows []apptest.ErrorCase
	for _, c := range cases {
		rows = append(rows, apptest.ErrorCase{Name: c.name, Params: weft.Bundle{"__IMTCONN__": "conn"}, Mapper: decode(t, mapper),
			Connections: map[string]weft.Bundle{"conn": {"accessToken": "ya29.secret"}}, Want: c.want, WantMessage: c.message, Check: c.check,
			Setup: func(testing.TB, *apptest.ErrorCase) {
				mu.Lock()
				defer mu.Unlock()
				current, n = reply{status: c.status, body: c.body, header: c.header}, 0
			}})
	}
	apptest.CheckErrors(t, shipped(t, appName, module, s), rows)
}

// Every action of the Google definitions meets Google's error table (the base section
// they share), whichever request of it fails.
func TestGoogleActionsErrors(t *testing.T) {
	for _, tc := range []struct{ app, module, mapper string }{
		{"google-calendar", "getACalendar", `{"calendar": "primary"}`},
		{"google-calendar", "getFreeBusyInformation", `{"timeMin": "2026-01-01T00:00:00Z", "timeMax": "2026-01-02T00:00:00Z", "item": [{"id": "primary"}]}`},
		{"google-drive", "deleteAFile", `{"file": "f1"}`},
		{"google-drive", "searchForFilesFolders", `{"query": "x"}`},
		{"google-drive", "createAFileFromText", `{"name": "a.txt", "content": "x", "folderId": "/"}`},
	} {
		t.Run(tc.app+":"+tc.module, func(t *testing.T) {
			checkGoogleErrors(t, tc.app, tc.module, tc.mapper, googleErrorTable())
		})
	}
}
