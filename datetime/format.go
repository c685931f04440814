package datetime

import (
	"strconv"
	"time"
)

// Format renders t in loc (nil = UTC) with a moment.js layout, as Make's formatDate
// does: every token of moment's English locale (docs/dates.md lists them), "[...]"
// for literal text, a backslash to escape one token, and any other character printed
// as itself ("YYYY-MM-DDTHH:mm:ssZ" gives 2026-01-02T03:04:05+00:00).
//
// An empty layout prints moment's default, ISO 8601 with the offset
// (2026-01-02T04:04:05+01:00), or with "Z" when the zone's offset is zero. A layout
// made only of line breaks prints nothing (moment throws on it).
func Format(t time.Time, layout string, loc *time.Location) string {
	t = t.In(zone(loc))
	if layout == "" {
		layout = "YYYY-MM-DDTHH:mm:ssZ"
		if _, off := t.Zone(); off == 0 {
			layout = "YYYY-MM-DDTHH:mm:ss[Z]"
		}
	}
	items := compiled(layout)
	var buf [64]byte
	return string(appendFormat(buf[:0], t, items))
}

// stamp holds the calendar fields of one instant in one zone, computed once per
// Format call; the weekday, day of year, offset and week numbers only on demand.
type stamp struct {
	t                    time.Time
	year                 int64
	month, day           int
	hour, min, sec, nsec int
	wdayDone, ydayDone   bool
	wday                 int // 0 = Sunday
	yday                 int // 1 …
	haveZone             bool
	offset               int // seconds east of UTC
	zoneName             string
	weekDone             bool
	week, weekYear       int64 // US: weeks start on Sunday, January 1st in week 1
	isoDone              bool
	isoWeek, isoYear     int64
}

func newStamp(t time.Time) stamp {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return stamp{t: t, year: int64(y), month: int(mo), day: d, hour: h, min: mi, sec: s,
		nsec: t.Nanosecond()}
}

func (st *stamp) weekday() int {
	if !st.wdayDone {
		st.wday, st.wdayDone = int(weekday(st.year, int64(st.month), int64(st.day))), true
	}
	return st.wday
}

func (st *stamp) yearDay() int {
	if !st.ydayDone {
		st.yday, st.ydayDone = st.t.YearDay(), true
	}
	return st.yday
}

func (st *stamp) zone() {
	if !st.haveZone {
		st.zoneName, st.offset = st.t.Zone()
		st.haveZone = true
	}
}

func (st *stamp) localeWeek() (int64, int64) {
	if !st.weekDone {
		st.week, st.weekYear = weekOfYear(st.year, int64(st.yearDay()), 0, 6)
		st.weekDone = true
	}
	return st.week, st.weekYear
}

func (st *stamp) isoWeekYear() (int64, int64) {
	if !st.isoDone {
		st.isoWeek, st.isoYear = weekOfYear(st.year, int64(st.yearDay()), 1, 4)
		st.isoDone = true
	}
	return st.isoWeek, st.isoYear
}

// appendFormat appends t (already in the output zone) formatted with items.
func appendFormat(dst []byte, t time.Time, items []item) []byte {
	st := newStamp(t)
	for i := range items {
		dst = st.appendItem(dst, &items[i])
	}
	return dst
}

func (st *stamp) appendItem(dst []byte, it *item) []byte {
	switch it.kind {
	case kLit:
		return append(dst, it.lit...)
	case kM:
		return strconv.AppendInt(dst, int64(st.month), 10)
	case kMo:
		return appendOrdinal(dst, int64(st.month))
	case kMM:
		return zeroFill(dst, int64(st.month), 2, false)
	case kMMM:
		return append(dst, monthShortNames[st.month-1]...)
	case kMMMM:
		return append(dst, monthNames[st.month-1]...)
	case kQ:
		return strconv.AppendInt(dst, int64((st.month+2)/3), 10)
	case kQo:
		return appendOrdinal(dst, int64((st.month+2)/3))
	case kD:
		return strconv.AppendInt(dst, int64(st.day), 10)
	case kDo:
		return appendOrdinal(dst, int64(st.day))
	case kDD:
		return zeroFill(dst, int64(st.day), 2, false)
	case kDDD:
		return strconv.AppendInt(dst, int64(st.yearDay()), 10)
	case kDDDo:
		return appendOrdinal(dst, int64(st.yearDay()))
	case kDDDD:
		return zeroFill(dst, int64(st.yearDay()), 3, false)
	case kd, ke: // English weeks start on Sunday, so the locale weekday is the day
		return strconv.AppendInt(dst, int64(st.weekday()), 10)
	case kdo:
		return appendOrdinal(dst, int64(st.weekday()))
	case kdd:
		return append(dst, dayMinNames[st.weekday()]...)
	case kddd:
		return append(dst, dayShortNames[st.weekday()]...)
	case kdddd:
		return append(dst, dayNames[st.weekday()]...)
	case kE:
		return strconv.AppendInt(dst, int64(isoWeekday(st.weekday())), 10)
	case kw, kww, kwo, kW, kWW, kWo:
		return st.appendWeek(dst, it.kind)
	case kgg, kgggg, kggggg, kGG, kGGGG, kGGGGG:
		return st.appendWeekYear(dst, it.kind)
	case kY:
		if st.year <= 9999 {
			return zeroFill(dst, st.year, 4, false)
		}
		return strconv.AppendInt(append(dst, '+'), st.year, 10)
	case kYY:
		return zeroFill(dst, st.year%100, 2, false)
	case kYYYY:
		return zeroFill(dst, st.year, 4, false)
	case kYYYYY:
		return zeroFill(dst, st.year, 5, false)
	case kYYYYYY:
		return zeroFill(dst, st.year, 6, true)
	case kN, kNNNNN:
		return append(dst, st.era("AD", "BC")...)
	case kNNNN:
		return append(dst, st.era("Anno Domini", "Before Christ")...)
	case ky:
		return zeroFill(dst, st.eraYear(), 1, false)
	case kyy:
		return zeroFill(dst, st.eraYear(), 2, false)
	case kyyy:
		return zeroFill(dst, st.eraYear(), 3, false)
	case kyyyy:
		return zeroFill(dst, st.eraYear(), 4, false)
	case kyo:
		return appendOrdinal(dst, st.eraYear())
	default:
		return st.appendTime(dst, it)
	}
}

// appendTime handles the time-of-day, zone and epoch tokens.
func (st *stamp) appendTime(dst []byte, it *item) []byte {
	switch it.kind {
	case kH:
		return strconv.AppendInt(dst, int64(st.hour), 10)
	case kHH:
		return zeroFill(dst, int64(st.hour), 2, false)
	case kh:
		return strconv.AppendInt(dst, int64(hour12(st.hour)), 10)
	case khh:
		return zeroFill(dst, int64(hour12(st.hour)), 2, false)
	case kk:
		return strconv.AppendInt(dst, int64(hour24(st.hour)), 10)
	case kkk:
		return zeroFill(dst, int64(hour24(st.hour)), 2, false)
	case khmm, khmmss:
		dst = strconv.AppendInt(dst, int64(hour12(st.hour)), 10)
		return st.appendMinSec(dst, it.kind == khmmss)
	case kHmm, kHmmss:
		dst = strconv.AppendInt(dst, int64(st.hour), 10)
		return st.appendMinSec(dst, it.kind == kHmmss)
	case ka:
		if st.hour > 11 {
			return append(dst, "pm"...)
		}
		return append(dst, "am"...)
	case kA:
		if st.hour > 11 {
			return append(dst, "PM"...)
		}
		return append(dst, "AM"...)
	case km:
		return strconv.AppendInt(dst, int64(st.min), 10)
	case kmm:
		return zeroFill(dst, int64(st.min), 2, false)
	case ks:
		return strconv.AppendInt(dst, int64(st.sec), 10)
	case kss:
		return zeroFill(dst, int64(st.sec), 2, false)
	case kS:
		return appendFraction(dst, st.nsec/1e6, it.width)
	case kz, kzz: // moment-timezone prints the abbreviation for both
		st.zone()
		return append(dst, st.zoneName...)
	case kZ, kZZ:
		st.zone()
		return appendOffset(dst, st.offset, it.kind == kZ)
	case kX:
		return strconv.AppendInt(dst, floorDiv(st.t.UnixMilli(), 1000), 10)
	case kx:
		return strconv.AppendInt(dst, st.t.UnixMilli(), 10)
	}
	return dst
}

func (st *stamp) appendMinSec(dst []byte, sec bool) []byte {
	dst = zeroFill(dst, int64(st.min), 2, false)
	if sec {
		dst = zeroFill(dst, int64(st.sec), 2, false)
	}
	return dst
}

func (st *stamp) appendWeek(dst []byte, k kind) []byte {
	var w int64
	if k == kw || k == kww || k == kwo {
		w, _ = st.localeWeek()
	} else {
		w, _ = st.isoWeekYear()
	}
	switch k {
	case kw, kW:
		return strconv.AppendInt(dst, w, 10)
	case kww, kWW:
		return zeroFill(dst, w, 2, false)
	}
	return appendOrdinal(dst, w)
}

func (st *stamp) appendWeekYear(dst []byte, k kind) []byte {
	var y int64
	if k == kgg || k == kgggg || k == kggggg {
		_, y = st.localeWeek()
	} else {
		_, y = st.isoWeekYear()
	}
	switch k {
	case kgg, kGG:
		return zeroFill(dst, y%100, 2, false)
	case kgggg, kGGGG:
		return zeroFill(dst, y, 4, false)
	}
	return zeroFill(dst, y, 5, false)
}

// era picks the English era of the date: Anno Domini from 0001-01-01 on.
func (st *stamp) era(ad, bc string) string {
	if st.year >= 1 {
		return ad
	}
	return bc
}

// eraYear counts years within the era: 1 BC is year 0 of the proleptic calendar.
func (st *stamp) eraYear() int64 {
	if st.year >= 1 {
		return st.year
	}
	return 1 - st.year
}

func hour12(h int) int {
	if h%12 == 0 {
		return 12
	}
	return h % 12
}

func hour24(h int) int {
	if h == 0 {
		return 24
	}
	return h
}

// isoWeekday turns 0 = Sunday … 6 into ISO's 1 = Monday … 7 = Sunday.
func isoWeekday(wday int) int {
	if wday == 0 {
		return 7
	}
	return wday
}

// zeroFill is moment's zeroFill: the absolute value padded with zeros to width, a
// minus sign for negatives and, when forceSign is set, a plus sign otherwise.
func zeroFill(dst []byte, n int64, width int, forceSign bool) []byte {
	neg := n < 0
	if neg {
		dst = append(dst, '-')
	} else if forceSign {
		dst = append(dst, '+')
	}
	var tmp [24]byte
	digits := tmp[:0]
	if neg {
		digits = strconv.AppendUint(digits, uint64(-n), 10)
	} else {
		digits = strconv.AppendUint(digits, uint64(n), 10)
	}
	for i := len(digits); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, digits...)
}

// appendFraction writes the S tokens: tenths, hundredths, milliseconds, then the
// milliseconds followed by zeros (moment keeps millisecond precision only).
func appendFraction(dst []byte, ms, width int) []byte {
	switch width {
	case 1:
		return strconv.AppendInt(dst, int64(ms/100), 10)
	case 2:
		return zeroFill(dst, int64(ms/10), 2, false)
	}
	dst = zeroFill(dst, int64(ms), 3, false)
	for i := 3; i < width; i++ {
		dst = append(dst, '0')
	}
	return dst
}

// appendOffset writes a UTC offset as +01:00 (colon) or +0100, whole minutes.
func appendOffset(dst []byte, offset int, colon bool) []byte {
	m := offset / 60
	sign := byte('+')
	if m < 0 {
		m, sign = -m, '-'
	}
	dst = zeroFill(append(dst, sign), int64(m/60), 2, false)
	if colon {
		dst = append(dst, ':')
	}
	return zeroFill(dst, int64(m%60), 2, false)
}

// weekOfYear is moment's week numbering: weeks start on weekday dow (0 = Sunday) and
// week 1 is the week that contains January 7+dow-doy. ISO is dow=1, doy=4 (the week
// of January 4th); moment's English locale is dow=0, doy=6 (the week of January 1st,
// weeks from Sunday). It returns the week and the year the week belongs to.
func weekOfYear(year, yday int64, dow, doy int64) (week, weekYear int64) {
	offset := firstWeekOffset(year, dow, doy)
	week = floorDiv(yday-offset-1, 7) + 1
	switch {
	case week < 1:
		return week + weeksInYear(year-1, dow, doy), year - 1
	case week > weeksInYear(year, dow, doy):
		return week - weeksInYear(year, dow, doy), year + 1
	}
	return week, year
}

// firstWeekOffset is the (non-positive) day-of-year offset of the first day of
// week 1, moment's firstWeekOffset.
func firstWeekOffset(year, dow, doy int64) int64 {
	fwd := 7 + dow - doy
	wd := floorMod(daysFromCivil(year, 1, fwd)+4, 7) // 1970-01-01 was a Thursday (4)
	fwdlw := floorMod(7+wd-dow, 7)
	return -fwdlw + fwd - 1
}

func weeksInYear(year, dow, doy int64) int64 {
	days := int64(365)
	if isLeap(year) {
		days = 366
	}
	return (days - firstWeekOffset(year, dow, doy) + firstWeekOffset(year+1, dow, doy)) / 7
}
