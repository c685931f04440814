package httpmod_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/httpmod"
)

func httpSpec(t *testing.T, name string) *app.Spec {
	t.Helper()
	noProxy := func(*http.Request) (*url.URL, error) { return nil, nil }
	return apptest.Spec(t, func(r *app.Registry) error {
		return httpmod.RegisterOptions(r, httpmod.Options{Proxy: noProxy})
	}, name)
}

// The status table of SPEC §3.1 through Download a file and Make a Basic Auth request,
// the module and the engine: the same types as Make a request, and what weft does next.
func TestDownloadFileAndBasicAuthErrorTables(t *testing.T) {
	basic := map[string]weft.Bundle{"9": {"username": "ann", "password": "pw"}}
	for _, tc := range []struct {
		module string
		params weft.Bundle
	}{
		{"http:DownloadFile", weft.Bundle{"authenticationType": "basicAuth", "basicAuthKeychain": 9.0}},
		{"http:ActionSendDataBasicAuth", weft.Bundle{"key": 9.0}},
	} {
		t.Run(tc.module, func(t *testing.T) {
			apptest.CheckErrors(t, httpSpec(t, tc.module), []apptest.ErrorCase{
				{Name: "401", Params: tc.params, Connections: basic, Setup: answer(401, nil, "who?"), Want: weft.InvalidAccessTokenError},
				{Name: "403", Params: tc.params, Connections: basic, Setup: answer(403, nil, ""), Want: weft.InvalidConfigurationError},
				{Name: "404", Params: tc.params, Connections: basic, Setup: answer(404, nil, "gone"), Want: weft.DataError,
					WantMessage: "[404 Not Found] GET http://127.0.0.1"},
				{Name: "429", Params: tc.params, Connections: basic, Setup: answer(429, map[string]string{"Retry-After": "30"}, ""),
					Want: weft.RateLimitError, Check: func(t testing.TB, e *weft.Error) {
						if e.RetryAfter != 30*time.Second {
							t.Errorf("RetryAfter %s", e.RetryAfter)
						}
					}},
				{Name: "500", Params: tc.params, Connections: basic, Setup: answer(500, nil, ""), Want: weft.RuntimeError},
				{Name: "503", Params: tc.params, Connections: basic, Setup: answer(503, nil, ""), Want: weft.ConnectionError},
				{Name: "missing connection", Params: tc.params, Setup: answer(200, nil, ""), Want: weft.InvalidConfigurationError,
					WantMessage: `connection "9" not found`},
				{Name: "connection without user name", Params: tc.params,
					Connections: map[string]weft.Bundle{"9": {"password": "pw"}}, Setup: answer(200, nil, ""),
					Want: weft.InvalidAccessTokenError, WantMessage: "has no username"},
			})
		})
	}
}
