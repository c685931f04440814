package httpmod

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
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
