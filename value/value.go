// Package value is weft's data model and Make's type coercion (IML.md §5): every layer
// that reads or converts a bundle value (the mapping language, module input checking,
// the store) uses these functions, so "200" becomes 200 the same way everywhere.
//
// Canonical values: nil, bool, float64, int64 (only for integers a float64 cannot hold
// exactly), string, []any, map[string]any, time.Time, []byte.
package value

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/weftworks/weft/datetime"
)

// maxExact is the largest integer a float64 holds exactly (2^53).
const maxExact = 1 << 53

// DecodeJSON parses JSON into canonical values. Integers beyond ±2^53 stay exact as
// int64 (ids from Telegram, Twitter and databases survive a round trip).
func DecodeJSON(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("unexpected data after the JSON value at offset %d", d.InputOffset())
	}
	return Normalize(v), nil
}

// Normalize converts Go values into canonical values: json.Number, other integer and
// float kinds, typed maps and slices. Canonical values are returned unchanged; maps and
// slices are converted in place where their type already fits.
func Normalize(v any) any {
	switch x := v.(type) {
	case nil, bool, float64, string, time.Time, []byte:
		return v
	case int64:
		if x > -maxExact && x < maxExact {
			return float64(x)
		}
		return x
	case json.Number:
		return normalizeNumber(x)
	case int:
		return Normalize(int64(x))
	case int32:
		return float64(x)
	case uint64:
		if x < maxExact {
			return float64(x)
		}
		if x <= math.MaxInt64 {
			return int64(x)
		}
		return float64(x)
	case float32:
		return float64(x)
	case map[string]any:
		for k, e := range x {
			x[k] = Normalize(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = Normalize(e)
		}
		return x
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = e
		}
		return m
	case []string:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = e
		}
		return a
	case []map[string]any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = Normalize(e)
		}
		return a
	}
	return v
}

func normalizeNumber(n json.Number) any {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return Normalize(i)
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		// Out of float64 range: keep the digits as text rather than lose them.
		return s
	}
	return f
}

// Kind names a canonical value's type as Make's docs do.
func Kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64, int64:
		return "number"
	case string:
		return "text"
	case []any:
		return "array"
	case map[string]any:
		return "collection"
	case time.Time:
		return "date"
	case []byte:
		return "buffer"
	}
	return fmt.Sprintf("%T", v)
}

// IsEmpty reports whether v counts as empty for ifempty, required fields and the
// `exist` filter: null, the empty text and the empty array. (0, false and {} are
// values; see docs/mapping.md.)
func IsEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case []byte:
		return len(x) == 0
	}
	return false
}

// FormatNumber renders a number as JavaScript's String(number) does: integers without
// a decimal point, no trailing zeros, exponent form from 1e21 and below 1e-6.
func FormatNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	abs := math.Abs(f)
	if abs >= 1e21 || abs < 1e-6 {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		// Go writes 1e+21 / 1e-07; JavaScript writes 1e+21 / 1e-7.
		if i := strings.IndexByte(s, 'e'); i >= 0 {
			mant, exp := s[:i], s[i+1:]
			sign := exp[0]
			digits := strings.TrimLeft(exp[1:], "0")
			if digits == "" {
				digits = "0"
			}
			s = mant + "e" + string(sign) + digits
		}
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// Text converts any value to text (Make's "text" coercion): numbers as JavaScript
// prints them, dates as ISO 8601 in UTC, binary data as UTF-8, collections as JSON,
// arrays of primitives joined with ", ", arrays of collections as comma-separated JSON.
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	case float64:
		return FormatNumber(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case time.Time:
		return datetime.ISO(x)
	case []byte:
		return string(x)
	case map[string]any:
		return string(JSON(x))
	case []any:
		var b strings.Builder
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(Text(e))
		}
		return b.String()
	}
	return fmt.Sprint(v)
}

// Number converts v to a number: numbers as they are, text parsed (surrounding spaces
// allowed), dates as milliseconds since the epoch. ok is false for anything else,
// including empty text, booleans, arrays and collections.
func Number(v any) (f float64, ok bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return 0, false
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
				if i, err := strconv.ParseInt(s[2:], 16, 64); err == nil {
					return float64(i), true
				}
			}
			return 0, false
		}
		if math.IsInf(f, 0) && !strings.Contains(strings.ToLower(s), "inf") {
			return 0, false
		}
		if math.IsNaN(f) {
			return 0, false
		}
		return f, true
	case time.Time:
		return float64(x.UnixMilli()), true
	}
	return 0, false
}

// Bool converts v to a boolean as Make does: text is false when it is "false" or
// empty; every number is true, even 0; null is false; anything else that exists is true.
func Bool(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != "" && x != "false"
	}
	return true
}

// Date converts v to a date: dates as they are, text read in loc when it has no
// offset, numbers as milliseconds since the epoch.
func Date(v any, loc *time.Location) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case float64:
		return time.UnixMilli(int64(x)).UTC(), true
	case int64:
		return time.UnixMilli(x).UTC(), true
	case string:
		t, err := datetime.Coerce(strings.TrimSpace(x), loc)
		return t, err == nil
	}
	return time.Time{}, false
}

// Array converts v to an array: arrays as they are, null as the empty array, any other
// value as a one-element array.
func Array(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case nil:
		return []any{}
	}
	return []any{v}
}

// Equal compares two values as the mapping language's `=` and the contains/remove
// functions do: numbers numerically (a numeric text equals the number it spells),
// dates by instant, text exactly, booleans with their text form, arrays and
// collections element by element. Null equals only null and the empty text.
func Equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil || b == ""
	case string:
		switch y := b.(type) {
		case string:
			return x == y
		case nil:
			return x == ""
		case float64, int64:
			f, ok := Number(x)
			g, _ := Number(y)
			return ok && f == g
		case bool:
			return x == Text(y)
		case time.Time:
			t, ok := Date(x, time.UTC)
			return ok && t.Equal(y)
		}
		return false
	case float64, int64:
		switch b.(type) {
		case float64, int64, string, time.Time:
			f, _ := Number(x)
			g, ok := Number(b)
			if y, isInt := b.(int64); isInt {
				if xi, ok := x.(int64); ok {
					return xi == y
				}
			}
			return ok && f == g
		}
		return false
	case bool:
		switch y := b.(type) {
		case bool:
			return x == y
		case string:
			return Text(x) == y
		}
		return false
	case time.Time:
		if y, ok := Date(b, time.UTC); ok {
			return x.Equal(y)
		}
		return false
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, e := range x {
			f, ok := y[k]
			if !ok || !Equal(e, f) {
				return false
			}
		}
		return true
	case []byte:
		switch y := b.(type) {
		case []byte:
			return bytes.Equal(x, y)
		case string:
			return string(x) == y
		}
	}
	return false
}
