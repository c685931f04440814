// Package datetime implements Make's date handling: moment.js-style format and parse
// tokens (formatDate, parseDate), the text→date coercion of Make's type-coercion table,
// calendar arithmetic (addDays, setHour...) in a time zone, and the ISO form dates
// take when they travel as text.
package datetime

import (
	"fmt"
	"time"
)

// ISO renders t as Make does when a date travels as text: UTC with milliseconds,
// 2016-12-28T16:03:06.000Z.
func ISO(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// Coerce reads a date written as text (INTERIM: RFC 3339 and YYYY-MM-DD only; the full
// list of Make's accepted formats replaces this).
func Coerce(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date", s)
}
