package limits

import "testing"

// BenchmarkTakeSmallBundle is the cost the engine adds per module per bundle for
// its input and for its output: a bundle of a few fields.
func BenchmarkTakeSmallBundle(b *testing.B) {
	r := Start(Limits{MaxRunBytes: 1 << 62}, Limits{}, nil)
	bundle := map[string]any{"name": "order", "value": 42.0, "scope": "roundtrip", "tags": []any{"a", "b"}}
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Take(bundle, "its output"); err != nil {
			b.Fatal(err)
		}
	}
}
