// Package datetime implements Make's date handling: moment.js-style format and parse
// tokens (formatDate, parseDate), the text→date coercion of Make's type-coercion table,
// calendar arithmetic (addDays, setHour...) in a time zone, and the ISO form dates
// take when they travel as text.
//
// Make runs moment.js (with moment-timezone) behind these functions, so this package
// follows moment 2.29's English-locale behaviour token by token; docs/dates.md lists
// every token, the accepted coercion formats, the time-zone rules and the decisions
// taken where Make's behaviour is not documented.
//
// Conventions shared by every function:
//   - a nil *time.Location means UTC;
//   - returned instants are in UTC (a Make date is an instant; the zone only matters
//     while formatting, parsing and doing calendar arithmetic);
//   - nothing panics on any input: Parse and Coerce return a *ParseError, Add and Set
//     return the zero time.Time (Make's "Invalid date") for an unknown unit, a NaN or
//     infinite amount, or a result outside JavaScript's date range.
package datetime

import (
	"math"
	"time"
)

// ISO renders t as Make does when a date travels as text: UTC with milliseconds,
// 2016-12-28T16:03:06.000Z. Years outside 0–9999 take JavaScript's expanded form
// (+019887-01-01T00:00:00.000Z, -000001-12-31T00:00:00.000Z), as toISOString does.
func ISO(t time.Time) string {
	t = t.UTC()
	y := t.Year()
	if y >= 0 && y <= 9999 {
		return t.Format("2006-01-02T15:04:05.000Z07:00")
	}
	b := make([]byte, 0, 32)
	b = zeroFill(b, int64(y), 6, true)
	return string(append(b, t.Format("-01-02T15:04:05.000Z07:00")...))
}

// maxMillis is the largest distance from the epoch a JavaScript Date can hold
// (±100,000,000 days); moment (and so Make) calls anything beyond it an invalid date.
const maxMillis = 8_640_000_000_000_000

// inRange reports whether t is a date JavaScript can represent.
func inRange(t time.Time) bool {
	// Seconds first: UnixMilli overflows for times far beyond the range.
	if s := t.Unix(); s < -maxMillis/1000 || s > maxMillis/1000 {
		return false
	}
	ms := t.UnixMilli()
	return ms >= -maxMillis && ms <= maxMillis
}

// zone returns loc, or UTC when loc is nil.
func zone(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// floorDiv and floorMod divide rounding toward negative infinity, so month -1 is
// December of the year before.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// daysFromCivil counts days from 1970-01-01 to the proleptic Gregorian date y-m-d
// (m 1–12). Howard Hinnant's algorithm: exact for every int64 year we accept.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// isLeap reports whether y is a Gregorian leap year.
func isLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// daysIn returns the number of days of month m (1–12) in year y.
func daysIn(y, m int64) int64 {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// wall is a local calendar reading (what a clock on the wall in some zone shows).
// Fields may be out of range; instant normalises them the way JavaScript's Date
// setters do (month 13 is January of the next year, second -1 the previous minute).
type wall struct {
	year, month, day, hour, min, sec int64
	nsec                             int64 // 0 … 999,999,999
}

// wallOf reads t's wall clock in loc, and the offset t has there.
func wallOf(t time.Time, loc *time.Location) (wall, int64) {
	t = t.In(loc)
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	_, off := t.Zone()
	return wall{int64(y), int64(mo), int64(d), int64(h), int64(mi), int64(s), int64(t.Nanosecond())}, int64(off)
}

// limit bounds every field before arithmetic so that no int64 overflows; anything
// this far out is beyond JavaScript's date range anyway.
const limit = 1 << 40

// seconds returns the wall reading as seconds since 1970-01-01T00:00 of the same
// wall clock, or ok=false when a field is absurdly large.
func (w wall) seconds() (int64, bool) {
	for _, f := range []int64{w.year, w.month, w.day, w.hour, w.min, w.sec} {
		if f > limit || f < -limit {
			return 0, false
		}
	}
	y := w.year + floorDiv(w.month-1, 12)
	m := floorMod(w.month-1, 12) + 1
	if y > 1<<32 || y < -(1<<32) {
		return 0, false
	}
	days := daysFromCivil(y, m, 1) + w.day - 1
	return days*86400 + w.hour*3600 + w.min*60 + w.sec, true
}

// instant turns a wall reading in loc into an instant, the way moment-timezone does:
// a reading that falls in a daylight-saving gap (02:30 on the spring-forward night) is
// read with the offset in force before the gap, so it lands after it (03:30 summer
// time); a reading that occurs twice (the autumn overlap) is the earlier instant.
// ok is false when the result is outside JavaScript's date range.
func (w wall) instant(loc *time.Location) (time.Time, bool) {
	return w.instantNear(loc, noOffset)
}

// noOffset marks "no preferred offset" for instantNear.
const noOffset = math.MinInt64

// instantNear is instant for a reading derived from an existing date whose offset was
// prefer: when the reading occurs twice and one of the two has that offset, it wins
// (moment keeps a date's offset, so adding 0 days or a whole week to 02:30 winter
// time stays in winter time).
func (w wall) instantNear(loc *time.Location, prefer int64) (time.Time, bool) {
	sec, ok := w.seconds()
	if !ok {
		return time.Time{}, false
	}
	var t time.Time
	if loc == time.UTC {
		t = time.Unix(sec, w.nsec).UTC()
	} else {
		t = time.Unix(resolve(sec, loc, prefer), w.nsec).UTC()
	}
	if !inRange(t) {
		return time.Time{}, false
	}
	return t, true
}

// resolve maps wall seconds in loc to Unix seconds (see wall.instantNear for the
// rule).
func resolve(wallSec int64, loc *time.Location, prefer int64) int64 {
	before := offsetAt(wallSec-86400, loc)
	after := offsetAt(wallSec+86400, loc)
	i1, i2 := wallSec-before, wallSec-after
	ok1 := offsetAt(i1, loc) == before
	ok2 := offsetAt(i2, loc) == after
	switch {
	case ok1 && ok2 && before != after && prefer == before:
		return i1
	case ok1 && ok2 && before != after && prefer == after:
		return i2
	case ok1 && ok2:
		return min(i1, i2)
	case ok2:
		return i2
	default: // ok1 alone, or a gap: the offset before the transition
		return i1
	}
}

// offsetAt returns loc's UTC offset in seconds at Unix second sec.
func offsetAt(sec int64, loc *time.Location) int64 {
	_, off := time.Unix(sec, 0).In(loc).Zone()
	return int64(off)
}
