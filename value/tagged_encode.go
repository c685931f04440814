package value

import (
	"encoding/base64"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// appendTagged appends the tagged JSON of a canonical value, byte for byte what
// json.Marshal(tag(v)) writes (sorted keys, HTML-safe escapes, encoding/json's number
// format), without building the tagged copy of the value or reflecting over it: a 5 MB
// payload costs its output and one slice of keys per object. ok is false for anything
// that is not a canonical value (a struct, NaN, an infinity): the caller falls back to json.Marshal, which encodes or refuses it.
func appendTagged(dst []byte, v any) (_ []byte, ok bool) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), true
	case bool:
		return strconv.AppendBool(dst, x), true
	case float64:
		return appendStdFloat(dst, x)
	case string:
		return appendStdString(dst, x), true
	case int64:
		dst = append(dst, `{"$int":"`...)
		dst = strconv.AppendInt(dst, x, 10)
		return append(dst, `"}`...), true
	case time.Time:
		dst = append(dst, `{"$date":`...)
		dst = appendStdString(dst, x.UTC().Format(time.RFC3339Nano))
		return append(dst, '}'), true
	case []byte:
		dst = append(dst, `{"$bin":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, x)
		return append(dst, `"}`...), true
	case []any: // nil is [] too: tag copies it into an empty slice
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, ok = appendTagged(dst, e); !ok {
				return dst, false
			}
		}
		return append(dst, ']'), true
	case map[string]any: // nil is {} too, as tag copies it
		keys := make([]string, 0, len(x))
		dollar := false
		for k := range x {
			keys = append(keys, k)
			dollar = dollar || strings.HasPrefix(k, "$")
		}
		slices.Sort(keys)
		if dollar {
			dst = append(dst, `{"$map":`...)
		}
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendStdString(dst, k)
			dst = append(dst, ':')
			if dst, ok = appendTagged(dst, x[k]); !ok {
				return dst, false
			}
		}
		dst = append(dst, '}')
		if dollar {
			dst = append(dst, '}')
		}
		return dst, true
	}
	return dst, false
}

// appendStdFloat writes a float64 as encoding/json does.
func appendStdFloat(dst []byte, f float64) ([]byte, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// 1e-07 → 1e-7, as encoding/json (and ES6) write it.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, true
}

// appendStdString writes a string as encoding/json does: HTML-safe (<, >, & escaped),
// control characters escaped, invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func appendStdString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendStdJSON appends what encoding/json writes for a canonical value, byte for byte
// (sorted keys, HTML-safe escapes, its number and date formats), without reflection:
// for encoding large bundles where the bytes must stay those encoding/json wrote. ok
// is false for anything else (a struct, NaN, a date encoding/json refuses); the caller
// then uses encoding/json, which encodes or refuses it.
func AppendStdJSON(dst []byte, v any) (_ []byte, ok bool) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), true
	case bool:
		return strconv.AppendBool(dst, x), true
	case float64:
		return appendStdFloat(dst, x)
	case string:
		return appendStdString(dst, x), true
	case int64:
		return strconv.AppendInt(dst, x, 10), true
	case time.Time:
		b, err := x.MarshalJSON()
		if err != nil {
			return dst, false
		}
		return append(dst, b...), true
	case []byte:
		if x == nil {
			return append(dst, "null"...), true
		}
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, x)
		return append(dst, '"'), true
	case []any:
		if x == nil {
			return append(dst, "null"...), true
		}
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, ok = AppendStdJSON(dst, e); !ok {
				return dst, false
			}
		}
		return append(dst, ']'), true
	case map[string]any:
		if x == nil {
			return append(dst, "null"...), true
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendStdString(dst, k)
			dst = append(dst, ':')
			if dst, ok = AppendStdJSON(dst, x[k]); !ok {
				return dst, false
			}
		}
		return append(dst, '}'), true
	}
	return dst, false
}
