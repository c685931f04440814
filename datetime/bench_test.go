package datetime

import (
	"testing"
	"time"
)

// Typed sinks: assigning to an interface would add an allocation to every loop.
var (
	sinkText string
	sinkTime time.Time
)

// BenchmarkFormat measures formatDate's typical layout; the target is < 500 ns/op.
func BenchmarkFormat(b *testing.B) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	for _, zone := range []string{"UTC", "Europe/Prague"} {
		loc := mustZone(b, zone)
		b.Run(zone, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkText = Format(at, "YYYY-MM-DD HH:mm", loc)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkTime, _ = Parse("2016-12-28 16:03", "YYYY-MM-DD HH:mm", nil)
	}
}

func BenchmarkCoerce(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkTime, _ = Coerce("2016-06-20T17:26:44.356Z", nil)
	}
}

func BenchmarkAddDays(b *testing.B) {
	loc := mustZone(b, "Europe/Prague")
	at := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		sinkTime = Add(at, "days", 1, loc)
	}
}
