package value

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// DecodeLimits bound what DecodeLimited builds from JSON that comes from outside (a
// webhook payload): the size of the text is bounded by its reader, but a small text can
// still describe a large tree.
type DecodeLimits struct {
	// MaxDepth is the deepest nesting of arrays and objects (0: 10,000, as encoding/json).
	MaxDepth int
	// MaxMembers bounds object members plus array elements, all levels together
	// (0: no bound).
	MaxMembers int
}

// hardDepth is the nesting no decoder call goes beyond: the parser recurses per level.
const hardDepth = 10_000

// LimitError is JSON over one of DecodeLimits' bounds.
type LimitError struct {
	// Bound names it: "depth" or "members".
	Bound  string
	Limit  int
	Offset int // where in the text the bound was passed
}

func (e *LimitError) Error() string {
	if e.Bound == "depth" {
		return fmt.Sprintf("JSON nested deeper than %d levels (at offset %d)", e.Limit, e.Offset)
	}
	return fmt.Sprintf("JSON with more than %d object members and array elements (at offset %d)", e.Limit, e.Offset)
}

// SyntaxError is text that is not JSON, with where.
type SyntaxError struct {
	Msg          string
	Offset       int
	Line, Column int
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at line %d, column %d (offset %d): %s", e.Line, e.Column, e.Offset, e.Msg)
}

// DecodeLimited parses JSON into canonical values exactly as DecodeJSON does (numbers
// normalized, integers beyond ±2^53 kept as int64, the last of duplicate keys kept,
// invalid UTF-8 and lone surrogates as U+FFFD) in one pass and without reflection:
// object keys and strings without escapes share one copy of the text, and small whole
// numbers share boxed values, so a large payload costs little more than its map.
//
// tagSafe reports that the text is also tagged JSON of the value it holds — no object
// has a key starting with "$", the only thing UnmarshalTagged reads differently from
// DecodeJSON — so a caller can store the text as it came instead of MarshalTagged's
// encoding of the value.
func DecodeLimited(data []byte, lim DecodeLimits) (v any, tagSafe bool, err error) {
	d := decoder{src: string(data), maxDepth: lim.MaxDepth, maxMembers: lim.MaxMembers, tagSafe: true}
	if d.maxDepth <= 0 || d.maxDepth > hardDepth {
		d.maxDepth = hardDepth
	}
	d.skipSpace()
	if d.pos == len(d.src) {
		return nil, false, d.syntax("no JSON value (the text is empty)")
	}
	v, err = d.value(0)
	if err != nil {
		return nil, false, err
	}
	d.skipSpace()
	if d.pos < len(d.src) {
		return nil, false, d.syntax(fmt.Sprintf("unexpected %s after the JSON value", quoteChar(d.src[d.pos])))
	}
	return v, d.tagSafe, nil
}

type decoder struct {
	src        string
	pos        int
	maxDepth   int
	maxMembers int // 0: no bound
	members    int // object members and array elements read so far
	tagSafe    bool
}

func (d *decoder) syntax(msg string) error {
	line, col := 1, 1
	for i := 0; i < d.pos && i < len(d.src); i++ {
		if d.src[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return &SyntaxError{Msg: msg, Offset: d.pos, Line: line, Column: col}
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.src) {
		switch d.src[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// member counts one object member or array element against MaxMembers.
func (d *decoder) member() error {
	if d.maxMembers > 0 && d.members >= d.maxMembers {
		return &LimitError{Bound: "members", Limit: d.maxMembers, Offset: d.pos}
	}
	d.members++
	return nil
}

func (d *decoder) value(depth int) (any, error) {
	if d.pos >= len(d.src) {
		return nil, d.syntax("the text ends where a value should start")
	}
	switch c := d.src[d.pos]; {
	case c == '{':
		return d.object(depth + 1)
	case c == '[':
		return d.array(depth + 1)
	case c == '"':
		return d.string()
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	default:
		return nil, d.syntax(fmt.Sprintf("%s cannot start a value", quoteChar(c)))
	}
}

func (d *decoder) literal(word string) error {
	if len(d.src)-d.pos < len(word) || d.src[d.pos:d.pos+len(word)] != word {
		return d.syntax(fmt.Sprintf("expected %s", word))
	}
	d.pos += len(word)
	return nil
}

func (d *decoder) object(depth int) (any, error) {
	if depth > d.maxDepth {
		return nil, d.depthError()
	}
	d.pos++ // {
	m := map[string]any{}
	d.skipSpace()
	if d.pos < len(d.src) && d.src[d.pos] == '}' {
		d.pos++
		return m, nil
	}
	for {
		if d.pos >= len(d.src) || d.src[d.pos] != '"' {
			return nil, d.syntax("expected a string key in an object")
		}
		if err := d.member(); err != nil {
			return nil, err
		}
		k, err := d.string()
		if err != nil {
			return nil, err
		}
		if len(k) > 0 && k[0] == '$' {
			d.tagSafe = false
		}
		d.skipSpace()
		if d.pos >= len(d.src) || d.src[d.pos] != ':' {
			return nil, d.syntax("expected ':' after an object key")
		}
		d.pos++
		d.skipSpace()
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		m[k] = v
		d.skipSpace()
		if d.pos >= len(d.src) {
			return nil, d.syntax("the text ends inside an object")
		}
		switch d.src[d.pos] {
		case ',':
			d.pos++
			d.skipSpace()
		case '}':
			d.pos++
			return m, nil
		default:
			return nil, d.syntax(fmt.Sprintf("expected ',' or '}' after an object member, found %s", quoteChar(d.src[d.pos])))
		}
	}
}

func (d *decoder) array(depth int) (any, error) {
	if depth > d.maxDepth {
		return nil, d.depthError()
	}
	d.pos++ // [
	a := []any{}
	d.skipSpace()
	if d.pos < len(d.src) && d.src[d.pos] == ']' {
		d.pos++
		return a, nil
	}
	for {
		if err := d.member(); err != nil {
			return nil, err
		}
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		d.skipSpace()
		if d.pos >= len(d.src) {
			return nil, d.syntax("the text ends inside an array")
		}
		switch d.src[d.pos] {
		case ',':
			d.pos++
			d.skipSpace()
		case ']':
			d.pos++
			return a, nil
		default:
			return nil, d.syntax(fmt.Sprintf("expected ',' or ']' after an array element, found %s", quoteChar(d.src[d.pos])))
		}
	}
}

func (d *decoder) depthError() error {
	return &LimitError{Bound: "depth", Limit: d.maxDepth, Offset: d.pos}
}

// string reads a JSON string. Without escapes or invalid UTF-8 it is a substring of the
// source (no allocation); otherwise it is rebuilt as encoding/json does.
func (d *decoder) string() (string, error) {
	start := d.pos + 1
	i := start
	for i < len(d.src) {
		c := d.src[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return d.src[start:i], nil
		case c == '\\':
			return d.slowString(start)
		case c < 0x20:
			d.pos = i
			return "", d.syntax(fmt.Sprintf("control character %s inside a string", quoteChar(c)))
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRuneInString(d.src[i:])
			if r == utf8.RuneError && size == 1 {
				return d.slowString(start)
			}
			i += size
		}
	}
	d.pos = len(d.src)
	return "", d.syntax("the text ends inside a string")
}

// slowString decodes a string with escapes or invalid UTF-8 from start (just after the
// opening quote).
func (d *decoder) slowString(start int) (string, error) {
	b := make([]byte, 0, 64)
	i := start
	for i < len(d.src) {
		c := d.src[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return string(b), nil
		case c < 0x20:
			d.pos = i
			return "", d.syntax(fmt.Sprintf("control character %s inside a string", quoteChar(c)))
		case c == '\\':
			if i+1 >= len(d.src) {
				d.pos = len(d.src)
				return "", d.syntax("the text ends inside a string")
			}
			switch e := d.src[i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
				i += 2
			case 'b':
				b, i = append(b, '\b'), i+2
			case 'f':
				b, i = append(b, '\f'), i+2
			case 'n':
				b, i = append(b, '\n'), i+2
			case 'r':
				b, i = append(b, '\r'), i+2
			case 't':
				b, i = append(b, '\t'), i+2
			case 'u':
				r, ok := hex4(d.src, i+2)
				if !ok {
					d.pos = i
					return "", d.syntax(`\u must be followed by four hex digits`)
				}
				i += 6
				if utf16.IsSurrogate(r) {
					// A high surrogate followed by an escaped low one is one character;
					// anything else is U+FFFD (the next escape is read on its own), as
					// encoding/json decodes it.
					pair := utf8.RuneError
					if i+1 < len(d.src) && d.src[i] == '\\' && d.src[i+1] == 'u' {
						if lo, ok := hex4(d.src, i+2); ok {
							if dec := utf16.DecodeRune(r, lo); dec != utf8.RuneError {
								pair, i = dec, i+6
							}
						}
					}
					r = pair
				}
				b = utf8.AppendRune(b, r)
			default:
				d.pos = i
				return "", d.syntax(fmt.Sprintf("invalid escape \\%c in a string", e))
			}
		case c < utf8.RuneSelf:
			b, i = append(b, c), i+1
		default:
			r, size := utf8.DecodeRuneInString(d.src[i:])
			if r == utf8.RuneError && size == 1 {
				b, i = utf8.AppendRune(b, utf8.RuneError), i+1
				continue
			}
			b, i = append(b, d.src[i:i+size]...), i+size
		}
	}
	d.pos = len(d.src)
	return "", d.syntax("the text ends inside a string")
}

func hex4(s string, at int) (rune, bool) {
	if at+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[at : at+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// smallNumbers are boxed once: a payload of many small counts and flags allocates no
// box per number.
var smallNumbers = func() (a [1024]any) {
	for i := range a {
		a[i] = float64(i)
	}
	return
}()

// number reads a JSON number (RFC 8259 grammar, as encoding/json checks it) and
// normalizes it as DecodeJSON does.
func (d *decoder) number() (any, error) {
	start := d.pos
	i := start
	if d.src[i] == '-' {
		i++
	}
	digits := i
	switch {
	case i < len(d.src) && d.src[i] == '0':
		i++
	case i < len(d.src) && d.src[i] >= '1' && d.src[i] <= '9':
		for i < len(d.src) && d.src[i] >= '0' && d.src[i] <= '9' {
			i++
		}
	default:
		d.pos = i
		return nil, d.syntax("a number needs a digit after '-'")
	}
	whole := i
	if i < len(d.src) && d.src[i] == '.' {
		i++
		if i >= len(d.src) || d.src[i] < '0' || d.src[i] > '9' {
			d.pos = i
			return nil, d.syntax("a number needs a digit after '.'")
		}
		for i < len(d.src) && d.src[i] >= '0' && d.src[i] <= '9' {
			i++
		}
	}
	if i < len(d.src) && (d.src[i] == 'e' || d.src[i] == 'E') {
		i++
		if i < len(d.src) && (d.src[i] == '+' || d.src[i] == '-') {
			i++
		}
		if i >= len(d.src) || d.src[i] < '0' || d.src[i] > '9' {
			d.pos = i
			return nil, d.syntax("a number needs a digit in its exponent")
		}
		for i < len(d.src) && d.src[i] >= '0' && d.src[i] <= '9' {
			i++
		}
	}
	d.pos = i
	text := d.src[start:i]
	if whole == i && whole-digits <= 15 {
		// A whole number of at most 15 digits: exact in a float64, no parse needed.
		var n int64
		for _, c := range []byte(d.src[digits:whole]) {
			n = n*10 + int64(c-'0')
		}
		if n < int64(len(smallNumbers)) && start == digits {
			return smallNumbers[n], nil
		}
		if start != digits {
			if n == 0 {
				return float64(0), nil // -0 is 0, as normalizeNumber reads it
			}
			n = -n
		}
		return float64(n), nil
	}
	return normalizeNumber(json.Number(text)), nil
}

// quoteChar shows a byte of the text in an error message.
func quoteChar(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}
