package datetime

import (
	"errors"
	"math/rand"
	"strings"
	"testing"
	"time"
)

// TestParse checks parseDate against moment 2.29.4 + moment-timezone, which produced
// every expected value here (with "now" fixed at 2024-05-15T12:00:00Z).
func TestParse(t *testing.T) {
	now := mustTime(t, "2024-05-15T12:00:00Z")
	tests := []struct{ text, layout, zone, want, why string }{
		{"2016-12-28", "YYYY-MM-DD", "UTC", "2016-12-28T00:00:00.000Z", "documented"},
		{"2016-12-28 16:03", "YYYY-MM-DD HH:mm", "UTC", "2016-12-28T16:03:00.000Z", "documented"},
		{"2016-12-28 04:03 pm", "YYYY-MM-DD hh:mm a", "UTC", "2016-12-28T16:03:00.000Z", "documented (the doc's :06 seconds is a typo)"},
		{"1482940986", "X", "UTC", "2016-12-28T16:03:06.000Z", "documented"},
		{"1410715640.579", "X", "UTC", "2014-09-14T17:27:20.579Z", "seconds with a fraction"},
		{"1410715640579", "x", "UTC", "2014-09-14T17:27:20.579Z", "milliseconds"},
		{"1410715640579", "x", "Europe/Prague", "2014-09-14T17:27:20.579Z", "an instant ignores the zone"},
		{"2016-12-28", "YYYY-MM-DD", "Europe/Prague", "2016-12-27T23:00:00.000Z", "wall time in the zone"},
		{"2016-07-01 10:00", "YYYY-MM-DD HH:mm", "America/New_York", "2016-07-01T14:00:00.000Z", "summer time"},
		{"2016-12-28T16:03:00+02:00", "YYYY-MM-DDTHH:mm:ssZ", "America/New_York", "2016-12-28T14:03:00.000Z", "Z overrides the zone"},
		{"2016-12-28T16:03:00-0530", "YYYY-MM-DDTHH:mm:ssZZ", "UTC", "2016-12-28T21:33:00.000Z", "ZZ without colon"},
		{"2016-12-28T16:03:00Z", "YYYY-MM-DDTHH:mm:ssZ", "Europe/Prague", "2016-12-28T16:03:00.000Z", "Z letter"},
		{"2016-12-28T16:03:00+02", "YYYY-MM-DDTHH:mm:ssZ", "UTC", "2016-12-28T14:03:00.000Z", "hour-only offset"},
		{"2016/12/28", "YYYY-MM-DD", "UTC", "2016-12-28T00:00:00.000Z", "separators need not match"},
		{"Date: 2016-12-28!", "YYYY-MM-DD", "UTC", "2016-12-28T00:00:00.000Z", "leading and trailing text skipped"},
		{"20161228", "YYYYMMDD", "UTC", "2016-12-28T00:00:00.000Z", "no separators"},
		{"201612281603", "YYYYMMDDHHmm", "UTC", "2016-12-28T16:03:00.000Z", "blueprint 037 layout"},
		{"2016-12-28", "YYYY-MM-DD HH:mm", "UTC", "2016-12-28T00:00:00.000Z", "missing time is midnight"},
		{"28.12.2016 7:5", "DD.MM.YYYY H:m", "UTC", "2016-12-28T07:05:00.000Z", "single digits"},
		{"28.12.68", "DD.MM.YY", "UTC", "2068-12-28T00:00:00.000Z", "68 is 2068"},
		{"28.12.69", "DD.MM.YY", "UTC", "1969-12-28T00:00:00.000Z", "69 is 1969"},
		{"28.12.16", "DD.MM.YYYY", "UTC", "2016-12-28T00:00:00.000Z", "two digits for YYYY pivot too"},
		{"-25-03-01", "Y-MM-DD", "UTC", "-000025-03-01T00:00:00.000Z", "signed year"},
		{"2016-12", "YYYY-MM", "UTC", "2016-12-01T00:00:00.000Z", "day defaults to 1"},
		{"2016", "YYYY", "UTC", "2016-01-01T00:00:00.000Z", "month and day default to January 1"},
		{"16:03", "HH:mm", "UTC", "2024-05-15T16:03:00.000Z", "date defaults to today"},
		{"12-28", "MM-DD", "UTC", "2024-12-28T00:00:00.000Z", "year defaults to this year"},
		{"28", "DD", "UTC", "2024-05-28T00:00:00.000Z", "month and year from today"},
		{"16:03", "HH:mm", "Europe/Prague", "2024-05-15T14:03:00.000Z", "today in the zone"},
		{"28 December 2016", "DD MMMM YYYY", "UTC", "2016-12-28T00:00:00.000Z", "month name"},
		{"28 dec 2016", "DD MMM YYYY", "UTC", "2016-12-28T00:00:00.000Z", "any case"},
		{"Sept 28 2016", "MMM DD YYYY", "UTC", "2016-09-28T00:00:00.000Z", "prefix Sep"},
		{"December 28th 2016", "MMMM Do YYYY", "UTC", "2016-12-28T00:00:00.000Z", "ordinal day"},
		{"Wed, 28 Dec 2016", "ddd, DD MMM YYYY", "UTC", "2016-12-28T00:00:00.000Z", "matching weekday"},
		{"Tuesday", "dddd", "UTC", "2024-05-14T00:00:00.000Z", "weekday of this week"},
		{"Q3 2016", "[Q]Q YYYY", "UTC", "2016-07-01T00:00:00.000Z", "quarter"},
		{"12:30 am", "hh:mm a", "UTC", "2024-05-15T00:30:00.000Z", "12 am is midnight"},
		{"12:30 PM", "hh:mm A", "UTC", "2024-05-15T12:30:00.000Z", "12 pm is noon"},
		{"1:30 p.m.", "h:mm a", "UTC", "2024-05-15T13:30:00.000Z", "p.m. with dots"},
		{"24:00", "kk:mm", "UTC", "2024-05-15T00:00:00.000Z", "k 24 is 0"},
		{"2016-12-28 24:00", "YYYY-MM-DD HH:mm", "UTC", "2016-12-29T00:00:00.000Z", "24:00 is the next day"},
		{"2016-12-28 16:03:04.5", "YYYY-MM-DD HH:mm:ss.S", "UTC", "2016-12-28T16:03:04.500Z", "S is tenths"},
		{"2016-12-28 16:03:04.123456", "YYYY-MM-DD HH:mm:ss.SSSSSS", "UTC", "2016-12-28T16:03:04.123Z", "long fraction keeps ms"},
		{"1603", "Hmm", "UTC", "2024-05-15T16:03:00.000Z", "Hmm"},
		{"2020-W53-4", "GGGG-[W]WW-E", "UTC", "2020-12-31T00:00:00.000Z", "ISO week date"},
		{"2020 53", "GGGG WW", "UTC", "2020-12-28T00:00:00.000Z", "ISO week defaults to Monday"},
		{"2021 1", "gggg w", "UTC", "2020-12-27T00:00:00.000Z", "US week 1 starts on Sunday"},
		{"2016 366", "YYYY DDDD", "UTC", "2016-12-31T00:00:00.000Z", "day of year"},
		{"2016 60", "YYYY DDD", "UTC", "2016-02-29T00:00:00.000Z", "day 60 of a leap year"},
		{"5 BC", "y N", "UTC", "-000004-01-01T00:00:00.000Z", "era"},
		{"2021-03-28 02:30", "YYYY-MM-DD HH:mm", "Europe/Prague", "2021-03-28T01:30:00.000Z", "gap moves forward"},
		{"2021-10-31 02:30", "YYYY-MM-DD HH:mm", "Europe/Prague", "2021-10-31T00:30:00.000Z", "overlap takes the earlier"},
		{"2021-03-14 02:30", "YYYY-MM-DD HH:mm", "America/New_York", "2021-03-14T07:30:00.000Z", "gap moves forward"},
		{"2021-11-07 01:30", "YYYY-MM-DD HH:mm", "America/New_York", "2021-11-07T05:30:00.000Z", "overlap takes the earlier"},
		{"2020-02-29", "YYYY-MM-DD", "UTC", "2020-02-29T00:00:00.000Z", "leap day"},
	}
	for _, tc := range tests {
		got, err := ParseAt(tc.text, tc.layout, mustZone(t, tc.zone), now)
		if err != nil {
			t.Errorf("ParseAt(%q, %q, %s) (%s): %v", tc.text, tc.layout, tc.zone, tc.why, err)
			continue
		}
		if ISO(got) != tc.want {
			t.Errorf("ParseAt(%q, %q, %s) (%s) = %s, want %s", tc.text, tc.layout, tc.zone, tc.why, ISO(got), tc.want)
		}
		if got.Location() != time.UTC {
			t.Errorf("ParseAt(%q, %q) returned zone %v, want UTC", tc.text, tc.layout, got.Location())
		}
	}
}

// TestParseWithoutClock: Parse has no clock, so a missing date comes from 1970-01-01.
func TestParseWithoutClock(t *testing.T) {
	tests := []struct{ text, layout, want string }{
		{"16:03", "HH:mm", "1970-01-01T16:03:00.000Z"},
		{"12-28", "MM-DD", "1970-12-28T00:00:00.000Z"},
		{"2016-12-28", "YYYY-MM-DD", "2016-12-28T00:00:00.000Z"},
		{"2016-12-28T16:03:00+01:00", "", "2016-12-28T15:03:00.000Z"}, // no layout: as Coerce
	}
	for _, tc := range tests {
		got, err := Parse(tc.text, tc.layout, nil)
		if err != nil || ISO(got) != tc.want {
			t.Errorf("Parse(%q, %q) = %s, %v; want %s", tc.text, tc.layout, ISO(got), err, tc.want)
		}
	}
}

// TestParseMakeFormula runs Make's documented "last millisecond of the previous
// month" formula: parseDate(parseDate(formatDate(now; "YYYYMM01"); "YYYYMMDD"; "UTC") - 1; "x").
func TestParseMakeFormula(t *testing.T) {
	now := mustTime(t, "2024-03-15T10:00:00Z")
	first, err := Parse(Format(now, "YYYYMM01", nil), "YYYYMMDD", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	ms := first.UnixMilli() - 1
	last, err := Parse(strconvItoa(ms), "x", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ISO(last), "2024-02-29T23:59:59.999Z"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func strconvItoa(n int64) string { return string(zeroFill(nil, n, 1, false)) }

// TestParseErrors: every invalid date moment rejects is an error naming the token
// and the problem.
func TestParseErrors(t *testing.T) {
	tests := []struct{ text, layout, token, reason string }{
		{"2016-13-01", "YYYY-MM-DD", "MM", "month 13 is out of range 1–12"},
		{"2016-02-30", "YYYY-MM-DD", "DD", "day 30 is out of range for February 2016"},
		{"2015-02-29", "YYYY-MM-DD", "DD", "day 29 is out of range for February 2015"},
		{"abc", "YYYY-MM-DD", "", "no part of the text matches the layout"},
		{"", "YYYY", "", "no part of the text matches the layout"},
		{"Foo 2016", "MMM YYYY", "MMM", `"Foo" is not a month name`},
		{"Xyz 28", "ddd DD", "ddd", `"Xyz" is not a day name`},
		{"Mon 2016-12-28", "ddd YYYY-MM-DD", "ddd", "2016-12-28 is a Wednesday, not a Monday"},
		{"25:00", "HH:mm", "HH", "hour 25 is out of range"},
		{"24:30", "HH:mm", "HH", "hour 24 is out of range"},
		{"10:60", "HH:mm", "mm", "minute 60 is out of range"},
		{"10:00:61", "HH:mm:ss", "ss", "second 61 is out of range"},
		{"pm", "a", "", "am/pm \"pm\" without an hour"},
		{"2015 366", "YYYY DDDD", "DDDD", "day of year 366 is out of range 1–365 for 2015"},
		{"2021 54", "GGGG WW", "", "week 54 is out of range 1–52 for week-year 2021"},
		{"2021 1 8", "GGGG W E", "", "weekday 8 is out of range"},
		{"99999999999999999999", "x", "x", "is outside the supported date range"},
		{"275761", "YYYYYY", "", "outside the supported range"},
	}
	for _, tc := range tests {
		_, err := Parse(tc.text, tc.layout, nil)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q, %q) = %v, want a *ParseError", tc.text, tc.layout, err)
			continue
		}
		if pe.Token != tc.token || !strings.Contains(pe.Reason, tc.reason) || pe.Text != tc.text || pe.Layout != tc.layout {
			t.Errorf("Parse(%q, %q): token %q reason %q; want token %q reason containing %q",
				tc.text, tc.layout, pe.Token, pe.Reason, tc.token, tc.reason)
		}
		if !strings.Contains(err.Error(), tc.layout) {
			t.Errorf("error %q does not name the layout %q", err, tc.layout)
		}
	}
}

// TestRoundTrip: formatting an instant and parsing the text with the same layout
// gives the instant back, for layouts that carry the full date, time and offset.
func TestRoundTrip(t *testing.T) {
	layouts := []string{
		"YYYY-MM-DDTHH:mm:ss.SSSZ",
		"x",
		"DD.MM.YYYY HH:mm:ss.SSS ZZ",
		"GGGG-[W]WW-E HH:mm:ss.SSS Z",
		"YYYY DDDD HH mm ss SSS Z",
		"dddd, MMMM Do YYYY, h:mm:ss.SSS a Z",
		"MMM D YYYY hh:mm:ss.SSS A ZZ",
		"gggg [w]w e k:m:s.SSS Z",
		"YYYYMMDDHHmmssSSSZZ",
		"[Quarter] Q, MM/DD/YYYY Hmmss SSS ZZ",
	}
	zones := []*time.Location{time.UTC, mustZone(t, "Europe/Prague"), mustZone(t, "America/New_York"),
		mustZone(t, "Asia/Kolkata"), mustZone(t, "Australia/Lord_Howe")}
	r := rand.New(rand.NewSource(1))
	// From 1970: earlier local mean times have offsets with seconds, which Z cannot print.
	lo, hi := mustTime(t, "1970-01-01T00:00:00Z").UnixMilli(), mustTime(t, "2100-01-01T00:00:00Z").UnixMilli()
	for i := 0; i < 20000; i++ {
		want := time.UnixMilli(lo + r.Int63n(hi-lo)).UTC()
		layout := layouts[r.Intn(len(layouts))]
		loc := zones[r.Intn(len(zones))]
		text := Format(want, layout, loc)
		got, err := Parse(text, layout, loc)
		if err != nil || !got.Equal(want) {
			t.Fatalf("%s in %v: Format(%q) = %q, parsed back as %s, %v", ISO(want), loc, layout, text, ISO(got), err)
		}
	}
	// Without an offset the wall time must be unambiguous: zones without DST.
	for i := 0; i < 5000; i++ {
		want := time.UnixMilli(lo + r.Int63n(hi-lo)).UTC()
		loc := zones[3*(i%2)] // UTC or Asia/Kolkata
		text := Format(want, "YYYY-MM-DD HH:mm:ss.SSS", loc)
		got, err := Parse(text, "YYYY-MM-DD HH:mm:ss.SSS", loc)
		if err != nil || !got.Equal(want) {
			t.Fatalf("%s in %v: %q parsed back as %s, %v", ISO(want), loc, text, ISO(got), err)
		}
	}
}
