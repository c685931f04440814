package iml

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/weftworks/weft/jsregex"
	"github.com/weftworks/weft/value"
)

// Text and binary functions (IML.md §2.3). Positions in text are 0-based and count
// Unicode code points (docs/mapping.md, Decisions).
func init() {
	register(
		pure("trim", 1, 1, func(a []any) (any, error) { return strings.TrimFunc(text(a[0]), isJSSpace), nil }),
		pure("lower", 1, 1, func(a []any) (any, error) { return strings.ToLower(text(a[0])), nil }),
		pure("upper", 1, 1, func(a []any) (any, error) { return strings.ToUpper(text(a[0])), nil }),
		pure("capitalize", 1, 1, fnCapitalize),
		pure("startcase", 1, 1, fnStartCase),
		pure("toString", 1, 1, func(a []any) (any, error) { return text(a[0]), nil }),
		pure("toBinary", 1, 2, fnToBinary),
		pureCtx("split", 1, 2, fnSplit),
		pure("contains", 2, 2, fnContains),
		pure("encodeURL", 1, 1, func(a []any) (any, error) { return encodeURIComponent(text(a[0])), nil }),
		pure("decodeURL", 1, 1, fnDecodeURL),
		pure("escapeHTML", 1, 1, func(a []any) (any, error) { return htmlEscaper.Replace(text(a[0])), nil }),
		pure("escapeMarkdown", 1, 1, fnEscapeMarkdown),
		pure("escapeJSON", 1, 1, fnEscapeJSON),
		pure("stripHTML", 1, 1, fnStripHTML),
		pure("indexOf", 2, 3, fnIndexOf),
		pure("length", 1, 1, fnLength),
		pure("substring", 2, 3, fnSubstring),
		&funcDef{name: "replace", min: 3, max: 3, pure: true, call: fnReplace, prepare: prepareReplace},
		pure("replaceEmojiCharacters", 1, 2, fnReplaceEmoji),
		pure("ascii", 1, 2, fnASCII),
		pure("base64", 1, 1, fnBase64),
	)
	readsArrays("length", "contains")
}

// isJSSpace is JavaScript's String.prototype.trim white space: Unicode spaces, line
// terminators and the byte-order mark.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

func fnCapitalize(a []any) (any, error) {
	s := text(a[0])
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return s, nil
	}
	return string(unicode.ToUpper(r)) + s[size:], nil
}

// fnStartCase upper-cases the first letter of every word and lower-cases the rest;
// words are separated by white space, which is kept as it is.
func fnStartCase(a []any) (any, error) {
	s := text(a[0])
	var b strings.Builder
	b.Grow(len(s))
	start := true
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			start = true
			b.WriteRune(r)
		case start:
			b.WriteRune(unicode.ToUpper(r))
			start = false
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String(), nil
}

func fnToBinary(a []any) (any, error) {
	if b, ok := a[0].([]byte); ok {
		return b, nil
	}
	s := text(a[0])
	switch enc := strings.ToLower(text(arg(a, 1))); enc {
	case "", "utf8", "utf-8", "text":
		return []byte(s), nil
	case "base64":
		b, err := decodeBase64(s)
		if err != nil {
			return nil, fmt.Errorf("the text is not valid base64: %v", err)
		}
		return b, nil
	case "hex":
		b, err := hex.DecodeString(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("the text is not valid hex: %v", err)
		}
		return b, nil
	case "latin1", "binary", "ascii":
		out := make([]byte, 0, len(s))
		for _, r := range s {
			out = append(out, byte(r))
		}
		return out, nil
	default:
		return nil, fmt.Errorf("unknown encoding %q (use utf8, base64, hex or latin1)", enc)
	}
}

// decodeBase64 accepts standard and URL-safe alphabets, with or without padding.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// fnSplit splits text at every occurrence of the separator (JavaScript split: pieces
// keep their spaces). Empty text gives an empty array; an empty separator splits
// into characters.
//
// The pieces are counted before they are made: a long text split into characters is
// refused by the run's maxArrayItems without building millions of pieces.
func fnSplit(c callCtx, a []any) (any, error) {
	s := text(a[0])
	if s == "" {
		return []any{}, nil
	}
	sep := text(arg(a, 1))
	if lim := c.env.Limits; lim != nil {
		n := 0
		if sep == "" {
			n = utf8.RuneCountInString(s)
		} else {
			n = strings.Count(s, sep) + 1
		}
		if err := lim.Items(n, "split()"); err != nil {
			return nil, err
		}
	}
	var parts []string
	if sep == "" {
		parts = strings.Split(s, "")
	} else {
		parts = strings.Split(s, sep)
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

// fnContains: on an array, whether an element equals the value (as `=`); on text,
// whether the text contains the value's text.
func fnContains(a []any) (any, error) {
	switch x := a[0].(type) {
	case nil:
		return false, nil
	case []any:
		for _, e := range x {
			if value.Equal(e, a[1]) {
				return true, nil
			}
		}
		return false, nil
	}
	return strings.Contains(text(a[0]), text(a[1])), nil
}

// encodeURIComponent escapes everything but A-Z a-z 0-9 - _ . ! ~ * ' ( ).
func encodeURIComponent(s string) string {
	const hexUpper = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("-_.!~*'()", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexUpper[c>>4])
		b.WriteByte(hexUpper[c&15])
	}
	return b.String()
}

func fnDecodeURL(a []any) (any, error) {
	s := text(a[0])
	out, err := url.PathUnescape(s)
	if err != nil {
		return nil, fmt.Errorf("malformed percent-encoding in %q", shorten(s))
	}
	if !utf8.ValidString(out) {
		return nil, fmt.Errorf("percent-encoding in %q is not UTF-8", shorten(s))
	}
	return out, nil
}

func shorten(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")

// fnEscapeMarkdown replaces the characters that start Markdown syntax with numeric
// HTML entities (# → &#35;, as Make's documented example).
func fnEscapeMarkdown(a []any) (any, error) {
	s := text(a[0])
	var b strings.Builder
	for _, r := range s {
		if r < utf8.RuneSelf && strings.ContainsRune("\\`*_{}[]()#+-.!|<>~", r) {
			fmt.Fprintf(&b, "&#%d;", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String(), nil
}

// fnEscapeJSON escapes text for use inside a JSON string (without the quotes).
func fnEscapeJSON(a []any) (any, error) {
	q := value.AppendString(nil, text(a[0]))
	return string(q[1 : len(q)-1]), nil
}

var (
	reComment = regexp.MustCompile(`(?s)<!--.*?-->`)
	reTag     = regexp.MustCompile(`(?s)<[a-zA-Z/!?][^<>]*>`)
)

// fnStripHTML removes tags and comments; text and entities are kept as they are.
func fnStripHTML(a []any) (any, error) {
	s := text(a[0])
	if !strings.Contains(s, "<") {
		return s, nil
	}
	s = reComment.ReplaceAllString(s, "")
	return reTag.ReplaceAllString(s, ""), nil
}

func fnIndexOf(a []any) (any, error) {
	if arr, ok := a[0].([]any); ok { // on an array: 0-based position of an equal element
		for i, e := range arr {
			if value.Equal(e, a[1]) {
				return float64(i), nil
			}
		}
		return float64(-1), nil
	}
	s, sub := text(a[0]), text(a[1])
	start, err := intArg("indexOf", a, 2, "start", 0)
	if err != nil {
		return nil, err
	}
	if start < 0 {
		start = 0
	}
	off := runeOffset(s, start)
	if off < 0 {
		if sub == "" {
			return float64(utf8.RuneCountInString(s)), nil
		}
		return float64(-1), nil
	}
	i := strings.Index(s[off:], sub)
	if i < 0 {
		return float64(-1), nil
	}
	return float64(start + utf8.RuneCountInString(s[off:off+i])), nil
}

// runeOffset returns the byte offset of the n-th code point, or -1 past the end.
func runeOffset(s string, n int) int {
	if n == 0 {
		return 0
	}
	i := 0
	for off := range s {
		if i == n {
			return off
		}
		i++
	}
	if i == n {
		return len(s)
	}
	return -1
}

// fnLength: elements of an array, keys of a collection, bytes of binary data, code
// points of anything else's text.
func fnLength(a []any) (any, error) {
	switch x := a[0].(type) {
	case nil:
		return float64(0), nil
	case []any:
		return float64(len(x)), nil
	case map[string]any:
		return float64(len(x)), nil
	case []byte:
		return float64(len(x)), nil
	case string:
		return float64(utf8.RuneCountInString(x)), nil
	}
	return float64(utf8.RuneCountInString(text(a[0]))), nil
}

// fnSubstring follows JavaScript's substring: positions are clamped to the text,
// swapped when start > end; a missing end means the end of the text.
func fnSubstring(a []any) (any, error) {
	s := text(a[0])
	runes := utf8.RuneCountInString(s)
	start, err := intArg("substring", a, 1, "start", 0)
	if err != nil {
		return nil, err
	}
	end, err := intArg("substring", a, 2, "end", runes)
	if err != nil {
		return nil, err
	}
	start, end = min(max(start, 0), runes), min(max(end, 0), runes)
	if start > end {
		start, end = end, start
	}
	return s[runeOffset(s, start):runeOffset(s, end)], nil
}

// prepareReplace compiles a constant /pattern/flags search argument once.
func prepareReplace(c *callNode) error {
	k, ok := c.args[1].(*constNode)
	if !ok {
		return nil
	}
	s, ok := k.v.(string)
	if !ok {
		return nil
	}
	pattern, flags, ok := jsregex.ParseLiteral(s)
	if !ok {
		return nil
	}
	re, err := jsregex.Compile(pattern, flags)
	if err != nil {
		return err
	}
	c.re = re
	return nil
}

// fnReplace replaces a regular expression written /pattern/flags (JavaScript
// replacement tokens $& $1 $<name> apply; only the first match without g) or every
// occurrence of a plain text (replacement taken literally).
func fnReplace(c callCtx, a []any) (any, error) {
	s := text(a[0])
	search := text(a[1])
	repl := text(a[2])
	re := c.re
	if re == nil {
		if pattern, flags, ok := jsregex.ParseLiteral(search); ok {
			var err error
			if re, err = jsregex.Compile(pattern, flags); err != nil {
				return nil, err
			}
		}
	}
	if re != nil {
		return re.ReplaceIn(c.env.Limits, s, repl, re.Global())
	}
	if search == "" {
		return s, nil
	}
	if lim := c.env.Limits; lim != nil && len(repl) > len(search) {
		// Sized before it is built: each occurrence grows the text.
		if err := lim.Text(len(s)+strings.Count(s, search)*(len(repl)-len(search)), "replace()"); err != nil {
			return nil, err
		}
	}
	return strings.ReplaceAll(s, search, repl), nil
}

// fnBase64 encodes text (as UTF-8) or binary data in standard base64 with padding.
func fnBase64(a []any) (any, error) {
	if b, ok := a[0].([]byte); ok {
		return base64.StdEncoding.EncodeToString(b), nil
	}
	return base64.StdEncoding.EncodeToString([]byte(text(a[0]))), nil
}

// fnASCII drops every character outside ASCII; with true as the second argument,
// accented Latin letters are first reduced to their base letters (ě → e, ß → ss).
func fnASCII(a []any) (any, error) {
	s := text(a[0])
	fold := value.Bool(arg(a, 1))
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r < utf8.RuneSelf {
			b.WriteRune(r)
			continue
		}
		if fold {
			if base, ok := latinBase[r]; ok {
				b.WriteString(base)
			}
		}
	}
	return b.String(), nil
}
