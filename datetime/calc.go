package datetime

import (
	"math"
	"time"
)

// AddUnits and SetUnits list the unit names Add and Set understand, for callers that
// validate a unit before calling (Make's addDays is Add(t, "days", n, loc)).
var (
	AddUnits = []string{"milliseconds", "seconds", "minutes", "hours", "days", "weeks", "months", "years"}
	SetUnits = []string{"millisecond", "second", "minute", "hour", "date", "month", "year"}
)

// Unit lengths in milliseconds for the units Add treats as durations.
var durationUnits = map[string]float64{
	"milliseconds": 1,
	"seconds":      1e3,
	"minutes":      60e3,
	"hours":        3600e3,
}

// Add shifts t by n units, as Make's addSeconds … addYears do (moment's add):
//
//   - "milliseconds", "seconds", "minutes", "hours" are exact durations: addHours(t; 1)
//     is always 3,600,000 ms later, even across a daylight-saving change; a fractional
//     n is kept to the millisecond (truncated toward zero);
//   - "days", "weeks", "months", "years" are calendar steps on the wall clock of loc
//     (nil = UTC): addDays keeps 09:00 at 09:00 across a daylight-saving change. n is
//     rounded half away from zero to whole days or months (weeks are 7n days, years are
//     12n months, rounded after multiplying: addYears(t; 1.5) adds 18 months);
//   - adding months or years clamps the day to the target month's length: Jan 31 + 1
//     month is Feb 28 (29 in leap years);
//   - a wall time that falls in a daylight-saving gap moves forward by the gap; one
//     that occurs twice keeps t's offset when that is one of the two, else it is the
//     earlier instant.
//
// The result is in UTC. An unknown unit, a NaN or infinite n, or a result outside
// JavaScript's date range returns the zero time.Time (Make's "Invalid date").
func Add(t time.Time, unit string, n float64, loc *time.Location) time.Time {
	if math.IsNaN(n) || math.IsInf(n, 0) {
		return time.Time{}
	}
	if ms, ok := durationUnits[unit]; ok {
		// In whole milliseconds, as JavaScript's Date.setTime stores them; any
		// sub-millisecond part of a Go time rides along unchanged.
		d := n * ms
		if d > 2*maxMillis || d < -2*maxMillis || !inRange(t) {
			return time.Time{}
		}
		// JavaScript adds in floating point and truncates the sum, so -1.5 ms from
		// .239 is .237 (not .238); float64 is exact for every valid date.
		sub := time.Duration(t.Nanosecond() % 1e6)
		out := time.UnixMilli(int64(math.Trunc(float64(t.UnixMilli()) + d))).Add(sub).UTC()
		if !inRange(out) {
			return time.Time{}
		}
		return out
	}
	loc = zone(loc)
	var days, months float64
	switch unit {
	case "days": // math.Round is moment's absRound: half away from zero
		days = math.Round(n)
	case "weeks":
		days = math.Round(n * 7)
	case "months":
		months = math.Round(n)
	case "years":
		months = math.Round(n * 12)
	default:
		return time.Time{}
	}
	if math.Abs(days) > limit || math.Abs(months) > limit {
		return time.Time{}
	}
	w, off := wallOf(t, loc)
	if months != 0 {
		w.month += int64(months)
		w.day = min(w.day, daysInMonthOf(w.year, w.month))
	}
	w.day += int64(days)
	out, ok := w.instantNear(loc, off)
	if !ok {
		return time.Time{}
	}
	return out
}

// daysInMonthOf returns the length of month m (any integer: 13 is January of the
// next year) of year y.
func daysInMonthOf(y, m int64) int64 {
	return daysIn(y+floorDiv(m-1, 12), floorMod(m-1, 12)+1)
}

// Set replaces one component of t's wall clock in loc (nil = UTC), as Make's
// setSecond … setYear do (moment's setters):
//
//   - unit is "millisecond", "second", "minute", "hour", "date" (day of month),
//     "month" (1–12, Make's numbering) or "year";
//   - values out of range roll into the neighbouring unit: setSecond(61) is one
//     second into the next minute, setHour(-6) is 18:00 the day before, setDate(32)
//     runs into the next month, setMonth(17) is May of the next year;
//   - setMonth clamps the day to the month's length (Jan 31 → setMonth(2) → Feb 28),
//     setYear moves Feb 29 to Feb 28 in a common year;
//   - hour, date, month and year keep the wall reading in loc, with the gap/overlap
//     rule of Add; millisecond, second and minute move the instant by the difference
//     (moment sets them on a clock that keeps t's offset, which matters only when the
//     move crosses a daylight-saving change).
//
// The result is in UTC. An unknown unit or a result outside JavaScript's date range
// returns the zero time.Time.
func Set(t time.Time, unit string, n int, loc *time.Location) time.Time {
	loc = zone(loc)
	w, off := wallOf(t, loc)
	v := int64(n)
	if v > limit || v < -limit {
		return time.Time{}
	}
	switch unit {
	case "millisecond":
		return shift(t, v-w.nsec/1e6, time.Millisecond)
	case "second":
		return shift(t, v-w.sec, time.Second)
	case "minute":
		return shift(t, v-w.min, time.Minute)
	case "hour":
		w.hour = v
	case "date":
		w.day = v
	case "month":
		w.month = v
		w.day = min(w.day, daysInMonthOf(w.year, w.month))
	case "year":
		if w.month == 2 && w.day == 29 && !isLeap(v) {
			w.day = 28
		}
		w.year = v
	default:
		return time.Time{}
	}
	out, ok := w.instantNear(loc, off)
	if !ok {
		return time.Time{}
	}
	return out
}

// SetDay moves t to weekday n of its Sunday-to-Saturday week in loc, as Make's setDay
// (1 = Sunday … 7 = Saturday); 0 is the Saturday before, 8 the next Sunday. The wall
// time is kept, as for Add with days.
func SetDay(t time.Time, n int, loc *time.Location) time.Time {
	loc = zone(loc)
	w, off := wallOf(t, loc)
	v := int64(n)
	if v > limit || v < -limit {
		return time.Time{}
	}
	w.day += v - 1 - weekday(w.year, w.month, w.day)
	out, ok := w.instantNear(loc, off)
	if !ok {
		return time.Time{}
	}
	return out
}

// shift moves t by n units of d, for the setters below the hour: moment sets them
// on a clock that keeps t's offset, which is the same as moving the instant by the
// difference (and, unlike a wall-time rule, never jumps an hour when the result
// lands in a daylight-saving gap or overlap).
func shift(t time.Time, n int64, d time.Duration) time.Time {
	if n > limit || n < -limit || !inRange(t) {
		return time.Time{}
	}
	ms := n * int64(d/time.Millisecond)
	out := time.UnixMilli(t.UnixMilli() + ms).Add(time.Duration(t.Nanosecond() % 1e6)).UTC()
	if !inRange(out) {
		return time.Time{}
	}
	return out
}
