package httpmod

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
)

func TestResponseData(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00")
	tests := []struct {
		name  string
		h     http.HandlerFunc
		parse any // nil: module default (true for v4)
		want  any
	}{
		{"JSON object", reply(200, `{"AccessToken":"t","n":1.5,"id":9007199254740993}`, "Content-Type", "application/json; charset=utf-8"),
			nil, map[string]any{"AccessToken": "t", "n": 1.5, "id": int64(9007199254740993)}},
		{"JSON array", reply(200, `[{"PersonId":3}]`, "Content-Type", "application/json"),
			true, []any{map[string]any{"PersonId": 3.0}}},
		{"vendor JSON type", reply(200, `{"a":true}`, "Content-Type", "application/vnd.api+json"), true, map[string]any{"a": true}},
		{"JSON with a BOM", reply(200, "\ufeff{\"a\":1}", "Content-Type", "application/json"), true, map[string]any{"a": 1.0}},
		{"JSON sniffed from text/plain", reply(200, ` {"a":1}`, "Content-Type", "text/plain"), true, map[string]any{"a": 1.0}},
		{"JSON sniffed without type", reply(200, `[1,2]`), true, []any{1.0, 2.0}},
		{"sniffed but not JSON stays text", reply(200, `{not json`, "Content-Type", "text/plain"), true, "{not json"},
		{"JSON not parsed when parseResponse is off", reply(200, `{"a":1}`, "Content-Type", "application/json"), false, `{"a":1}`},
		{"HTML is text", reply(200, "<p>hi</p>", "Content-Type", "text/html"), true, "<p>hi</p>"},
		{"XML parsed", reply(200, "<a/>", "Content-Type", "application/xml"), true, map[string]any{"a": []any{map[string]any{}}}},
		{"XML text when parseResponse is off", reply(200, "<a/>", "Content-Type", "application/xml"), false, "<a/>"},
		{"Latin-1 text converted", reply(200, "caf\xe9", "Content-Type", "text/plain; charset=ISO-8859-1"), true, "café"},
		{"binary stays bytes", reply(200, string(png), "Content-Type", "image/png"), true, png},
		{"binary without type stays bytes", reply(200, "\x00\x01\x02"), false, []byte{0, 1, 2}},
		{"UTF-8 without type is text", reply(200, "plain words ✓"), true, "plain words ✓"},
		{"octet-stream stays bytes even when textual", reply(200, "abc", "Content-Type", "application/octet-stream"), true, []byte("abc")},
		{"malformed Content-Type still names JSON", reply(200, `{"a":1}`, "Content-Type", "application/json; charset"), true, map[string]any{"a": 1.0}},
		{"empty body", reply(204, ""), true, ""},
		{"empty JSON body is empty text", reply(200, "", "Content-Type", "application/json"), true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.h)
			defer srv.Close()
			m := weft.Bundle{"url": srv.URL}
			if tt.parse != nil {
				m["parseResponse"] = tt.parse
			}
			got := runOne(t, "http:MakeRequest", nil, m)
			deepEqual(t, "data", got["data"], tt.want)
		})
	}
}

func TestInvalidJSONSuccessBody(t *testing.T) {
	srv, _ := recorder(t, reply(200, `{"truncated":`, "Content-Type", "application/json"))
	_, err := run(t, "http:MakeRequest", nil, weft.Bundle{"url": srv.URL})
	e := wantError(t, err, weft.UnexpectedError, "the response says application/json but its body is not valid JSON", `{'truncated':`)
	deepEqual(t, "details body", e.Details["body"], `{"truncated":`)
	// Without parsing the same body is just text.
	got := runOne(t, "http:MakeRequest", nil, weft.Bundle{"url": srv.URL, "parseResponse": false})
	deepEqual(t, "data", got["data"], `{"truncated":`)
}

func TestResponseHeadersAndCompression(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Add("Set-Cookie", "a=1; Path=/")
		h.Add("X-Trace", "one")
		h.Add("X-Trace", "two")
		h.Set("X-Request-Id", "r-1")
		h["Date"] = nil // no clock-dependent header
		var buf bytes.Buffer
		switch r.Header.Get("Accept-Encoding") {
		case "gzip, deflate":
			h.Set("Content-Encoding", "gzip")
			gz := gzip.NewWriter(&buf)
			io.WriteString(gz, `{"zipped":true}`)
			gz.Close()
		case "deflate":
			h.Set("Content-Encoding", "deflate")
			zw := zlib.NewWriter(&buf)
			io.WriteString(zw, `{"deflated":true}`)
			zw.Close()
		default:
			buf.WriteString(`{"zipped":false}`)
		}
		w.Write(buf.Bytes())
	}))
	defer srv.Close()

	got := runOne(t, "http:MakeRequest", nil, weft.Bundle{"url": srv.URL})
	deepEqual(t, "data", got["data"], map[string]any{"zipped": true})
	deepEqual(t, "statusCode", got["statusCode"], 200.0)
	h := got["headers"].(map[string]any)
	deepEqual(t, "set-cookie", h["set-cookie"], []any{"a=1; Path=/"})
	deepEqual(t, "x-trace", h["x-trace"], []any{"one", "two"})
	deepEqual(t, "x-request-id", h["x-request-id"], "r-1")
	deepEqual(t, "content-encoding", h["content-encoding"], "gzip")

	got = runOne(t, "http:MakeRequest", nil, weft.Bundle{"url": srv.URL, "requestCompressedContent": false})
	deepEqual(t, "uncompressed data", got["data"], map[string]any{"zipped": false})

	got = runOne(t, "http:MakeRequest", nil, weft.Bundle{"url": srv.URL,
		"headers": []any{map[string]any{"name": "Accept-Encoding", "value": "deflate"}}})
	deepEqual(t, "deflate data", got["data"], map[string]any{"deflated": true})

	legacy := runOne(t, "http:ActionSendData", weft.Bundle{"handleErrors": true}, weft.Bundle{"url": srv.URL, "parseResponse": true})
	deepEqual(t, "legacy data", legacy["data"], map[string]any{"zipped": true})
	deepEqual(t, "legacy cookieHeaders", legacy["cookieHeaders"], []any{"a=1; Path=/"})
	deepEqual(t, "legacy fileSize", legacy["fileSize"], float64(len(`{"zipped":true}`)))
	list := legacy["headers"].([]any)
	var names []string
	for _, it := range list {
		m := it.(map[string]any)
		names = append(names, m["name"].(string)+"="+m["value"].(string))
	}
	want := "content-encoding=gzip content-length=39 content-type=application/json " +
		"set-cookie=a=1; Path=/ x-request-id=r-1 x-trace=one x-trace=two"
	if gotNames := strings.Join(names, " "); gotNames != want {
		t.Errorf("legacy headers\n got %s\nwant %s", strings.Join(names, " "), want)
	}

	// Legacy default: parseResponse off, JSON stays text.
	legacy = runOne(t, "http:ActionSendData", nil, weft.Bundle{"url": srv.URL, "gzip": false})
	deepEqual(t, "legacy unparsed", legacy["data"], `{"zipped":false}`)
}

func TestBrokenCompressedBody(t *testing.T) {
	srv, _ := recorder(t, reply(200, "not gzip at all", "Content-Encoding", "gzip"))
	_, err := run(t, "http:MakeRequest", nil, weft.Bundle{"url": srv.URL})
	wantError(t, err, weft.UnexpectedError, "cannot decode the gzip response body")
}

func TestRedirects(t *testing.T) {
	srv, last := recorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/old":
			http.Redirect(w, r, "/new?from=old", http.StatusFound)
		case "/keep":
			http.Redirect(w, r, "/new", http.StatusPermanentRedirect)
		default:
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"at":"new"}`)
		}
	})
	tests := []struct {
		name       string
		module     string
		mapper     weft.Bundle
		wantStatus float64
		wantMethod string // of the last request the server saw
		wantPath   string
	}{
		{"v4 follows by default", "http:MakeRequest", weft.Bundle{"url": srv.URL + "/old"}, 200, "GET", "/new"},
		{"v4 POST 302 becomes GET", "http:MakeRequest", weft.Bundle{"url": srv.URL + "/old", "method": "post",
			"contentType": "json", "jsonStringBodyContent": "{}"}, 200, "GET", "/new"},
		{"v4 308 keeps method and body", "http:MakeRequest", weft.Bundle{"url": srv.URL + "/keep", "method": "post",
			"contentType": "json", "jsonStringBodyContent": `{"k":1}`}, 200, "POST", "/new"},
		{"v4 allowRedirects off", "http:MakeRequest", weft.Bundle{"url": srv.URL + "/old", "allowRedirects": false}, 302, "GET", "/old"},
		{"v3 GET follows", "http:ActionSendData", weft.Bundle{"url": srv.URL + "/old"}, 200, "GET", "/new"},
		{"v3 followRedirect off", "http:ActionSendData", weft.Bundle{"url": srv.URL + "/old", "followRedirect": false}, 302, "GET", "/old"},
		{"v3 POST not followed without followAllRedirects", "http:ActionSendData",
			weft.Bundle{"url": srv.URL + "/old", "method": "post"}, 302, "POST", "/old"},
		{"v3 POST followed with followAllRedirects", "http:ActionSendData",
			weft.Bundle{"url": srv.URL + "/old", "method": "post", "followAllRedirects": true}, 200, "GET", "/new"},
		{"get file follows", "http:ActionGetFile", weft.Bundle{"url": srv.URL + "/old"}, 200, "GET", "/new"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runOne(t, tt.module, nil, tt.mapper)
			deepEqual(t, "statusCode", got["statusCode"], tt.wantStatus)
			r := last()
			if r.Method != tt.wantMethod || r.Path != tt.wantPath {
				t.Errorf("last request %s %s, want %s %s", r.Method, r.Path, tt.wantMethod, tt.wantPath)
			}
			if tt.name == "v4 308 keeps method and body" && string(r.Body) != `{"k":1}` {
				t.Errorf("body after 308: %q", r.Body)
			}
		})
	}
}

func TestAuthentication(t *testing.T) {
	srv, last := recorder(t, nil)
	exec := apptest.NewExec()
	exec.Connections["7"] = weft.Bundle{"username": "ann", "password": "s3cret"}
	exec.Connections["<KEYCHAIN_01>"] = weft.Bundle{"key": "k-123", "placement": "header", "name": "Authorization"}
	exec.Connections["47210"] = weft.Bundle{"key": "q&k", "placement": "query", "name": "api_key"}
	exec.Connections["nokey"] = weft.Bundle{"placement": "header", "name": "X-Key"}
	exec.Connections["badplace"] = weft.Bundle{"key": "k", "placement": "cookie", "name": "X-Key"}
	exec.Connections["noname"] = weft.Bundle{"key": "k"}

	runWith := func(name string, params, mapper weft.Bundle) error {
		_, err := apptest.Run(context.Background(), specOf(t, name, Options{}), params, mapper, exec)
		return err
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("ann:s3cret"))

	if err := runWith("http:MakeRequest", weft.Bundle{"authenticationType": "basicAuth", "basicAuthKeychain": 7.0},
		weft.Bundle{"url": srv.URL}); err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "v4 basic", last().Header.Get("Authorization"), basic)

	if err := runWith("http:ActionSendData", nil, weft.Bundle{"url": srv.URL, "authUser": "ann", "authPass": "s3cret"}); err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "v3 basic", last().Header.Get("Authorization"), basic)

	if err := runWith("http:MakeRequest", weft.Bundle{"tlsType": "", "apiKeyKeychain": "<KEYCHAIN_01>", "authenticationType": "apiKey"},
		weft.Bundle{"url": srv.URL}); err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "v4 api key header", last().Header.Get("Authorization"), "k-123")

	if err := runWith("http:ActionSendDataAPIKeyAuth", weft.Bundle{"auth": 47210.0, "handleErrors": false},
		weft.Bundle{"url": srv.URL + "/news?x=1"}); err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "v3 api key query", last().RawQuery, "x=1&api_key=q%26k")

	tests := []struct {
		name   string
		module string
		params weft.Bundle
		typ    weft.ErrorType
		msg    string
	}{
		{"missing connection", "http:MakeRequest", weft.Bundle{"authenticationType": "apiKey", "apiKeyKeychain": "gone"},
			weft.InvalidConfigurationError, `parameters.apiKeyKeychain: connection "gone" not found`},
		{"missing legacy connection", "http:ActionSendDataAPIKeyAuth", weft.Bundle{"auth": 1.0},
			weft.InvalidConfigurationError, `parameters.auth: connection "1" not found`},
		{"no key", "http:ActionSendDataAPIKeyAuth", weft.Bundle{"auth": "nokey"},
			weft.InvalidAccessTokenError, "parameters.auth: connection nokey has no key"},
		{"bad placement", "http:ActionSendDataAPIKeyAuth", weft.Bundle{"auth": "badplace"},
			weft.InvalidConfigurationError, `placement "cookie" is not header or query`},
		{"no name", "http:ActionSendDataAPIKeyAuth", weft.Bundle{"auth": "noname"},
			weft.InvalidConfigurationError, "names no header or query parameter"},
		{"basic without username", "http:MakeRequest", weft.Bundle{"authenticationType": "basicAuth", "basicAuthKeychain": "nokey"},
			weft.InvalidAccessTokenError, "connection nokey has no username"},
	}
	for _, tt := range tests {
		err := runWith(tt.module, tt.params, weft.Bundle{"url": srv.URL})
		wantError(t, err, tt.typ, tt.msg)
	}
	_, err := apptest.Run(context.Background(), specOf(t, "http:ActionSendDataAPIKeyAuth", Options{}),
		weft.Bundle{"handleErrors": true}, weft.Bundle{"url": srv.URL}, exec)
	wantError(t, err, weft.InvalidConfigurationError, "auth: missing value of required field")
}

// An API key in the query never shows in an error message or its details.
func TestAPIKeyRedacted(t *testing.T) {
	srv, _ := recorder(t, reply(500, "boom"))
	exec := apptest.NewExec()
	exec.Connections["k"] = weft.Bundle{"key": "top secret", "placement": "query", "name": "key"}
	_, err := apptest.Run(context.Background(), specOf(t, "http:ActionSendDataAPIKeyAuth", Options{}),
		weft.Bundle{"auth": "k"}, weft.Bundle{"url": srv.URL + "/x"}, exec)
	e := wantError(t, err, weft.RuntimeError, "GET "+srv.URL+"/x?key=***: boom")
	deepEqual(t, "details url", e.Details["url"], srv.URL+"/x?key=***")

	addr := closedPort(t)
	_, err = apptest.Run(context.Background(), specOf(t, "http:ActionSendDataAPIKeyAuth", Options{}),
		weft.Bundle{"auth": "k"}, weft.Bundle{"url": "http://" + addr + "/x"}, exec)
	e = wantError(t, err, weft.ConnectionError, "key=***")
	if strings.Contains(e.Error(), "secret") {
		t.Errorf("key leaked: %v", e)
	}
}

func TestGetFile(t *testing.T) {
	srv, last := recorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/uc":
			w.Header().Set("Content-Disposition", `attachment; filename="fallback.wav"; filename*=UTF-8''caff%C3%A8.wav`)
		case "/evil":
			w.Header().Set("Content-Disposition", `attachment; filename="../../etc/passwd"`)
		case "/missing.txt":
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "audio/wav")
		w.Write([]byte{'R', 'I', 'F', 'F', 0})
	})
	tests := []struct {
		path string
		want string
	}{
		{"/uc?id=1&export=download", "caffè.wav"},
		{"/evil", "passwd"},
		{"/media/My%20Song.mp3", "My Song.mp3"},
		{"/", "file"},
	}
	for _, tt := range tests {
		got := runOne(t, "http:ActionGetFile", weft.Bundle{"handleErrors": false},
			weft.Bundle{"url": srv.URL + tt.path, "method": "get", "serializeUrl": true, "shareCookies": true})
		deepEqual(t, "fileName "+tt.path, got["fileName"], tt.want)
		deepEqual(t, "data", got["data"], []byte{'R', 'I', 'F', 'F', 0})
		deepEqual(t, "fileSize", got["fileSize"], 5.0)
		deepEqual(t, "statusCode", got["statusCode"], 200.0)
	}
	if r := last(); r.Method != "GET" {
		t.Errorf("method %s", r.Method)
	}
	_, err := run(t, "http:ActionGetFile", weft.Bundle{"handleErrors": true}, weft.Bundle{"url": srv.URL + "/missing.txt"})
	wantError(t, err, weft.DataError, "[404 Not Found] GET "+srv.URL+"/missing.txt: 404 page not found")
	got := runOne(t, "http:ActionGetFile", weft.Bundle{"handleErrors": false}, weft.Bundle{"url": srv.URL + "/missing.txt"})
	deepEqual(t, "404 data", got["data"], []byte("404 page not found\n"))
	deepEqual(t, "404 status", got["statusCode"], 404.0)
	_, err = run(t, "http:ActionGetFile", nil, weft.Bundle{"url": srv.URL, "method": "post"})
	wantError(t, err, weft.DataError, `method: "post": Get a file only uses get`)
}

func TestRegister(t *testing.T) {
	r := app.NewRegistry()
	if err := Register(r); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range r.Specs() {
		names = append(names, s.Name)
		if s.Timeout != 310*time.Second || s.New == nil || s.Kind != app.KindAction {
			t.Errorf("%s: timeout %s, kind %s", s.Name, s.Timeout, s.Kind)
		}
	}
	deepEqual(t, "names", names, []string{"http:ActionGetFile", "http:ActionSendData", "http:ActionSendDataAPIKeyAuth",
		"http:ActionSendDataBasicAuth", "http:ActionSendDataOAuth", "http:DownloadFile", "http:MakeRequest"})
	if err := Register(r); err == nil || !strings.Contains(err.Error(), "already registered") {
		t.Errorf("second Register: %v", err)
	}
}
