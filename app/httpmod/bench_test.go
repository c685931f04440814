package httpmod

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
)

// BenchmarkMakeRequestJSON measures one module operation as blueprint 001 runs it: a
// JSON POST to a local server and a parsed JSON answer (connections are reused).
func BenchmarkMakeRequestJSON(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"rec_1","status":"created","tags":["a","b"],"n":42}`)
	}))
	defer srv.Close()
	spec := Specs(Options{Proxy: noProxy})[0]
	params, _ := app.PrepareParameters(&spec, weft.Bundle{"authenticationType": "noAuth"})
	mod, err := spec.New(app.Config{ModuleID: 1, Version: 4, Parameters: params})
	if err != nil {
		b.Fatal(err)
	}
	in, err := app.PrepareInput(&spec, weft.Bundle{"url": srv.URL + "/new-records", "method": "post",
		"contentType": "json", "inputMethod": "jsonString", "parseResponse": true,
		"jsonStringBodyContent": `{"id": "7", "email": "a@b.c"}`})
	if err != nil {
		b.Fatal(err)
	}
	call := &app.Call{ModuleID: 1, Input: in, Params: params, Exec: apptest.NewExec()}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		out, err := mod.Run(ctx, call)
		if err != nil || len(out) != 1 {
			b.Fatal(err)
		}
	}
}

func BenchmarkStatusError(b *testing.B) {
	h := http.Header{"Content-Type": {"application/json"}, "Retry-After": {"30"}}
	body := []byte(`{"error":"rate limited","detail":"try again in 30 seconds"}`)
	var table ErrorTable
	now := apptest.NewExec().Now()
	b.ReportAllocs()
	for b.Loop() {
		if e := table.StatusError("GET https://api.example.com/x", 429, h, body, now); e.Type != weft.RateLimitError {
			b.Fatal(e)
		}
	}
}

// BenchmarkMakeRequestOAuthCached is BenchmarkMakeRequestJSON's call with OAuth 2: the
// cached token's cost (connection parse, per-connection lock) on every call.
func BenchmarkMakeRequestOAuthCached(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/token" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"access_token":"at","token_type":"bearer","expires_in":3600}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"rec_1","status":"created","tags":["a","b"],"n":42}`)
	}))
	defer srv.Close()
	spec := Specs(Options{Proxy: noProxy})[0]
	params, _ := app.PrepareParameters(&spec, weft.Bundle{"authenticationType": "oAuth", "oAuthKeychain": 1.0})
	mod, err := spec.New(app.Config{ModuleID: 1, Version: 4, Parameters: params})
	if err != nil {
		b.Fatal(err)
	}
	in, err := app.PrepareInput(&spec, weft.Bundle{"url": srv.URL + "/new-records", "method": "post",
		"contentType": "json", "inputMethod": "jsonString", "jsonStringBodyContent": `{"id": "7"}`})
	if err != nil {
		b.Fatal(err)
	}
	exec := apptest.NewExec()
	exec.Connections["1"] = weft.Bundle{"tokenUrl": srv.URL + "/token", "clientId": "c", "clientSecret": "s"}
	call := &app.Call{ModuleID: 1, Input: in, Params: params, Exec: exec}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		out, err := mod.Run(ctx, call)
		if err != nil || len(out) != 1 {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseXML(b *testing.B) {
	var doc strings.Builder
	doc.WriteString(`<?xml version="1.0"?><feed>`)
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&doc, `<entry id="%d"><title>Item %d</title><price>%d.50</price></entry>`, i, i, i)
	}
	doc.WriteString(`</feed>`)
	body := []byte(doc.String())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseXML(body, ""); err != nil {
			b.Fatal(err)
		}
	}
}
