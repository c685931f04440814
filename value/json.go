package value

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/weftworks/weft/datetime"
)

// JSON encodes a canonical value: collection keys sorted, dates as ISO 8601 in UTC,
// binary data as base64 text, no HTML escaping (Make does not escape <, >, &).
// Non-canonical values fall back to encoding/json.
func JSON(v any) []byte { return AppendJSON(nil, v) }

// JSONIndent encodes like JSON with the given indent per level ("" = compact).
func JSONIndent(v any, indent string) []byte {
	b := AppendJSON(nil, v)
	if indent == "" {
		return b
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", indent); err != nil {
		return b
	}
	return buf.Bytes()
}

// AppendJSON appends the JSON encoding of v to dst.
func AppendJSON(dst []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...)
	case bool:
		return strconv.AppendBool(dst, x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return append(dst, "null"...)
		}
		return append(dst, FormatNumber(x)...)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	case string:
		return AppendString(dst, x)
	case time.Time:
		return AppendString(dst, datetime.ISO(x))
	case []byte:
		return AppendString(dst, base64.StdEncoding.EncodeToString(x))
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendJSON(dst, e)
		}
		return append(dst, ']')
	case map[string]any:
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
			dst = AppendString(dst, k)
			dst = append(dst, ':')
			dst = AppendJSON(dst, x[k])
		}
		return append(dst, '}')
	}
	b, err := json.Marshal(v)
	if err != nil {
		return AppendString(dst, Text(v))
	}
	return append(dst, b...)
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string without HTML escaping.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
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
