package datetime

import (
	"fmt"
	"strconv"
)

// ParseError reports text that is not a date: which text, read with which layout
// (empty for Coerce), which layout token failed (empty when no single token is to
// blame) and why. The mapping language turns it into a DataError.
type ParseError struct {
	Text   string
	Layout string
	Token  string
	Reason string
}

func (e *ParseError) Error() string {
	what := "read " + quote(e.Text) + " as a date"
	if e.Layout != "" {
		what = "parse " + quote(e.Text) + " with layout " + quote(e.Layout)
	}
	if e.Token != "" {
		return fmt.Sprintf("%s: token %s: %s", what, e.Token, e.Reason)
	}
	return what + ": " + e.Reason
}

// quote keeps error messages short: user text can be a whole e-mail body.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		cut := max
		for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}
