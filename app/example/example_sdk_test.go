package example_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/example"
)

// server points the case's connection "1" at url.
func server(c *apptest.ErrorCase, url string) {
	c.Connections = map[string]weft.Bundle{"1": {"apiKey": testKey, "baseUrl": url}}
}

// The app's error table (errors.go), each row checked on the module and through the
// engine: type and what weft then does with the bundle.
func TestGetWeatherErrors(t *testing.T) {
	standIn := func(t testing.TB, c *apptest.ErrorCase) { server(c, startStandIn(t).srv.URL) }
	fails := func(status int, header map[string]string, body string) func(testing.TB, *apptest.ErrorCase) {
		return func(t testing.TB, c *apptest.ErrorCase) { server(c, answering(t, status, header, body)) }
	}
	paris := weft.Bundle{"city": "Paris"}
	apptest.CheckErrors(t, spec(t, "example:GetWeather", example.Options{}), []apptest.ErrorCase{
		{Name: "401 key rejected", Params: conn1, Mapper: paris, Want: weft.InvalidAccessTokenError,
			Setup: func(t testing.TB, c *apptest.ErrorCase) {
				server(c, startStandIn(t).srv.URL)
				c.Connections["1"]["apiKey"] = "wk_revoked"
			},
			WantMessage: "[401 Unauthorized] API key is invalid"},
		{Name: "404 unknown city", Params: conn1, Mapper: weft.Bundle{"city": "Atlantis"}, Setup: standIn,
			Want: weft.DataError, WantMessage: "No city named 'Atlantis'",
			Check: func(t testing.TB, e *weft.Error) {
				if e.Details["code"] != "city_not_found" || e.Details["statusCode"] != 404.0 {
					t.Errorf("details %v", e.Details)
				}
			}},
		{Name: "429 quota", Params: conn1, Mapper: paris, Want: weft.RateLimitError,
			Setup: fails(429, map[string]string{"Retry-After": "30"}, `{"error":{"code":"quota","message":"Too many requests"}}`),
			Check: func(t testing.TB, e *weft.Error) {
				if e.RetryAfter != 30*time.Second {
					t.Errorf("RetryAfter = %s; want 30s", e.RetryAfter)
				}
			}},
		{Name: "429 with an HTTP date", Params: conn1, Mapper: paris, Want: weft.RateLimitError,
			// NewExec's clock is 2026-01-02T03:04:05Z.
			Setup: fails(429, map[string]string{"Retry-After": "Fri, 02 Jan 2026 03:06:05 GMT"}, ""),
			Check: func(t testing.TB, e *weft.Error) {
				if e.RetryAfter != 2*time.Minute {
					t.Errorf("RetryAfter = %s; want 2m", e.RetryAfter)
				}
			}},
		{Name: "503 unavailable", Params: conn1, Mapper: paris, Want: weft.ConnectionError,
			Setup: fails(503, nil, "<html>maintenance</html>"), WantMessage: "[503 Service Unavailable]"},
		{Name: "403 plan", Params: conn1, Mapper: paris, Want: weft.InvalidConfigurationError,
			Setup: fails(403, nil, `{"error":{"code":"plan","message":"Upgrade your plan"}}`)},
		{Name: "500 server bug", Params: conn1, Mapper: paris, Want: weft.RuntimeError,
			Setup: fails(500, nil, "")},
		{Name: "malformed body", Params: conn1, Mapper: paris, Want: weft.UnexpectedError,
			Setup: fails(200, nil, "<html>captive portal</html>"), WantMessage: "malformed answer"},
		{Name: "body without temperature", Params: conn1, Mapper: paris, Want: weft.UnexpectedError,
			Setup: fails(200, nil, `{"location":{"name":"Paris"},"current":{}}`), WantMessage: "no location, current or temperature"},
		{Name: "bad observation date", Params: conn1, Mapper: paris, Want: weft.UnexpectedError,
			Setup: fails(200, nil, `{"location":{"name":"Paris"},"current":{"temperature":1,"observed_at":"yesterday"}}`)},
		{Name: "connection refused", Params: conn1, Mapper: paris, Want: weft.ConnectionError,
			Setup: func(t testing.TB, c *apptest.ErrorCase) {
				srv := httptest.NewServer(http.NotFoundHandler())
				srv.Close() // nothing listens on its port any more
				server(c, srv.URL)
			}},
		{Name: "no answer in time", Params: conn1, Mapper: paris, Want: weft.ModuleTimeoutError,
			Timeout: 50 * time.Millisecond,
			Setup: func(t testing.TB, c *apptest.ErrorCase) {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					<-r.Context().Done() // until the module gives up
				}))
				t.Cleanup(srv.Close)
				server(c, srv.URL)
			}},
		{Name: "unknown connection", Params: weft.Bundle{"__IMTCONN__": 7}, Mapper: paris, Setup: standIn,
			Want: weft.InvalidConfigurationError, WantMessage: `parameters.__IMTCONN__: connection "7" not found`},
		{Name: "connection without key", Params: conn1, Mapper: paris, Want: weft.InvalidAccessTokenError,
			Connections: map[string]weft.Bundle{"1": {"baseUrl": "http://127.0.0.1:1"}}, WantMessage: "no apiKey"},
		{Name: "connection with a bad address", Params: conn1, Mapper: paris, Want: weft.InvalidConfigurationError,
			Connections: map[string]weft.Bundle{"1": {"apiKey": "k", "baseUrl": "ftp://weather"}}},
		{Name: "city missing", Params: conn1, Mapper: weft.Bundle{"city": ""}, Setup: standIn,
			Want: weft.DataError, WantMessage: "city: missing value of required field"},
		{Name: "units not offered", Params: conn1, Mapper: weft.Bundle{"city": "Paris", "units": "kelvin"}, Setup: standIn,
			Want: weft.DataError, WantMessage: `"kelvin" is not one of metric, imperial`},
		{Name: "no connection chosen", Params: weft.Bundle{}, Mapper: paris, Setup: standIn,
			Want: weft.InvalidConfigurationError, WantMessage: "__IMTCONN__"},
	})
}

func TestCreateAlertErrors(t *testing.T) {
	standIn := func(t testing.TB, c *apptest.ErrorCase) { server(c, startStandIn(t).srv.URL) }
	apptest.CheckErrors(t, spec(t, "example:CreateAlert", example.Options{}), []apptest.ErrorCase{
		{Name: "no threshold", Params: conn1, Mapper: weft.Bundle{"city": "Paris"}, Setup: standIn,
			Want: weft.DataError, WantMessage: "set at least one threshold"},
		{Name: "threshold out of range", Params: conn1, Mapper: weft.Bundle{"city": "Paris", "above": 400.0}, Setup: standIn,
			Want: weft.DataError, WantMessage: "above: 400 is outside -100…100"},
		{Name: "422 unknown city", Params: conn1, Mapper: weft.Bundle{"city": "Atlantis", "below": 0.0}, Setup: standIn,
			Want: weft.DataError, WantMessage: "[422 Unprocessable Entity] No city named 'Atlantis'"},
		{Name: "answer lost", Params: conn1, Mapper: weft.Bundle{"city": "Paris", "below": 0.0}, Want: weft.ConnectionError,
			Setup: func(t testing.TB, c *apptest.ErrorCase) {
				s := startStandIn(t)
				s.loseNextAnswer = true
				server(c, s.srv.URL)
			}},
	})
}

func TestSaveReadingErrors(t *testing.T) {
	apptest.CheckErrors(t, spec(t, "example:SaveReading", example.Options{}), []apptest.ErrorCase{
		{Name: "temperature out of range", Mapper: weft.Bundle{"city": "Oslo", "temperature": 900.0},
			Want: weft.DataError, WantMessage: "temperature: 900 is outside -150…150"},
		{Name: "temperature not a number", Mapper: weft.Bundle{"city": "Oslo", "temperature": "warm"},
			Want: weft.DataError, WantMessage: `temperature: text "warm" is not a number`},
		{Name: "city of spaces", Mapper: weft.Bundle{"city": "   ", "temperature": 1.0},
			Want: weft.DataError, WantMessage: "city: only spaces"},
	})
}
