package declarative_test

import (
	"bytes"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/declarative"
)

const bodiesDef = `{
  "name": "bodies",
  "base": {"baseUrl": "https://bodies.test"},
  "modules": {
    "Pruned": {
      "mapper": [{"name": "config", "type": "any"}, {"name": "on", "type": "boolean"}, {"name": "extra", "type": "any"}],
      "communication": {
        "url": "/p", "method": "POST",
        "body": {"$merge": [
          {"$prune": {"config": "{{parameters.config}}", "kept": {"zero": 0, "no": false, "space": " "}}},
          {"tools": {"$concat": [
            [{"$if": {"condition": "{{parameters.on}}", "then": {"search": {"$literal": {}}}, "else": "{{ignore}}"}}],
            "{{parameters.extra}}"
          ]}}
        ]}
      }
    },
    "Upload": {
      "mapper": [{"name": "name", "type": "text"}, {"name": "data", "type": "buffer"}, {"name": "note", "type": "text"}],
      "communication": {
        "url": "/u", "method": "POST", "type": "related",
        "body": [
          {"body": {"name": "{{parameters.name}}"}},
          {"body": "{{ifempty(parameters.note; null)}}"},
          {"contentType": {"$mimeType": "{{parameters.name}}"}, "body": "{{parameters.data}}", "maxSize": 16}
        ]
      }
    }
  }
}`

func TestPruneAndConcat(t *testing.T) {
	s := newStandIn(t)
	spec := lookup(t, testApp(t, bodiesDef, s), "bodies:Pruned")
	// Make's form leaves empty sections behind; $prune removes them at every depth and
	// keeps zero, false and whitespace. $concat adds mapped tools after the switches.
	if _, err := run(t, spec, nil, `{"config": {"a": {}, "b": [{}, "", null], "c": {"d": {"e": ""}}, "f": [1, {}, 2], "g": "x"},
		"on": true, "extra": [{"code": {}}]}`); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "body", jsonBody(t, s.requests()[0].Body), `{"config": {"f": [1, 2], "g": "x"}, "kept": {"zero": 0, "no": false, "space": " "},
		"tools": [{"search": {}}, {"code": {}}]}`)
	// Nothing to concatenate: the key is not sent; a single mapped value is one element.
	if _, err := run(t, spec, nil, `{"config": {"a": {}}}`); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "empty body", jsonBody(t, s.requests()[1].Body), `{"kept": {"zero": 0, "no": false, "space": " "}}`)
	if _, err := run(t, spec, nil, `{"extra": {"code": {}}}`); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "one tool", jsonBody(t, s.requests()[2].Body), `{"kept": {"zero": 0, "no": false, "space": " "}, "tools": [{"code": {}}]}`)
}

func TestRelatedBody(t *testing.T) {
	s := newStandIn(t)
	spec := lookup(t, testApp(t, bodiesDef, s), "bodies:Upload")
	png := []byte("\x89PNG\r\n\x1a\n\x00")
	exec := apptest.NewExec()
	if _, err := apptest.Run(t.Context(), spec, nil, weft.Bundle{"name": "photo.PNG", "data": png}, exec); err != nil {
		t.Fatal(err)
	}
	parts := multipartBody(t, s.only(t), "multipart/related")
	// The part whose body is null is left out.
	if len(parts) != 2 || parts[0].header["Content-Type"][0] != "application/json; charset=UTF-8" ||
		parts[1].header["Content-Type"][0] != "image/png" || !bytes.Equal(parts[1].body, png) {
		t.Fatalf("parts %+v", parts)
	}
	sameJSON(t, "metadata", jsonBody(t, string(parts[0].body)), `{"name":"photo.PNG"}`)
}

// A file name without a known extension is sent as application/octet-stream; text goes
// as text/plain.
func TestRelatedBodyDefaults(t *testing.T) {
	s := newStandIn(t)
	spec := lookup(t, testApp(t, bodiesDef, s), "bodies:Upload")
	if _, err := apptest.Run(t.Context(), spec, nil, weft.Bundle{"name": "notes.weird", "data": []byte{1, 2}, "note": "hi"}, apptest.NewExec()); err != nil {
		t.Fatal(err)
	}
	parts := multipartBody(t, s.only(t), "multipart/related")
	if len(parts) != 3 || parts[1].header["Content-Type"][0] != "text/plain; charset=UTF-8" || string(parts[1].body) != "hi" ||
		parts[2].header["Content-Type"][0] != "application/octet-stream" {
		t.Fatalf("parts %+v", parts)
	}
}

func TestRelatedBodyErrors(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"not an array", `{"a": 1}`, "must be an array of parts"},
		{"a part is not a collection", `["x"]`, "part 0 must be a collection"},
		{"unknown key", `[{"body": "x", "headers": {}}]`, `unknown key "headers"`},
		{"no part with a body", `[{"body": null}]`, "at least one part"},
		{"line break in a type", `[{"contentType": "text/plain\r\nX: y", "body": "x"}]`, "line break"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStandIn(t)
			def := `{"name": "rel", "base": {"baseUrl": "https://rel.test"}, "modules": {"Send": {
				"communication": {"url": "/", "method": "POST", "type": "related", "body": ` + tc.body + `}}}}`
			_, err := apptest.Run(t.Context(), lookup(t, testApp(t, def, s), "rel:Send"), nil, weft.Bundle{}, apptest.NewExec())
			apptest.WantError(t, err, weft.DataError, tc.want)
			if n := len(s.requests()); n != 0 {
				t.Fatalf("%d requests sent", n)
			}
		})
	}
}

func TestConcatLoadErrors(t *testing.T) {
	def := `{"name": "bad", "base": {"baseUrl": "https://bad.test"}, "modules": {"M": {"communication": {"url": "/",
		"body": {"tools": {"$concat": "{{parameters.x}}"}}}}}}`
	_, err := declarative.Load(fstest.MapFS{"bad.json": {Data: []byte(def)}})
	if err == nil || !strings.Contains(err.Error(), "/modules/M/communication/body/tools/$concat: $concat takes an array of arrays") {
		t.Fatalf("load error = %v", err)
	}
}

// A file over its part's maxSize is refused before anything is sent.
func TestRelatedBodyMaxSize(t *testing.T) {
	s := newStandIn(t)
	spec := lookup(t, testApp(t, bodiesDef, s), "bodies:Upload")
	_, err := apptest.Run(t.Context(), spec, nil, weft.Bundle{"name": "big.bin", "data": make([]byte, 17)}, apptest.NewExec())
	e := apptest.WantError(t, err, weft.MaxFileSizeExceededError, "17 bytes is over the service's limit of 16 bytes")
	if e.Details["size"] != 17.0 || e.Details["maxFileSize"] != 16.0 || len(s.requests()) != 0 {
		t.Fatalf("details %v, %d requests", e.Details, len(s.requests()))
	}
}
