package datetime

import (
	"errors"
	"strings"
	"testing"
)

// TestCoerceMakeFormats holds every text format of Make's type-coercion table
// (IML.md §5), read with a UTC default zone: all are 2016-06-20 17:26 UTC.
func TestCoerceMakeFormats(t *testing.T) {
	tests := []struct{ text, want string }{
		{"2016-06-20T17:26:44.356Z", "2016-06-20T17:26:44.356Z"},
		{"2016-06-20 19:26:44 GMT+02:00", "2016-06-20T17:26:44.000Z"},
		{"2016-06-20 19:26+0200", "2016-06-20T17:26:00.000Z"},
		{"2016-06-20 17:26:44", "2016-06-20T17:26:44.000Z"},
		{"2016-06-20", "2016-06-20T00:00:00.000Z"},
		{"2016/06/20 17:26:44", "2016-06-20T17:26:44.000Z"},
		{"2016/06/20 19:26:44+02:00", "2016-06-20T17:26:44.000Z"},
		{"2016/06/20 17:26", "2016-06-20T17:26:00.000Z"},
		{"2016/06/20 5:26 PM", "2016-06-20T17:26:00.000Z"},
		{"2016/06/20", "2016-06-20T00:00:00.000Z"},
		{"06/20/2016 17:26:44", "2016-06-20T17:26:44.000Z"},
		{"06/20/2016 19:26:44+02:00", "2016-06-20T17:26:44.000Z"},
		{"06/20/2016 17:26", "2016-06-20T17:26:00.000Z"},
		{"06/20/2016 5:26 PM", "2016-06-20T17:26:00.000Z"},
		{"06/20/2016", "2016-06-20T00:00:00.000Z"},
		{"20.6.2016 17:26:44", "2016-06-20T17:26:44.000Z"},
		{"20.6.2016 19:26:44+02:00", "2016-06-20T17:26:44.000Z"},
		{"20.6.2016 17:26", "2016-06-20T17:26:00.000Z"},
		{"20.6.2016", "2016-06-20T00:00:00.000Z"},
	}
	for _, tc := range tests {
		got, err := Coerce(tc.text, nil)
		if err != nil || ISO(got) != tc.want {
			t.Errorf("Coerce(%q) = %s, %v; want %s", tc.text, ISO(got), err, tc.want)
		}
	}
}

// TestCoerceMore covers ISO 8601 variants, e-mail and HTTP dates, JavaScript's
// Date.toString, epoch milliseconds, and the default zone.
func TestCoerceMore(t *testing.T) {
	tests := []struct{ text, zone, want string }{
		// ISO 8601 / RFC 3339
		{"2016-06-20T17:26:44Z", "UTC", "2016-06-20T17:26:44.000Z"},
		{"2016-06-20t17:26:44z", "UTC", "2016-06-20T17:26:44.000Z"},
		{"2016-06-20T19:26:44.123456789+02:00", "UTC", "2016-06-20T17:26:44.123Z"},
		{"2016-06-20T19:26:44,5+02:00", "UTC", "2016-06-20T17:26:44.500Z"},
		{"2016-06-20T19:26+02", "UTC", "2016-06-20T17:26:00.000Z"},
		{"2016-06-20T12:26:44-05:00", "Europe/Prague", "2016-06-20T17:26:44.000Z"},
		{"  2016-06-20T17:26:44Z\n", "UTC", "2016-06-20T17:26:44.000Z"},
		{"2016-6-2", "UTC", "2016-06-02T00:00:00.000Z"},
		{"2016-06-20 24:00", "UTC", "2016-06-21T00:00:00.000Z"},
		{"2016-06-20 17:26:44 UTC", "Europe/Prague", "2016-06-20T17:26:44.000Z"},
		{"2016-06-20 13:26:44 EDT", "UTC", "2016-06-20T17:26:44.000Z"},
		{"2016-06-20 19:26:44 GMT+2", "UTC", "2016-06-20T17:26:44.000Z"},
		{"2016.06.20", "UTC", "2016-06-20T00:00:00.000Z"},
		{"06/20/2016 12:00 am", "UTC", "2016-06-20T00:00:00.000Z"},
		{"06/20/2016 12:00 p.m.", "UTC", "2016-06-20T12:00:00.000Z"},
		// text without an offset is wall time in the default zone
		{"2016-06-20 19:26:44", "Europe/Prague", "2016-06-20T17:26:44.000Z"},
		{"2016-12-20", "Europe/Prague", "2016-12-19T23:00:00.000Z"},
		{"2021-03-28 02:30", "Europe/Prague", "2021-03-28T01:30:00.000Z"},
		{"2021-10-31 02:30", "Europe/Prague", "2021-10-31T00:30:00.000Z"},
		{"03/14/2021 2:30 AM", "America/New_York", "2021-03-14T07:30:00.000Z"},
		// e-mail (RFC 2822 / 1123) and HTTP (RFC 850, asctime) dates
		{"Mon, 20 Jun 2016 17:26:44 +0000", "Europe/Prague", "2016-06-20T17:26:44.000Z"},
		{"Mon, 20 Jun 2016 19:26:44 +0200 (CEST)", "UTC", "2016-06-20T17:26:44.000Z"},
		{"20 Jun 2016 17:26 GMT", "UTC", "2016-06-20T17:26:00.000Z"},
		{"Mon, 20 Jun 16 10:26:44 PDT", "UTC", "2016-06-20T17:26:44.000Z"},
		{"Monday, 20-Jun-16 17:26:44 GMT", "UTC", "2016-06-20T17:26:44.000Z"},
		{"Mon Jun 20 17:26:44 2016", "UTC", "2016-06-20T17:26:44.000Z"},
		{"Mon Jun  6 17:26:44 2016", "UTC", "2016-06-06T17:26:44.000Z"},
		{"Mon Jun 20 2016 19:26:44 GMT+0200 (Central European Summer Time)", "UTC", "2016-06-20T17:26:44.000Z"},
		// month names
		{"20 June 2016", "UTC", "2016-06-20T00:00:00.000Z"},
		{"June 20, 2016", "UTC", "2016-06-20T00:00:00.000Z"},
		{"Jun 20, 2016 5:26 PM", "UTC", "2016-06-20T17:26:00.000Z"},
		{"june 20th 2016 17:26", "UTC", "2016-06-20T17:26:00.000Z"},
		// an integer is milliseconds since the epoch, as for numbers
		{"1466443604356", "Europe/Prague", "2016-06-20T17:26:44.356Z"},
		{"0", "UTC", "1970-01-01T00:00:00.000Z"},
		{"-86400000", "UTC", "1969-12-31T00:00:00.000Z"},
	}
	for _, tc := range tests {
		got, err := Coerce(tc.text, mustZone(t, tc.zone))
		if err != nil || ISO(got) != tc.want {
			t.Errorf("Coerce(%q, %s) = %s, %v; want %s", tc.text, tc.zone, ISO(got), err, tc.want)
		}
	}
}

func TestCoerceErrors(t *testing.T) {
	tests := []struct{ text, reason string }{
		{"", "empty text is not a date"},
		{"   ", "empty text is not a date"},
		{"tomorrow", `"tomorrow" is not a month name`},
		{"2016-13-01", "month 13 is out of range 1–12"},
		{"2016-02-30", "day 30 is out of range for February 2016"},
		{"2015-02-29", "day 29 is out of range for February 2015"},
		{"02/29/2015", "day 29 is out of range for February 2015"},
		{"20-06-2016", "cannot be told apart"},
		{"2016-06-20 25:00", "hour 25 is out of range"},
		{"2016-06-20 24:01", "hour 24 is out of range"},
		{"2016-06-20 10:60", "minute 60 is out of range"},
		{"2016-06-20 10:00:60", "second 60 is out of range"},
		{"2016-06-20 13:00 PM", "hour 13 is out of range 1–12"},
		{"2016-06-20T", "expected a time H:mm"},
		{"2016-06-20 17:26 garbage", `unknown time zone "garbage"`},
		{"2016-06-20 17:26 +25:00", "offset 25:00 is out of range"},
		{"2016-06-20x", `unexpected "x" after the date`},
		{"16:30", "not a date format"},
		{"12.5", "expected . between the parts of the date"},
		{"Tue, 20 Jun 2016 17:26:44 GMT", "2016-06-20 is a Monday, not a Tuesday"},
		{"99999999999999999999", "outside the supported date range"},
		{"9000000000000000", "outside the supported date range"},
		{"300000-01-01", "not a date format"},
	}
	for _, tc := range tests {
		_, err := Coerce(tc.text, nil)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Coerce(%q) = %v, want a *ParseError", tc.text, err)
			continue
		}
		if !strings.Contains(pe.Reason, tc.reason) || pe.Text != tc.text || pe.Layout != "" {
			t.Errorf("Coerce(%q): reason %q, want it to contain %q", tc.text, pe.Reason, tc.reason)
		}
	}
}
