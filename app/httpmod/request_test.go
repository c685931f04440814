package httpmod

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/weftworks/weft"
)

// formPart is one decoded multipart part.
type formPart struct {
	Name, FileName, ContentType, Body string
}

func readMultipart(t *testing.T, got received) []formPart {
	t.Helper()
	typ, params, err := mime.ParseMediaType(got.Header.Get("Content-Type"))
	if err != nil || typ != "multipart/form-data" {
		t.Fatalf("content type %q: %v", got.Header.Get("Content-Type"), err)
	}
	rd := multipart.NewReader(bytes.NewReader(got.Body), params["boundary"])
	var parts []formPart
	for {
		p, err := rd.NextPart()
		if err == io.EOF {
			return parts
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		fp := formPart{Name: p.FormName(), FileName: p.FileName(), Body: string(b)}
		if p.FileName() != "" {
			fp.ContentType = p.Header.Get("Content-Type")
		}
		parts = append(parts, fp)
	}
}

func TestMakeRequestBodies(t *testing.T) {
	srv, last := recorder(t, nil)
	tests := []struct {
		name      string
		mapper    weft.Bundle
		method    string
		path      string
		query     string
		ctype     string
		body      string
		hdrs      map[string]string
		multipart []formPart
	}{{
		name: "json string as in blueprint 001",
		mapper: weft.Bundle{"url": srv.URL + "/new-records", "method": "post", "headers": []any{},
			"contentType": "json", "parseResponse": true, "queryParameters": []any{}, "inputMethod": "jsonString",
			"jsonStringBodyContent": `{"id": "7", "email": "a@b.c"}`},
		method: "POST", path: "/new-records", ctype: "application/json", body: `{"id": "7", "email": "a@b.c"}`,
	}, {
		name: "data structure serialised as JSON",
		mapper: weft.Bundle{"url": srv.URL, "method": "put", "contentType": "json", "inputMethod": "dataStructure",
			"dataStructureBodyContent": map[string]any{"b": 2.0, "a": []any{"x", true, nil}, "big": int64(1) << 60}},
		method: "PUT", path: "/", ctype: "application/json", body: `{"a":["x",true,null],"b":2,"big":1152921504606846976}`,
	}, {
		name: "url encoded with the user's Content-Type header (019)",
		mapper: weft.Bundle{"url": srv.URL + "/Auth/ApiLogin", "method": "post",
			"headers":     []any{map[string]any{"name": "Content-Type", "value": "application/x-www-form-urlencoded; charset=utf-8"}},
			"contentType": "urlEncoded", "urlEncodedBodyContent": []any{
				map[string]any{"name": "authCode", "value": "a b&c=d"},
				map[string]any{"name": "", "value": "empty rows are skipped"},
				map[string]any{"name": "n", "value": 5.0}}},
		method: "POST", path: "/Auth/ApiLogin", ctype: "application/x-www-form-urlencoded; charset=utf-8",
		body: "authCode=a+b%26c%3Dd&n=5",
	}, {
		name: "headers and query parameters appended to the URL's own query",
		mapper: weft.Bundle{"url": srv.URL + "/Queries?fixed=1", "method": "GET",
			"headers": []any{
				map[string]any{"name": "Authorization", "value": "Bearer tok"},
				map[string]any{"name": "X-Multi", "value": "one"},
				map[string]any{"name": "X-Multi", "value": "two"}},
			"queryParameters": []any{
				map[string]any{"name": "script", "value": "SELECT PersonId FROM Person WHERE PersonEmail = 'o''neil@x.com'"},
				map[string]any{"name": "Size", "value": "10"}}},
		method: "GET", path: "/Queries",
		query: "fixed=1&script=SELECT+PersonId+FROM+Person+WHERE+PersonEmail+%3D+%27o%27%27neil%40x.com%27&Size=10",
		hdrs:  map[string]string{"Authorization": "Bearer tok", "X-Multi": "one", "Accept-Encoding": "gzip, deflate", "User-Agent": "weft"},
	}, {
		name: "mapped values with spaces and non-ASCII are escaped",
		mapper: weft.Bundle{"url": srv.URL + "/search name/ü?q=Acme Inc&ids[]=1&pct=100%&ok=%41", "method": "delete",
			"requestCompressedContent": false},
		method: "DELETE", path: "/search%20name/%C3%BC", query: "q=Acme%20Inc&ids[]=1&pct=100%25&ok=%41",
		hdrs: map[string]string{"Accept-Encoding": ""},
	}, {
		name: "custom body and content type",
		mapper: weft.Bundle{"url": srv.URL, "method": "patch", "contentType": "custom",
			"customContentType": "application/xml", "bodyContent": "<a>1</a>"},
		method: "PATCH", path: "/", ctype: "application/xml", body: "<a>1</a>",
	}, {
		name: "custom binary body",
		mapper: weft.Bundle{"url": srv.URL, "method": "post", "contentType": "custom",
			"customContentType": "application/octet-stream", "bodyContent": []byte{0, 1, 2, 255}},
		method: "POST", path: "/", ctype: "application/octet-stream", body: "\x00\x01\x02\xff",
	}, {
		name: "multipart text and file parts",
		mapper: weft.Bundle{"url": srv.URL + "/upload", "method": "post", "contentType": "multipart",
			"headers": []any{map[string]any{"name": "Content-Type", "value": "multipart/form-data"}},
			"multipartBodyContent": []any{
				map[string]any{"name": "title", "value": "Report", "multipartFieldType": "text"},
				map[string]any{"name": "doc", "multipartFieldType": "file",
					"value": map[string]any{"fileName": "r.pdf", "data": []byte("%PDF-1.4")}},
				map[string]any{"name": "note", "value": map[string]any{"fileName": "n.txt", "data": "hi", "contentType": "text/x-note"}},
			}},
		method: "POST", path: "/upload",
		multipart: []formPart{
			{Name: "title", Body: "Report"},
			{Name: "doc", FileName: "r.pdf", ContentType: "application/pdf", Body: "%PDF-1.4"},
			{Name: "note", FileName: "n.txt", ContentType: "text/x-note", Body: "hi"},
		},
	}, {
		name:   "no body for a GET without content type",
		mapper: weft.Bundle{"url": srv.URL + "/x", "method": "get"},
		method: "GET", path: "/x", ctype: "", body: "",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runOne(t, "http:MakeRequest", weft.Bundle{"authenticationType": "noAuth"}, tt.mapper)
			got := last()
			if got.Method != tt.method || got.Path != tt.path || got.RawQuery != tt.query {
				t.Errorf("request %s %s ? %s, want %s %s ? %s", got.Method, got.Path, got.RawQuery, tt.method, tt.path, tt.query)
			}
			if tt.multipart != nil {
				deepEqual(t, "parts", readMultipart(t, got), tt.multipart)
				return
			}
			if ct := got.Header.Get("Content-Type"); ct != tt.ctype {
				t.Errorf("Content-Type %q, want %q", ct, tt.ctype)
			}
			if string(got.Body) != tt.body {
				t.Errorf("body %q, want %q", got.Body, tt.body)
			}
			for k, v := range tt.hdrs {
				if g := got.Header.Get(k); g != v {
					t.Errorf("header %s = %q, want %q", k, g, v)
				}
			}
		})
	}
}

func TestMakeRequestRepeatedHeaderValues(t *testing.T) {
	srv, last := recorder(t, nil)
	runOne(t, "http:MakeRequest", nil, weft.Bundle{"url": srv.URL, "headers": []any{
		map[string]any{"name": "X-Multi", "value": "one"},
		map[string]any{"name": "x-multi", "value": "two"},
		map[string]any{"name": "Host", "value": "api.example.com"}}})
	got := last()
	deepEqual(t, "X-Multi", got.Header.Values("X-Multi"), []string{"one", "two"})
	deepEqual(t, "Host", got.Host, "api.example.com")
}

func TestMakeRequestBadInput(t *testing.T) {
	tests := []struct {
		name   string
		mapper weft.Bundle
		typ    weft.ErrorType
		msg    string
	}{
		{"bad header name", weft.Bundle{"url": "http://127.0.0.1:1", "headers": []any{
			map[string]any{"name": "X Bad", "value": "v"}}}, weft.DataError, `headers/0/name: "X Bad" is not a valid header name`},
		{"header injection", weft.Bundle{"url": "http://127.0.0.1:1", "headers": []any{
			map[string]any{"name": "X-A", "value": "v"}, map[string]any{"name": "X-B", "value": "v\r\nEvil: 1"}}},
			weft.DataError, "headers/1/value: header X-B contains a line break"},
		{"unknown method", weft.Bundle{"url": "http://127.0.0.1:1", "method": "fetch"}, weft.DataError,
			`method: "fetch" is not one of get, head, post, put, patch, delete, options`},
		{"not http", weft.Bundle{"url": "ftp://example.com/x"}, weft.DataError, "url: \"ftp://example.com/x\": only http and https URLs are supported"},
		{"relative URL", weft.Bundle{"url": "/just/a/path"}, weft.DataError, "url"},
		{"missing URL", weft.Bundle{"method": "get"}, weft.DataError, "url: missing value of required field"},
		{"timeout out of range", weft.Bundle{"url": "http://127.0.0.1:1", "timeout": "301"}, weft.DataError, "timeout: 301 is outside 1…300"},
		{"bad content type", weft.Bundle{"url": "http://127.0.0.1:1", "contentType": "xml"}, weft.DataError, "contentType"},
		{"file part without name", weft.Bundle{"url": "http://127.0.0.1:1", "contentType": "multipart",
			"multipartBodyContent": []any{map[string]any{"name": "f", "multipartFieldType": "file", "value": map[string]any{"data": "x"}}}},
			weft.DataError, "multipartBodyContent/0/value/fileName: a file part needs a file name"},
		{"file part not a collection", weft.Bundle{"url": "http://127.0.0.1:1", "contentType": "multipart",
			"multipartBodyContent": []any{map[string]any{"name": "f", "multipartFieldType": "file", "value": "x"}}},
			weft.DataError, "multipartBodyContent/0/value: a file part needs {fileName, data}, got text"},
		{"pagination", weft.Bundle{"url": "http://127.0.0.1:1", "paginationType": "pageBased"},
			weft.InvalidConfigurationError, "paginationType: pagination (pageBased) is not yet supported by weft"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(t, "http:MakeRequest", nil, tt.mapper)
			wantError(t, err, tt.typ, tt.msg)
		})
	}
}

func TestMakeRequestUnsupportedConfiguration(t *testing.T) {
	tests := []struct {
		params weft.Bundle
		msg    string
	}{
		{weft.Bundle{"authenticationType": "digest"}, `authenticationType: "digest" is not one of noAuth, apiKey, basicAuth, oAuth`},
		{weft.Bundle{"authenticationType": "oAuth"}, "parameters.oAuthKeychain: authenticationType oAuth needs an OAuth 2 connection"},
		{weft.Bundle{"authenticationType": "apiKey"}, "parameters.apiKeyKeychain: authenticationType apiKey needs an API key connection"},
		{weft.Bundle{"authenticationType": "basicAuth"}, "parameters.basicAuthKeychain: authenticationType basicAuth needs a basic auth connection"},
		{weft.Bundle{"tlsType": "mTls"}, "parameters.tlsKeychain: tlsType mTls needs a TLS connection"},
		{weft.Bundle{"tlsType": "ssl"}, `parameters.tlsType: "ssl" is not tls or mTls (or empty)`},
		{weft.Bundle{"proxyKeychain": 12.0}, "parameters.proxyKeychain: proxies per module are not yet supported"},
	}
	for _, tt := range tests {
		_, err := run(t, "http:MakeRequest", tt.params, weft.Bundle{"url": "http://127.0.0.1:1"})
		wantError(t, err, weft.InvalidConfigurationError, tt.msg)
	}
	// The empty values real exports carry are accepted (019).
	srv, _ := recorder(t, nil)
	runOne(t, "http:MakeRequest", weft.Bundle{"tlsType": "", "proxyKeychain": "", "authenticationType": "noAuth"},
		weft.Bundle{"url": srv.URL})
}

func TestSendDataBodies(t *testing.T) {
	srv, last := recorder(t, nil)
	tests := []struct {
		name      string
		mapper    weft.Bundle
		method    string
		query     string
		ctype     string
		body      string
		multipart []formPart
	}{{
		name: "raw JSON as in blueprint 025",
		mapper: weft.Bundle{"ca": "", "qs": []any{}, "url": srv.URL, "data": `{"content": "x"}`, "gzip": true,
			"method": "post", "headers": []any{}, "timeout": "", "useMtls": false, "authPass": "", "authUser": "",
			"bodyType": "raw", "contentType": "application/json", "serializeUrl": false, "shareCookies": false,
			"parseResponse": true, "followRedirect": true, "useQuerystring": false, "followAllRedirects": false,
			"rejectUnauthorized": true},
		method: "POST", ctype: "application/json", body: `{"content": "x"}`,
	}, {
		name: "raw with a custom content type",
		mapper: weft.Bundle{"url": srv.URL, "method": "put", "bodyType": "raw", "contentType": "custom",
			"customContentType": "text/csv", "data": "a,b\n1,2\n"},
		method: "PUT", ctype: "text/csv", body: "a,b\n1,2\n",
	}, {
		name: "raw binary body",
		mapper: weft.Bundle{"url": srv.URL, "method": "post", "bodyType": "raw", "contentType": "custom",
			"customContentType": "image/png", "data": []byte("\x89PNG\x00\xff")},
		method: "POST", ctype: "image/png", body: "\x89PNG\x00\xff",
	}, {
		name: "form fields as in blueprint 023",
		mapper: weft.Bundle{"url": srv.URL, "method": "post", "qs": []any{}, "headers": []any{}, "authUser": "", "authPass": "",
			"timeout": "", "bodyType": "x_www_form_urlencoded", "formFields": []any{
				map[string]any{"key": "value1", "value": "hello world"},
				map[string]any{"key": "value2", "value": "https://img/x.png?a=1&b=2"}}},
		method: "POST", ctype: "application/x-www-form-urlencoded",
		body: "value1=hello+world&value2=https%3A%2F%2Fimg%2Fx.png%3Fa%3D1%26b%3D2",
	}, {
		name: "multipart form data fields",
		mapper: weft.Bundle{"url": srv.URL, "method": "post", "bodyType": "multipart_form_data", "formDataFields": []any{
			map[string]any{"fieldType": "text", "key": "lang", "value": "it-IT"},
			map[string]any{"fieldType": "file", "key": "image", "fileName": "a.png", "data": []byte("\x89PNG")}}},
		method: "POST",
		multipart: []formPart{
			{Name: "lang", Body: "it-IT"},
			{Name: "image", FileName: "a.png", ContentType: "image/png", Body: "\x89PNG"},
		},
	}, {
		name: "qs: repeated names indexed by default",
		mapper: weft.Bundle{"url": srv.URL + "?z=0", "qs": []any{
			map[string]any{"name": "godModeInTimer", "value": "1"},
			map[string]any{"name": "tag", "value": "a"},
			map[string]any{"name": "tag", "value": "b"},
			map[string]any{"name": "ids", "value": []any{1.0, 2.0}}}},
		method: "GET", query: "z=0&godModeInTimer=1&tag%5B0%5D=a&tag%5B1%5D=b&ids%5B0%5D=1&ids%5B1%5D=2",
	}, {
		name: "qs: useQuerystring repeats names",
		mapper: weft.Bundle{"url": srv.URL, "useQuerystring": true, "qs": []any{
			map[string]any{"name": "tag", "value": "a"},
			map[string]any{"name": "tag", "value": "b c"},
			map[string]any{"name": "ids", "value": []any{1.0, 2.0}}}},
		method: "GET", query: "tag=a&tag=b+c&ids=1&ids=2",
	}, {
		name:   "serializeUrl escapes brackets too",
		mapper: weft.Bundle{"url": srv.URL + "/s?organization_ids[]=5 6", "serializeUrl": true},
		method: "GET", query: "organization_ids%5B%5D=5%206",
	}, {
		name:   "without serializeUrl brackets stay (017)",
		mapper: weft.Bundle{"url": srv.URL + "/s?organization_ids[]=5 6", "serializeUrl": false},
		method: "GET", query: "organization_ids[]=5%206",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runOne(t, "http:ActionSendData", weft.Bundle{"handleErrors": false, "useNewZLibDeCompress": true}, tt.mapper)
			got := last()
			if got.Method != tt.method || got.RawQuery != tt.query {
				t.Errorf("request %s ?%s, want %s ?%s", got.Method, got.RawQuery, tt.method, tt.query)
			}
			if tt.multipart != nil {
				deepEqual(t, "parts", readMultipart(t, got), tt.multipart)
				return
			}
			if ct := got.Header.Get("Content-Type"); ct != tt.ctype {
				t.Errorf("Content-Type %q, want %q", ct, tt.ctype)
			}
			if string(got.Body) != tt.body {
				t.Errorf("body %q, want %q", got.Body, tt.body)
			}
		})
	}
}

func TestSendDataBadInput(t *testing.T) {
	tests := []struct {
		mapper weft.Bundle
		typ    weft.ErrorType
		msg    string
	}{
		{weft.Bundle{"url": "http://127.0.0.1:1", "bodyType": "json"}, weft.DataError, `bodyType: "json" is not one of raw`},
		{weft.Bundle{"url": "http://127.0.0.1:1", "bodyType": "multipart_form_data", "formDataFields": []any{
			map[string]any{"fieldType": "file", "key": "f", "fileName": "a.txt"}}}, weft.DataError, "formDataFields/0/data: a file part needs data"},
		{weft.Bundle{"url": "http://127.0.0.1:1", "bodyType": "multipart_form_data", "formDataFields": []any{
			map[string]any{"fieldType": "blob", "key": "f"}}}, weft.DataError, `formDataFields/0/fieldType: "blob" is not text or file`},
		{weft.Bundle{"url": "http://127.0.0.1:1", "useMtls": true}, weft.InvalidConfigurationError,
			"parameters.tlsKeychain: useMtls needs a TLS connection with the client certificate"},
	}
	for _, tt := range tests {
		_, err := run(t, "http:ActionSendData", nil, tt.mapper)
		wantError(t, err, tt.typ, tt.msg)
	}
}

func TestEscapeURL(t *testing.T) {
	tests := []struct {
		in        string
		serialize bool
		want      string
	}{
		{"https://h/a b?c=d e#frag ment", false, "https://h/a%20b?c=d%20e"},
		{"https://h/%7Bok%7D?x=%zz", false, "https://h/%7Bok%7D?x=%25zz"},
		{`https://h/{a}|"b"?q=<x>`, false, "https://h/%7Ba%7D%7C%22b%22?q=%3Cx%3E"},
		{"https://h/p?a[0]=1", true, "https://h/p?a%5B0%5D=1"},
		{"https://h", false, "https://h"},
	}
	for _, tt := range tests {
		if got := escapeURL(strings.SplitN(tt.in, "#", 2)[0], tt.serialize); got != tt.want {
			t.Errorf("escapeURL(%q, %v) = %q, want %q", tt.in, tt.serialize, got, tt.want)
		}
	}
}
