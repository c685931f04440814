package httpmod

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
)

func TestErrorTypeForStatus(t *testing.T) {
	tests := []struct {
		status int
		want   weft.ErrorType
	}{
		{200, ""}, {204, ""}, {302, ""}, {399, ""},
		{400, weft.DataError},
		{401, weft.InvalidAccessTokenError},
		{403, weft.InvalidConfigurationError},
		{404, weft.DataError},
		{405, weft.DataError},
		{408, weft.ModuleTimeoutError},
		{409, weft.DataError},
		{413, weft.MaxFileSizeExceededError},
		{418, weft.DataError},
		{422, weft.DataError},
		{429, weft.RateLimitError},
		{451, weft.DataError},
		{500, weft.RuntimeError},
		{501, weft.RuntimeError},
		{502, weft.ConnectionError},
		{503, weft.ConnectionError},
		{504, weft.ConnectionError},
		{505, weft.RuntimeError},
		{507, weft.OutOfSpaceError},
		{599, weft.RuntimeError},
		{600, weft.RuntimeError},
	}
	for _, tt := range tests {
		if got := ErrorTypeForStatus(tt.status); got != tt.want {
			t.Errorf("ErrorTypeForStatus(%d) = %q, want %q", tt.status, got, tt.want)
		}
	}
}

func TestErrorTableOverrides(t *testing.T) {
	table, err := ParseErrorTable(map[string]any{
		"409": "DuplicateDataError", "5xx": "ConnectionError", "500": "RuntimeError", "4XX": " UnexpectedError ",
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		status int
		want   weft.ErrorType
	}{
		{200, ""}, {301, ""},
		{409, weft.DuplicateDataError}, // exact status
		{404, weft.UnexpectedError},    // class (key case and spaces ignored)
		{401, weft.UnexpectedError},
		{500, weft.RuntimeError},    // exact beats class
		{501, weft.ConnectionError}, // class
		{507, weft.ConnectionError},
		{600, weft.RuntimeError}, // outside the classes: default table
	}
	for _, tt := range tests {
		if got := table.TypeFor(tt.status); got != tt.want {
			t.Errorf("TypeFor(%d) = %q, want %q", tt.status, got, tt.want)
		}
	}
	var none ErrorTable
	if got := none.TypeFor(429); got != weft.RateLimitError {
		t.Errorf("nil table TypeFor(429) = %q", got)
	}
}

func TestParseErrorTableRejects(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{map[string]any{"200": "DataError"}, "parameters.errorTypes.200: key must be an HTTP error status"},
		{map[string]any{"40": "DataError"}, "parameters.errorTypes.40: key must be"},
		{map[string]any{"6xx": "DataError"}, "parameters.errorTypes.6xx: key must be"},
		{map[string]any{"409": "Duplicate"}, `parameters.errorTypes.409: "Duplicate" is not an error type`},
		{map[string]any{"409": 3.0}, `parameters.errorTypes.409: "" is not an error type`},
		{"409=DataError", "parameters.errorTypes: must be a collection"},
	}
	for _, tt := range tests {
		_, err := ParseErrorTable(tt.in)
		wantError(t, err, weft.InvalidConfigurationError, tt.want)
	}
	for _, empty := range []any{nil, "", map[string]any{}} {
		if tab, err := ParseErrorTable(empty); err != nil || len(tab) != 0 {
			t.Errorf("ParseErrorTable(%#v) = %v, %v; want empty", empty, tab, err)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"120", 120 * time.Second},
		{" 7 ", 7 * time.Second},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"Fri, 02 Jan 2026 03:34:05 GMT", 30 * time.Minute},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"0", 0}, {"-5", 0}, {"soon", 0}, {"", 0},
		{"99999999999", 0}, // beyond a year: unusable
	}
	for _, tt := range tests {
		if got := RetryAfter(tt.in, now); got != tt.want {
			t.Errorf("RetryAfter(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestTruncateUTF8(t *testing.T) {
	tests := []struct {
		in      string
		max     int
		want    string
		wantCut bool
	}{
		{"hello", 10, "hello", false},
		{"hello", 3, "hel", true},
		{"añb", 2, "a", true}, // ñ is two bytes: never split
		{"a€", 3, "a", true},  // € is three bytes
		{"a€", 4, "a€", false},
		{"\xff\xfeab", 10, "\uFFFDab", false}, // a run of bad bytes: one mark
	}
	for _, tt := range tests {
		got, cut := truncateUTF8([]byte(tt.in), tt.max)
		if got != tt.want || cut != tt.wantCut {
			t.Errorf("truncateUTF8(%q, %d) = %q, %v; want %q, %v", tt.in, tt.max, got, cut, tt.want, tt.wantCut)
		}
	}
}

func TestClassifyTransportErrorDirect(t *testing.T) {
	if ClassifyTransportError(nil) != nil {
		t.Error("nil error classified")
	}
	typed := weft.Errorf(weft.RateLimitError, "slow down")
	if got := ClassifyTransportError(fmt.Errorf("wrapped: %w", typed)); got != typed {
		t.Errorf("typed error not kept: %v", got)
	}
	tests := []struct {
		err  error
		typ  weft.ErrorType
		what string
	}{
		{&net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}, weft.ConnectionError, "host not found"},
		{&net.DNSError{Err: "server misbehaving", Name: "x.invalid"}, weft.ConnectionError, "DNS lookup failed"},
		{fmt.Errorf("read: %w", errBodyTooLarge), weft.MaxFileSizeExceededError, "response too large"},
		{errors.New("something odd"), weft.RuntimeError, "request failed"},
		{&net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}, weft.ConnectionError, "connect timed out"},
		{&net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, weft.ModuleTimeoutError, "timed out"},
		{&net.OpError{Op: "write", Net: "tcp", Err: errors.New("broken")}, weft.ConnectionError, "connection failed"},
		{errors.New(`net/http: HTTP/1.x transport connection broken: malformed HTTP response "x"`), weft.UnexpectedError, "malformed response"},
	}
	for _, tt := range tests {
		got := ClassifyTransportError(tt.err)
		if got.Type != tt.typ || !strings.HasPrefix(got.Message, tt.what+": ") || !errors.Is(got, tt.err) {
			t.Errorf("ClassifyTransportError(%v) = %s %q (cause kept %v), want %s %q…",
				tt.err, got.Type, got.Message, errors.Is(got, tt.err), tt.typ, tt.what)
		}
	}
}

// statusServer answers /{status} with that status and a JSON error body over two lines;
// ?retry=seconds|date adds a Retry-After header.
func statusServer(t *testing.T) string {
	srv, _ := recorder(t, func(w http.ResponseWriter, r *http.Request) {
		var status int
		fmt.Sscanf(strings.TrimPrefix(r.URL.Path, "/"), "%d", &status)
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Query().Get("retry") {
		case "seconds":
			w.Header().Set("Retry-After", "120")
		case "date":
			w.Header().Set("Retry-After", "Fri, 02 Jan 2026 03:05:35 GMT") // clock + 90 s
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, "{\"error\":\"failure %d\",\n  \"detail\": \"x\"}", status)
	})
	return srv.URL
}

// Every row of the SPEC §3.1 table, through a real server, for both module generations.
func TestStatusErrorsEveryRow(t *testing.T) {
	base := statusServer(t)
	tests := []struct {
		status int
		query  string
		typ    weft.ErrorType
		retry  time.Duration
	}{
		{400, "", weft.DataError, 0},
		{401, "", weft.InvalidAccessTokenError, 0},
		{403, "", weft.InvalidConfigurationError, 0},
		{404, "", weft.DataError, 0},
		{408, "", weft.ModuleTimeoutError, 0},
		{409, "", weft.DataError, 0},
		{413, "", weft.MaxFileSizeExceededError, 0},
		{422, "", weft.DataError, 0},
		{429, "?retry=seconds", weft.RateLimitError, 120 * time.Second},
		{429, "?retry=date", weft.RateLimitError, 90 * time.Second},
		{429, "", weft.RateLimitError, 0},
		{500, "", weft.RuntimeError, 0},
		{502, "", weft.ConnectionError, 0},
		{503, "?retry=seconds", weft.ConnectionError, 120 * time.Second},
		{504, "", weft.ConnectionError, 0},
		{507, "", weft.OutOfSpaceError, 0},
		{511, "", weft.RuntimeError, 0},
	}
	for _, tt := range tests {
		url := fmt.Sprintf("%s/%d%s", base, tt.status, tt.query)
		for _, mod := range []struct {
			name   string
			params map[string]any
			mapper map[string]any
		}{
			{"http:MakeRequest", map[string]any{}, map[string]any{"url": url, "method": "get"}},
			{"http:ActionSendData", map[string]any{"handleErrors": true}, map[string]any{"url": url, "method": "get"}},
		} {
			_, err := run(t, mod.name, mod.params, mod.mapper)
			e := wantError(t, err, tt.typ,
				fmt.Sprintf("[%d %s]", tt.status, http.StatusText(tt.status)),
				// The message quotes the body with ' so it can be spliced into JSON text.
				fmt.Sprintf(`GET %s: {'error':'failure %d', 'detail': 'x'}`, url, tt.status))
			if e.RetryAfter != tt.retry {
				t.Errorf("%s %d%s: RetryAfter %s, want %s", mod.name, tt.status, tt.query, e.RetryAfter, tt.retry)
			}
			deepEqual(t, "statusCode", e.Details["statusCode"], float64(tt.status))
			deepEqual(t, "body", e.Details["body"], fmt.Sprintf("{\"error\":\"failure %d\",\n  \"detail\": \"x\"}", tt.status))
			deepEqual(t, "method", e.Details["method"], "GET")
			deepEqual(t, "url", e.Details["url"], url)
			if h, _ := e.Details["headers"].(map[string]any); h["content-type"] != "application/json" {
				t.Errorf("details headers %#v", e.Details["headers"])
			}
		}
	}
}

func TestStatusErrorBodyLimits(t *testing.T) {
	long := strings.Repeat("é", 3000) // 6000 bytes
	srv, _ := recorder(t, reply(500, long, "Content-Type", "text/plain"))
	_, err := run(t, "http:MakeRequest", nil, map[string]any{"url": srv.URL, "method": "post"})
	e := wantError(t, err, weft.RuntimeError, "[500 Internal Server Error] POST "+srv.URL+": "+strings.Repeat("é", 100)+"…")
	body := e.Details["body"].(string)
	if len(body) != 4096 || body != strings.Repeat("é", 2048) || e.Details["bodyTruncated"] != true {
		t.Errorf("details body: %d bytes, truncated=%v", len(body), e.Details["bodyTruncated"])
	}
}

func TestHTTPErrorOutputWhenNotStopping(t *testing.T) {
	srv, _ := recorder(t, reply(404, `{"error":"no such order"}`, "Content-Type", "application/json"))
	got := runOne(t, "http:MakeRequest", nil, map[string]any{
		"url": srv.URL + "/orders/9", "method": "get", "stopOnHttpError": false})
	deepEqual(t, "data", got["data"], map[string]any{"error": "no such order"})
	deepEqual(t, "statusCode", got["statusCode"], 404.0)

	legacy := runOne(t, "http:ActionSendData", map[string]any{"handleErrors": false}, map[string]any{
		"url": srv.URL + "/orders/9", "parseResponse": true})
	deepEqual(t, "legacy data", legacy["data"], map[string]any{"error": "no such order"})
	deepEqual(t, "legacy statusCode", legacy["statusCode"], 404.0)

	// A claimed-JSON error body that does not parse is output as text, not an error:
	// the status is what the scenario must see.
	bad, _ := recorder(t, reply(502, `<html>Bad gateway</html>`, "Content-Type", "application/json"))
	got = runOne(t, "http:MakeRequest", nil, map[string]any{"url": bad.URL, "stopOnHttpError": "false"})
	deepEqual(t, "bad data", got["data"], "<html>Bad gateway</html>")
	deepEqual(t, "bad statusCode", got["statusCode"], 502.0)
}

func TestErrorTypesParameterOverrides(t *testing.T) {
	base := statusServer(t)
	params := map[string]any{"errorTypes": map[string]any{"409": "DuplicateDataError", "5xx": "ConnectionError"}}
	tests := []struct {
		status int
		typ    weft.ErrorType
	}{
		{409, weft.DuplicateDataError},
		{500, weft.ConnectionError},
		{404, weft.DataError}, // not overridden: default table
	}
	for _, name := range []string{"http:MakeRequest", "http:ActionSendData", "http:ActionGetFile"} {
		for _, tt := range tests {
			_, err := run(t, name, params, map[string]any{"url": fmt.Sprintf("%s/%d", base, tt.status)})
			wantError(t, err, tt.typ, fmt.Sprintf("[%d ", tt.status))
		}
	}
	_, err := run(t, "http:MakeRequest", map[string]any{"errorTypes": map[string]any{"409": "Dup"}},
		map[string]any{"url": base + "/409"})
	wantError(t, err, weft.InvalidConfigurationError, `parameters.errorTypes.409: "Dup" is not an error type`)
}

// A 3xx that is not followed is a response, not an error, even with stopOnHttpError.
func TestRedirectStatusIsNotAnError(t *testing.T) {
	srv, _ := recorder(t, reply(302, "", "Location", "/elsewhere"))
	got := runOne(t, "http:MakeRequest", nil, map[string]any{"url": srv.URL, "allowRedirects": false})
	deepEqual(t, "statusCode", got["statusCode"], 302.0)
	deepEqual(t, "location", got["headers"].(map[string]any)["location"], "/elsewhere")
}
