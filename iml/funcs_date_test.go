package iml

import (
	"testing"
	"time"

	"github.com/weftworks/weft/datetime"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("time zone %s: %v", name, err)
	}
	return l
}

// dateCases run with the date functions' results rendered as ISO text, the form
// dates travel in between modules.
func runDateCases(t *testing.T, env *Env, cases []evalCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.src, func(t *testing.T) {
			got := evalT(t, env, c.src)
			if d, ok := got.(time.Time); ok {
				got = datetime.ISO(d)
			}
			if got != c.want {
				t.Errorf("%s\n got %#v\nwant %#v", c.src, got, c.want)
			}
		})
	}
}

func TestDateFunctionsUTC(t *testing.T) {
	env := testEnv(t) // UTC, now = 2026-11-27T14:30:15.123Z
	runDateCases(t, env, []evalCase{
		// IML.md §2.4 documented examples (FUS-DATE values where MK-DATE has typos)
		{`{{parseDate("2016-12-28"; "YYYY-MM-DD")}}`, "2016-12-28T00:00:00.000Z"},
		{`{{parseDate("2016-12-28 16:03"; "YYYY-MM-DD HH:mm")}}`, "2016-12-28T16:03:00.000Z"},
		{`{{parseDate("2016-12-28 04:03 pm"; "YYYY-MM-DD hh:mm a")}}`, "2016-12-28T16:03:00.000Z"},
		{`{{parseDate("1482940986"; "X")}}`, "2016-12-28T16:03:06.000Z"},
		{`{{parseDate(1482940986; "X")}}`, "2016-12-28T16:03:06.000Z"},
		{`{{parseDate("2016-12-28 10:00"; "YYYY-MM-DD HH:mm"; "Europe/Prague")}}`, "2016-12-28T09:00:00.000Z"},
		{`{{addDays("2016-12-08T15:55:57.536Z"; 2)}}`, "2016-12-10T15:55:57.536Z"},
		{`{{addDays("2016-12-08T15:55:57.536Z"; -2)}}`, "2016-12-06T15:55:57.536Z"},
		{`{{addHours("2016-12-08T15:55:57.536Z"; 2)}}`, "2016-12-08T17:55:57.536Z"},
		{`{{addHours("2016-12-08T15:55:57.536Z"; -2)}}`, "2016-12-08T13:55:57.536Z"},
		{`{{addMinutes("2016-12-08T15:55:57.536Z"; 2)}}`, "2016-12-08T15:57:57.536Z"},
		{`{{addMinutes("2016-12-08T15:55:57.536Z"; -2)}}`, "2016-12-08T15:53:57.536Z"},
		{`{{addSeconds("2016-12-08T15:55:57.536Z"; 2)}}`, "2016-12-08T15:55:59.536Z"},
		{`{{addMonths("2016-08-08T15:55:57.536Z"; 2)}}`, "2016-10-08T15:55:57.536Z"},
		{`{{addYears("2016-08-08T15:55:57.536Z"; 2)}}`, "2018-08-08T15:55:57.536Z"},
		{`{{addMonths("2016-01-31T10:00:00.000Z"; 1)}}`, "2016-02-29T10:00:00.000Z"}, // month end clamps
		{`{{addDays("2016-12-08T15:55:57.536Z"; "3")}}`, "2016-12-11T15:55:57.536Z"},
		{`{{setSecond("2015-10-07T11:36:39.138Z"; 10)}}`, "2015-10-07T11:36:10.138Z"},
		{`{{setSecond("2015-10-07T11:36:39.138Z"; 61)}}`, "2015-10-07T11:37:01.138Z"},
		{`{{setMinute("2015-10-07T11:36:39.138Z"; 10)}}`, "2015-10-07T11:10:39.138Z"},
		{`{{setMinute("2015-10-07T11:36:39.138Z"; 61)}}`, "2015-10-07T12:01:39.138Z"},
		{`{{setHour("2015-08-07T11:36:39.138Z"; 6)}}`, "2015-08-07T06:36:39.138Z"},
		{`{{setHour("2015-08-07T11:36:39.138Z"; -6)}}`, "2015-08-06T18:36:39.138Z"},
		{`{{setDate("2015-08-07T11:36:39.138Z"; 5)}}`, "2015-08-05T11:36:39.138Z"},
		{`{{setDate("2015-08-07T11:36:39.138Z"; 32)}}`, "2015-09-01T11:36:39.138Z"},
		{`{{setMonth("2015-08-07T11:36:39.138Z"; 5)}}`, "2015-05-07T11:36:39.138Z"},
		{`{{setMonth("2015-08-07T11:36:39.138Z"; 17)}}`, "2016-05-07T11:36:39.138Z"},
		{`{{setMonth("2015-08-07T11:36:39.138Z"; "january")}}`, "2015-01-07T11:36:39.138Z"},
		{`{{setYear("2015-08-07T11:36:39.138Z"; 2017)}}`, "2017-08-07T11:36:39.138Z"},
		{`{{setDay("2018-06-27T11:36:39.138Z"; "monday")}}`, "2018-06-25T11:36:39.138Z"},
		{`{{setDay("2018-06-27T11:36:39.138Z"; "Monday")}}`, "2018-06-25T11:36:39.138Z"},
		{`{{setDay("2018-06-27T11:36:39.138Z"; 1)}}`, "2018-06-24T11:36:39.138Z"},
		{`{{setDay("2018-06-27T11:36:39.138Z"; 7)}}`, "2018-06-30T11:36:39.138Z"},
		// Useful formulas of MK-DATE
		{`{{addDays(setDate(now; 1); -1)}}`, "2026-10-31T14:30:15.123Z"},
		{`{{parseDate(parseDate(formatDate(now; "YYYYMM01"); "YYYYMMDD"; "UTC") - 1; "x")}}`, "2026-10-31T23:59:59.999Z"},
		// third Tuesday (dow 2) of 2026-11: the 17th
		{`{{addDays(setDate("2026-11-27T10:00:00Z"; 1); 3 * 7 - formatDate(addDays(setDate("2026-11-27T10:00:00Z"; 1); "-" + 2); "E"))}}`, "2026-11-17T10:00:00.000Z"},
		// Dates as numbers and empty dates
		{`{{addDays(0; 1)}}`, "1970-01-02T00:00:00.000Z"},
		{`{{addDays(1.missing; 1)}}`, nil},
		{`{{formatDate(1.missing; "YYYY")}}`, nil},
		{`{{parseDate(""; "YYYY")}}`, nil},
		{`{{parseDate(now; "YYYY")}}`, "2026-11-27T14:30:15.123Z"},
	})
}

func TestFormatDate(t *testing.T) {
	env := testEnv(t)
	env.Location = mustZone(t, "Europe/Prague")
	runDateCases(t, env, []evalCase{
		// IML.md §2.4: organization zone Europe/Prague, 1.date = 2018-10-01T07:32Z
		{`{{formatDate(1.date; "MM/DD/YYYY")}}`, "10/01/2018"},
		{`{{formatDate(1.date; "YYYY-MM-DD hh:mm A")}}`, "2018-10-01 09:32 AM"},
		{`{{formatDate(1.date; "DD.MM.YYYY HH:mm"; "UTC")}}`, "01.10.2018 07:32"},
		{`{{formatDate(1.date; "DD.MM.YYYY HH:mm"; "Not/AZone")}}`, "01.10.2018 09:32"}, // unknown zone: default
		{`{{formatDate(now; "YYYYMMDDHHmm"; "Europe/Paris")}}`, "202611271530"},
		{`{{formatDate(now; "DD-MM-YYYY")}}`, "27-11-2026"},
		{`{{formatDate(now; "YYYY-MM-DDTHH:mm:ssZ")}}`, "2026-11-27T15:30:15+01:00"},
		{`{{formatDate(addDays(addMonths(formatDate(now; "YYYY-MM-01"); 1); -1); "YYYY-MM-DD")}}`, "2026-11-30"}, // bp 047
		{`{{formatDate("2026-02-03"; "DD MMM")}}`, "03 Feb"},
		{`{{formatDate(1538379120000; "YYYY-MM-DD")}}`, "2018-10-01"}, // milliseconds
		// set* of calendar units keep the wall time of the scenario zone (IML.md §2.4)
		{`{{setMonth("2015-08-07T11:36:39.138Z"; "january")}}`, "2015-01-07T12:36:39.138Z"},
	})
}

func TestDateArithmeticOutOfRangeIsAnError(t *testing.T) {
	for _, src := range []string{`{{addYears(now; 300000)}}`, `{{setYear(now; 999999999)}}`} {
		tpl := MustParseTemplate(src)
		if _, err := tpl.Eval(&Env{}); err == nil {
			t.Errorf("%s: want an error for a date out of range", src)
		}
	}
}
