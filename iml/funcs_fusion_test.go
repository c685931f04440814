package iml

import (
	"strings"
	"testing"
)

// Workfront Fusion's functions, with the examples of Adobe's pages (General, Date and
// time, Array functions) where they are consistent, and the edges weft decided.
func TestFusionGeneralAndArrayFunctions(t *testing.T) {
	env := arraysEnv(t)
	runEvalCases(t, env, []evalCase{
		{`{{isBlank("")}}`, true},
		{`{{isBlank(null)}}`, true},
		{`{{isBlank(1.missing)}}`, true},
		{`{{isBlank("Hello")}}`, false},
		{`{{isBlank(0)}}`, false},
		{`{{isBlank(" ")}}`, false},
		{`{{isBlank(emptyarray)}}`, false},

		{`{{in("B"; "A"; "B"; "C")}}`, true},
		{`{{in("D"; "A"; "B"; "C")}}`, false},
		{`{{in(2; 1; 2; 3)}}`, true},
		{`{{in("2"; 1; 2; 3)}}`, false}, // strict: no coercion
		{`{{in(1.score; 72)}}`, false},  // "72" is text
		{`{{in(1.n; 5)}}`, true},
		{`{{in(2.abc; 2.abc)}}`, true},
		{`{{in(null; "")}}`, false},

		{`{{ifin("B"; "A"; "B"; "yes"; "no")}}`, "yes"},
		{`{{ifin("D"; "A"; "B"; "yes"; "no")}}`, "no"},
		{`{{ifin("X"; "X"; "found"; "not found")}}`, "found"},
		{`{{ifin("X"; "Y"; 1 / 0; "other")}}`, "other"}, // only the chosen result is evaluated

		{`{{case(1; "Sun"; "Mon"; "Tue")}}`, "Sun"},
		{`{{case(2; "Sun"; "Mon"; "Tue")}}`, "Mon"},
		{`{{case(3; "Sun"; "Mon"; "Tue")}}`, "Tue"},
		{`{{case(5; "a"; "b")}}`, nil},
		{`{{case(0; "a"; "b")}}`, nil},
		{`{{case(1.5; "a"; "b")}}`, nil},
		{`{{case("2"; "a"; "b")}}`, "b"},
		{`{{case(1; "a"; 1 / 0)}}`, "a"},
		{`{{case(dayOfWeek("2016-12-28T16:03:06.372Z"); "Sun"; "Mon"; "Tue"; "Wed"; "Thu"; "Fri"; "Sat")}}`, "Wed"},

		{`{{mergeCollections(2.user; 2.coll)}}`, map[string]any{"name": "Ann", "email": "ann@x", "password": "secret", "b": 2.0, "a": 1.0, "c": map[string]any{"d": 4.0}}},
		{`{{mergeCollections(pick(2.user; "name"); omit(2.user; "password"))}}`, map[string]any{"name": "Ann", "email": "ann@x"}},
		{`{{mergeCollections(1.missing; pick(2.user; "name"))}}`, map[string]any{"name": "Ann"}},

		{`{{arrayDifference(2.a1234; 2.a3456; "classic")}}`, []any{1.0, 2.0}},
		{`{{arrayDifference(2.a3456; 2.a1234; classic)}}`, []any{5.0, 6.0}},
		{`{{arrayDifference(2.a1234; 2.a3456; symmetric)}}`, []any{1.0, 2.0, 5.0, 6.0}},
		{`{{arrayDifference(2.a1234; 2.a3456)}}`, []any{1.0, 2.0}},

		{`{{arrayElement(2.a1234; 2)}}`, 2.0},
		{`{{arrayElement(2.a1234; 1)}}`, 1.0},
		{`{{arrayElement(2.a1234; 5)}}`, nil},
		{`{{arrayElement(2.a1234; 0)}}`, nil},
		{`{{arrayElement(2.a1234; -1)}}`, nil},
		{`{{arrayElement(2.empty; 1)}}`, nil},
	})
	for _, c := range []struct{ src, fn, msg string }{
		{`{{mergeCollections(2.user; 2.abc)}}`, "mergeCollections", "argument 2 must be a collection"},
		{`{{arrayDifference(2.abc; 2.bd; "both")}}`, "arrayDifference", "mode must be classic or symmetric"},
		{`{{case("x"; "a")}}`, "case", "is not a number"},
	} {
		_, err := MustParseTemplate(c.src).Eval(env)
		ee, ok := err.(*EvalError)
		if !ok || ee.Func != c.fn || !strings.Contains(ee.Msg, c.msg) {
			t.Errorf("%s: got %v, want an error of %s containing %q", c.src, err, c.fn, c.msg)
		}
	}
}

func TestFusionDateFunctions(t *testing.T) {
	env := testEnv(t) // UTC
	runDateCases(t, env, []evalCase{
		{`{{addWeekDays("2016-12-08T15:55:57.536Z"; 2)}}`, "2016-12-12T15:55:57.536Z"},
		{`{{addWeekDays("2016-12-08T15:55:57.536Z"; -2)}}`, "2016-12-06T15:55:57.536Z"},
		{`{{addWeekDays("2016-12-08T15:55:57.536Z"; 2.9)}}`, "2016-12-12T15:55:57.536Z"},
		{`{{addWeekDays("2016-12-08T15:55:57.536Z"; 0)}}`, "2016-12-08T15:55:57.536Z"},
		{`{{addWeekDays("2016-12-08T15:55:57.536Z"; 10)}}`, "2016-12-22T15:55:57.536Z"},
		{`{{addWeekDays("2016-12-10T10:00:00.000Z"; 1)}}`, "2016-12-12T10:00:00.000Z"},  // Saturday → Monday
		{`{{addWeekDays("2016-12-11T10:00:00.000Z"; 5)}}`, "2016-12-16T10:00:00.000Z"},  // Sunday → Friday
		{`{{addWeekDays("2016-12-11T10:00:00.000Z"; -1)}}`, "2016-12-09T10:00:00.000Z"}, // Sunday → Friday before
		{`{{addWeekDays("2016-12-12T10:00:00.000Z"; -6)}}`, "2016-12-02T10:00:00.000Z"},
		{`{{dayOfMonth("2016-12-28T16:03:06.372Z")}}`, 28.0},
		{`{{dayOfMonth("2015-01-05T11:36:39.138Z")}}`, 5.0},
		{`{{dayOfWeek("2016-12-28T16:03:06.372Z")}}`, 4.0},
		{`{{dayOfWeek("2016-12-25T16:03:06.372Z")}}`, 1.0},
		{`{{daysInMonth("2016-01-01T00:00:00.000Z")}}`, 31.0},
		{`{{daysInMonth("2016-02-01T00:00:00.000Z")}}`, 29.0},
		{`{{daysInMonth("2015-02-10T00:00:00.000Z")}}`, 28.0},
		{`{{daysInSplitWeek("2016-12-28T16:03:06.372Z")}}`, 3.0},
		{`{{daysInSplitWeek("2016-01-25T16:03:06.372Z")}}`, 5.0},
		{`{{daysInSplitWeek("2016-01-28T16:03:06.372Z")}}`, 2.0}, // Thursday: Thu, Fri
		{`{{daysInSplitWeek("2016-02-29T16:03:06.372Z")}}`, 1.0}, // Monday, last of the month
		{`{{daysInSplitWeek("2016-12-24T16:03:06.372Z")}}`, 0.0}, // Saturday
		{`{{daysInSplitWeek("2016-12-25T16:03:06.372Z")}}`, 5.0}, // Sunday starts the week
		{`{{daysInYear("2016-06-01T00:00:00.000Z")}}`, 366.0},
		{`{{daysInYear("2015-06-01T00:00:00.000Z")}}`, 365.0},
		{`{{daysInYear("1900-06-01T00:00:00.000Z")}}`, 365.0},
		{`{{dateMax("2016-06-01T00:00:00.000Z"; "2016-12-01T00:00:00.000Z")}}`, "2016-12-01T00:00:00.000Z"},
		{`{{dateMax("2015-01-01T00:00:00.000Z"; "2016-06-15T00:00:00.000Z"; "2014-03-20T00:00:00.000Z")}}`, "2016-06-15T00:00:00.000Z"},
		{`{{dateMin("2016-06-01T00:00:00.000Z"; "2016-12-01T00:00:00.000Z")}}`, "2016-06-01T00:00:00.000Z"},
		{`{{dateMin("2015-01-01T00:00:00.000Z"; "2016-06-15T00:00:00.000Z"; "2014-03-20T00:00:00.000Z")}}`, "2014-03-20T00:00:00.000Z"},
		{`{{dateMin(split("2015-01-01,2013-05-05"; ","); ""; "2014-03-20")}}`, "2013-05-05T00:00:00.000Z"},
		{`{{dateMax(1.missing)}}`, nil},
		{`{{endOfMonth("2016-06-15T12:30:00.000Z")}}`, "2016-06-30T23:59:59.999Z"},
		{`{{endOfMonth("2016-01-01T00:00:00.000Z")}}`, "2016-01-31T23:59:59.999Z"},
		{`{{endOfMonth("2016-02-01T00:00:00.000Z")}}`, "2016-02-29T23:59:59.999Z"},
		{`{{startOfMonth("2016-06-15T12:30:00.000Z")}}`, "2016-06-01T00:00:00.000Z"},
		{`{{startOfMonth("2024-02-14T08:00:00.000Z")}}`, "2024-02-01T00:00:00.000Z"},
		{`{{hour("2016-12-08T15:55:57.536Z")}}`, 15.0},
		{`{{hour("2016-12-08T00:00:00.000Z")}}`, 0.0},
		{`{{minute("2016-12-08T15:55:57.536Z")}}`, 55.0},
		{`{{minute("2016-12-08T15:00:00.000Z")}}`, 0.0},
		{`{{second("2016-12-08T15:55:57.536Z")}}`, 57.0},
		{`{{second("2016-12-08T15:55:00.000Z")}}`, 0.0},
		{`{{month("2016-12-08T15:55:57.536Z")}}`, 12.0},
		{`{{month("2016-01-08T15:55:57.536Z")}}`, 1.0},
		{`{{year("2016-12-08T15:55:57.536Z")}}`, 2016.0},
		{`{{year("2000-01-01T00:00:00.000Z")}}`, 2000.0},
		{`{{isWeekend("2016-12-10T00:00:00.000Z")}}`, true},
		{`{{isWeekend("2016-12-11T00:00:00.000Z")}}`, true},
		{`{{isWeekend("2016-12-12T00:00:00.000Z")}}`, false},
		{`{{isWeekend("2016-12-09T00:00:00.000Z")}}`, false},
		{`{{weekDayDiff("2016-12-07T12:00:00.000Z"; "2016-12-05T00:00:00.000Z")}}`, 2.5},
		{`{{weekDayDiff("2016-12-09T15:00:00.000Z"; "2016-12-05T15:00:00.000Z")}}`, 4.0},
		{`{{weekDayDiff("2016-12-05T15:00:00.000Z"; "2016-12-09T15:00:00.000Z")}}`, -4.0},
		{`{{weekDayDiff("2016-12-12T00:00:00.000Z"; "2016-12-09T12:00:00.000Z")}}`, 0.5}, // across a weekend
		{`{{weekDayDiff("2017-12-04T00:00:00.000Z"; "2016-12-05T00:00:00.000Z")}}`, 260.0},
		{`{{workMinutesDiff("2016-12-05T09:00:00.000Z"; "2016-12-05T17:00:00.000Z")}}`, 480.0},
		{`{{workMinutesDiff("2016-12-05T09:00:00.000Z"; "2016-12-06T17:00:00.000Z")}}`, 960.0},
		{`{{workMinutesDiff("2016-12-09T16:00:00.000Z"; "2016-12-12T10:30:00.000Z")}}`, 150.0}, // Fri 16:00 → Mon 10:30
		{`{{workMinutesDiff("2016-12-05T07:00:00.000Z"; "2016-12-05T20:00:00.000Z")}}`, 480.0},
		{`{{workMinutesDiff("2016-12-06T17:00:00.000Z"; "2016-12-05T09:00:00.000Z")}}`, -960.0},
		{`{{dateDifference("2021-05-11T18:10:00.000Z"; "2021-05-11T18:00:00.000Z")}}`, 600000.0},
		{`{{dateDifference("2021-05-11T18:10:00.000Z"; "2021-05-11T18:00:00.000Z"; "minutes")}}`, 10.0},
		{`{{dateDifference("2021-05-11T18:10:00.000Z"; "2021-05-11T18:00:00.000Z"; hours)}}`, 0.0}, // the page's 4 is a typo
		{`{{dateDifference("2021-06-11T18:10:00.000Z"; "2021-05-11T18:00:00.000Z"; months)}}`, 1.0},
		{`{{dateDifference("2021-05-11T18:00:00.000Z"; "2021-06-11T18:10:00.000Z"; months)}}`, -1.0},
		{`{{dateDifference("2021-03-31T00:00:00.000Z"; "2021-02-28T00:00:00.000Z"; months)}}`, 1.0},
		{`{{dateDifference("2021-05-12T00:00:00.000Z"; "2021-05-10T12:00:00.000Z"; days)}}`, 1.0},
		{`{{dateDifference("2021-05-24T00:00:00.000Z"; "2021-05-10T00:00:00.000Z"; weeks)}}`, 2.0},
		{`{{dateDifference("2024-05-11T00:00:00.000Z"; "2021-05-12T00:00:00.000Z"; years)}}`, 2.0},
		{`{{dateDifference("2021-05-11T18:00:01.500Z"; "2021-05-11T18:00:00.000Z"; seconds)}}`, 1.0},
	})
}

// Date parts, weekends and month bounds are read in the scenario's time zone.
func TestFusionDateFunctionsInTheScenarioZone(t *testing.T) {
	env := testEnv(t)
	env.Location = mustZone(t, "Europe/Prague")
	runDateCases(t, env, []evalCase{
		{`{{hour("2016-12-08T23:30:00.000Z")}}`, 0.0},
		{`{{dayOfMonth("2016-12-08T23:30:00.000Z")}}`, 9.0},
		{`{{isWeekend("2016-12-09T23:30:00.000Z")}}`, true}, // Saturday in Prague
		{`{{startOfMonth("2016-06-15T12:30:00.000Z")}}`, "2016-05-31T22:00:00.000Z"},
		{`{{endOfMonth("2016-10-15T12:30:00.000Z")}}`, "2016-10-31T22:59:59.999Z"},
		// Across the switch to summer time, days count wall-clock days.
		{`{{dateDifference("2021-03-29T00:00:00+02:00"; "2021-03-28T00:00:00+01:00"; days)}}`, 1.0},
		{`{{dateDifference("2021-03-29T00:00:00+02:00"; "2021-03-28T00:00:00+01:00"; hours)}}`, 23.0},
		{`{{addWeekDays("2021-03-26T10:00:00+01:00"; 1)}}`, "2021-03-29T08:00:00.000Z"}, // Fri 10:00 CET → Mon 10:00 CEST
	})
}

func TestFusionDateErrors(t *testing.T) {
	env := testEnv(t)
	for _, c := range []struct{ src, fn, msg string }{
		{`{{dayOfWeek("soon")}}`, "dayOfWeek", "is not a date"},
		{`{{dateMax("2016-01-01"; "x")}}`, "dateMax", "is not a date"},
		{`{{dateDifference(now; now; "fortnights")}}`, "dateDifference", "unit must be"},
		{`{{addWeekDays(now; "x")}}`, "addWeekDays", "is not a number"},
		{`{{addWeekDays(now; 1e12)}}`, "addWeekDays", "out of range"},
	} {
		_, err := MustParseTemplate(c.src).Eval(env)
		ee, ok := err.(*EvalError)
		if !ok || ee.Func != c.fn || !strings.Contains(ee.Msg, c.msg) {
			t.Errorf("%s: got %v, want an error of %s containing %q", c.src, err, c.fn, c.msg)
		}
	}
}
