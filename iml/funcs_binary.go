package iml

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
	"unicode/utf8"
)

// Digests and emoji (IML.md §2.3).
func init() {
	register(
		pure("md5", 1, 4, digest("md5", md5.New)),
		pure("sha1", 1, 4, digest("sha1", sha1.New)),
		pure("sha256", 1, 4, digest("sha256", sha256.New)),
		pure("sha512", 1, 4, digest("sha512", sha512.New)),
	)
}

// bytesOf is the bytes a digest reads: binary data as is, anything else as UTF-8 text.
func bytesOf(v any) []byte {
	if b, ok := v.([]byte); ok {
		return b
	}
	return []byte(text(v))
}

// digest builds name(data; [output encoding]; [key]; [key encoding]): the hash of the
// data, or its HMAC when a key is given. Output: hex (default), base64 or latin1; key
// encoding: text (default), hex, base64 or binary.
func digest(name string, h func() hash.Hash) func([]any) (any, error) {
	return func(a []any) (any, error) {
		data := bytesOf(a[0])
		var sum []byte
		if key := arg(a, 2); key != nil && text(key) != "" {
			k, err := keyBytes(key, strings.ToLower(text(arg(a, 3))))
			if err != nil {
				return nil, err
			}
			m := hmac.New(h, k)
			m.Write(data)
			sum = m.Sum(nil)
		} else {
			d := h()
			d.Write(data)
			sum = d.Sum(nil)
		}
		switch enc := strings.ToLower(text(arg(a, 1))); enc {
		case "", "hex":
			return hex.EncodeToString(sum), nil
		case "base64":
			return base64.StdEncoding.EncodeToString(sum), nil
		case "latin1", "binary":
			var b strings.Builder
			for _, c := range sum {
				b.WriteRune(rune(c))
			}
			return b.String(), nil
		default:
			return nil, fmt.Errorf("unknown output encoding %q (use hex, base64 or latin1)", enc)
		}
	}
}

func keyBytes(key any, enc string) ([]byte, error) {
	switch enc {
	case "", "text", "utf8", "utf-8":
		return bytesOf(key), nil
	case "binary":
		if b, ok := key.([]byte); ok {
			return b, nil
		}
		return bytesOf(key), nil
	case "hex":
		b, err := hex.DecodeString(text(key))
		if err != nil {
			return nil, fmt.Errorf("the key is not valid hex: %v", err)
		}
		return b, nil
	case "base64":
		b, err := decodeBase64(text(key))
		if err != nil {
			return nil, fmt.Errorf("the key is not valid base64: %v", err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("unknown key encoding %q (use text, hex, base64 or binary)", enc)
}

// fnReplaceEmoji replaces every emoji (a whole sequence: skin tones, variation
// selectors, keycaps, flags and ZWJ families count as one) with the replacement,
// empty by default.
func fnReplaceEmoji(a []any) (any, error) {
	s := text(a[0])
	repl := text(arg(a, 1))
	var b strings.Builder
	changed := false
	for i := 0; i < len(s); {
		n := emojiAt(s[i:])
		if n == 0 {
			_, size := utf8.DecodeRuneInString(s[i:])
			b.WriteString(s[i : i+size])
			i += size
			continue
		}
		changed = true
		b.WriteString(repl)
		i += n
	}
	if !changed {
		return s, nil
	}
	return b.String(), nil
}

// emojiAt returns the byte length of the emoji sequence starting s, or 0.
func emojiAt(s string) int {
	r, size := utf8.DecodeRuneInString(s)
	next, nsize := utf8.DecodeRuneInString(s[size:])
	switch {
	case isRegionalIndicator(r):
		if isRegionalIndicator(next) {
			return size + nsize
		}
		return size
	case r >= '0' && r <= '9' || r == '#' || r == '*':
		// Keycap: base, optional VS16, U+20E3.
		n := size
		if next == 0xfe0f {
			n += nsize
		}
		if k, ks := utf8.DecodeRuneInString(s[n:]); k == 0x20e3 {
			return n + ks
		}
		return 0
	case isPictographic(r):
	case isTextPresentation(r) && next == 0xfe0f:
	default:
		return 0
	}
	n := size
	for n < len(s) {
		m, msize := utf8.DecodeRuneInString(s[n:])
		switch {
		case m == 0xfe0f || m == 0xfe0e || m == 0x20e3 || m >= 0x1f3fb && m <= 0x1f3ff || m >= 0xe0020 && m <= 0xe007f:
			n += msize
		case m == 0x200d: // zero-width joiner: the next emoji belongs to this one
			j, jsize := utf8.DecodeRuneInString(s[n+msize:])
			if !isPictographic(j) && !isTextPresentation(j) {
				return n
			}
			n += msize + jsize
		default:
			return n
		}
	}
	return n
}

func isRegionalIndicator(r rune) bool { return r >= 0x1f1e6 && r <= 0x1f1ff }

// isPictographic: code points shown as emoji by default.
func isPictographic(r rune) bool {
	switch {
	case r < 0x231a:
		return false
	case r >= 0x1f300 && r <= 0x1f64f, r >= 0x1f680 && r <= 0x1f6ff, r >= 0x1f900 && r <= 0x1f9ff,
		r >= 0x1fa70 && r <= 0x1faff, r >= 0x1f7e0 && r <= 0x1f7eb, r >= 0x1f170 && r <= 0x1f251,
		r == 0x1f004, r == 0x1f0cf:
		return true
	case r >= 0x2600 && r <= 0x27bf, r >= 0x231a && r <= 0x231b, r >= 0x23e9 && r <= 0x23f3,
		r >= 0x23f8 && r <= 0x23fa, r >= 0x2b05 && r <= 0x2b07, r >= 0x2b1b && r <= 0x2b1c,
		r == 0x2b50, r == 0x2b55, r == 0x2328, r == 0x23cf, r == 0x24c2, r == 0x3030, r == 0x303d,
		r == 0x3297, r == 0x3299, r >= 0x2934 && r <= 0x2935, r >= 0x25aa && r <= 0x25ab,
		r == 0x25b6, r == 0x25c0, r >= 0x25fb && r <= 0x25fe:
		return true
	}
	return false
}

// isTextPresentation: symbols that are emoji only when followed by U+FE0F (© ® ™ ‼ …).
func isTextPresentation(r rune) bool {
	switch r {
	case 0xa9, 0xae, 0x203c, 0x2049, 0x2122, 0x2139:
		return true
	}
	return r >= 0x2194 && r <= 0x2199 || r >= 0x21a9 && r <= 0x21aa
}
