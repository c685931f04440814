package iml

import (
	"math"
	"strings"
	"sync"
	"time"

	"github.com/weftworks/weft/datetime"
	"github.com/weftworks/weft/value"
)

// Date functions (IML.md §2.4). Text arguments are read as dates in the scenario's
// zone (Env.Location) unless they carry an offset; numbers are milliseconds since the
// epoch. An empty date gives an empty result.
func init() {
	register(
		withEnv("formatDate", 2, 3, fnFormatDate),
		withEnv("parseDate", 2, 3, fnParseDate),
	)
	for _, u := range []struct{ name, unit string }{
		{"addSeconds", "seconds"}, {"addMinutes", "minutes"}, {"addHours", "hours"},
		{"addDays", "days"}, {"addMonths", "months"}, {"addYears", "years"},
	} {
		register(withEnv(u.name, 2, 2, addFunc(u.name, u.unit)))
	}
	for _, u := range []struct{ name, unit string }{
		{"setSecond", "second"}, {"setMinute", "minute"}, {"setHour", "hour"},
		{"setDate", "date"}, {"setMonth", "month"}, {"setYear", "year"},
	} {
		register(withEnv(u.name, 2, 2, setFunc(u.name, u.unit)))
	}
	register(withEnv("setDay", 2, 2, fnSetDay))
}

// dateArg reads a date argument; ok is false when it is empty.
func dateArg(fn string, v any, loc *time.Location) (t time.Time, ok bool, err error) {
	if value.IsEmpty(v) {
		return time.Time{}, false, nil
	}
	if s, isText := v.(string); isText && strings.TrimSpace(s) == "" {
		return time.Time{}, false, nil
	}
	t, ok = value.Date(v, loc)
	if !ok {
		return time.Time{}, false, evalErr(fn, "%s is not a date", describeValue(v))
	}
	return t, true, nil
}

var zones sync.Map // name → *time.Location (nil when the name is unknown)

// zoneArg resolves an IANA time-zone argument; an empty or unknown name means the
// scenario's zone, as Make documents ("anything else is ignored").
func zoneArg(v any, def *time.Location) *time.Location {
	name := strings.TrimSpace(text(v))
	if name == "" {
		return def
	}
	if l, ok := zones.Load(name); ok {
		if l == nil {
			return def
		}
		return l.(*time.Location)
	}
	l, err := time.LoadLocation(name)
	if err != nil || strings.EqualFold(name, "local") {
		zones.Store(name, nil)
		return def
	}
	zones.Store(name, l)
	return l
}

// fnFormatDate renders a date with moment.js tokens in the given zone (default: the
// scenario's zone).
func fnFormatDate(c callCtx, a []any) (any, error) {
	loc := c.env.loc()
	t, ok, err := dateArg("formatDate", a[0], loc)
	if err != nil || !ok {
		return nil, err
	}
	return datetime.Format(t, text(a[1]), zoneArg(arg(a, 2), loc)), nil
}

// fnParseDate reads text with moment.js parsing tokens; text without an offset is read
// in the given zone (default: the scenario's zone). A date argument is returned as is.
func fnParseDate(c callCtx, a []any) (any, error) {
	switch x := a[0].(type) {
	case time.Time:
		return x, nil
	case nil:
		return nil, nil
	}
	s := text(a[0])
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	loc := zoneArg(arg(a, 2), c.env.loc())
	t, err := datetime.ParseAt(s, text(a[1]), loc, c.env.now())
	if err != nil {
		return nil, err
	}
	return t, nil
}

func addFunc(name, unit string) func(callCtx, []any) (any, error) {
	return func(c callCtx, a []any) (any, error) {
		loc := c.env.loc()
		t, ok, err := dateArg(name, a[0], loc)
		if err != nil || !ok {
			return nil, err
		}
		n, ok, err := number(name, a[1])
		if err != nil {
			return nil, err
		}
		if !ok {
			return t, nil
		}
		if math.IsInf(n, 0) || math.IsNaN(n) {
			return nil, evalErr(name, "amount %s is not a finite number", value.FormatNumber(n))
		}
		return validDate(name, datetime.Add(t, unit, n, loc))
	}
}

// setFunc builds setSecond…setYear; setMonth also takes an English month name.
func setFunc(name, unit string) func(callCtx, []any) (any, error) {
	return func(c callCtx, a []any) (any, error) {
		loc := c.env.loc()
		t, ok, err := dateArg(name, a[0], loc)
		if err != nil || !ok {
			return nil, err
		}
		if unit == "month" {
			if s, isText := a[1].(string); isText {
				if m, ok := datetime.MonthNumber(s); ok {
					return validDate(name, datetime.Set(t, unit, m, loc))
				}
			}
		}
		n, err := setAmount(name, a[1])
		if err != nil {
			return nil, err
		}
		return validDate(name, datetime.Set(t, unit, n, loc))
	}
}

func setAmount(name string, v any) (int, error) {
	f, ok, err := number(name, v)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, evalErr(name, "the new value is empty")
	}
	if f != math.Trunc(f) || math.Abs(f) > 1e9 {
		return 0, evalErr(name, "%s is not a whole number in range", value.FormatNumber(f))
	}
	return int(f), nil
}

// fnSetDay moves a date to a day of its Sunday-to-Saturday week: 1 = Sunday … 7 =
// Saturday, or an English day name; other numbers move into earlier or later weeks.
func fnSetDay(c callCtx, a []any) (any, error) {
	loc := c.env.loc()
	t, ok, err := dateArg("setDay", a[0], loc)
	if err != nil || !ok {
		return nil, err
	}
	if s, isText := a[1].(string); isText {
		if d, ok := datetime.DayNumber(s); ok {
			return validDate("setDay", datetime.SetDay(t, d, loc))
		}
	}
	n, err := setAmount("setDay", a[1])
	if err != nil {
		return nil, err
	}
	return validDate("setDay", datetime.SetDay(t, n, loc))
}

// validDate turns datetime's zero result ("Invalid date": a unit or amount that leaves
// the representable range) into an error instead of year 1 flowing on.
func validDate(name string, t time.Time) (any, error) {
	if t.IsZero() {
		return nil, evalErr(name, "the result is not a valid date")
	}
	return t, nil
}
