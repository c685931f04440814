package schedule_test

import (
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/schedule"
)

// BenchmarkNext measures one next-run computation, as FireDue does per fired tick.
func BenchmarkNext(b *testing.B) {
	after := time.Date(2026, 5, 1, 12, 0, 30, 0, time.UTC)
	for _, c := range []struct {
		name string
		s    weft.Schedule
	}{
		{"interval", weft.Schedule{Type: schedule.Interval, Interval: 15}},
		{"cron-every-15-UTC", cron("*/15 * * * *", "")},
		{"cron-weekdays-Prague", cron("0 8 * * 1-5", "Europe/Prague")},
		{"cron-Feb29", cron("0 12 29 2 *", "Europe/Prague")},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if schedule.Next(c.s, after) == nil {
					b.Fatal("no next run")
				}
			}
		})
	}
}
