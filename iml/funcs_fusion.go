package iml

import (
	"math"
	"strings"
	"time"

	"github.com/weftworks/weft/datetime"
	"github.com/weftworks/weft/value"
)

// Workfront Fusion's functions beyond Make's (Adobe Experience League, "General
// functions", "Date and time functions", "Array functions"; docs/mapping.md lists what
// the pages leave open and what weft chose). Date parts are read in the scenario's
// time zone (Env.Location), as the pages say of isWeekend and startOfMonth.
func init() {
	register(
		pure("isBlank", 1, 1, func(a []any) (any, error) {
			s, isText := a[0].(string)
			return a[0] == nil || isText && s == "", nil
		}),
		pure("in", 1, -1, func(a []any) (any, error) {
			for _, v := range a[1:] {
				if strictEqual(a[0], v) {
					return true, nil
				}
			}
			return false, nil
		}),
		&funcDef{name: "ifin", min: 4, max: -1, lazy: fnIfIn},
		&funcDef{name: "case", min: 2, max: -1, lazy: fnCase},
		pure("mergeCollections", 2, 2, fnMergeCollections),
		pureCtx("arrayDifference", 2, 3, fnArrayDifference),
		pure("arrayElement", 2, 2, fnArrayElement),

		withEnv("addWeekDays", 2, 2, fnAddWeekDays),
		withEnv("dayOfMonth", 1, 1, datePart("dayOfMonth", func(t time.Time) float64 { return float64(t.Day()) })),
		withEnv("dayOfWeek", 1, 1, datePart("dayOfWeek", func(t time.Time) float64 { return float64(t.Weekday()) + 1 })),
		withEnv("daysInMonth", 1, 1, datePart("daysInMonth", func(t time.Time) float64 { return float64(monthLength(t)) })),
		withEnv("daysInSplitWeek", 1, 1, datePart("daysInSplitWeek", daysInSplitWeek)),
		withEnv("daysInYear", 1, 1, datePart("daysInYear", func(t time.Time) float64 {
			if y := t.Year(); y%4 == 0 && (y%100 != 0 || y%400 == 0) {
				return 366
			}
			return 365
		})),
		withEnv("hour", 1, 1, datePart("hour", func(t time.Time) float64 { return float64(t.Hour()) })),
		withEnv("minute", 1, 1, datePart("minute", func(t time.Time) float64 { return float64(t.Minute()) })),
		withEnv("second", 1, 1, datePart("second", func(t time.Time) float64 { return float64(t.Second()) })),
		withEnv("month", 1, 1, datePart("month", func(t time.Time) float64 { return float64(t.Month()) })),
		withEnv("year", 1, 1, datePart("year", func(t time.Time) float64 { return float64(t.Year()) })),
		withEnv("isWeekend", 1, 1, func(c callCtx, a []any) (any, error) {
			t, ok, err := dateArg("isWeekend", a[0], c.env.loc())
			if err != nil || !ok {
				return nil, err
			}
			wd := t.In(c.env.loc()).Weekday()
			return wd == time.Saturday || wd == time.Sunday, nil
		}),
		withEnv("dateMax", 1, -1, func(c callCtx, a []any) (any, error) { return dateExtreme(c, "dateMax", a, 1) }),
		withEnv("dateMin", 1, -1, func(c callCtx, a []any) (any, error) { return dateExtreme(c, "dateMin", a, -1) }),
		withEnv("startOfMonth", 1, 1, monthBound("startOfMonth", false)),
		withEnv("endOfMonth", 1, 1, monthBound("endOfMonth", true)),
		withEnv("weekDayDiff", 2, 2, func(c callCtx, a []any) (any, error) {
			return dateDiff(c, "weekDayDiff", a[0], a[1], weekdayDays)
		}),
		withEnv("workMinutesDiff", 2, 2, func(c callCtx, a []any) (any, error) {
			// workMinutesDiff(date1; date2) counts from date1 to date2.
			return dateDiff(c, "workMinutesDiff", a[1], a[0], workMinutes)
		}),
		withEnv("dateDifference", 2, 3, fnDateDifference),
	)
	readsArrays("isBlank", "in", "ifin", "case", "mergeCollections", "arrayDifference", "arrayElement",
		"dateMax", "dateMin")
}

// strictEqual is Fusion's "strict equality, no type coercion" (in, ifin): values of
// different kinds are never equal (in("2"; 2) is false); numbers compare by value,
// dates by instant, arrays and collections by their contents.
func strictEqual(a, b any) bool {
	if value.Kind(a) != value.Kind(b) {
		return false
	}
	switch x := a.(type) {
	case nil:
		return true
	case string, bool:
		return a == b
	case float64, int64:
		f, _ := value.Number(x)
		g, _ := value.Number(b)
		if xi, ok := x.(int64); ok {
			if yi, ok := b.(int64); ok {
				return xi == yi
			}
		}
		return f == g
	case []any:
		y := b.([]any)
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if !strictEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y := b.(map[string]any)
		if len(x) != len(y) {
			return false
		}
		for k, e := range x {
			f, ok := y[k]
			if !ok || !strictEqual(e, f) {
				return false
			}
		}
		return true
	}
	return value.Equal(a, b) // dates by instant, binary by bytes
}

// fnIfIn: ifin(value; match1; …; trueValue; falseValue). Only the chosen result is
// evaluated.
func fnIfIn(env *Env, args []node) (any, error) {
	v, err := evalLazy(env, args[0])
	if err != nil {
		return nil, err
	}
	n := len(args)
	for _, m := range args[1 : n-2] {
		w, err := evalLazy(env, m)
		if err != nil {
			return nil, err
		}
		if strictEqual(v, w) {
			return evalArg(env, args[n-2])
		}
	}
	return evalArg(env, args[n-1])
}

// fnCase: case(index; value1; value2; …) is the value at the 1-based index, empty when
// the index is 0, negative, fractional or past the last value. Only that value is
// evaluated.
func fnCase(env *Env, args []node) (any, error) {
	iv, err := evalLazy(env, args[0])
	if err != nil {
		return nil, err
	}
	f, ok, err := number("case", iv)
	if err != nil || !ok || f != math.Trunc(f) || f < 1 || f > float64(len(args)-1) {
		return nil, err
	}
	return evalArg(env, args[int(f)])
}

// evalLazy evaluates an argument a lazy function compares: ignore is empty there.
func evalLazy(env *Env, n node) (any, error) {
	v, err := n.eval(env)
	if isIgnore(v) {
		v = nil
	}
	return v, err
}

// fnMergeCollections: the keys of both collections; the second's value wins.
func fnMergeCollections(a []any) (any, error) {
	out := map[string]any{}
	for i, v := range a {
		switch x := v.(type) {
		case nil:
		case map[string]any:
			for k, e := range x {
				out[k] = e
			}
		default:
			return nil, evalErr("mergeCollections", "argument %d must be a collection, got %s", i+1, describeValue(v))
		}
	}
	return out, nil
}

// fnArrayDifference: arrayDifference(a1; a2; [mode]). "classic" (the default) is a1
// without the elements of a2; "symmetric" adds a2 without the elements of a1. Elements
// compare as arrayDiff's do (as `=`).
func fnArrayDifference(c callCtx, a []any) (any, error) {
	mode := strings.ToLower(strings.TrimSpace(text(arg(a, 2))))
	switch mode {
	case "", "classic":
		return setOp(c, a, false)
	case "symmetric":
		left, err := setOp(c, a, false)
		if err != nil {
			return nil, err
		}
		right, err := setOp(c, []any{a[1], a[0]}, false)
		if err != nil {
			return nil, err
		}
		if err := c.env.Limits.Items(len(left)+len(right), "arrayDifference()"); err != nil {
			return nil, err
		}
		return append(left, right...), nil
	}
	return nil, evalErr("arrayDifference", "mode must be classic or symmetric, got %s", describeValue(a[2]))
}

// fnArrayElement: the element at a 1-based index; empty below 1, past the end or at a
// fractional index.
func fnArrayElement(a []any) (any, error) {
	f, ok, err := number("arrayElement", a[1])
	if err != nil || !ok {
		return nil, err
	}
	arr := value.Array(a[0])
	if f != math.Trunc(f) || f < 1 || f > float64(len(arr)) {
		return nil, nil
	}
	return arr[int(f)-1], nil
}

// datePart builds a function of one date read in the scenario's zone.
func datePart(name string, part func(time.Time) float64) func(callCtx, []any) (any, error) {
	return func(c callCtx, a []any) (any, error) {
		loc := c.env.loc()
		t, ok, err := dateArg(name, a[0], loc)
		if err != nil || !ok {
			return nil, err
		}
		return part(t.In(loc)), nil
	}
}

// monthLength is the number of days in the month of t (a wall time).
func monthLength(t time.Time) int {
	return time.Date(t.Year(), t.Month()+1, 0, 12, 0, 0, 0, time.UTC).Day()
}

// daysInSplitWeek counts the weekdays (Monday to Friday) from t's day to the end of
// its Sunday-to-Saturday week or of its month, whichever comes first, both included.
func daysInSplitWeek(t time.Time) float64 {
	wd := int(t.Weekday())
	last := min(t.Day()+6-wd, monthLength(t))
	n := 0
	for d, w := t.Day(), wd; d <= last; d, w = d+1, w+1 {
		if w%7 != 0 && w%7 != 6 {
			n++
		}
	}
	return float64(n)
}

// fnAddWeekDays adds whole weekdays (the amount rounded down), skipping Saturdays and
// Sundays and keeping the wall time in the scenario's zone. From a weekend day, the
// first weekday after (or before) it is one weekday away.
func fnAddWeekDays(c callCtx, a []any) (any, error) {
	loc := c.env.loc()
	t, ok, err := dateArg("addWeekDays", a[0], loc)
	if err != nil || !ok {
		return nil, err
	}
	f, ok, err := number("addWeekDays", a[1])
	if err != nil {
		return nil, err
	}
	if !ok {
		return t, nil
	}
	if math.IsNaN(f) || math.Abs(f) > 1e9 {
		return nil, evalErr("addWeekDays", "amount %s is out of range", value.FormatNumber(f))
	}
	n := int64(math.Floor(f))
	if n == 0 {
		return t, nil
	}
	step := int64(1)
	if n < 0 {
		step, n = -1, -n
	}
	// From a weekend day, count from the Friday before it (going forward) or the Monday
	// after it (going back): one weekday from either is the same day.
	days := int64(0)
	switch wd := t.In(loc).Weekday(); {
	case wd == time.Saturday && step > 0:
		days = -1
	case wd == time.Sunday && step > 0:
		days = -2
	case wd == time.Saturday && step < 0:
		days = 2
	case wd == time.Sunday && step < 0:
		days = 1
	}
	// From a weekday, five weekdays are seven days.
	days += n / 5 * 7 * step
	wd := (int64(t.In(loc).Weekday()) + days%7 + 7) % 7
	for rem := n % 5; rem > 0; {
		days += step
		wd = (wd + step + 7) % 7
		if wd != 0 && wd != 6 {
			rem--
		}
	}
	return validDate("addWeekDays", datetime.Add(t, "days", float64(days), loc))
}

// dateExtreme returns the latest (sign 1) or earliest (-1) date of its arguments, an
// array argument counting as its elements. Empty values are skipped.
func dateExtreme(c callCtx, name string, a []any, sign int) (any, error) {
	loc := c.env.loc()
	var best time.Time
	found := false
	consider := func(v any) error {
		t, ok, err := dateArg(name, v, loc)
		if err != nil || !ok {
			return err
		}
		if !found || sign > 0 && t.After(best) || sign < 0 && t.Before(best) {
			best, found = t, true
		}
		return nil
	}
	for _, v := range a {
		elems, isArray := v.([]any)
		if !isArray {
			elems = []any{v}
		}
		for i, e := range elems {
			if err := c.env.every(i); err != nil {
				return nil, err
			}
			if err := consider(e); err != nil {
				return nil, err
			}
		}
	}
	if !found {
		return nil, nil
	}
	return best, nil
}

// monthBound builds startOfMonth (midnight of the 1st) and endOfMonth (the last
// millisecond of the last day), in the scenario's zone.
func monthBound(name string, end bool) func(callCtx, []any) (any, error) {
	return func(c callCtx, a []any) (any, error) {
		loc := c.env.loc()
		t, ok, err := dateArg(name, a[0], loc)
		if err != nil || !ok {
			return nil, err
		}
		w := t.In(loc)
		if !end {
			return inJSRange(name, time.Date(w.Year(), w.Month(), 1, 0, 0, 0, 0, loc).UTC())
		}
		next := time.Date(w.Year(), w.Month()+1, 1, 0, 0, 0, 0, loc)
		return inJSRange(name, next.Add(-time.Millisecond).UTC())
	}
}

// inJSRange refuses a date outside JavaScript's range (±8.64e15 ms), Make's "Invalid
// date".
func inJSRange(name string, t time.Time) (any, error) {
	if y := t.Year(); y < -271820 || y > 275759 {
		return nil, evalErr(name, "the result is not a valid date")
	}
	return t, nil
}

// dateDiff returns measure(later) - measure(earlier) where measure is a cumulative
// count of working time since an epoch, read in the scenario's zone.
func dateDiff(c callCtx, name string, later, earlier any, measure func(time.Time) float64) (any, error) {
	loc := c.env.loc()
	t2, ok2, err := dateArg(name, later, loc)
	if err != nil {
		return nil, err
	}
	t1, ok1, err := dateArg(name, earlier, loc)
	if err != nil || !ok1 || !ok2 {
		return nil, err
	}
	d := measure(t2.In(loc)) - measure(t1.In(loc))
	return d + 0, nil // no negative zero
}

// weekMonday is a Monday: weekday counts start from it.
var weekMonday = time.Date(1970, 1, 5, 0, 0, 0, 0, time.UTC)

// weekPosition splits a wall time into whole days since weekMonday (its weeks and the
// day within the week, 0 = Monday) and the fraction of its day elapsed (wall clock).
func weekPosition(t time.Time) (weeks, day int64, clock float64) {
	civil := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	days := (civil.Unix() - weekMonday.Unix()) / 86400 // both are midnights
	weeks = int64(math.Floor(float64(days) / 7))
	day = days - weeks*7
	clock = float64(t.Hour()*3600+t.Minute()*60+t.Second())/86400 + float64(t.Nanosecond())/86400e9
	return weeks, day, clock
}

// weekdayDays is the number of weekday days (Monday to Friday, fractions of a day
// counted by the wall clock) from weekMonday to t: weekDayDiff is a difference of two.
func weekdayDays(t time.Time) float64 {
	weeks, day, clock := weekPosition(t)
	v := float64(weeks*5) + float64(min(day, 5))
	if day < 5 {
		v += clock
	}
	return v
}

// workMinutes is the number of working minutes (Monday to Friday, 9:00 to 17:00 wall
// time) from weekMonday to t: workMinutesDiff is a difference of two.
func workMinutes(t time.Time) float64 {
	weeks, day, clock := weekPosition(t)
	v := float64(weeks*5*480) + float64(min(day, 5)*480)
	if day < 5 {
		v += min(max(clock*1440-540, 0), 480)
	}
	return v
}

// fnDateDifference: dateDifference(date1; date2; [unit]) is date1 - date2 in the unit
// (milliseconds by default), truncated toward zero as moment's diff is. Days and weeks
// count wall-clock days in the scenario's zone; months follow moment's calendar
// months (the end of a longer month maps to the end of a shorter one).
func fnDateDifference(c callCtx, a []any) (any, error) {
	loc := c.env.loc()
	t1, ok1, err := dateArg("dateDifference", a[0], loc)
	if err != nil {
		return nil, err
	}
	t2, ok2, err := dateArg("dateDifference", a[1], loc)
	if err != nil || !ok1 || !ok2 {
		return nil, err
	}
	unit := strings.ToLower(strings.TrimSpace(text(arg(a, 2))))
	ms := float64(t1.UnixMilli() - t2.UnixMilli())
	_, off1 := t1.In(loc).Zone()
	_, off2 := t2.In(loc).Zone()
	wall := ms + float64(off1-off2)*1000
	var out float64
	switch strings.TrimSuffix(unit, "s") {
	case "", "millisecond":
		out = ms
	case "second":
		out = ms / 1e3
	case "minute":
		out = ms / 6e4
	case "hour":
		out = ms / 36e5
	case "day":
		out = wall / 864e5
	case "week":
		out = wall / 6048e5
	case "month":
		out = monthDiff(t1, t2, loc)
	case "quarter":
		out = monthDiff(t1, t2, loc) / 3
	case "year":
		out = monthDiff(t1, t2, loc) / 12
	default:
		return nil, evalErr("dateDifference", "unit must be milliseconds, seconds, minutes, hours, days, weeks, months, quarters or years, got %s", describeValue(a[2]))
	}
	return math.Trunc(out) + 0, nil
}

// monthDiff is moment's monthDiff(a, b) negated: the months from b to a, with the
// fraction of the month around the anchor (a date shifted by whole months).
func monthDiff(a, b time.Time, loc *time.Location) float64 {
	wa, wb := a.In(loc), b.In(loc)
	if wa.Day() < wb.Day() {
		return -monthDiff(b, a, loc)
	}
	whole := (wb.Year()-wa.Year())*12 + int(wb.Month()) - int(wa.Month())
	anchor := datetime.Add(a, "months", float64(whole), loc)
	var other time.Time
	var adjust float64
	// In milliseconds, as moment computes (a Duration would overflow past 292 years).
	ms := func(t time.Time) float64 { return float64(t.UnixMilli()) }
	if b.Before(anchor) {
		other = datetime.Add(a, "months", float64(whole-1), loc)
		adjust = (ms(b) - ms(anchor)) / (ms(anchor) - ms(other))
	} else {
		other = datetime.Add(a, "months", float64(whole+1), loc)
		adjust = (ms(b) - ms(anchor)) / (ms(other) - ms(anchor))
	}
	if math.IsNaN(adjust) || math.IsInf(adjust, 0) {
		adjust = 0
	}
	return -(float64(whole) + adjust)
}
