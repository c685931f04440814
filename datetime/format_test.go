package datetime

import (
	"testing"
	"time"
)

// Expected strings in this file were produced by moment 2.29.4 with moment-timezone
// (what Make runs) for the same instant, zone and layout.

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load zone %s: %v", name, err)
	}
	return loc
}

func mustTime(t testing.TB, iso string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, iso)
	if err != nil {
		t.Fatalf("bad test time %q: %v", iso, err)
	}
	return v
}

// TestFormatEveryToken checks each token of IML.md §3.1 (and moment's extras: eras,
// localized formats, hmm) on a winter instant in UTC and a summer one in New York.
func TestFormatEveryToken(t *testing.T) {
	utc := mustTime(t, "2026-01-02T03:04:05.006Z")
	ny := mustTime(t, "2021-07-04T16:09:08.123Z")
	nyc := mustZone(t, "America/New_York")
	tests := []struct{ layout, utc, ny string }{
		{"Y", "2026", "2021"},
		{"YY", "26", "21"},
		{"YYYY", "2026", "2021"},
		{"YYYYY", "02026", "02021"},
		{"YYYYYY", "+002026", "+002021"},
		{"Q", "1", "3"},
		{"Qo", "1st", "3rd"},
		{"M", "1", "7"},
		{"Mo", "1st", "7th"},
		{"MM", "01", "07"},
		{"MMM", "Jan", "Jul"},
		{"MMMM", "January", "July"},
		{"D", "2", "4"},
		{"Do", "2nd", "4th"},
		{"DD", "02", "04"},
		{"DDD", "2", "185"},
		{"DDDo", "2nd", "185th"},
		{"DDDD", "002", "185"},
		{"d", "5", "0"},
		{"do", "5th", "0th"},
		{"dd", "Fr", "Su"},
		{"ddd", "Fri", "Sun"},
		{"dddd", "Friday", "Sunday"},
		{"e", "5", "0"},
		{"E", "5", "7"},
		{"w", "1", "28"},
		{"wo", "1st", "28th"},
		{"ww", "01", "28"},
		{"W", "1", "26"},
		{"Wo", "1st", "26th"},
		{"WW", "01", "26"},
		{"gg", "26", "21"},
		{"gggg", "2026", "2021"},
		{"ggggg", "02026", "02021"},
		{"GG", "26", "21"},
		{"GGGG", "2026", "2021"},
		{"GGGGG", "02026", "02021"},
		{"H", "3", "12"},
		{"HH", "03", "12"},
		{"h", "3", "12"},
		{"hh", "03", "12"},
		{"k", "3", "12"},
		{"kk", "03", "12"},
		{"hmm", "304", "1209"},
		{"hmmss", "30405", "120908"},
		{"Hmm", "304", "1209"},
		{"Hmmss", "30405", "120908"},
		{"A", "AM", "PM"},
		{"a", "am", "pm"},
		{"m", "4", "9"},
		{"mm", "04", "09"},
		{"s", "5", "8"},
		{"ss", "05", "08"},
		{"S", "0", "1"},
		{"SS", "00", "12"},
		{"SSS", "006", "123"},
		{"SSSS", "0060", "1230"},
		{"SSSSSSSSS", "006000000", "123000000"},
		{"Z", "+00:00", "-04:00"},
		{"ZZ", "+0000", "-0400"},
		{"z", "UTC", "EDT"},
		{"zz", "UTC", "EDT"},
		{"X", "1767323045", "1625414948"},
		{"x", "1767323045006", "1625414948123"},
		{"N", "AD", "AD"},
		{"NNNN", "Anno Domini", "Anno Domini"},
		{"NNNNN", "AD", "AD"},
		{"y", "2026", "2021"},
		{"yo", "2026th", "2021st"},
		{"yyyy", "2026", "2021"},
		{"L", "01/02/2026", "07/04/2021"},
		{"LL", "January 2, 2026", "July 4, 2021"},
		{"LLL", "January 2, 2026 3:04 AM", "July 4, 2021 12:09 PM"},
		{"LLLL", "Friday, January 2, 2026 3:04 AM", "Sunday, July 4, 2021 12:09 PM"},
		{"l", "1/2/2026", "7/4/2021"},
		{"ll", "Jan 2, 2026", "Jul 4, 2021"},
		{"lll", "Jan 2, 2026 3:04 AM", "Jul 4, 2021 12:09 PM"},
		{"llll", "Fri, Jan 2, 2026 3:04 AM", "Sun, Jul 4, 2021 12:09 PM"},
		{"LT", "3:04 AM", "12:09 PM"},
		{"LTS", "3:04:05 AM", "12:09:08 PM"},
	}
	for _, tc := range tests {
		if got := Format(utc, tc.layout, nil); got != tc.utc {
			t.Errorf("Format(%s, %q, UTC) = %q, want %q", ISO(utc), tc.layout, got, tc.utc)
		}
		if got := Format(ny, tc.layout, nyc); got != tc.ny {
			t.Errorf("Format(%s, %q, New York) = %q, want %q", ISO(ny), tc.layout, got, tc.ny)
		}
	}
}

// TestFormatDocumented holds the documented formatDate examples (IML.md §2.4) and
// layouts found in real blueprints.
func TestFormatDocumented(t *testing.T) {
	prague := mustZone(t, "Europe/Prague")
	paris := mustZone(t, "Europe/Paris")
	created := mustTime(t, "2018-10-01T07:32:00Z")
	now := mustTime(t, "2019-03-19T14:30:00Z")
	tests := []struct {
		t      time.Time
		layout string
		loc    *time.Location
		want   string
	}{
		{created, "MM/DD/YYYY", prague, "10/01/2018"},
		{created, "YYYY-MM-DD hh:mm A", prague, "2018-10-01 09:32 AM"},
		{created, "DD.MM.YYYY HH:mm", time.UTC, "01.10.2018 07:32"},
		{now, "DD.MM.YYYY HH:mm", prague, "19.03.2019 15:30"},
		{mustTime(t, "2026-01-02T03:04:05Z"), "YYYY-MM-DDTHH:mm:ssZ", nil, "2026-01-02T03:04:05+00:00"},
		{mustTime(t, "2026-01-02T03:04:05Z"), "YYYY-MM-DDTHH:mm:ssZ", prague, "2026-01-02T04:04:05+01:00"},
		// real blueprints (shared/blueprints)
		{now, "YYYYMMDDHHmm", paris, "201903191530"},
		{now, "DD MMM", nil, "19 Mar"},
		{now, "YYYY-MM-01", nil, "2019-03-01"},
		{now, "HH:mm, DD/MM/YYYY", prague, "15:30, 19/03/2019"},
		{now, "YYYYMMDD-HHmmss", nil, "20190319-143000"},
		{now, "DD-MM-YYYY ", nil, "19-03-2019 "},
		{now, "MMM", nil, "Mar"},
	}
	for _, tc := range tests {
		if got := Format(tc.t, tc.layout, tc.loc); got != tc.want {
			t.Errorf("Format(%s, %q) = %q, want %q", ISO(tc.t), tc.layout, got, tc.want)
		}
	}
}

// TestFormatLiterals covers how moment splits a layout: letters that are not tokens,
// [brackets], backslash escapes, line breaks, localized formats and token greed.
func TestFormatLiterals(t *testing.T) {
	epoch := time.Unix(0, 0)
	tests := []struct{ layout, want string }{
		{"[Today is] dddd", "Today is Thursday"},
		{"YYYY [W]WW", "1970 W01"},
		{"[a]b]c", "a]bc"},           // the escape runs to the last ] before the next [
		{"[x[y]z]", "[0y]z"},         // an unclosed [ is literal; x is then a token
		{"\\YYYY [Y]", "YYYY Y"},     // a backslash escapes one token
		{"YYYY\\", "1970"},           // a trailing backslash prints nothing
		{"YYYY\nMM", "197001"},       // line breaks match nothing and vanish
		{"Lunch", "01/01/1970unc12"}, // L is a localized format, h a token
		{"\\L", "L"},
		{"YYY", "701970"},    // YY then Y
		{"ggg", "70g"},       // gg then a lone g, which is no token
		{"w|W|", "w|W|"},     // moment's regex makes "w|" a piece with no meaning
		{"é Ü 日本", "é Ü 日本"}, // non-ASCII passes through
		{"T", "T"},
		{"Hmm", "000"},
	}
	for _, tc := range tests {
		if got := Format(epoch, tc.layout, nil); got != tc.want {
			t.Errorf("Format(epoch, %q) = %q, want %q", tc.layout, got, tc.want)
		}
	}
}

func TestFormatEmptyLayoutIsISO(t *testing.T) {
	at := mustTime(t, "2021-07-04T16:09:08.123Z")
	if got, want := Format(at, "", nil), "2021-07-04T16:09:08Z"; got != want {
		t.Errorf("UTC: got %q, want %q", got, want)
	}
	if got, want := Format(at, "", mustZone(t, "Europe/Prague")), "2021-07-04T18:09:08+02:00"; got != want {
		t.Errorf("Prague: got %q, want %q", got, want)
	}
}

// TestFormatWeeks covers the ISO and US week numbering at year boundaries.
func TestFormatWeeks(t *testing.T) {
	tests := []struct{ day, want string }{
		// W GGGG w gggg E d k h a
		{"2020-12-31", "53 2020 1 2021 4 4 24 12 am"},
		{"2021-01-01", "53 2020 1 2021 5 5 24 12 am"},
		{"2021-01-03", "53 2020 2 2021 7 0 24 12 am"},
		{"2021-01-04", "1 2021 2 2021 1 1 24 12 am"},
		{"2019-12-29", "52 2019 1 2020 7 0 24 12 am"},
		{"2019-12-30", "1 2020 1 2020 1 1 24 12 am"},
		{"2026-12-27", "52 2026 1 2027 7 0 24 12 am"},
		{"2027-01-01", "53 2026 1 2027 5 5 24 12 am"},
		{"2016-01-01", "53 2015 1 2016 5 5 24 12 am"},
		{"2015-12-31", "53 2015 1 2016 4 4 24 12 am"},
	}
	for _, tc := range tests {
		if got := Format(mustTime(t, tc.day+"T00:00:00Z"), "W GGGG w gggg E d k h a", nil); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.day, got, tc.want)
		}
	}
}

func TestFormatYears(t *testing.T) {
	tests := []struct {
		t            time.Time
		layout, want string
	}{
		{time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), "DDD DDDD", "60 060"},
		{time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC), "DDD DDDo", "366 366th"},
		{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "Y YYYY YYYYYY", "+10000 10000 +010000"},
		{time.Date(-25, 3, 1, 0, 0, 0, 0, time.UTC), "Y YYYY YY N y yo", "-0025 -0025 -25 BC 26 26th"},
		{time.Date(0, 6, 1, 0, 0, 0, 0, time.UTC), "Y N y NNNN", "0000 BC 1 Before Christ"},
	}
	for _, tc := range tests {
		if got := Format(tc.t, tc.layout, nil); got != tc.want {
			t.Errorf("Format(%v, %q) = %q, want %q", tc.t, tc.layout, got, tc.want)
		}
	}
}

// TestFormatDST checks offsets and zone names on both sides of the 2021 transitions.
func TestFormatDST(t *testing.T) {
	prague, ny := mustZone(t, "Europe/Prague"), mustZone(t, "America/New_York")
	tests := []struct {
		iso  string
		loc  *time.Location
		want string
	}{
		{"2021-03-28T00:59:59Z", prague, "2021-03-28 01:59:59 +01:00 CET"},
		{"2021-03-28T01:00:00Z", prague, "2021-03-28 03:00:00 +02:00 CEST"},
		{"2021-10-31T00:30:00Z", prague, "2021-10-31 02:30:00 +02:00 CEST"},
		{"2021-10-31T01:30:00Z", prague, "2021-10-31 02:30:00 +01:00 CET"},
		{"2021-03-14T06:59:59Z", ny, "2021-03-14 01:59:59 -05:00 EST"},
		{"2021-03-14T07:00:00Z", ny, "2021-03-14 03:00:00 -04:00 EDT"},
		{"2021-11-07T05:30:00Z", ny, "2021-11-07 01:30:00 -04:00 EDT"},
		{"2021-11-07T06:30:00Z", ny, "2021-11-07 01:30:00 -05:00 EST"},
	}
	for _, tc := range tests {
		if got := Format(mustTime(t, tc.iso), "YYYY-MM-DD HH:mm:ss Z z", tc.loc); got != tc.want {
			t.Errorf("Format(%s in %s) = %q, want %q", tc.iso, tc.loc, got, tc.want)
		}
	}
}

func TestISO(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2016, 12, 28, 16, 3, 6, 0, time.UTC), "2016-12-28T16:03:06.000Z"},
		{time.Date(2016, 12, 28, 17, 3, 6, 999_999_999, time.FixedZone("", 3600)), "2016-12-28T16:03:06.999Z"},
		{time.Date(19887, 1, 1, 0, 0, 0, 0, time.UTC), "+019887-01-01T00:00:00.000Z"},
		{time.Date(-1, 12, 31, 0, 0, 0, 0, time.UTC), "-000001-12-31T00:00:00.000Z"},
	}
	for _, tc := range tests {
		if got := ISO(tc.t); got != tc.want {
			t.Errorf("ISO(%v) = %q, want %q", tc.t, got, tc.want)
		}
	}
}
