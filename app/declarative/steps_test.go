package declarative_test

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/declarative"
)

// stepsDef exercises communication arrays: a token fetched by the first step and sent
// by the second without the connection's credentials, a step run per element with its
// ids collected, and alternative last steps chosen by condition.
const stepsDef = `{
  "name": "steps",
  "base": {"baseUrl": "https://steps.test/api"},
  "connection": {"type": "bearer", "fields": [{"name": "accessToken", "type": "password", "required": true}]},
  "modules": {
    "Post": {
      "mapper": [{"name": "page", "required": true}, {"name": "message"}, {"name": "photos", "type": "array"}],
      "communication": [
        {"url": "/{{encodeURL(parameters.page)}}", "qs": {"fields": "access_token"},
         "response": {"temp": {"pageToken": "{{body.access_token}}"}}},
        {"each": "{{parameters.photos}}", "url": "/{{encodeURL(parameters.page)}}/photos", "method": "POST", "authorize": false,
         "body": {"url": "{{item}}", "position": "{{index}}", "access_token": "{{temp.pageToken}}"},
         "response": {"temp": {"photoIds": "{{body.id}}"}}},
        {"url": "/{{encodeURL(parameters.page)}}/feed", "method": "POST", "authorize": false,
         "body": {"message": "{{parameters.message}}", "media": "{{temp.photoIds}}", "access_token": "{{temp.pageToken}}",
                  "key": "{{idempotencyKey}}"},
         "response": {"output": {"id": "{{body.id}}", "photos": "{{length(temp.photoIds)}}"}}}
      ]
    },
    "Either": {
      "mapper": [{"name": "files", "type": "array"}, {"name": "text"}],
      "communication": [
        {"condition": "{{length(parameters.files) = 0}}", "url": "/json", "method": "POST", "body": {"text": "{{parameters.text}}"},
         "response": {"output": {"via": "json", "id": "{{body.id}}"}}},
        {"condition": "{{length(parameters.files) > 0}}", "url": "/multipart", "method": "POST", "type": "multipart",
         "body": {"$merge": [
           {"payload_json": {"text": "{{parameters.text}}", "attachments": {"$map": {"over": "{{parameters.files}}", "to": {"id": "{{index - 1}}", "filename": "{{item.filename}}"}}}}},
           {"$object": {"over": "{{parameters.files}}", "key": "files[{{index - 1}}]",
                        "value": {"$file": {"name": "{{item.filename}}", "data": "{{item.data}}", "maxSize": 16}}}}
         ]},
         "response": {"output": {"via": "multipart", "id": "{{body.id}}"}}}
      ]
    },
    "Download": {
      "mapper": [{"name": "path", "required": true}],
      "communication": {"url": "/files/{{parameters.path}}", "response": {"type": "binary",
        "output": {"fileName": "{{parameters.path}}", "data": "{{body}}"}}}
    },
    "Upload": {
      "mapper": [{"name": "fileName"}, {"name": "data", "type": "buffer"}],
      "communication": {"url": "/upload", "method": "PUT", "type": "binary",
        "body": {"$file": {"name": "{{parameters.fileName}}", "data": "{{parameters.data}}"}},
        "response": {"output": {"size": "{{body.size}}"}}}
    },
    "FileInJSON": {
      "mapper": [{"name": "data", "type": "buffer"}],
      "communication": {"url": "/json", "method": "POST", "body": {"f": {"$file": {"name": "a.txt", "data": "{{parameters.data}}"}}}}
    }
  }
}`

func stepsSpec(t *testing.T, s *standIn, name string) *app.Spec {
	t.Helper()
	return lookup(t, testApp(t, stepsDef, s), "steps:"+name)
}

func TestStepsCarryTempAndRunPerElement(t *testing.T) {
	s := newStandIn(t)
	s.fn = func(r *http.Request, body string) reply {
		switch {
		case r.Method == "GET":
			return ok(`{"access_token":"page-token-1","id":"77"}`)
		case strings.HasSuffix(r.URL.Path, "/photos"):
			return ok(`{"id":"ph-` + itoa(int(jsonBody(t, body)["position"].(float64))) + `"}`)
		}
		return ok(`{"id":"77_1"}`)
	}
	exec := apptest.NewExec()
	exec.Key = "idem-1"
	exec.Connections["conn"] = weft.Bundle{"accessToken": "user-token"}
	out, err := apptest.Run(context.Background(), stepsSpec(t, s, "Post"), weft.Bundle{"__IMTCONN__": "conn"},
		decode(t, `{"page": "77", "message": "Hello", "photos": ["https://img.test/a.png", "https://img.test/b.png"]}`), exec)
	if err != nil {
		t.Fatal(err)
	}
	g := s.requests()
	if len(g) != 4 {
		t.Fatalf("%d requests, want 4: %+v", len(g), g)
	}
	if g[0].Method != "GET" || g[0].Path != "/77" || g[0].Query != "fields=access_token" || g[0].Header.Get("Authorization") != "Bearer user-token" {
		t.Fatalf("first step %+v", g[0])
	}
	for i, want := range []string{`{"url":"https://img.test/a.png","position":1,"access_token":"page-token-1"}`,
		`{"url":"https://img.test/b.png","position":2,"access_token":"page-token-1"}`} {
		r := g[1+i]
		if r.Method != "POST" || r.Path != "/77/photos" || r.Header.Get("Authorization") != "" {
			t.Fatalf("photo step %d: %s %s auth %q", i, r.Method, r.Path, r.Header.Get("Authorization"))
		}
		sameJSON(t, "photo body", jsonBody(t, r.Body), want)
	}
	if g[3].Path != "/77/feed" || g[3].Header.Get("Authorization") != "" {
		t.Fatalf("last step %+v", g[3])
	}
	sameJSON(t, "feed body", jsonBody(t, g[3].Body), `{"message":"Hello","media":["ph-1","ph-2"],"access_token":"page-token-1","key":"idem-1"}`)
	sameJSON(t, "output", out, `[{"id":"77_1","photos":2}]`)
}

func TestStepsEachOverNothingRunsZeroTimes(t *testing.T) {
	s := newStandIn(t)
	s.fn = func(r *http.Request, _ string) reply {
		if r.Method == "GET" {
			return ok(`{"access_token":"t"}`)
		}
		return ok(`{"id":"1"}`)
	}
	out, err := run(t, stepsSpec(t, s, "Post"), weft.Bundle{"accessToken": "u"}, `{"page": "p", "message": "no photos"}`)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.requests()); n != 2 {
		t.Fatalf("%d requests, want 2 (no photo step)", n)
	}
	sameJSON(t, "feed body", jsonBody(t, s.requests()[1].Body), `{"message":"no photos","media":[],"access_token":"t","key":"test-key"}`)
	sameJSON(t, "output", out, `[{"id":"1","photos":0}]`)
}

func TestStepsFailingStepStopsTheRest(t *testing.T) {
	s := newStandIn(t, reply{status: 403, body: `{"error":{"message":"no page access"}}`})
	_, err := run(t, stepsSpec(t, s, "Post"), weft.Bundle{"accessToken": "u"}, `{"page": "p", "message": "x", "photos": ["a"]}`)
	apptest.WantError(t, err, weft.InvalidConfigurationError, "[403] GET")
	if n := len(s.requests()); n != 1 {
		t.Fatalf("%d requests after the first failed, want 1", n)
	}
}

// partsOf decodes a multipart request the stand-in received.
func partsOf(t *testing.T, g got) map[string]struct {
	FileName, Type, Body string
} {
	t.Helper()
	mt, params, err := mime.ParseMediaType(g.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		t.Fatalf("content type %q: %v", g.Header.Get("Content-Type"), err)
	}
	out := map[string]struct{ FileName, Type, Body string }{}
	mr := multipart.NewReader(strings.NewReader(g.Body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		out[p.FormName()] = struct{ FileName, Type, Body string }{p.FileName(), p.Header.Get("Content-Type"), string(b)}
	}
	return out
}

func TestStepsConditionChoosesJSONOrMultipart(t *testing.T) {
	s := newStandIn(t, ok(`{"id":"m1"}`))
	spec := stepsSpec(t, s, "Either")
	out, err := run(t, spec, weft.Bundle{"accessToken": "u"}, `{"text": "plain"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Path != "/json" || !strings.HasPrefix(g.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("without files: %s %s", g.Path, g.Header.Get("Content-Type"))
	}
	sameJSON(t, "output", out, `[{"via":"json","id":"m1"}]`)

	s2 := newStandIn(t, ok(`{"id":"m2"}`))
	exec := apptest.NewExec()
	exec.Connections["conn"] = weft.Bundle{"accessToken": "u"}
	files := []any{}
	for _, n := range []string{"a.png", "b.txt", "c.bin", "d.txt", "e.txt", "f.txt", "g.txt", "h.txt", "i.txt", "j.txt", "k.txt"} {
		files = append(files, map[string]any{"filename": n, "data": []byte("data of " + n[:1])})
	}
	out, err = apptest.Run(context.Background(), stepsSpec(t, s2, "Either"), weft.Bundle{"__IMTCONN__": "conn"},
		weft.Bundle{"text": "with files", "files": files}, exec)
	if err != nil {
		t.Fatal(err)
	}
	g = s2.only(t)
	if g.Path != "/multipart" || g.Header.Get("Authorization") != "Bearer u" {
		t.Fatalf("with files: %s auth %q", g.Path, g.Header.Get("Authorization"))
	}
	parts := partsOf(t, g)
	if len(parts) != 12 {
		t.Fatalf("%d parts, want payload_json and 11 files: %v", len(parts), parts)
	}
	sameJSON(t, "payload_json", jsonBody(t, parts["payload_json"].Body), `{"text":"with files","attachments":[
		{"id":0,"filename":"a.png"},{"id":1,"filename":"b.txt"},{"id":2,"filename":"c.bin"},{"id":3,"filename":"d.txt"},
		{"id":4,"filename":"e.txt"},{"id":5,"filename":"f.txt"},{"id":6,"filename":"g.txt"},{"id":7,"filename":"h.txt"},
		{"id":8,"filename":"i.txt"},{"id":9,"filename":"j.txt"},{"id":10,"filename":"k.txt"}]}`)
	if p := parts["files[0]"]; p.FileName != "a.png" || p.Type != "image/png" || p.Body != "data of a" {
		t.Fatalf("files[0] %+v", p)
	}
	if p := parts["files[2]"]; p.FileName != "c.bin" || p.Type != "application/octet-stream" {
		t.Fatalf("files[2] %+v", p)
	}
	if p := parts["files[10]"]; p.FileName != "k.txt" || p.Body != "data of k" {
		t.Fatalf("files[10] %+v", p)
	}
	// Parts arrive in their numbered order (files[2] before files[10]).
	if i, j := strings.Index(g.Body, `name="files[2]"`), strings.Index(g.Body, `name="files[10]"`); i < 0 || j < i {
		t.Fatalf("files[10] before files[2] in the body")
	}
	sameJSON(t, "output", out, `[{"via":"multipart","id":"m2"}]`)
}

func TestFileLimitsAndPlaces(t *testing.T) {
	s := newStandIn(t)
	exec := apptest.NewExec()
	exec.Connections["conn"] = weft.Bundle{"accessToken": "u"}
	params := weft.Bundle{"__IMTCONN__": "conn"}
	// Over the definition's maxSize (16 bytes): refused before anything is sent.
	_, err := apptest.Run(context.Background(), stepsSpec(t, s, "Either"), params,
		weft.Bundle{"files": []any{map[string]any{"filename": "big.bin", "data": bytes.Repeat([]byte("x"), 17)}}}, exec)
	e := apptest.WantError(t, err, weft.MaxFileSizeExceededError, `the file "big.bin" is 17 bytes; the service accepts at most 16`)
	if e.Details["size"] != 17.0 || e.Details["maxFileSize"] != 16.0 {
		t.Fatalf("details %v", e.Details)
	}
	// A name without data, data without a name.
	_, err = apptest.Run(context.Background(), stepsSpec(t, s, "Either"), params,
		weft.Bundle{"files": []any{map[string]any{"filename": "empty.txt"}}}, exec)
	apptest.WantError(t, err, weft.DataError, `the file "empty.txt" has no data`)
	_, err = apptest.Run(context.Background(), stepsSpec(t, s, "Upload"), params, weft.Bundle{"data": []byte("abc")}, exec)
	apptest.WantError(t, err, weft.DataError, "the file (3 bytes) has no name")
	// A file cannot travel in a JSON body.
	_, err = apptest.Run(context.Background(), stepsSpec(t, s, "FileInJSON"), params, weft.Bundle{"data": []byte("abc")}, exec)
	apptest.WantError(t, err, weft.DataError, "a file can only be sent in a multipart or binary body")
	if n := len(s.requests()); n != 0 {
		t.Fatalf("%d requests sent for files that cannot be sent", n)
	}
}

func TestBinaryUploadAndDownload(t *testing.T) {
	s := newStandIn(t)
	s.fn = func(r *http.Request, body string) reply {
		if r.Method == "PUT" {
			return ok(`{"size":` + itoa(len(body)) + `}`)
		}
		// A text file served as JSON: a download keeps its bytes.
		return reply{status: 200, body: `{"a":1}`}
	}
	exec := apptest.NewExec()
	exec.Connections["conn"] = weft.Bundle{"accessToken": "u"}
	params := weft.Bundle{"__IMTCONN__": "conn"}
	out, err := apptest.Run(context.Background(), stepsSpec(t, s, "Upload"), params,
		weft.Bundle{"fileName": "photo.jpg", "data": []byte{0xff, 0xd8, 0xff, 0x00}}, exec)
	if err != nil {
		t.Fatal(err)
	}
	g := s.requests()[0]
	if g.Method != "PUT" || g.Header.Get("Content-Type") != "image/jpeg" || g.Body != "\xff\xd8\xff\x00" {
		t.Fatalf("upload %s %q %q", g.Method, g.Header.Get("Content-Type"), g.Body)
	}
	sameJSON(t, "upload output", out, `[{"size":4}]`)
	out, err = apptest.Run(context.Background(), stepsSpec(t, s, "Download"), params, weft.Bundle{"path": "a.json"}, exec)
	if err != nil {
		t.Fatal(err)
	}
	if d, isBytes := out[0]["data"].([]byte); !isBytes || string(d) != `{"a":1}` || out[0]["fileName"] != "a.json" {
		t.Fatalf("download %#v", out[0])
	}
}

func TestStepsLoadErrors(t *testing.T) {
	for _, tc := range []struct{ name, def, want string }{
		{"item outside an each step", `{"name":"x","base":{"baseUrl":"https://x.test"},"modules":{"M":{"communication":[
			{"url":"/a/{{item}}"}]}}}`, `x.json#/modules/M/communication/0/url: template "/a/{{item}}": item is not available here`},
		{"output step with a request's key", `{"name":"x","base":{"baseUrl":"https://x.test"},"modules":{"M":{"communication":[
			{"url":"/a"},{"method":"POST","output":{}}]}}}`, `x.json#/modules/M/communication/1: a step without url sends nothing: it has only condition and output`},
		{"step without url or output", `{"name":"x","base":{"baseUrl":"https://x.test"},"modules":{"M":{"communication":[
			{"url":"/a"},{"condition":"{{true}}"}]}}}`, `x.json#/modules/M/communication/1/url: required (or output, for a step that sends nothing)`},
		{"empty array", `{"name":"x","base":{"baseUrl":"https://x.test"},"modules":{"M":{"communication":[]}}}`,
			`x.json#/modules/M/communication: required: at least one request`},
		{"step not an object", `{"name":"x","base":{"baseUrl":"https://x.test"},"modules":{"M":{"communication":[1]}}}`,
			`x.json#/modules/M/communication/0: must be an object`},
		{"unknown step key", `{"name":"x","base":{"baseUrl":"https://x.test"},"modules":{"M":{"communication":[{"url":"/a","iff":"x"}]}}}`,
			`x.json#/modules/M/communication/0/iff: unknown key`},
		{"authorize not boolean", `{"name":"x","base":{"baseUrl":"https://x.test"},"modules":{"M":{"communication":{"url":"/a","authorize":"no"}}}}`,
			`x.json#/modules/M/communication/authorize: must be true or false`},
		{"body in a response temp", `{"name":"x","base":{"baseUrl":"https://x.test"},"modules":{"M":{"communication":{"url":"/a","temp":{"t":"{{body}}"}}}}}`,
			`x.json#/modules/M/communication/temp/t: template "{{body}}": body is not available here`},
		{"bad response type", `{"name":"x","base":{"baseUrl":"https://x.test"},"modules":{"M":{"communication":{"url":"/a","response":{"type":"xml"}}}}}`,
			`x.json#/modules/M/communication/response/type: "xml" is not a response type`},
		{"bad body type", `{"name":"x","base":{"baseUrl":"https://x.test"},"modules":{"M":{"communication":{"url":"/a","type":"form"}}}}`,
			`x.json#/modules/M/communication/type: "form" is not a body type (json`},
		{"file without data", `{"name":"x","base":{"baseUrl":"https://x.test"},"modules":{"M":{"communication":{"url":"/a","type":"multipart","body":{"f":{"$file":{"name":"a"}}}}}}}`,
			`x.json#/modules/M/communication/body/f/$file: $file needs "name" and "data"`},
		{"file unknown key", `{"name":"x","base":{"baseUrl":"https://x.test"},"modules":{"M":{"communication":{"url":"/a","type":"multipart","body":{"f":{"$file":{"name":"a","data":"b","size":1}}}}}}}`,
			`x.json#/modules/M/communication/body/f/$file/size: unknown key`},
		{"object without key", `{"name":"x","base":{"baseUrl":"https://x.test"},"modules":{"M":{"communication":{"url":"/a","body":{"$object":{"over":"{{parameters.x}}"}}}}}}`,
			`x.json#/modules/M/communication/body/$object: $object needs "over" and "key"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := declarative.LoadOptions(fstest.MapFS{"x.json": {Data: []byte(tc.def)}}, declarative.Options{Getenv: noEnv})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v\nwant it to contain %s", err, tc.want)
			}
		})
	}
}
