package schedule_test

import (
	"errors"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/schedule"
)

func utc(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}

func ptr(t time.Time) *time.Time { return &t }

func cron(expr, tz string) weft.Schedule {
	return weft.Schedule{Type: schedule.Cron, Cron: expr, Timezone: tz}
}

func TestNext(t *testing.T) {
	// Europe/Prague, 2026: clocks go forward on 29 March at 02:00 CET (01:00 UTC) to
	// 03:00 CEST, and back on 25 October at 03:00 CEST (01:00 UTC) to 02:00 CET.
	// Australia/Lord_Howe moves by 30 minutes: forward on 4 October 2026 at 02:00 to 02:30.
	cases := []struct {
		name  string
		s     weft.Schedule
		after time.Time
		want  *time.Time
	}{
		{"on demand never runs", weft.Schedule{}, utc(2026, 5, 1, 12, 0, 0), nil},
		{"interval counts from after", weft.Schedule{Type: schedule.Interval, Interval: 15},
			utc(2026, 5, 1, 12, 0, 30), ptr(utc(2026, 5, 1, 12, 15, 30))},
		{"longest interval", weft.Schedule{Type: schedule.Interval, Interval: 44640},
			utc(2026, 5, 1, 0, 0, 0), ptr(utc(2026, 6, 1, 0, 0, 0))},
		{"interval out of range has no run", weft.Schedule{Type: schedule.Interval, Interval: 0},
			utc(2026, 5, 1, 12, 0, 0), nil},
		{"cron in UTC by default", cron("0 0 1 1 *", ""), utc(2026, 5, 1, 12, 0, 0), ptr(utc(2027, 1, 1, 0, 0, 0))},
		{"cron strictly after", cron("*/15 * * * *", ""), utc(2026, 5, 1, 12, 15, 0), ptr(utc(2026, 5, 1, 12, 30, 0))},
		{"cron within the minute", cron("*/15 * * * *", ""), utc(2026, 5, 1, 12, 14, 59), ptr(utc(2026, 5, 1, 12, 15, 0))},
		{"cron in summer time", cron("0 8 * * *", "Europe/Prague"), utc(2026, 5, 1, 12, 0, 0), ptr(utc(2026, 5, 2, 6, 0, 0))},
		{"cron in winter time", cron("0 8 * * *", "Europe/Prague"), utc(2026, 1, 10, 12, 0, 0), ptr(utc(2026, 1, 11, 7, 0, 0))},
		{"08:00 stays 08:00 local across spring forward", cron("0 8 * * *", "Europe/Prague"),
			utc(2026, 3, 28, 7, 0, 0), ptr(utc(2026, 3, 29, 6, 0, 0))},
		{"nonexistent 02:30 is skipped that day", cron("30 2 * * *", "Europe/Prague"),
			utc(2026, 3, 28, 2, 0, 0), ptr(utc(2026, 3, 30, 0, 30, 0))},
		{"hourly jumps the missing hour", cron("0 * * * *", "Europe/Prague"),
			utc(2026, 3, 29, 0, 30, 0), ptr(utc(2026, 3, 29, 1, 0, 0))},
		{"repeated 02:30 fires at its first occurrence", cron("30 2 * * *", "Europe/Prague"),
			utc(2026, 10, 24, 12, 0, 0), ptr(utc(2026, 10, 25, 0, 30, 0))},
		{"repeated 02:30 fires once", cron("30 2 * * *", "Europe/Prague"),
			utc(2026, 10, 25, 0, 30, 0), ptr(utc(2026, 10, 26, 1, 30, 0))},
		{"set inside the repeated hour: its first pass has gone", cron("30 2 * * *", "Europe/Prague"),
			utc(2026, 10, 25, 1, 0, 0), ptr(utc(2026, 10, 26, 1, 30, 0))},
		{"every 15 minutes skips the repeated hour's second pass", cron("*/15 * * * *", "Europe/Prague"),
			utc(2026, 10, 25, 0, 45, 0), ptr(utc(2026, 10, 25, 2, 0, 0))},
		{"half-hour DST shift: 02:15 does not exist", cron("15 2 * * *", "Australia/Lord_Howe"),
			utc(2026, 10, 3, 12, 0, 0), ptr(utc(2026, 10, 4, 15, 15, 0))},
		{"weekdays in New York", cron("*/15 8-17 * * 1-5", "America/New_York"),
			utc(2026, 5, 1, 21, 50, 0), ptr(utc(2026, 5, 4, 12, 0, 0))},
		{"day of month or day of week", cron("0 9 13 * 5", "UTC"), utc(2026, 5, 9, 0, 0, 0), ptr(utc(2026, 5, 13, 9, 0, 0))},
		{"February 29 two years on", cron("0 12 29 2 *", "UTC"), utc(2026, 3, 1, 0, 0, 0), ptr(utc(2028, 2, 29, 12, 0, 0))},
		{"invalid zone has no run", cron("0 8 * * *", "Mars/Olympus"), utc(2026, 5, 1, 0, 0, 0), nil},
		{"once ahead", weft.Schedule{Type: schedule.Once, At: ptr(utc(2026, 5, 2, 8, 0, 0))},
			utc(2026, 5, 1, 0, 0, 0), ptr(utc(2026, 5, 2, 8, 0, 0))},
		{"once at after has passed", weft.Schedule{Type: schedule.Once, At: ptr(utc(2026, 5, 2, 8, 0, 0))},
			utc(2026, 5, 2, 8, 0, 0), nil},
		{"once in another zone comes back in UTC",
			weft.Schedule{Type: schedule.Once, At: ptr(time.Date(2026, 5, 2, 8, 0, 0, 0, time.FixedZone("CEST", 7200)))},
			utc(2026, 5, 1, 0, 0, 0), ptr(utc(2026, 5, 2, 6, 0, 0))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := schedule.Next(c.s, c.after)
			if !sameTime(got, c.want) {
				t.Fatalf("Next(%+v, %s) = %s, want %s", c.s, c.after, show(got), show(c.want))
			}
			if got != nil && got.Location() != time.UTC {
				t.Fatalf("Next returned %s, not in UTC", got)
			}
		})
	}
}

// TestCronDayAcrossDST walks a whole day of "every 30 minutes" through both changes,
// counting the local times that fire.
func TestCronDayAcrossDST(t *testing.T) {
	prague, err := time.LoadLocation("Europe/Prague")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		day       time.Time
		wantFires int
		wantLocal []string // the fires between 01:00 and 04:00 local
	}{
		// 23-hour day: 02:00 and 02:30 do not exist.
		{time.Date(2026, 3, 29, 0, 0, 0, 0, prague), 46,
			[]string{"01:00 CET", "01:30 CET", "03:00 CEST", "03:30 CEST"}},
		// 25-hour day: 02:00 and 02:30 happen twice and fire once each.
		{time.Date(2026, 10, 25, 0, 0, 0, 0, prague), 48,
			[]string{"01:00 CEST", "01:30 CEST", "02:00 CEST", "02:30 CEST", "03:00 CET", "03:30 CET"}},
	}
	s := cron("*/30 * * * *", "Europe/Prague")
	for _, c := range cases {
		t.Run(c.day.Format("2006-01-02"), func(t *testing.T) {
			end := c.day.AddDate(0, 0, 1)
			after := c.day.Add(-time.Second)
			var fires int
			var local []string
			for {
				n := schedule.Next(s, after)
				if n == nil {
					t.Fatalf("Next(%s) = nil", after)
				}
				if !n.Before(end) {
					break
				}
				fires++
				if l := n.In(prague); l.Hour() >= 1 && l.Hour() < 4 {
					local = append(local, l.Format("15:04 MST"))
				}
				after = *n
			}
			if fires != c.wantFires || !equalStrings(local, c.wantLocal) {
				t.Fatalf("fires = %d %v, want %d %v", fires, local, c.wantFires, c.wantLocal)
			}
		})
	}
}

func TestFollowing(t *testing.T) {
	every10 := weft.Schedule{Type: schedule.Interval, Interval: 10}
	cases := []struct {
		name     string
		s        weft.Schedule
		due, now time.Time
		want     *time.Time
	}{
		{"on time: the grid", every10, utc(2026, 5, 1, 12, 0, 0), utc(2026, 5, 1, 12, 0, 2), ptr(utc(2026, 5, 1, 12, 10, 0))},
		{"late by a worker poll: no drift", every10, utc(2026, 5, 1, 12, 0, 0), utc(2026, 5, 1, 12, 0, 59), ptr(utc(2026, 5, 1, 12, 10, 0))},
		{"after downtime: next grid point after now", every10, utc(2026, 5, 1, 12, 0, 0), utc(2026, 5, 1, 15, 7, 0), ptr(utc(2026, 5, 1, 15, 10, 0))},
		{"never at now", every10, utc(2026, 5, 1, 12, 0, 0), utc(2026, 5, 1, 12, 10, 0), ptr(utc(2026, 5, 1, 12, 20, 0))},
		{"due in the future: from now", every10, utc(2026, 5, 1, 13, 0, 0), utc(2026, 5, 1, 12, 0, 0), ptr(utc(2026, 5, 1, 12, 10, 0))},
		{"cron after downtime: the next match after now", cron("0 8 * * *", "Europe/Prague"),
			utc(2026, 5, 4, 6, 0, 0), utc(2026, 5, 6, 7, 0, 0), ptr(utc(2026, 5, 7, 6, 0, 0))},
		{"once: nothing after it", weft.Schedule{Type: schedule.Once, At: ptr(utc(2026, 5, 1, 12, 0, 0))},
			utc(2026, 5, 1, 12, 0, 0), utc(2026, 5, 3, 0, 0, 0), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := schedule.Following(c.s, c.due, c.now); !sameTime(got, c.want) {
				t.Fatalf("Following(%+v, %s, %s) = %s, want %s", c.s, c.due, c.now, show(got), show(c.want))
			}
		})
	}
}

func TestValidate(t *testing.T) {
	at := utc(2026, 5, 1, 8, 0, 0)
	cases := []struct {
		name string
		s    weft.Schedule
		want string // "" = valid
	}{
		{"on demand", weft.Schedule{}, ""},
		{"interval", weft.Schedule{Type: "interval", Interval: 15}, ""},
		{"interval 1", weft.Schedule{Type: "interval", Interval: 1}, ""},
		{"interval 44640", weft.Schedule{Type: "interval", Interval: 44640}, ""},
		{"cron", cron("0 8 * * 1-5", "Europe/Prague"), ""},
		{"cron with names", cron("30 6 1,15 jan-jun mon", ""), ""},
		{"once", weft.Schedule{Type: "once", At: &at}, ""},
		{"unknown type", weft.Schedule{Type: "weekly"},
			`schedule.type: unknown type "weekly": use interval, cron, once, or leave it empty for on demand`},
		{"interval 0", weft.Schedule{Type: "interval"},
			"schedule.interval: 0 minutes is out of range: it must be 1 to 44640 (31 days)"},
		{"interval too long", weft.Schedule{Type: "interval", Interval: 44641},
			"schedule.interval: 44641 minutes is out of range: it must be 1 to 44640 (31 days)"},
		{"interval with a cron", weft.Schedule{Type: "interval", Interval: 5, Cron: "* * * * *"},
			"schedule.cron: is not used by type interval; leave it out"},
		{"on demand with an interval", weft.Schedule{Interval: 5},
			"schedule.interval: is not used by an on-demand schedule; leave it out"},
		{"cron missing", weft.Schedule{Type: "cron"},
			`schedule.cron: is required for type cron (five fields: minute hour day-of-month month day-of-week, e.g. "0 8 * * 1-5")`},
		{"cron with seconds", cron("0 0 8 * * *", ""),
			`schedule.cron: "0 0 8 * * *" has 6 fields; weft takes five: minute hour day-of-month month day-of-week`},
		{"cron macro", cron("@daily", ""),
			`schedule.cron: "@daily" has 1 field; weft takes five: minute hour day-of-month month day-of-week`},
		{"cron minute 61", cron("61 * * * *", ""),
			`schedule.cron: "61 * * * *" is not a valid cron expression (minute 0-59, hour 0-23, day 1-31, month 1-12 or jan-dec, weekday 0-7 or sun-sat; * , - / allowed)`},
		{"cron never matches", cron("0 0 30 2 *", ""),
			`schedule.cron: "0 0 30 2 *" never matches a date (such as February 30)`},
		{"bad zone", cron("0 8 * * *", "Europe/Atlantis"),
			`schedule.timezone: "Europe/Atlantis" is not an IANA time zone (such as Europe/Prague or America/New_York)`},
		{"Local zone", cron("0 8 * * *", "Local"),
			`schedule.timezone: "Local" depends on the host; name an IANA zone such as Europe/Prague`},
		{"two problems at once", weft.Schedule{Type: "cron", Cron: "0 8 * *", Timezone: "Nowhere"},
			`schedule.cron: "0 8 * *" has 4 fields; weft takes five: minute hour day-of-month month day-of-week` + "\n" +
				`schedule.timezone: "Nowhere" is not an IANA time zone (such as Europe/Prague or America/New_York)`},
		{"once without at", weft.Schedule{Type: "once"},
			"schedule.at: is required for type once (an RFC 3339 time such as 2026-05-01T08:00:00+02:00)"},
		{"once with a zone", weft.Schedule{Type: "once", At: &at, Timezone: "UTC"},
			"schedule.timezone: is not used by type once; leave it out"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := schedule.Validate(c.s)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != c.want {
				t.Fatalf("Validate(%+v) = %q, want %q", c.s, got, c.want)
			}
			var fe *schedule.Error
			if err != nil && !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *schedule.Error", err)
			}
		})
	}
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func show(t *time.Time) string {
	if t == nil {
		return "nil"
	}
	return t.UTC().Format(time.RFC3339)
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
