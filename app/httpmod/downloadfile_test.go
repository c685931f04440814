package httpmod

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/value"
)

// http:ActionSendDataBasicAuth (blueprints 049–092): the credentials come from the basic
// auth connection named by the parameter key, never from the mapper.
func TestSendDataBasicAuth(t *testing.T) {
	srv, last := recorder(t, reply(200, `{"txHash":"0xabc"}`, "Content-Type", "application/json"))
	exec := apptest.NewExec()
	exec.Key = "k-1"
	exec.Connections["71843"] = weft.Bundle{"username": "afk", "password": "s3cret:pw"}
	spec := specOf(t, "http:ActionSendDataBasicAuth", Options{})
	// The mapper of corpus blueprint 049, pointed at the stand-in.
	out, err := apptest.Run(context.Background(), spec,
		weft.Bundle{"key": 71843.0, "handleErrors": false, "useNewZLibDeCompress": true},
		weft.Bundle{"ca": "", "qs": []any{}, "url": srv.URL + "/v1/trade/swap",
			"data": "{\n  \"chain\": \"eth\",\n  \"amount\": \"100\"\n}", "gzip": true, "method": "post",
			"headers": []any{map[string]any{"name": "X-Client", "value": "weft"}}, "timeout": "", "useMtls": false,
			"bodyType": "raw", "contentType": "application/json", "serializeUrl": false, "shareCookies": false,
			"parseResponse": true, "followRedirect": true, "useQuerystring": false, "followAllRedirects": false,
			"rejectUnauthorized": true}, exec)
	if err != nil {
		t.Fatal(err)
	}
	r := last()
	deepEqual(t, "method", r.Method, "POST")
	deepEqual(t, "path", r.Path, "/v1/trade/swap")
	deepEqual(t, "authorization", r.Header.Get("Authorization"),
		"Basic "+base64.StdEncoding.EncodeToString([]byte("afk:s3cret:pw")))
	deepEqual(t, "content type", r.Header.Get("Content-Type"), "application/json")
	deepEqual(t, "header", r.Header.Get("X-Client"), "weft")
	deepEqual(t, "idempotency key", r.Header.Get("Idempotency-Key"), "k-1")
	deepEqual(t, "body", string(r.Body), "{\n  \"chain\": \"eth\",\n  \"amount\": \"100\"\n}")
	deepEqual(t, "data", out[0]["data"], map[string]any{"txHash": "0xabc"})
	deepEqual(t, "status", out[0]["statusCode"], 200.0)

	// Mapper authUser/authPass are not fields of this module: the connection decides.
	if len(spec.Mapper) != len(sendDataMapper(false)) {
		t.Errorf("mapper has %d fields, want the %d of Make a request without basic auth", len(spec.Mapper), len(sendDataMapper(false)))
	}

	exec.Connections["nouser"] = weft.Bundle{"password": "x"}
	tests := []struct {
		name   string
		params weft.Bundle
		typ    weft.ErrorType
		msg    string
	}{
		{"missing connection", weft.Bundle{"key": "gone"}, weft.InvalidConfigurationError, `parameters.key: connection "gone" not found`},
		{"no username", weft.Bundle{"key": "nouser"}, weft.InvalidAccessTokenError, "parameters.key: connection nouser has no username"},
	}
	for _, tt := range tests {
		_, err := apptest.Run(context.Background(), spec, tt.params, weft.Bundle{"url": srv.URL}, exec)
		wantError(t, err, tt.typ, tt.msg)
	}
	_, err = apptest.Run(context.Background(), spec, weft.Bundle{"handleErrors": true}, weft.Bundle{"url": srv.URL}, exec)
	wantError(t, err, weft.InvalidConfigurationError, "key: missing value of required field")

	// The password never shows in an error.
	errSrv, _ := recorder(t, reply(401, "bad credentials"))
	_, err = apptest.Run(context.Background(), spec, weft.Bundle{"key": 71843.0},
		weft.Bundle{"url": errSrv.URL + "/v1"}, exec)
	e := wantError(t, err, weft.InvalidAccessTokenError, "bad credentials")
	if s := e.Error() + string(value.JSON(e.Details)); strings.Contains(s, "s3cret") {
		t.Errorf("password leaked: %s", s)
	}
}

// http:DownloadFile (version 4, blueprints 137 and 333): a GET with the version 4
// authentication, headers and query parameters; the file as data with its name.
func TestDownloadFile(t *testing.T) {
	srv, last := recorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/missing":
			http.NotFound(w, r)
			return
		case "/uc":
			w.Header().Set("Content-Disposition", `attachment; filename="report.pdf"`)
		}
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte{0x89, 'P', 'N', 'G', 0})
	})
	exec := apptest.NewExec()
	exec.Connections["7"] = weft.Bundle{"key": "k-9", "placement": "header", "name": "X-Api-Key"}
	spec := specOf(t, "http:DownloadFile", Options{})

	// Blueprint 137's mapper: the URL carries its own query; no authentication.
	out, err := apptest.Run(context.Background(), spec, weft.Bundle{"authenticationType": "noAuth"},
		weft.Bundle{"url": srv.URL + "/generar-imagen?titulo=Hola%20mundo", "shareCookies": false, "stopOnHttpError": true}, exec)
	if err != nil {
		t.Fatal(err)
	}
	r := last()
	deepEqual(t, "method", r.Method, "GET")
	deepEqual(t, "path", r.Path, "/generar-imagen")
	deepEqual(t, "query", r.RawQuery, "titulo=Hola%20mundo")
	deepEqual(t, "output", out[0], weft.Bundle{"data": []byte{0x89, 'P', 'N', 'G', 0}, "fileName": "generar-imagen",
		"fileSize": 5.0, "statusCode": 200.0, "headers": out[0]["headers"]})
	deepEqual(t, "content-type header", out[0]["headers"].(map[string]any)["content-type"], "image/png")

	// An API key connection, headers and query parameters.
	out, err = apptest.Run(context.Background(), spec, weft.Bundle{"authenticationType": "apiKey", "apiKeyKeychain": 7.0},
		weft.Bundle{"url": srv.URL + "/uc", "headers": []any{map[string]any{"name": "Accept", "value": "application/pdf"}},
			"queryParameters": []any{map[string]any{"name": "id", "value": "1 2"}, map[string]any{"name": "export", "value": "download"}}}, exec)
	if err != nil {
		t.Fatal(err)
	}
	r = last()
	deepEqual(t, "api key", r.Header.Get("X-Api-Key"), "k-9")
	deepEqual(t, "accept", r.Header.Get("Accept"), "application/pdf")
	deepEqual(t, "query parameters", r.RawQuery, "id=1+2&export=download")
	deepEqual(t, "file name from Content-Disposition", out[0]["fileName"], "report.pdf")

	_, err = apptest.Run(context.Background(), spec, nil, weft.Bundle{"url": srv.URL + "/missing"}, exec)
	wantError(t, err, weft.DataError, "[404 Not Found] GET "+srv.URL+"/missing")
	out, err = apptest.Run(context.Background(), spec, nil, weft.Bundle{"url": srv.URL + "/missing", "stopOnHttpError": false}, exec)
	if err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "404 kept", out[0]["statusCode"], 404.0)

	_, err = apptest.Run(context.Background(), spec, weft.Bundle{"authenticationType": "basicAuth"}, weft.Bundle{"url": srv.URL}, exec)
	wantError(t, err, weft.InvalidConfigurationError, "parameters.basicAuthKeychain")
}
