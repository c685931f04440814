package api_test

import (
	"testing"
)

// BenchmarkGetScenario is one authenticated API call over real HTTP on 127.0.0.1:
// token check, two store reads (scenario, hook), JSON answer. (Unlike the tests, it
// does not validate the answer against the OpenAPI document.)
func BenchmarkGetScenario(b *testing.B) {
	e := newEnv(b)
	e.must(201, e.raw("POST", "/scenarios", greeting))
	b.ReportAllocs()
	for b.Loop() {
		if r := e.raw("GET", "/scenarios/1", nil); r.status != 200 {
			b.Fatal(r)
		}
	}
}
