package datetime

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Coerce reads a date written as text, as Make does wherever a date is expected
// (IML.md §5). Accepted, after trimming spaces (docs/dates.md has the full list):
//
//   - ISO 8601 / RFC 3339: 2016-06-20, 2016-06-20T17:26:44.356Z, 2016-06-20T19:26+02:00,
//     with T or spaces before the time and any number of fraction digits;
//   - YYYY/MM/DD, MM/DD/YYYY (slashes: month first), D.M.YYYY (dots: day first), with
//     an optional time H:mm, H:mm:ss or H:mm:ss.SSS, optionally followed by AM/PM;
//   - after the time, an optional offset: Z, +02:00, +0200, +02, GMT+02:00, UTC+2,
//     GMT, or a North American zone of RFC 2822 (EST, PDT …);
//   - e-mail and HTTP dates: RFC 2822/1123 (Mon, 20 Jun 2016 17:26:44 +0000), RFC 850
//     (Monday, 20-Jun-16 17:26:44 GMT), asctime (Mon Jun 20 17:26:44 2016), and
//     JavaScript's Date.toString (Mon Jun 20 2016 19:26:44 GMT+0200 (CEST));
//     month names in any case, full or short ("20 June 2016", "Jun 20, 2016 5:26 PM");
//   - an integer (optionally negative): milliseconds since the Unix epoch, the same
//     reading Make gives a number.
//
// Text without an offset is wall time in loc (nil = UTC). The error is a *ParseError
// saying what is wrong.
func Coerce(text string, loc *time.Location) (time.Time, error) {
	loc = zone(loc)
	s := strings.TrimSpace(text)
	fail := func(format string, args ...any) (time.Time, error) {
		return time.Time{}, &ParseError{Text: text, Reason: fmt.Sprintf(format, args...)}
	}
	if s == "" {
		return fail("empty text is not a date")
	}
	if isInteger(s) {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil || ms > maxMillis || ms < -maxMillis {
			return fail("%s milliseconds since 1970 is outside the supported date range", s)
		}
		return time.UnixMilli(ms).UTC(), nil
	}
	c := &cursor{s: s}
	var d reading
	var err error
	if isDigit(c.peek()) && !dayThenMonthName(s) {
		err = c.numericDate(&d)
	} else {
		err = c.textDate(&d)
	}
	if err == nil && !d.timeDone {
		err = c.tail(&d)
	}
	if err != nil {
		return fail("%v", err)
	}
	if err := d.check(); err != nil {
		return fail("%v", err)
	}
	return d.instant(loc, func() (time.Time, error) {
		return fail("the date is outside the supported range (years -271821 to 275760)")
	})
}

// reading is what Coerce found in the text.
type reading struct {
	year, month, day int64
	hour, min, sec   int64
	nsec             int64
	weekday          int64 // -1 when the text names none
	timeDone         bool  // asctime reads the time inside the date
	hasOffset        bool
	offset           int64 // seconds east of UTC
}

func (d *reading) check() error {
	switch {
	case d.month < 1 || d.month > 12:
		return fmt.Errorf("month %d is out of range 1–12", d.month)
	case d.day < 1 || d.day > daysIn(d.year, d.month):
		return fmt.Errorf("day %d is out of range for %s %d", d.day, monthNames[d.month-1], d.year)
	case d.hour == 24 && (d.min != 0 || d.sec != 0 || d.nsec != 0), d.hour > 24:
		return fmt.Errorf("hour %d is out of range 0–23", d.hour)
	case d.min > 59:
		return fmt.Errorf("minute %d is out of range 0–59", d.min)
	case d.sec > 59:
		return fmt.Errorf("second %d is out of range 0–59", d.sec)
	}
	if d.weekday >= 0 {
		if wd := weekday(d.year, d.month, d.day); wd != d.weekday {
			return fmt.Errorf("%04d-%02d-%02d is a %s, not a %s", d.year, d.month, d.day, dayNames[wd], dayNames[d.weekday])
		}
	}
	return nil
}

func (d *reading) instant(loc *time.Location, outOfRange func() (time.Time, error)) (time.Time, error) {
	w := wall{year: d.year, month: d.month, day: d.day, hour: d.hour, min: d.min, sec: d.sec, nsec: d.nsec}
	if w.hour == 24 { // 24:00 is the start of the next day
		w.hour = 0
		w.day++
	}
	if !d.hasOffset {
		t, ok := w.instant(loc)
		if !ok {
			return outOfRange()
		}
		return t, nil
	}
	sec, ok := w.seconds()
	if !ok {
		return outOfRange()
	}
	t := time.Unix(sec-d.offset, w.nsec).UTC()
	if !inRange(t) {
		return outOfRange()
	}
	return t, nil
}

// cursor walks the text being coerced.
type cursor struct {
	s string
	i int
}

func (c *cursor) peek() byte {
	if c.i < len(c.s) {
		return c.s[c.i]
	}
	return 0
}

func (c *cursor) done() bool { return c.i >= len(c.s) }

func (c *cursor) eat(b byte) bool {
	if c.peek() == b {
		c.i++
		return true
	}
	return false
}

// spaces skips spaces and tabs and returns how many it skipped.
func (c *cursor) spaces() int {
	n := 0
	for c.peek() == ' ' || c.peek() == '\t' {
		c.i++
		n++
	}
	return n
}

// digits reads a run of digits: its value and its length (0 when there is none).
func (c *cursor) digits() (int64, int) {
	start := c.i
	var v int64
	for isDigit(c.peek()) {
		if v < 1e15 {
			v = v*10 + int64(c.s[c.i]-'0')
		}
		c.i++
	}
	return v, c.i - start
}

// word reads a run of ASCII letters.
func (c *cursor) word() string {
	start := c.i
	for isLetter(c.peek()) {
		c.i++
	}
	return c.s[start:c.i]
}

// rest describes what is left, for error messages.
func (c *cursor) rest() string { return quote(c.s[c.i:]) }

func isDigit(b byte) bool  { return '0' <= b && b <= '9' }
func isLetter(b byte) bool { return 'a' <= b|0x20 && b|0x20 <= 'z' }

// dayThenMonthName reports whether s starts like "20 Jun" or "20-Jun" (RFC 2822/850).
func dayThenMonthName(s string) bool {
	c := &cursor{s: s}
	if _, n := c.digits(); n == 0 || n > 2 {
		return false
	}
	c.ordinalSuffix()
	if !c.eat('-') && c.spaces() == 0 {
		return false
	}
	return isLetter(c.peek())
}

func isInteger(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// numericDate reads YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, MM/DD/YYYY or D.M.YYYY.
func (c *cursor) numericDate(d *reading) error {
	d.weekday = -1
	first, n1 := c.digits()
	sep := c.peek()
	if sep != '-' && sep != '/' && sep != '.' {
		return fmt.Errorf("not a date format weft knows (%s); %s", c.rest(), formatsHint)
	}
	c.i++
	second, n2 := c.digits()
	if n2 == 0 || n2 > 2 || !c.eat(sep) {
		return fmt.Errorf("expected %c between the parts of the date at %s; %s", sep, c.rest(), formatsHint)
	}
	third, n3 := c.digits()
	switch {
	case n1 == 4 && n3 >= 1 && n3 <= 2: // year first: YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD
		d.year, d.month, d.day = first, second, third
	case n1 <= 2 && n3 == 4 && sep == '/': // US: MM/DD/YYYY
		d.year, d.month, d.day = third, first, second
	case n1 <= 2 && n3 == 4 && sep == '.': // European: D.M.YYYY
		d.year, d.month, d.day = third, second, first
	case n1 <= 2 && n3 == 4 && sep == '-':
		return fmt.Errorf("DD-MM-YYYY and MM-DD-YYYY cannot be told apart; use parseDate with a layout")
	default:
		return fmt.Errorf("not a date format weft knows; %s", formatsHint)
	}
	return nil
}

const formatsHint = "use ISO 8601 (2016-06-20T17:26:44Z), YYYY-MM-DD, YYYY/MM/DD, MM/DD/YYYY or D.M.YYYY with an optional time, or parseDate with a layout"

// textDate reads the dates that spell the month: RFC 2822 and 850, asctime,
// JavaScript's Date.toString, "20 June 2016", "June 20, 2016".
func (c *cursor) textDate(d *reading) error {
	d.weekday = -1
	w := c.word()
	if day, ok := DayNumber(w); ok && len(w) >= 3 {
		d.weekday = int64(day - 1)
		c.eat(',')
		c.spaces()
		w = c.word()
	}
	if w != "" { // month first: JS toString, asctime, "June 20, 2016"
		m, ok := MonthNumber(w)
		if !ok {
			return fmt.Errorf("%q is not a month name; %s", w, formatsHint)
		}
		d.month = int64(m)
		c.eat('.')
		c.spaces()
		day, n := c.digits()
		if n == 0 || n > 2 {
			return fmt.Errorf("expected the day of the month at %s", c.rest())
		}
		d.day = day
		c.ordinalSuffix()
		c.eat(',')
		if c.spaces() == 0 && !c.done() {
			return fmt.Errorf("unexpected %s after the day", c.rest())
		}
		save := c.i
		if _, n := c.digits(); n <= 2 && c.peek() == ':' { // asctime: time, then year
			c.i = save
			if err := c.clock(d); err != nil {
				return err
			}
			c.spaces()
			y, n := c.digits()
			if n != 4 {
				return fmt.Errorf("expected a four-digit year at %s", c.rest())
			}
			d.year, d.timeDone = y, true
			return c.zoneAndEnd(d)
		}
		c.i = save
		y, n := c.digits()
		if n != 4 {
			return fmt.Errorf("expected a four-digit year at %s", c.rest())
		}
		d.year = y
		c.eat(',')
		return nil
	}
	// day first: RFC 2822 "20 Jun 2016", RFC 850 "20-Jun-16"
	day, n := c.digits()
	if n == 0 || n > 2 {
		return fmt.Errorf("not a date format weft knows (%s); %s", c.rest(), formatsHint)
	}
	d.day = day
	c.ordinalSuffix()
	sep := c.eat('-')
	if !sep && c.spaces() == 0 {
		return fmt.Errorf("unexpected %s after the day", c.rest())
	}
	m, ok := MonthNumber(c.word())
	if !ok {
		return fmt.Errorf("expected a month name at %s", c.rest())
	}
	d.month = int64(m)
	c.eat('.')
	if (sep && !c.eat('-')) || (!sep && c.spaces() == 0) {
		return fmt.Errorf("unexpected %s after the month", c.rest())
	}
	y, n := c.digits()
	switch n {
	case 2: // RFC 2822 obsolete years: 00–49 are 2000s, 50–99 are 1900s
		if y < 50 {
			y += 2000
		} else {
			y += 1900
		}
	case 4:
	default:
		return fmt.Errorf("expected a year at %s", c.rest())
	}
	d.year = y
	return nil
}

// ordinalSuffix skips st/nd/rd/th after a day number.
func (c *cursor) ordinalSuffix() {
	if c.i+2 <= len(c.s) {
		switch strings.ToLower(c.s[c.i : c.i+2]) {
		case "st", "nd", "rd", "th":
			c.i += 2
		}
	}
}

// tail reads what may follow a date: nothing, or a time (after T or spaces), then an
// optional offset or zone, then the end.
func (c *cursor) tail(d *reading) error {
	if c.done() {
		return nil
	}
	if !c.eat('T') && !c.eat('t') && c.spaces() == 0 {
		return fmt.Errorf("unexpected %s after the date; %s", c.rest(), formatsHint)
	}
	if err := c.clock(d); err != nil {
		return err
	}
	return c.zoneAndEnd(d)
}

// clock reads H:mm[:ss[.fraction]] [AM|PM].
func (c *cursor) clock(d *reading) error {
	h, n := c.digits()
	if n == 0 || n > 2 || !c.eat(':') {
		return fmt.Errorf("expected a time H:mm at %s", c.rest())
	}
	m, n := c.digits()
	if n != 2 {
		return fmt.Errorf("expected two-digit minutes at %s", c.rest())
	}
	d.hour, d.min = h, m
	if c.eat(':') {
		s, n := c.digits()
		if n != 2 {
			return fmt.Errorf("expected two-digit seconds at %s", c.rest())
		}
		d.sec = s
		if c.peek() == '.' || c.peek() == ',' {
			c.i++
			start := c.i
			for isDigit(c.peek()) {
				c.i++
			}
			frac := c.s[start:c.i]
			if frac == "" {
				return fmt.Errorf("expected fraction digits at %s", c.rest())
			}
			frac = (frac + "000000000")[:9]
			d.nsec, _ = strconv.ParseInt(frac, 10, 64)
		}
	}
	save := c.i
	c.spaces()
	if pm, ok := c.meridiem(); ok {
		if d.hour < 1 || d.hour > 12 {
			return fmt.Errorf("hour %d is out of range 1–12 for a time with AM/PM", d.hour)
		}
		d.hour %= 12
		if pm {
			d.hour += 12
		}
		return nil
	}
	c.i = save
	return nil
}

// meridiem reads AM, PM, a.m., p.m. in any case.
func (c *cursor) meridiem() (pm, ok bool) {
	rest := strings.ToLower(c.s[c.i:])
	for _, m := range []string{"am", "pm", "a.m.", "p.m."} {
		if strings.HasPrefix(rest, m) && (len(rest) == len(m) || !isLetter(rest[len(m)])) {
			c.i += len(m)
			return m[0] == 'p', true
		}
	}
	return false, false
}

// obsoleteZones are the named zones RFC 2822 keeps from RFC 822.
var obsoleteZones = map[string]int64{
	"UT": 0, "UTC": 0, "GMT": 0, "Z": 0,
	"EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
}

// zoneAndEnd reads an optional offset or zone name, an optional parenthesised
// comment (JavaScript prints the zone's long name there), and expects the end.
func (c *cursor) zoneAndEnd(d *reading) error {
	c.spaces()
	if w := c.word(); w != "" {
		h, ok := obsoleteZones[strings.ToUpper(w)]
		if !ok {
			return fmt.Errorf("unknown time zone %q (use an offset such as +02:00)", w)
		}
		d.hasOffset, d.offset = true, h*3600
		if h == 0 && (c.peek() == '+' || c.peek() == '-') { // GMT+02:00
			if err := c.offset(d); err != nil {
				return err
			}
		}
	} else if c.peek() == '+' || c.peek() == '-' {
		if err := c.offset(d); err != nil {
			return err
		}
	}
	c.spaces()
	if c.eat('(') {
		end := strings.IndexByte(c.s[c.i:], ')')
		if end < 0 {
			return fmt.Errorf("unclosed parenthesis at %s", c.rest())
		}
		c.i += end + 1
		c.spaces()
	}
	if !c.done() {
		return fmt.Errorf("unexpected %s after the time", c.rest())
	}
	return nil
}

// offset reads +HH:MM, +HHMM, +HH or +H.
func (c *cursor) offset(d *reading) error {
	neg := c.peek() == '-'
	c.i++
	v, n := c.digits()
	var h, m int64
	switch n {
	case 1, 2:
		h = v
		if c.eat(':') {
			mm, n := c.digits()
			if n != 2 {
				return fmt.Errorf("expected two-digit offset minutes at %s", c.rest())
			}
			m = mm
		}
	case 4:
		h, m = v/100, v%100
	default:
		return fmt.Errorf("expected an offset such as +02:00 at %s", c.rest())
	}
	if h > 23 || m > 59 {
		return fmt.Errorf("offset %02d:%02d is out of range", h, m)
	}
	off := h*3600 + m*60
	if neg {
		off = -off
	}
	d.hasOffset, d.offset = true, off
	return nil
}
