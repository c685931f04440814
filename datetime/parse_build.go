package datetime

import (
	"fmt"
	"time"
)

// build turns the parsed fields into an instant and checks them, following moment's
// configFromArray, checkOverflow and isValid.
func (p *parser) build(loc *time.Location, now time.Time) (time.Time, error) {
	if !p.matchd {
		return p.invalid("", "no part of the text matches the layout")
	}
	parsedParts := false
	for _, h := range p.has {
		parsedParts = parsedParts || h
	}
	if p.meridiem != "" && !parsedParts {
		return p.invalid("", "am/pm %s without an hour", quote(p.meridiem))
	}
	if p.meridiem != "" && p.has[fHour] {
		switch h := p.a[fHour]; {
		case p.isPM && h < 12:
			p.a[fHour] = h + 12
		case !p.isPM && h == 12:
			p.a[fHour] = 0
		}
	}
	if p.era != 0 {
		p.applyEra()
	}
	if p.hasEpoch {
		if p.epochErr != nil {
			p.err = p.epochErr
			return time.Time{}, p.err
		}
		if err := p.checkEpochFields(); err != nil {
			return time.Time{}, err
		}
		return p.epoch, nil
	}

	ny, nm, nd := now.Date()
	cur := [3]int64{int64(ny), int64(nm) - 1, int64(nd)}
	if p.week.set && !p.has[fDate] && !p.has[fMonth] {
		if err := p.weekToDayOfYear(cur, int64(now.YearDay())); err != nil {
			return time.Time{}, err
		}
	}
	if p.hasDOY {
		if err := p.applyDayOfYear(cur[0]); err != nil {
			return time.Time{}, err
		}
	}
	// moment defaults the leading missing parts from today, the rest to their minimum.
	i := 0
	for ; i < 3 && !p.has[i]; i++ {
		p.a[i] = cur[i]
	}
	for ; i < nFields; i++ {
		if !p.has[i] {
			p.a[i] = 0
			if i == fDate {
				p.a[i] = 1
			}
		}
	}
	if err := p.checkOverflow(); err != nil {
		return time.Time{}, err
	}
	w := wall{year: p.a[fYear], month: p.a[fMonth] + 1, day: p.a[fDate], hour: p.a[fHour],
		min: p.a[fMinute], sec: p.a[fSecond], nsec: p.a[fMilli] * 1e6}
	if w.hour == 24 { // 24:00:00.000 is the start of the next day
		w.hour = 0
		w.day++
	}
	// moment 2.29 checks a parsed weekday even against a defaulted date, and after
	// rolling 24:00 into the next day.
	if p.week.hd {
		w.year, w.month, w.day = normDate(w.year, w.month, w.day)
		if wd := weekday(w.year, w.month, w.day); wd != p.week.d {
			named := fmt.Sprintf("weekday %d", p.week.d)
			if p.week.d >= 0 && p.week.d <= 6 {
				named = "a " + dayNames[p.week.d]
			}
			return p.invalid(p.week.dToken, "%04d-%02d-%02d is a %s, not %s",
				w.year, w.month, w.day, dayNames[wd], named)
		}
	}
	var t time.Time
	ok := false
	if p.hasTZ {
		if sec, fine := w.seconds(); fine {
			t = time.Unix(sec-p.tzm*60, w.nsec).UTC()
			ok = inRange(t)
		}
	} else {
		t, ok = w.instant(loc)
	}
	if !ok {
		return p.invalid("", "the date is outside the supported range (years -271821 to 275760)")
	}
	return t, nil
}

func (p *parser) invalid(token, format string, args ...any) (time.Time, error) {
	p.fail(token, format, args...)
	return time.Time{}, p.err
}

// applyEra converts an era year (5 BC) into a proleptic year (-4), moment's
// erasConvertYear; an era without a year means the era's first year.
func (p *parser) applyEra() {
	switch {
	case !p.has[fYear] && p.era == 1:
		p.set(fYear, 1, p.eraToken)
	case !p.has[fYear]:
		p.set(fYear, 0, p.eraToken)
	case p.era == 2:
		p.a[fYear] = 1 - p.a[fYear]
	}
}

// applyDayOfYear turns DDD/DDDD into a month and day (moment rolls over, then
// reports the overflow).
func (p *parser) applyDayOfYear(curYear int64) error {
	y := curYear
	if p.has[fYear] {
		y = p.a[fYear]
	}
	days := int64(365)
	if isLeap(y) {
		days = 366
	}
	if p.dayOfYear > days || p.dayOfYear == 0 {
		_, err := p.invalid(p.doyToken, "day of year %d is out of range 1–%d for %d", p.dayOfYear, days, y)
		return err
	}
	if y > limit || y < -limit {
		_, err := p.invalid("", "the date is outside the supported range (years -271821 to 275760)")
		return err
	}
	cy, cm, cd := civilFromDays(daysFromCivil(y, 1, 1) + p.dayOfYear - 1)
	p.set(fYear, cy, p.src[fYear])
	p.set(fMonth, cm-1, p.doyToken)
	p.set(fDate, cd, p.doyToken)
	return nil
}

// weekToDayOfYear resolves week-based tokens (moment's dayOfYearFromWeekInfo): ISO
// tokens (GG, W, E) use ISO weeks, the others the English locale's Sunday weeks;
// missing parts come from the current week.
func (p *parser) weekToDayOfYear(cur [3]int64, curYday int64) error {
	w := p.week
	var weekYear, week, day, dow, doy int64
	badDay := false
	if w.hGG || w.hW || w.hE {
		dow, doy = 1, 4
		_, isoYear := weekOfYear(cur[0], curYday, 1, 4)
		weekYear = pick(w.hGG, w.GG, pick(p.has[fYear], p.a[fYear], isoYear))
		week = pick(w.hW, w.W, 1)
		day = pick(w.hE, w.E, 1)
		badDay = day < 1 || day > 7
	} else {
		dow, doy = 0, 6
		curWeek, curWeekYear := weekOfYear(cur[0], curYday, 0, 6)
		weekYear = pick(w.hgg, w.gg, pick(p.has[fYear], p.a[fYear], curWeekYear))
		week = pick(w.hw, w.w, curWeek)
		switch {
		case w.hd:
			day = w.d
			badDay = day < 0 || day > 6
		case w.he:
			day = w.e + dow
			badDay = w.e < 0 || w.e > 6
		default:
			day = dow
		}
	}
	if weekYear > limit || weekYear < -limit {
		_, err := p.invalid("", "the date is outside the supported range (years -271821 to 275760)")
		return err
	}
	if n := weeksInYear(weekYear, dow, doy); week < 1 || week > n {
		_, err := p.invalid("", "week %d is out of range 1–%d for week-year %d", week, n, weekYear)
		return err
	}
	if badDay {
		_, err := p.invalid("", "weekday %d is out of range", day)
		return err
	}
	y, yday := dayOfYearFromWeeks(weekYear, week, day, dow, doy)
	p.set(fYear, y, p.src[fYear])
	p.dayOfYear, p.hasDOY = yday, true
	return nil
}

func pick(ok bool, v, otherwise int64) int64 {
	if ok {
		return v
	}
	return otherwise
}

// dayOfYearFromWeeks is moment's inverse of weekOfYear.
func dayOfYearFromWeeks(year, week, weekday, dow, doy int64) (int64, int64) {
	local := floorMod(7+weekday-dow, 7)
	d := 1 + 7*(week-1) + local + firstWeekOffset(year, dow, doy)
	daysIn := func(y int64) int64 {
		if isLeap(y) {
			return 366
		}
		return 365
	}
	switch {
	case d <= 0:
		return year - 1, daysIn(year-1) + d
	case d > daysIn(year):
		return year + 1, d - daysIn(year)
	}
	return year, d
}

// checkOverflow reports the first field out of range, in moment's order.
func (p *parser) checkOverflow() error {
	a := p.a
	switch {
	case a[fMonth] < 0 || a[fMonth] > 11:
		return p.rangeErr(fMonth, a[fMonth]+1, "1–12")
	case a[fDate] < 1 || a[fDate] > daysIn(a[fYear], a[fMonth]+1):
		_, err := p.invalid(p.src[fDate], "day %d is out of range for %s %d",
			a[fDate], monthNames[a[fMonth]], a[fYear])
		return err
	case a[fHour] < 0 || a[fHour] > 24 ||
		a[fHour] == 24 && (a[fMinute] != 0 || a[fSecond] != 0 || a[fMilli] != 0):
		return p.rangeErr(fHour, a[fHour], "0–23 (24 only for 24:00:00)")
	case a[fMinute] < 0 || a[fMinute] > 59:
		return p.rangeErr(fMinute, a[fMinute], "0–59")
	case a[fSecond] < 0 || a[fSecond] > 59:
		return p.rangeErr(fSecond, a[fSecond], "0–59")
	case a[fMilli] < 0 || a[fMilli] > 999:
		return p.rangeErr(fMilli, a[fMilli], "0–999")
	}
	return nil
}

// checkEpochFields checks the fields parsed beside an X/x instant: moment ignores
// them but still rejects impossible values.
func (p *parser) checkEpochFields() error {
	limits := [nFields][2]int64{{-1 << 62, 1 << 62}, {0, 11}, {1, 1 << 62}, {0, 24}, {0, 59}, {0, 59}, {0, 999}}
	if p.has[fYear] && p.has[fMonth] && p.a[fMonth] >= 0 && p.a[fMonth] <= 11 {
		limits[fDate][1] = daysIn(p.a[fYear], p.a[fMonth]+1)
	}
	// Unset fields are undefined in moment, and undefined !== 0: hour 24 needs an
	// explicit 00:00.000 beside it.
	if p.a[fHour] == 24 && !(p.has[fMinute] && p.has[fSecond] && p.has[fMilli] &&
		p.a[fMinute] == 0 && p.a[fSecond] == 0 && p.a[fMilli] == 0) {
		limits[fHour][1] = 23
	}
	for f := fMonth; f < nFields; f++ {
		if p.has[f] && (p.a[f] < limits[f][0] || p.a[f] > limits[f][1]) {
			v := p.a[f]
			if f == fMonth {
				v++
			}
			_, err := p.invalid(p.src[f], "%s %d is out of range", fieldNames[f], v)
			return err
		}
	}
	return nil
}

func (p *parser) rangeErr(f int, v int64, want string) error {
	_, err := p.invalid(p.src[f], "%s %d is out of range %s", fieldNames[f], v, want)
	return err
}

// weekday returns the day of the week (0 = Sunday) of a proleptic Gregorian date.
func weekday(y, m, d int64) int64 {
	return floorMod(daysFromCivil(y, m, d)+4, 7)
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int64) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// normDate rolls an out-of-range day into the neighbouring months.
func normDate(y, m, d int64) (int64, int64, int64) {
	return civilFromDays(daysFromCivil(y, m, 1) + d - 1)
}
