package httpmod_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/httpmod"
)

// makeRequest is http:MakeRequest as weft registers it, kept off any proxy the
// environment names (the servers are on 127.0.0.1).
func makeRequest(t *testing.T) *app.Spec {
	t.Helper()
	noProxy := func(*http.Request) (*url.URL, error) { return nil, nil }
	return apptest.Spec(t, func(r *app.Registry) error {
		return httpmod.RegisterOptions(r, httpmod.Options{Proxy: noProxy})
	}, "http:MakeRequest")
}

// answer makes Setup start a server answering status with headers and body, and point
// the case's url at it.
func answer(status int, header map[string]string, body string) func(testing.TB, *apptest.ErrorCase) {
	return func(t testing.TB, c *apptest.ErrorCase) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			for k, v := range header {
				w.Header().Set(k, v)
			}
			w.WriteHeader(status)
			fmt.Fprint(w, body)
		}))
		t.Cleanup(srv.Close)
		c.Mapper["url"] = srv.URL + "/orders/42"
	}
}

// SPEC §3.1's HTTP table through the real module and the real engine: each status's
// type and what weft then does with the bundle (SPEC §3.2).
func TestMakeRequestErrorTable(t *testing.T) {
	get := weft.Bundle{"method": "get"}
	apptest.CheckErrors(t, makeRequest(t), []apptest.ErrorCase{
		{Name: "400", Mapper: get, Setup: answer(400, nil, `{"error":"bad id"}`), Want: weft.DataError,
			WantMessage: "[400 Bad Request] GET http://127.0.0.1"},
		{Name: "401", Mapper: get, Setup: answer(401, nil, ""), Want: weft.InvalidAccessTokenError},
		{Name: "403", Mapper: get, Setup: answer(403, nil, ""), Want: weft.InvalidConfigurationError},
		{Name: "404", Mapper: get, Setup: answer(404, nil, "no such order"), Want: weft.DataError,
			Check: func(t testing.TB, e *weft.Error) {
				if e.Details["statusCode"] != 404.0 || e.Details["body"] != "no such order" {
					t.Errorf("details %v", e.Details)
				}
			}},
		{Name: "408", Mapper: get, Setup: answer(408, nil, ""), Want: weft.ModuleTimeoutError},
		{Name: "413", Mapper: get, Setup: answer(413, nil, ""), Want: weft.MaxFileSizeExceededError},
		{Name: "429 with Retry-After", Mapper: get, Setup: answer(429, map[string]string{"Retry-After": "120"}, ""),
			Want: weft.RateLimitError,
			Check: func(t testing.TB, e *weft.Error) {
				if e.RetryAfter != 2*time.Minute {
					t.Errorf("RetryAfter %s; want 2m", e.RetryAfter)
				}
			}},
		{Name: "500", Mapper: get, Setup: answer(500, nil, ""), Want: weft.RuntimeError},
		{Name: "502", Mapper: get, Setup: answer(502, nil, ""), Want: weft.ConnectionError},
		{Name: "503", Mapper: get, Setup: answer(503, nil, "maintenance"), Want: weft.ConnectionError,
			WantMessage: "[503 Service Unavailable]"},
		{Name: "504", Mapper: get, Setup: answer(504, nil, ""), Want: weft.ConnectionError},
		{Name: "507", Mapper: get, Setup: answer(507, nil, ""), Want: weft.OutOfSpaceError},
		{Name: "200 claiming JSON that is not", Mapper: get,
			Setup: answer(200, map[string]string{"Content-Type": "application/json"}, "<html>"),
			Want:  weft.UnexpectedError, WantMessage: "is not valid JSON"},
		{Name: "refused", Mapper: get, Want: weft.ConnectionError, WantMessage: "connection refused",
			Setup: func(t testing.TB, c *apptest.ErrorCase) {
				srv := httptest.NewServer(http.NotFoundHandler())
				srv.Close()
				c.Mapper["url"] = srv.URL
			}},
		{Name: "errorTypes: 409 is a duplicate", Mapper: get, Setup: answer(409, nil, "exists"),
			Params: weft.Bundle{"errorTypes": map[string]any{"409": "DuplicateDataError"}},
			Want:   weft.DuplicateDataError},
		{Name: "errorTypes: 5xx retried", Mapper: get, Setup: answer(500, nil, ""),
			Params: weft.Bundle{"errorTypes": map[string]any{"5xx": "ConnectionError"}},
			Want:   weft.ConnectionError},
		{Name: "errorTypes naming no type", Mapper: get, Setup: answer(500, nil, ""),
			Params: weft.Bundle{"errorTypes": map[string]any{"500": "Oops"}},
			Want:   weft.InvalidConfigurationError, WantMessage: `"Oops" is not an error type`},
		{Name: "not a URL", Mapper: weft.Bundle{"url": "orders/42"}, Want: weft.DataError,
			WantMessage: `url: "orders/42" is not an absolute URL`},
	})
}
