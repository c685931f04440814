// Package fuzz holds the fuzz targets of package declarative. They live apart from its
// tests because those link the engine and every app, whose coverage counters slow a
// fuzzing worker to a crawl.
package fuzz

import (
	"testing"
	"testing/fstest"
	"time"

	"github.com/weftworks/weft/app/declarative"
)

const seedDef = `{
  "name": "demo",
  "base": {"baseUrl": "https://api.demo.test/v1"},
  "connection": {"type": "bearer"},
  "modules": {"Send": {"communication": {"url": "/send/{{parameters.id}}", "method": "POST",
    "body": {"$merge": [{"text": "{{parameters.text}}"}, {"$if": {"condition": "{{parameters.x}}", "then": {"x": 1}}}]},
    "response": {"iterate": {"container": "{{body.rows}}", "filter": {"conditions": "{{parameters.filter}}",
      "operand": {"$cell": {"row": "{{item}}", "column": "{{condition.a}}"}}}}},
    "pagination": {"qs": {"page": "{{pagination.page}}"}, "condition": "{{body.more}}"}}}}
}`

// FuzzLoad: any definition text loads or fails with an error, never a panic or a hang.
//
//	go test ./app/declarative/fuzz -run '^$' -fuzz FuzzLoad -fuzztime 60s
func FuzzLoad(f *testing.F) {
	// The shipped definitions (several KB each) are not seeds: Go's fuzzer stalls on
	// inputs that large. TestShippedDefinitionsLoad covers them.
	f.Add([]byte(seedDef))
	f.Add([]byte(`{"name":"x","base":{"baseUrl":"http://a"},"modules":{"M":{"communication":{"url":"{{{{parameters.\"}}"}}}}`))
	noEnv := func(string) string { return "" }
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = declarative.LoadOptions(fstest.MapFS{"f.json": {Data: data}}, declarative.Options{Getenv: noEnv})
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("loading took over 5 s")
		}
	})
}
