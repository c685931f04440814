package datetime

import (
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// kind identifies a layout token. Layouts are split exactly as moment's
// formattingTokens regular expression splits them (see tokenAt), so "YYYY-MM-DDTHH"
// is YYYY, "-", MM, "-", DD, "T", HH: letters that are not tokens print as themselves.
type kind uint8

const (
	kLit kind = iota // literal text (bracketed, escaped, or not a token)
	kM
	kMo
	kMM
	kMMM
	kMMMM
	kQ
	kQo
	kD
	kDo
	kDD
	kDDD
	kDDDo
	kDDDD
	kd
	kdo
	kdd
	kddd
	kdddd
	ke
	kE
	kw
	kwo
	kww
	kW
	kWo
	kWW
	kgg
	kgggg
	kggggg
	kGG
	kGGGG
	kGGGGG
	kY
	kYY
	kYYYY
	kYYYYY
	kYYYYYY
	kN // N, NN, NNN: era abbreviation
	kNNNN
	kNNNNN
	ky
	kyy
	kyyy
	kyyyy
	kyo
	kH
	kHH
	kh
	khh
	kk
	kkk
	khmm
	khmmss
	kHmm
	kHmmss
	ka
	kA
	km
	kmm
	ks
	kss
	kS // S … SSSSSSSSS, width in item.width
	kz
	kzz
	kZ
	kZZ
	kX
	kx
)

// kinds maps every token moment can format to its kind. A piece of the layout that
// is not in this table is literal text.
var kinds = map[string]kind{
	"M": kM, "Mo": kMo, "MM": kMM, "MMM": kMMM, "MMMM": kMMMM,
	"Q": kQ, "Qo": kQo,
	"D": kD, "Do": kDo, "DD": kDD, "DDD": kDDD, "DDDo": kDDDo, "DDDD": kDDDD,
	"d": kd, "do": kdo, "dd": kdd, "ddd": kddd, "dddd": kdddd,
	"e": ke, "E": kE,
	"w": kw, "wo": kwo, "ww": kww, "W": kW, "Wo": kWo, "WW": kWW,
	"gg": kgg, "gggg": kgggg, "ggggg": kggggg, "GG": kGG, "GGGG": kGGGG, "GGGGG": kGGGGG,
	"Y": kY, "YY": kYY, "YYYY": kYYYY, "YYYYY": kYYYYY, "YYYYYY": kYYYYYY,
	"N": kN, "NN": kN, "NNN": kN, "NNNN": kNNNN, "NNNNN": kNNNNN,
	"y": ky, "yy": kyy, "yyy": kyyy, "yyyy": kyyyy, "yo": kyo,
	"H": kH, "HH": kHH, "h": kh, "hh": khh, "k": kk, "kk": kkk,
	"hmm": khmm, "hmmss": khmmss, "Hmm": kHmm, "Hmmss": kHmmss,
	"a": ka, "A": kA, "m": km, "mm": kmm, "s": ks, "ss": kss,
	"S": kS, "SS": kS, "SSS": kS, "SSSS": kS, "SSSSS": kS, "SSSSSS": kS, "SSSSSSS": kS,
	"SSSSSSSS": kS, "SSSSSSSSS": kS,
	"z": kz, "zz": kzz, "Z": kZ, "ZZ": kZZ, "X": kX, "x": kx,
}

// item is one compiled piece of a layout.
type item struct {
	kind  kind
	width int    // digits of an S token
	raw   string // the piece as written, for error messages
	lit   string // what a literal prints (kLit only)
	match string // what a piece without a parse rule looks for in parsed text
}

// longFormats are moment's English localized formats; a layout's L, LL, LT, l...
// expand to these before tokenizing ("L" alone prints 01/02/2026).
var longFormats = map[string]string{
	"LTS":  "h:mm:ss A",
	"LT":   "h:mm A",
	"L":    "MM/DD/YYYY",
	"LL":   "MMMM D, YYYY",
	"LLL":  "MMMM D, YYYY h:mm A",
	"LLLL": "dddd, MMMM D, YYYY h:mm A",
	"l":    "M/D/YYYY",
	"ll":   "MMM D, YYYY",
	"lll":  "MMM D, YYYY h:mm A",
	"llll": "ddd, MMM D, YYYY h:mm A",
}

// bracketEnd returns the end of a "[...]" escape starting at s[i] == '[', or -1.
// moment's pattern \[[^\[]*\] is greedy: the escape runs to the last ']' before the
// next '[', so "[a]b]" is the literal "a]b".
func bracketEnd(s string, i int) int {
	next := strings.IndexByte(s[i+1:], '[')
	stop := len(s)
	if next >= 0 {
		stop = i + 1 + next
	}
	j := strings.LastIndexByte(s[i+1:stop], ']')
	if j < 0 {
		return -1
	}
	return i + 1 + j + 1
}

// expandLong replaces moment's localized format tokens (LTS, LT, L…LLLL, l…llll)
// outside brackets. One pass is enough: the expansions contain no such tokens.
func expandLong(s string) string {
	if !strings.ContainsAny(s, "Ll") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c == '[' {
			if e := bracketEnd(s, i); e > 0 {
				b.WriteString(s[i:e])
				i = e
				continue
			}
		}
		start := i
		if c == '\\' && i+1 < len(s) && (s[i+1] == 'L' || s[i+1] == 'l') {
			// An escaped token stays as written; tokenizing later drops the backslash.
			n := longTokenLen(s[i+1:])
			b.WriteString(s[i : i+1+n])
			i += 1 + n
			continue
		}
		if n := longTokenLen(s[i:]); n > 0 {
			b.WriteString(longFormats[s[start:start+n]])
			i += n
			continue
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

// longTokenLen matches LTS|LT|LL?L?L?|l{1,4} at the start of s (0 when none does).
func longTokenLen(s string) int {
	switch {
	case strings.HasPrefix(s, "LTS"):
		return 3
	case strings.HasPrefix(s, "LT"):
		return 2
	case strings.HasPrefix(s, "L"):
		return min(run(s, 'L'), 4)
	case strings.HasPrefix(s, "l"):
		return min(run(s, 'l'), 4)
	}
	return 0
}

// run counts how many times c repeats at the start of s.
func run(s string, c byte) int {
	n := 0
	for n < len(s) && s[n] == c {
		n++
	}
	return n
}

// lineBreak reports whether r is a JavaScript line terminator: moment's "." never
// matches one, so line breaks in a layout vanish from the output.
func lineBreak(r rune) bool { return r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029' }

// tokenAt returns the length of the token group of moment's formattingTokens at the
// start of s, trying the alternatives in moment's order (first match wins, not the
// longest), or 0 when s starts with a line break or is empty.
func tokenAt(s string) int {
	if s == "" {
		return 0
	}
	c := s[0]
	switch c {
	case 'H', 'h':
		if strings.HasPrefix(s[1:], "mm") {
			if strings.HasPrefix(s[3:], "ss") {
				return 5
			}
			return 3
		}
		return min(run(s, c), 2)
	case 'M':
		if strings.HasPrefix(s, "Mo") {
			return 2
		}
		return min(run(s, 'M'), 4)
	case 'D':
		switch {
		case strings.HasPrefix(s, "Do"):
			return 2
		case strings.HasPrefix(s, "DDDo"):
			return 4
		}
		return min(run(s, 'D'), 4)
	case 'd':
		if n := run(s, 'd'); n >= 2 {
			return min(n, 4)
		}
		if strings.HasPrefix(s, "do") {
			return 2
		}
		return 1
	case 'w', 'W':
		if len(s) > 1 && (s[1] == 'o' || s[1] == '|' || s[1] == c) {
			return 2
		}
		return 1
	case 'Q':
		if strings.HasPrefix(s, "Qo") {
			return 2
		}
		return 1
	case 'N':
		return min(run(s, 'N'), 5)
	case 'Y':
		switch n := run(s, 'Y'); {
		case n >= 6:
			return 6
		case n >= 4:
			return n
		case n >= 2:
			return 2
		}
		return 1
	case 'y':
		if n := run(s, 'y'); n >= 2 {
			return min(n, 4)
		}
		if strings.HasPrefix(s, "yo") {
			return 2
		}
		return 1
	case 'g', 'G':
		switch n := run(s, c); {
		case n >= 5:
			return 5
		case n == 4:
			return 4
		case n >= 2:
			return 2
		}
		return 1
	case 'k', 'm', 's', 'z', 'Z':
		return min(run(s, c), 2)
	case 'S':
		return min(run(s, 'S'), 9)
	}
	r, size := utf8.DecodeRuneInString(s)
	if lineBreak(r) {
		return 0
	}
	return size
}

// tokenize splits a layout the way moment's formattingTokens regular expression
// does, after expanding localized tokens. Line breaks match no piece and are dropped.
func tokenize(layout string) []string {
	s := expandLong(layout)
	out := make([]string, 0, len(s))
	for i := 0; i < len(s); {
		if s[i] == '[' {
			if e := bracketEnd(s, i); e > 0 {
				out = append(out, s[i:e])
				i = e
				continue
			}
		}
		if s[i] == '\\' {
			if n := tokenAt(s[i+1:]); n > 0 {
				out = append(out, s[i:i+1+n])
				i += 1 + n
				continue
			}
		}
		n := tokenAt(s[i:])
		if n == 0 { // a line break
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			continue
		}
		out = append(out, s[i:i+n])
		i += n
	}
	return out
}

// literal is what moment prints for a piece that is not a token: a bracketed escape
// without its brackets, anything else without backslashes.
func literal(piece string) string {
	if k := strings.IndexByte(piece, '['); k >= 0 && k+1 < len(piece) {
		piece = strings.TrimPrefix(piece, "[")
		return strings.TrimSuffix(piece, "]")
	}
	return strings.ReplaceAll(piece, `\`, "")
}

// unescapeRe is moment's unescapeFormat pattern, used to turn a literal layout piece
// into the text parsing looks for.
var unescapeRe = regexp.MustCompile(`\\(\[)|\\(\])|\[([^\]\[]*)\]|\\(.)`)

// parseLiteral is the text moment's parser searches for a piece without a parse rule.
func parseLiteral(piece string) string {
	if !strings.ContainsAny(piece, `[\]`) {
		return piece
	}
	s := strings.Replace(piece, `\`, "", 1)
	return unescapeRe.ReplaceAllStringFunc(s, func(m string) string {
		g := unescapeRe.FindStringSubmatch(m)
		for _, x := range g[1:] {
			if x != "" {
				return x
			}
		}
		return "undefined" // JavaScript's replace callback returning undefined
	})
}

// compile turns a layout into items.
func compile(layout string) []item {
	pieces := tokenize(layout)
	items := make([]item, 0, len(pieces))
	for _, p := range pieces {
		k, ok := kinds[p]
		it := item{kind: k, raw: p}
		if !ok {
			it.kind = kLit
			it.lit = literal(p)
		}
		if k == kS {
			it.width = len(p)
		}
		it.match = parseLiteral(p)
		items = append(items, it)
	}
	return items
}

// The compiled-layout cache. Layouts usually come from blueprints (a handful per
// scenario), but they can be computed, so the cache stops growing at cacheMax. A
// read-locked map: a sync.Map would box the string key (one allocation per Format),
// and a copy-on-write map costs O(n) per new layout.
const cacheMax = 4096

var (
	cacheMu sync.RWMutex
	cache   = map[string][]item{}
)

// compiled returns the items of layout, compiling it once.
func compiled(layout string) []item {
	cacheMu.RLock()
	items, ok := cache[layout]
	cacheMu.RUnlock()
	if ok {
		return items
	}
	items = compile(layout)
	cacheMu.Lock()
	if len(cache) < cacheMax {
		cache[layout] = items
	}
	cacheMu.Unlock()
	return items
}
