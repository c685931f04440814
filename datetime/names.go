package datetime

import (
	"strconv"
	"strings"
)

// English names, as moment's default locale prints them. Make offers no locale
// argument, so English is the only language formatDate speaks.
var (
	monthNames      = [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	monthShortNames = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	dayNames        = [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	dayShortNames   = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	dayMinNames     = [7]string{"Su", "Mo", "Tu", "We", "Th", "Fr", "Sa"}
)

// MonthNumber reads an English month name, full or three-letter ("january", "Jan",
// any case; also "Sept"), as 1–12. Surrounding spaces are ignored.
func MonthNumber(name string) (int, bool) {
	name = strings.TrimSpace(name)
	for i := range monthNames {
		if strings.EqualFold(name, monthNames[i]) || strings.EqualFold(name, monthShortNames[i]) {
			return i + 1, true
		}
	}
	if strings.EqualFold(name, "Sept") {
		return 9, true
	}
	return 0, false
}

// DayNumber reads an English day name, full, three- or two-letter ("sunday", "Sun",
// "Su", any case), as Make's setDay numbers it: 1 = Sunday … 7 = Saturday.
func DayNumber(name string) (int, bool) {
	name = strings.TrimSpace(name)
	for i := range dayNames {
		if strings.EqualFold(name, dayNames[i]) || strings.EqualFold(name, dayShortNames[i]) ||
			strings.EqualFold(name, dayMinNames[i]) {
			return i + 1, true
		}
	}
	return 0, false
}

// hasFoldPrefix reports whether s starts with prefix, ignoring ASCII case.
func hasFoldPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// monthByPrefix is moment's lenient month-name reading used by parse tokens MMM and
// MMMM: the first month whose full or short name starts the word ("Sept" and
// "Decembers" are months, "Ju" is not). It returns 0–11 or -1.
func monthByPrefix(word string) int {
	for i := range monthNames {
		if hasFoldPrefix(word, monthNames[i]) || hasFoldPrefix(word, monthShortNames[i]) {
			return i
		}
	}
	return -1
}

// dayByPrefix is moment's lenient weekday reading for dd/ddd/dddd: full, short or
// two-letter name at the start of the word. It returns 0 (Sunday) … 6 or -1.
func dayByPrefix(word string) int {
	for i := range dayNames {
		if hasFoldPrefix(word, dayNames[i]) || hasFoldPrefix(word, dayShortNames[i]) ||
			hasFoldPrefix(word, dayMinNames[i]) {
			return i
		}
	}
	return -1
}

// appendOrdinal appends n with its English suffix as moment does: 1st 2nd 3rd 4th
// 11th 12th 13th 21st. Negative numbers always take "th" (JavaScript's remainder
// keeps the sign, so none of the st/nd/rd cases match).
func appendOrdinal(dst []byte, n int64) []byte {
	dst = strconv.AppendInt(dst, n, 10)
	b := n % 10
	switch {
	case (n%100)/10 == 1:
		return append(dst, "th"...)
	case b == 1:
		return append(dst, "st"...)
	case b == 2:
		return append(dst, "nd"...)
	case b == 3:
		return append(dst, "rd"...)
	}
	return append(dst, "th"...)
}
