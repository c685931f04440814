package datetime

import (
	"math"
	"testing"
	"time"
)

// TestCalendar covers addX/setX/setDay: the documented examples of IML.md §2.4 (the
// FUS-DATE values where Make's page has typos), month ends, leap years, fractional
// amounts and daylight-saving changes. moment 2.29.4 + moment-timezone produced every
// expected value.
func TestCalendar(t *testing.T) {
	tests := []struct {
		op, unit   string
		n          float64
		from, zone string
		want, why  string
	}{
		{"add", "days", 2, "2016-12-08T15:55:57.536Z", "UTC", "2016-12-10T15:55:57.536Z", "documented addDays"},
		{"add", "days", -2, "2016-12-08T15:55:57.536Z", "UTC", "2016-12-06T15:55:57.536Z", "documented addDays"},
		{"add", "hours", 2, "2016-12-08T15:55:57.536Z", "UTC", "2016-12-08T17:55:57.536Z", "documented addHours"},
		{"add", "hours", -2, "2016-12-08T15:55:57.536Z", "UTC", "2016-12-08T13:55:57.536Z", "documented addHours"},
		{"add", "minutes", 2, "2016-12-08T15:55:57.536Z", "UTC", "2016-12-08T15:57:57.536Z", "documented addMinutes"},
		{"add", "minutes", -2, "2016-12-08T15:55:57.536Z", "UTC", "2016-12-08T15:53:57.536Z", "documented addMinutes"},
		{"add", "seconds", 2, "2016-12-08T15:55:57.536Z", "UTC", "2016-12-08T15:55:59.536Z", "documented addSeconds (FUS-DATE)"},
		{"add", "months", 2, "2016-08-08T15:55:57.536Z", "UTC", "2016-10-08T15:55:57.536Z", "documented addMonths (FUS-DATE)"},
		{"add", "years", 2, "2016-08-08T15:55:57.536Z", "UTC", "2018-08-08T15:55:57.536Z", "documented addYears (FUS-DATE)"},
		{"set", "second", 10, "2015-10-07T11:36:39.138Z", "UTC", "2015-10-07T11:36:10.138Z", "documented setSecond"},
		{"set", "second", 61, "2015-10-07T11:36:39.138Z", "UTC", "2015-10-07T11:37:01.138Z", "documented setSecond overflow"},
		{"set", "minute", 10, "2015-10-07T11:36:39.138Z", "UTC", "2015-10-07T11:10:39.138Z", "documented setMinute"},
		{"set", "minute", 61, "2015-10-07T11:36:39.138Z", "UTC", "2015-10-07T12:01:39.138Z", "documented setMinute overflow"},
		{"set", "hour", 6, "2015-08-07T11:36:39.138Z", "UTC", "2015-08-07T06:36:39.138Z", "documented setHour (FUS-DATE)"},
		{"set", "hour", -6, "2015-08-07T11:36:39.138Z", "UTC", "2015-08-06T18:36:39.138Z", "documented setHour negative (FUS-DATE)"},
		{"set", "date", 5, "2015-08-07T11:36:39.138Z", "UTC", "2015-08-05T11:36:39.138Z", "documented setDate"},
		{"set", "date", 32, "2015-08-07T11:36:39.138Z", "UTC", "2015-09-01T11:36:39.138Z", "documented setDate overflow"},
		{"set", "month", 5, "2015-08-07T11:36:39.138Z", "UTC", "2015-05-07T11:36:39.138Z", "documented setMonth"},
		{"set", "month", 17, "2015-08-07T11:36:39.138Z", "UTC", "2016-05-07T11:36:39.138Z", "documented setMonth overflow"},
		{"set", "month", 1, "2015-08-07T11:36:39.138Z", "Europe/Prague", "2015-01-07T12:36:39.138Z", "documented setMonth(january): Prague wall time"},
		{"set", "year", 2017, "2015-08-07T11:36:39.138Z", "UTC", "2017-08-07T11:36:39.138Z", "documented setYear"},
		{"setday", "", 2, "2018-06-27T11:36:39.138Z", "UTC", "2018-06-25T11:36:39.138Z", "documented setDay(monday)"},
		{"setday", "", 1, "2018-06-27T11:36:39.138Z", "UTC", "2018-06-24T11:36:39.138Z", "documented setDay(1) Sunday"},
		{"setday", "", 7, "2018-06-27T11:36:39.138Z", "UTC", "2018-06-30T11:36:39.138Z", "documented setDay(7) Saturday"},
		{"setday", "", 0, "2018-06-27T11:36:39.138Z", "UTC", "2018-06-23T11:36:39.138Z", "0 is the Saturday before"},
		{"setday", "", 8, "2018-06-27T11:36:39.138Z", "UTC", "2018-07-01T11:36:39.138Z", "8 is the next Sunday"},
		{"setday", "", -6, "2018-06-27T11:36:39.138Z", "UTC", "2018-06-17T11:36:39.138Z", "-6 two weeks back"},
		{"add", "months", 1, "2021-01-31T10:00:00.000Z", "UTC", "2021-02-28T10:00:00.000Z", "Jan 31 + 1 month clamps to Feb 28"},
		{"add", "months", 1, "2020-01-31T10:00:00.000Z", "UTC", "2020-02-29T10:00:00.000Z", "leap year: Feb 29"},
		{"add", "months", -1, "2021-03-31T10:00:00.000Z", "UTC", "2021-02-28T10:00:00.000Z", "Mar 31 - 1 month"},
		{"add", "months", 13, "2020-01-31T10:00:00.000Z", "UTC", "2021-02-28T10:00:00.000Z", "13 months"},
		{"add", "years", 1, "2020-02-29T10:00:00.000Z", "UTC", "2021-02-28T10:00:00.000Z", "Feb 29 + 1 year"},
		{"add", "years", 4, "2020-02-29T10:00:00.000Z", "UTC", "2024-02-29T10:00:00.000Z", "Feb 29 + 4 years"},
		{"add", "days", 1, "2020-02-28T10:00:00.000Z", "UTC", "2020-02-29T10:00:00.000Z", "leap day"},
		{"add", "days", 1, "2021-02-28T10:00:00.000Z", "UTC", "2021-03-01T10:00:00.000Z", "no leap day"},
		{"add", "days", 366, "2020-01-01T00:00:00.000Z", "UTC", "2021-01-01T00:00:00.000Z", "a leap year has 366 days"},
		{"set", "month", 2, "2021-01-31T10:00:00.000Z", "UTC", "2021-02-28T10:00:00.000Z", "setMonth clamps"},
		{"set", "month", 0, "2021-05-15T10:00:00.000Z", "UTC", "2020-12-15T10:00:00.000Z", "month 0 is December before"},
		{"set", "month", -1, "2021-05-15T10:00:00.000Z", "UTC", "2020-11-15T10:00:00.000Z", "month -1 is November before"},
		{"set", "date", 0, "2021-03-15T10:00:00.000Z", "UTC", "2021-02-28T10:00:00.000Z", "day 0 is the last of the previous month"},
		{"set", "year", 2021, "2020-02-29T10:00:00.000Z", "UTC", "2021-02-28T10:00:00.000Z", "setYear moves Feb 29 to 28"},
		{"set", "year", 2024, "2020-02-29T10:00:00.000Z", "UTC", "2024-02-29T10:00:00.000Z", "setYear keeps Feb 29 in a leap year"},
		{"set", "hour", 24, "2021-03-15T10:30:00.000Z", "UTC", "2021-03-16T00:30:00.000Z", "hour 24 is midnight next day"},
		{"set", "second", -1, "2021-03-15T10:30:00.000Z", "UTC", "2021-03-15T10:29:59.000Z", "second -1"},
		{"set", "millisecond", 1500, "2021-03-15T10:30:00.250Z", "UTC", "2021-03-15T10:30:01.500Z", "millisecond overflow"},
		{"add", "days", 1.5, "2021-03-15T10:00:00.000Z", "UTC", "2021-03-17T10:00:00.000Z", "1.5 days rounds to 2"},
		{"add", "days", -1.5, "2021-03-15T10:00:00.000Z", "UTC", "2021-03-13T10:00:00.000Z", "-1.5 days rounds to -2"},
		{"add", "days", 0.4, "2021-03-15T10:00:00.000Z", "UTC", "2021-03-15T10:00:00.000Z", "0.4 days rounds to 0"},
		{"add", "months", 1.5, "2021-03-15T10:00:00.000Z", "UTC", "2021-05-15T10:00:00.000Z", "1.5 months rounds to 2"},
		{"add", "years", 1.5, "2021-03-15T10:00:00.000Z", "UTC", "2022-09-15T10:00:00.000Z", "1.5 years is 18 months"},
		{"add", "years", 0.1, "2021-03-15T10:00:00.000Z", "UTC", "2021-04-15T10:00:00.000Z", "0.1 years is 1.2 months: 1"},
		{"add", "hours", 1.5, "2021-03-15T10:00:00.000Z", "UTC", "2021-03-15T11:30:00.000Z", "hours keep fractions"},
		{"add", "minutes", 0.5, "2021-03-15T10:00:00.000Z", "UTC", "2021-03-15T10:00:30.000Z", "half a minute"},
		{"add", "seconds", 0.0015, "2021-03-15T10:00:00.000Z", "UTC", "2021-03-15T10:00:00.001Z", "to the millisecond"},
		{"add", "milliseconds", -1.5, "2021-03-15T10:00:00.239Z", "UTC", "2021-03-15T10:00:00.237Z", "JavaScript truncates the sum"},
		{"add", "weeks", 1, "2021-03-15T10:00:00.000Z", "UTC", "2021-03-22T10:00:00.000Z", "a week"},
		{"add", "days", 1, "2021-03-27T08:00:00.000Z", "Europe/Prague", "2021-03-28T07:00:00.000Z", "09:00 stays 09:00 across spring forward"},
		{"add", "hours", 24, "2021-03-27T08:00:00.000Z", "Europe/Prague", "2021-03-28T08:00:00.000Z", "24 hours is 10:00 next day"},
		{"add", "days", 1, "2021-10-30T07:00:00.000Z", "Europe/Prague", "2021-10-31T08:00:00.000Z", "09:00 stays 09:00 across fall back"},
		{"add", "hours", 24, "2021-10-30T07:00:00.000Z", "Europe/Prague", "2021-10-31T07:00:00.000Z", "24 hours is 08:00 next day"},
		{"add", "days", -1, "2021-03-29T07:00:00.000Z", "Europe/Prague", "2021-03-28T07:00:00.000Z", "backwards across spring forward"},
		{"add", "months", 1, "2021-02-28T08:00:00.000Z", "Europe/Prague", "2021-03-28T07:00:00.000Z", "a month into summer time"},
		{"add", "days", 1, "2021-03-13T14:00:00.000Z", "America/New_York", "2021-03-14T13:00:00.000Z", "09:00 stays 09:00 in New York"},
		{"add", "days", 1, "2021-03-13T07:30:00.000Z", "America/New_York", "2021-03-14T07:30:00.000Z", "02:30 does not exist: 03:30"},
		{"add", "days", 1, "2021-11-06T05:30:00.000Z", "America/New_York", "2021-11-07T05:30:00.000Z", "01:30 twice: keeps summer offset"},
		{"add", "days", 1, "2021-11-06T06:30:00.000Z", "America/New_York", "2021-11-07T07:30:00.000Z", "02:30 EDT + 1 day: 02:30 after fall-back is EST"},
		{"add", "weeks", 86, "2021-03-14T06:44:52.000Z", "America/New_York", "2022-11-06T06:44:52.000Z", "01:44 twice: keeps winter offset"},
		{"set", "hour", 2, "2021-03-28T08:00:00.000Z", "Europe/Prague", "2021-03-28T01:00:00.000Z", "setHour into the gap: 02:00 → 03:00"},
		{"set", "hour", 2, "2021-10-31T08:00:00.000Z", "Europe/Prague", "2021-10-31T01:00:00.000Z", "setHour into the overlap keeps the winter offset"},
		{"set", "minute", 30, "2021-03-28T00:45:00.000Z", "Europe/Prague", "2021-03-28T00:30:00.000Z", "setMinute keeps the offset"},
		{"set", "date", 28, "2021-03-01T01:30:00.000Z", "Europe/Prague", "2021-03-28T01:30:00.000Z", "setDate into the gap: 02:30 → 03:30"},
		{"setday", "", 1, "2021-10-31T01:08:49.000Z", "Europe/Prague", "2021-10-31T01:08:49.000Z", "setDay keeps the overlap's offset"},
	}
	for _, tc := range tests {
		from, loc := mustTime(t, tc.from), mustZone(t, tc.zone)
		var got time.Time
		switch tc.op {
		case "add":
			got = Add(from, tc.unit, tc.n, loc)
		case "set":
			got = Set(from, tc.unit, int(tc.n), loc)
		default:
			got = SetDay(from, int(tc.n), loc)
		}
		if ISO(got) != tc.want {
			t.Errorf("%s %s %v from %s in %s (%s) = %s, want %s", tc.op, tc.unit, tc.n, tc.from, tc.zone, tc.why, ISO(got), tc.want)
		}
		if got.Location() != time.UTC {
			t.Errorf("%s %s: result in %v, want UTC", tc.op, tc.unit, got.Location())
		}
	}
}

// TestCalendarNilZoneIsUTC: a nil zone means UTC.
func TestCalendarNilZoneIsUTC(t *testing.T) {
	from := mustTime(t, "2021-03-27T23:30:00Z")
	prague := mustZone(t, "Europe/Prague")
	if got := Add(from, "days", 1, nil); ISO(got) != "2021-03-28T23:30:00.000Z" {
		t.Errorf("Add nil zone = %s", ISO(got))
	}
	// The same instant is already March 28, 00:30 in Prague: March 1, 00:30 CET there.
	if got := Set(from, "date", 1, nil); ISO(got) != "2021-03-01T23:30:00.000Z" {
		t.Errorf("Set nil zone = %s", ISO(got))
	}
	if got := Set(from, "date", 1, prague); ISO(got) != "2021-02-28T23:30:00.000Z" {
		t.Errorf("Set Prague = %s", ISO(got))
	}
}

// TestCalendarInvalid: unknown units, NaN or infinite amounts and results outside
// JavaScript's range give the zero time (Make's "Invalid date"), never a panic and
// never t unchanged.
func TestCalendarInvalid(t *testing.T) {
	from := mustTime(t, "2021-03-15T10:00:00Z")
	tests := []struct {
		name string
		got  time.Time
	}{
		{"Add unknown unit", Add(from, "fortnights", 1, nil)},
		{"Add singular unit", Add(from, "day", 1, nil)},
		{"Add NaN", Add(from, "days", math.NaN(), nil)},
		{"Add +Inf hours", Add(from, "hours", math.Inf(1), nil)},
		{"Add -Inf months", Add(from, "months", math.Inf(-1), nil)},
		{"Add 1e300 days", Add(from, "days", 1e300, nil)},
		{"Add 1e300 ms", Add(from, "milliseconds", 1e300, nil)},
		{"Add beyond range", Add(from, "years", 300000, nil)},
		{"Add to an out-of-range date", Add(time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC), "hours", 1, nil)},
		{"Set unknown unit", Set(from, "week", 1, nil)},
		{"Set plural unit", Set(from, "hours", 1, nil)},
		{"Set year beyond range", Set(from, "year", 275761, nil)},
		{"Set huge second", Set(from, "second", math.MaxInt, nil)},
		{"Set huge negative month", Set(from, "month", math.MinInt, nil)},
		{"SetDay huge", SetDay(from, math.MaxInt, nil)},
	}
	for _, tc := range tests {
		if !tc.got.IsZero() {
			t.Errorf("%s = %s, want the zero time", tc.name, ISO(tc.got))
		}
	}
	// The edges of the range still work.
	if got := Set(from, "year", 275760, nil); got.IsZero() || got.Year() != 275760 {
		t.Errorf("year 275760 = %v", got)
	}
	if got := Set(from, "year", -271821, nil); !got.IsZero() {
		t.Errorf("March -271821 is before JavaScript's first date, got %v", got)
	}
}

// TestCalendarSubMillisecond: Go times may carry nanoseconds; Add keeps them.
func TestCalendarSubMillisecond(t *testing.T) {
	from := time.Date(2021, 3, 15, 10, 0, 0, 123_456_789, time.UTC)
	for _, tc := range []struct {
		got  time.Time
		want time.Time
	}{
		{Add(from, "seconds", 1, nil), from.Add(time.Second)},
		{Add(from, "days", 1, nil), from.AddDate(0, 0, 1)},
		{Set(from, "second", 5, nil), from.Add(5 * time.Second)},
		{Set(from, "millisecond", 0, nil), from.Add(-123 * time.Millisecond)},
	} {
		if !tc.got.Equal(tc.want) {
			t.Errorf("got %v, want %v", tc.got, tc.want)
		}
	}
}

func TestMonthAndDayNames(t *testing.T) {
	months := []struct {
		name string
		want int
		ok   bool
	}{
		{"january", 1, true}, {"Jan", 1, true}, {"JANUARY", 1, true}, {" december ", 12, true},
		{"Sept", 9, true}, {"sep", 9, true}, {"May", 5, true}, {"Ju", 0, false}, {"Janu", 0, false},
		{"", 0, false}, {"13", 0, false}, {"leden", 0, false},
	}
	for _, tc := range months {
		if got, ok := MonthNumber(tc.name); got != tc.want || ok != tc.ok {
			t.Errorf("MonthNumber(%q) = %d, %v; want %d, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
	days := []struct {
		name string
		want int
		ok   bool
	}{
		{"sunday", 1, true}, {"Sun", 1, true}, {"Su", 1, true}, {"monday", 2, true}, {"Monday", 2, true},
		{"SAT", 7, true}, {"th", 5, true}, {"Thurs", 0, false}, {"", 0, false}, {"1", 0, false},
	}
	for _, tc := range days {
		if got, ok := DayNumber(tc.name); got != tc.want || ok != tc.ok {
			t.Errorf("DayNumber(%q) = %d, %v; want %d, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
