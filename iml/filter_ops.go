package iml

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/weftworks/weft/jsregex"
	"github.com/weftworks/weft/limits"
	"github.com/weftworks/weft/value"
)

// textTest compares the text forms of both operands; :ci lower-cases both first
// (Unicode-aware).
func textTest(f func(a, b string) bool) func(*Env, *cond, any, any) (bool, error) {
	return func(_ *Env, c *cond, a, b any) (bool, error) {
		x, y := value.Text(a), value.Text(b)
		if c.op.ci {
			x, y = strings.ToLower(x), strings.ToLower(y)
		}
		return f(x, y), nil
	}
}

// compilePattern compiles the b operand of text:pattern: a regular expression body
// (no /…/ delimiters) in the ECMAScript dialect, searched anywhere in the text.
func compilePattern(body string, ci bool) (*jsregex.Regexp, error) {
	flags := ""
	if ci {
		flags = "i"
	}
	return jsregex.Compile(body, flags)
}

func testPattern(env *Env, c *cond, a, b any) (bool, error) {
	re := c.re
	if re == nil {
		var err error
		if re, err = compilePattern(value.Text(b), c.op.ci); err != nil {
			return false, &EvalError{Msg: err.Error()}
		}
	}
	ok, err := re.MatchStringIn(env.Limits, value.Text(a))
	if err != nil {
		if _, limit := limits.As(err); limit {
			return false, err
		}
		return false, &EvalError{Msg: err.Error()}
	}
	return ok, nil
}

// testArrayContain: a (read as an array) has an element equal to b, with the equality
// of `=`; :ci compares texts without regard to case.
func testArrayContain(_ *Env, c *cond, a, b any) (bool, error) {
	for _, e := range value.Array(a) {
		if c.op.ci {
			if _, ok := e.(string); ok {
				if strings.EqualFold(value.Text(e), value.Text(b)) {
					return true, nil
				}
				continue
			}
		}
		if value.Equal(e, b) {
			return true, nil
		}
	}
	return false, nil
}

func testBoolEqual(_ *Env, _ *cond, a, b any) (bool, error) {
	return value.Bool(a) == value.Bool(b), nil
}

// comparer orders two operands of one family; ok is false when either does not
// convert, and the positive operator is then false.
type comparer func(env *Env, a, b any) (c int, ok bool)

var comparers = map[string]comparer{
	"number": func(_ *Env, a, b any) (int, bool) {
		x, ok1 := value.Number(a)
		y, ok2 := value.Number(b)
		if !ok1 || !ok2 {
			return 0, false
		}
		return cmpFloat(x, y), true
	},
	"date": func(env *Env, a, b any) (int, bool) {
		x, ok1 := value.Date(a, env.loc())
		y, ok2 := value.Date(b, env.loc())
		if !ok1 || !ok2 {
			return 0, false
		}
		return x.Compare(y), true
	},
	"time": func(env *Env, a, b any) (int, bool) {
		x, ok1 := timeOfDay(a, env.loc())
		y, ok2 := timeOfDay(b, env.loc())
		if !ok1 || !ok2 {
			return 0, false
		}
		return cmpFloat(x, y), true
	},
	"semver": func(_ *Env, a, b any) (int, bool) {
		x, ok1 := parseSemver(value.Text(a))
		y, ok2 := parseSemver(value.Text(b))
		if !ok1 || !ok2 {
			return 0, false
		}
		return x.compare(y), true
	},
	// array:equal, array:greater… compare the length of a with the number b.
	"array": func(_ *Env, a, b any) (int, bool) {
		y, ok := value.Number(b)
		if !ok {
			return 0, false
		}
		return cmpFloat(float64(len(value.Array(a))), y), true
	},
}

func ordered(cmp comparer, want func(int) bool) func(*Env, *cond, any, any) (bool, error) {
	return func(env *Env, _ *cond, a, b any) (bool, error) {
		c, ok := cmp(env, a, b)
		return ok && want(c), nil
	}
}

// timeOfDay reads a time of day as seconds since midnight: text H:mm[:ss[.SSS]]
// (Make's "time" type), or a date's wall-clock time in loc.
func timeOfDay(v any, loc *time.Location) (float64, bool) {
	if t, ok := v.(time.Time); ok {
		t = t.In(loc)
		return float64(t.Hour()*3600+t.Minute()*60+t.Second()) + float64(t.Nanosecond())/1e9, true
	}
	s := strings.TrimSpace(value.Text(v))
	if secs, ok := clockTime(s); ok {
		return secs, true
	}
	if t, ok := value.Date(s, loc); ok {
		return timeOfDay(t, loc)
	}
	return 0, false
}

// clockTime reads H:mm or H:mm:ss[.fff] as seconds since midnight.
func clockTime(s string) (float64, bool) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	var total float64
	limits := [3]float64{24, 60, 60}
	for i, p := range parts {
		if p == "" || strings.ContainsAny(p, "+-eExX_ ") {
			return 0, false
		}
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || f < 0 || f >= limits[i] || i < 2 && f != float64(int(f)) {
			return 0, false
		}
		total = total*60 + f
	}
	if len(parts) == 2 {
		total *= 60
	}
	return total, true
}

// semver is a semantic version (semver.org 2.0.0). Missing minor/patch numbers count
// as 0 and a leading "v" is accepted, so "v1.2" compares as 1.2.0.
type semver struct {
	nums [3]uint64
	pre  []string
}

func parseSemver(s string) (semver, bool) {
	var v semver
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "v"), "V")
	if i := strings.IndexByte(s, '+'); i >= 0 {
		s = s[:i] // build metadata does not take part in precedence
	}
	if i := strings.IndexByte(s, '-'); i >= 0 {
		v.pre = strings.Split(s[i+1:], ".")
		for _, p := range v.pre {
			if p == "" {
				return v, false
			}
		}
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) > 3 || s == "" {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return v, false
		}
		v.nums[i] = n
	}
	return v, true
}

func (v semver) compare(w semver) int {
	for i := range v.nums {
		if v.nums[i] != w.nums[i] {
			if v.nums[i] < w.nums[i] {
				return -1
			}
			return 1
		}
	}
	// A pre-release has lower precedence than the release.
	switch {
	case len(v.pre) == 0 && len(w.pre) == 0:
		return 0
	case len(v.pre) == 0:
		return 1
	case len(w.pre) == 0:
		return -1
	}
	for i := 0; i < len(v.pre) && i < len(w.pre); i++ {
		a, b := v.pre[i], w.pre[i]
		na, errA := strconv.ParseUint(a, 10, 64)
		nb, errB := strconv.ParseUint(b, 10, 64)
		switch {
		case errA == nil && errB == nil:
			if na != nb {
				if na < nb {
					return -1
				}
				return 1
			}
		case errA == nil: // numeric identifiers sort before alphanumeric ones
			return -1
		case errB == nil:
			return 1
		default:
			if c := strings.Compare(a, b); c != 0 {
				return c
			}
		}
	}
	return cmpFloat(float64(len(v.pre)), float64(len(w.pre)))
}

func sortedStrings(s []string) []string {
	slices.Sort(s)
	return s
}
