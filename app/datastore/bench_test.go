package datastore_test

import (
	"fmt"
	"testing"

	"github.com/weftworks/weft"
)

// One AddRecord and its commit per iteration: autoCommit on, one backend transaction
// per write.
func BenchmarkAddRecordAutoCommit(b *testing.B) {
	h := newHarness(b)
	i := 0
	for b.Loop() {
		i++
		h.must("AddRecord", nil, weft.Bundle{"key": fmt.Sprint("k", i), "overwrite": false,
			"data": weft.Bundle{"email": "a@b.c", "n": float64(i)}})
		h.mustCommit()
	}
}

// 1000 AddRecords then one commit per iteration: autoCommit off, one transaction per
// cycle. Reports the cost per record.
func BenchmarkAddRecordBatch1000(b *testing.B) {
	h := newHarness(b)
	i := 0
	for b.Loop() {
		for range 1000 {
			i++
			h.must("AddRecord", nil, weft.Bundle{"key": fmt.Sprint("k", i), "overwrite": true,
				"data": weft.Bundle{"email": "a@b.c", "n": float64(i)}})
		}
		h.mustCommit()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i), "ns/record")
}

func BenchmarkGetRecord(b *testing.B) {
	h := newHarness(b)
	h.seed("default", map[string]weft.Bundle{"k": {"email": "a@b.c", "n": 1.0}})
	for b.Loop() {
		h.must("GetRecord", nil, weft.Bundle{"key": "k"})
	}
}

// A filtered, sorted search over a store of 1000 records.
func BenchmarkSearchRecord1000(b *testing.B) {
	h := newHarness(b)
	for i := range 1000 {
		h.must("AddRecord", nil, weft.Bundle{"key": fmt.Sprintf("k%04d", i), "overwrite": true,
			"data": weft.Bundle{"email": fmt.Sprintf("u%d@x.io", i), "n": float64(i)}})
	}
	h.mustCommit()
	filter := []any{[]any{map[string]any{"a": "n", "o": "number:greaterorequal", "b": "900"},
		map[string]any{"a": "email", "o": "text:contain", "b": "@x.io"}}}
	sort := []any{map[string]any{"key": "n", "order": -1.0}}
	for b.Loop() {
		if out := h.must("SearchRecord", nil, weft.Bundle{"filter": filter, "sort": sort}); len(out) != 100 {
			b.Fatalf("%d records; want 100", len(out))
		}
	}
}
