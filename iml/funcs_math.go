package iml

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/weftworks/weft/value"
)

// Math functions (IML.md §2.2). An empty argument gives an empty result; text that is
// not a number is an error naming the function.
func init() {
	register(
		pure("floor", 1, 1, unaryMath("floor", math.Floor)),
		pure("ceil", 1, 1, unaryMath("ceil", math.Ceil)),
		pure("abs", 1, 1, unaryMath("abs", math.Abs)),
		pure("round", 1, 2, fnRound),
		pure("trunc", 1, 2, fnTrunc),
		pure("max", 1, -1, aggregate("max", func(x []float64) any { return slices.Max(x) })),
		pure("min", 1, -1, aggregate("min", func(x []float64) any { return slices.Min(x) })),
		pure("sum", 1, -1, fnSum),
		pure("average", 1, -1, aggregate("average", func(x []float64) any { return mean(x) })),
		pure("median", 1, -1, aggregate("median", median)),
		pure("stdevP", 1, -1, aggregate("stdevP", func(x []float64) any { return stdev(x, false) })),
		pure("stdevS", 1, -1, aggregate("stdevS", func(x []float64) any { return stdev(x, true) })),
		pure("parseNumber", 1, 2, fnParseNumber),
		pure("formatNumber", 1, 4, fnFormatNumber),
	)
	readsArrays("max", "min", "sum", "average", "median", "stdevP", "stdevS")
}

// number reads a numeric argument; ok is false for an empty one.
func number(fn string, v any) (f float64, ok bool, err error) {
	if value.IsEmpty(v) {
		return 0, false, nil
	}
	if s, isText := v.(string); isText && strings.TrimSpace(s) == "" {
		return 0, false, nil
	}
	f, ok = value.Number(v)
	if !ok {
		return 0, false, evalErr(fn, "%s is not a number", describeValue(v))
	}
	return f, true, nil
}

func unaryMath(fn string, op func(float64) float64) func([]any) (any, error) {
	return func(a []any) (any, error) {
		f, ok, err := number(fn, a[0])
		if err != nil || !ok {
			return nil, err
		}
		return op(f), nil
	}
}

// jsRound rounds half up (toward +∞), as JavaScript's Math.round: round(-1.5) = -1.
func jsRound(f float64) float64 {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return f
	}
	r := math.Floor(f)
	if f-r >= 0.5 {
		r++
	}
	return r
}

// fnRound rounds to an integer, or to the given number of decimals (an extension:
// Make documents one argument).
func fnRound(a []any) (any, error) {
	f, ok, err := number("round", a[0])
	if err != nil || !ok {
		return nil, err
	}
	d, err := intArg("round", a, 1, "decimals", 0)
	if err != nil {
		return nil, err
	}
	if d == 0 {
		return jsRound(f), nil
	}
	return scaleDecimal(f, d, jsRound), nil
}

// fnTrunc drops the fractional part, or every decimal after the given count; a negative
// count truncates to tens, hundreds…
func fnTrunc(a []any) (any, error) {
	f, ok, err := number("trunc", a[0])
	if err != nil || !ok {
		return nil, err
	}
	d, err := intArg("trunc", a, 1, "decimals", 0)
	if err != nil {
		return nil, err
	}
	if d == 0 {
		return math.Trunc(f), nil
	}
	return scaleDecimal(f, d, math.Trunc), nil
}

// scaleDecimal applies op at d decimals, working on the shortest decimal text of f so
// 1.005 keeps its visible digits (1.005 * 100 is 100.49999… in binary).
func scaleDecimal(f float64, d int, op func(float64) float64) float64 {
	d = max(min(d, 20), -20)
	s := strconv.FormatFloat(f, 'e', -1, 64)
	mant, exp, _ := strings.Cut(s, "e")
	e, _ := strconv.Atoi(exp)
	scaled, err := strconv.ParseFloat(mant+"e"+strconv.Itoa(e+d), 64)
	if err != nil {
		return f
	}
	r := op(scaled)
	s = strconv.FormatFloat(r, 'e', -1, 64)
	mant, exp, _ = strings.Cut(s, "e")
	e, _ = strconv.Atoi(exp)
	out, err := strconv.ParseFloat(mant+"e"+strconv.Itoa(e-d), 64)
	if err != nil {
		return f
	}
	return out
}

// numbers flattens the arguments of an aggregate: arrays count element by element,
// empty values are skipped.
func numbers(fn string, args []any) ([]float64, error) {
	var out []float64
	var add func(v any) error
	add = func(v any) error {
		if arr, ok := v.([]any); ok {
			for _, e := range arr {
				if err := add(e); err != nil {
					return err
				}
			}
			return nil
		}
		f, ok, err := number(fn, v)
		if err != nil {
			return err
		}
		if ok {
			out = append(out, f)
		}
		return nil
	}
	for _, v := range args {
		if err := add(v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// aggregate builds a function over all numbers of its arguments; without numbers the
// result is empty.
func aggregate(fn string, f func([]float64) any) func([]any) (any, error) {
	return func(a []any) (any, error) {
		x, err := numbers(fn, a)
		if err != nil || len(x) == 0 {
			return nil, err
		}
		return f(x), nil
	}
}

func fnSum(a []any) (any, error) {
	x, err := numbers("sum", a)
	if err != nil {
		return nil, err
	}
	var s float64
	for _, f := range x {
		s += f
	}
	return s, nil
}

func mean(x []float64) float64 {
	var s float64
	for _, f := range x {
		s += f
	}
	return s / float64(len(x))
}

func median(x []float64) any {
	s := slices.Clone(x)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// stdev is the population (sample=false) or sample standard deviation; the sample
// deviation of a single value is empty.
func stdev(x []float64, sample bool) any {
	n := float64(len(x))
	if sample && len(x) < 2 {
		return nil
	}
	m := mean(x)
	var ss float64
	for _, f := range x {
		ss += (f - m) * (f - m)
	}
	if sample {
		return math.Sqrt(ss / (n - 1))
	}
	return math.Sqrt(ss / n)
}

// fnParseNumber reads a number written with the given decimal separator ("." by
// default); spaces, apostrophes and the other of . and , are grouping characters.
func fnParseNumber(a []any) (any, error) {
	if n, ok := a[0].(float64); ok {
		return n, nil
	}
	s := strings.TrimSpace(text(a[0]))
	if s == "" {
		return nil, nil
	}
	dec := text(arg(a, 1))
	if dec == "" {
		dec = "."
	}
	var b strings.Builder
	seenDec := false
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], dec):
			if seenDec {
				return nil, fmt.Errorf("%q has the decimal separator %q twice", s, dec)
			}
			seenDec = true
			b.WriteByte('.')
			i += len(dec)
			continue
		case s[i] >= '0' && s[i] <= '9':
			b.WriteByte(s[i])
		case s[i] == '-' || s[i] == '+':
			if b.Len() > 0 {
				return nil, fmt.Errorf("%q is not a number: sign inside the digits", s)
			}
			b.WriteByte(s[i])
		case s[i] == ' ' || s[i] == '\'' || s[i] == '_' || s[i] == ',' || s[i] == '.':
			// grouping
		case strings.HasPrefix(s[i:], "\u00a0"), strings.HasPrefix(s[i:], "\u202f"):
			i += 2
			continue
		default:
			return nil, fmt.Errorf("%q is not a number with decimal separator %q", s, dec)
		}
		i++
	}
	f, err := strconv.ParseFloat(b.String(), 64)
	if err != nil {
		return nil, fmt.Errorf("%q is not a number with decimal separator %q", s, dec)
	}
	return f, nil
}

// fnFormatNumber writes a number with a fixed count of decimals (rounded half away from
// zero on its visible digits), decimal separator "," and thousands separator "." by
// default, as Make's help states.
func fnFormatNumber(a []any) (any, error) {
	f, ok, err := number("formatNumber", a[0])
	if err != nil || !ok {
		return nil, err
	}
	d, err := intArg("formatNumber", a, 1, "decimals", 0)
	if err != nil {
		return nil, err
	}
	d = max(min(d, 20), 0)
	dec, thou := ",", "."
	if len(a) > 2 && a[2] != nil {
		dec = text(a[2])
	}
	if len(a) > 3 && a[3] != nil {
		thou = text(a[3])
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return value.FormatNumber(f), nil
	}
	r := scaleDecimal(math.Abs(f), d, jsRound)
	digits := strconv.FormatFloat(r, 'f', d, 64)
	intPart, frac, _ := strings.Cut(digits, ".")
	var b strings.Builder
	if f < 0 && r != 0 {
		b.WriteByte('-')
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(thou)
		}
		b.WriteRune(c)
	}
	if d > 0 {
		b.WriteString(dec)
		b.WriteString(frac)
	}
	return b.String(), nil
}
