package datetime

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Parse reads text with a moment.js layout in loc (nil = UTC), as Make's parseDate
// does. It is ParseAt with no clock: a layout without a year, month or day takes
// them from 1970-01-01.
func Parse(text, layout string, loc *time.Location) (time.Time, error) {
	return ParseAt(text, layout, loc, time.Time{})
}

// ParseAt reads text with a moment.js layout in loc the way moment's default
// (forgiving) mode does:
//
//   - the layout is split into tokens like Format's; each token in turn looks for its
//     pattern anywhere in the rest of the text, skipping what comes before it, so
//     separators need not match ("2016/12/28" reads fine with "YYYY-MM-DD");
//   - text left over after the last token is ignored;
//   - a token whose pattern is not found is simply unused;
//   - missing parts default as moment's do: a missing year, month or day (the leading
//     ones only) comes from now's date in loc, the rest from January, day 1,
//     00:00:00.000 ("YYYY-MM" is the 1st of that month, "HH:mm" is today);
//   - Z/ZZ offsets override loc; X and x are instants and override everything;
//   - YY (and a two-digit YYYY) pivots at 68: 68 → 2068, 69 → 1969.
//
// A zero now stands for 1970-01-01. The error is a *ParseError naming the token that
// failed: nothing matched, a value out of range (month 13, February 30), a name that
// is not a month or day, or a day name that contradicts the date.
//
// An empty layout reads the text as Coerce does (moment treats a missing format as
// "guess": ISO 8601 and the other common forms).
func ParseAt(text, layout string, loc *time.Location, now time.Time) (time.Time, error) {
	if layout == "" {
		return Coerce(text, loc)
	}
	loc = zone(loc)
	p := parser{text: text, layout: layout}
	p.scan(compiled(layout))
	if p.err != nil {
		return time.Time{}, p.err
	}
	if now.IsZero() {
		now = time.Unix(0, 0)
	}
	return p.build(loc, now.In(loc))
}

// Fields of parser.a, in moment's order.
const (
	fYear = iota
	fMonth
	fDate
	fHour
	fMinute
	fSecond
	fMilli
	nFields
)

var fieldNames = [nFields]string{"year", "month", "day", "hour", "minute", "second", "millisecond"}

// weekInfo holds the week-based tokens (moment's config._w).
type weekInfo struct {
	set                   bool
	GG, W, E, gg, w, d, e int64
	hGG, hW, hE, hgg, hw  bool
	hd, he                bool
	dToken                string // the token that gave the weekday, for errors
}

// parser is one Parse call's state (moment's config).
type parser struct {
	text, layout string
	err          *ParseError

	a      [nFields]int64 // month 0-based, like moment
	has    [nFields]bool
	src    [nFields]string // token that set each field
	matchd bool            // some known token matched (moment's !empty)

	dayOfYear int64
	hasDOY    bool
	doyToken  string
	week      weekInfo
	meridiem  string
	isPM      bool
	tzm       int64 // offset in minutes
	hasTZ     bool
	epoch     time.Time
	hasEpoch  bool
	epochErr  *ParseError
	era       int // 0 none, 1 AD, 2 BC
	eraToken  string
}

func (p *parser) fail(token, format string, args ...any) {
	if p.err == nil {
		p.err = &ParseError{Text: p.text, Layout: p.layout, Token: token, Reason: fmt.Sprintf(format, args...)}
	}
}

// Patterns of moment's parse tokens (non-strict). Go's leftmost-first regular
// expressions pick the same match JavaScript's do for these patterns.
var (
	reMatch1       = regexp.MustCompile(`\d`)
	reMatch3       = regexp.MustCompile(`\d{3}`)
	reMatch1to2    = regexp.MustCompile(`\d\d?`)
	reMatch1to3    = regexp.MustCompile(`\d{1,3}`)
	reMatch1to4    = regexp.MustCompile(`\d{1,4}`)
	reMatch1to6    = regexp.MustCompile(`[+-]?\d{1,6}`)
	reMatch3to4    = regexp.MustCompile(`\d\d\d\d?`)
	reMatch5to6    = regexp.MustCompile(`\d\d\d\d\d\d?`)
	reUnsigned     = regexp.MustCompile(`\d+`)
	reSigned       = regexp.MustCompile(`[+-]?\d+`)
	reTimestamp    = regexp.MustCompile(`[+-]?\d+(\.\d{1,3})?`)
	reShortOffset  = regexp.MustCompile(`(?i)Z|[+-]\d\d(?::?\d\d)?`)
	reOffsetChunks = regexp.MustCompile(`[+-]|\d\d`)
	reMeridiem     = regexp.MustCompile(`(?i)[ap]\.?m?\.?`)
	reOrdinal      = regexp.MustCompile(`\d{1,2}(?:th|st|nd|rd)|\d{1,2}`)
	reEra          = regexp.MustCompile(`(?i)^(?:Anno Domini|AD|Before Christ|BC)`)
	reWord         = regexp.MustCompile(`(?i)[0-9]{0,256}['a-z\x{00A0}-\x{05FF}\x{0700}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FF07}\x{FF10}-\x{FFEF}]{1,256}|[\x{0600}-\x{06FF}/]{1,256}(?:\s*?[\x{0600}-\x{06FF}]{1,256}){1,2}`)
)

// pattern returns the regular expression a token looks for, or nil when the token
// looks for its own text (literals, and tokens such as Mo that moment cannot parse).
func pattern(it *item) *regexp.Regexp {
	switch it.kind {
	case kY, kx:
		return reSigned
	case kYY, kM, kMM, kD, kDD, kd, ke, kE, kw, kww, kW, kWW, kgg, kGG,
		kH, kHH, kh, khh, kk, kkk, km, kmm, ks, kss:
		return reMatch1to2
	case kYYYY, kgggg, kGGGG:
		return reMatch1to4
	case kYYYYY, kYYYYYY, kggggg, kGGGGG:
		return reMatch1to6
	case kMMM, kMMMM, kdd, kddd, kdddd:
		return reWord
	case kQ:
		return reMatch1
	case kDo:
		return reOrdinal
	case kDDD:
		return reMatch1to3
	case kDDDD:
		return reMatch3
	case khmm, kHmm:
		return reMatch3to4
	case khmmss, kHmmss:
		return reMatch5to6
	case ka, kA:
		return reMeridiem
	case kS:
		switch it.width {
		case 1, 2, 3:
			return reMatch1to3
		}
		return reUnsigned
	case kZ, kZZ:
		return reShortOffset
	case kX:
		return reTimestamp
	case kN, kNNNN, kNNNNN:
		return reEra
	case ky, kyy, kyyy, kyyyy, kyo:
		return reUnsigned
	case kLit:
		if it.raw == "G" || it.raw == "g" { // moment has a pattern but no meaning for these
			return reSigned
		}
	}
	return nil
}

// scan walks the layout's tokens over the text (moment's configFromStringAndFormat).
func (p *parser) scan(items []item) {
	rest := p.text
	for i := range items {
		it := &items[i]
		var input string
		if re := pattern(it); re != nil {
			if loc := re.FindStringIndex(rest); loc != nil && loc[1] > loc[0] {
				input = rest[loc[0]:loc[1]]
				rest = rest[loc[1]:]
			}
		} else if it.match != "" {
			if k := strings.Index(rest, it.match); k >= 0 {
				input = it.match
				rest = rest[k+len(it.match):]
			}
		}
		if it.kind == kLit || input == "" {
			continue
		}
		p.matchd = true
		p.apply(it, input)
		if p.err != nil {
			return
		}
	}
}

// set stores a calendar field parsed by token.
func (p *parser) set(f int, v int64, token string) {
	p.a[f], p.has[f], p.src[f] = v, true, token
}

// apply records what one token read (moment's addParseToken callbacks).
func (p *parser) apply(it *item, in string) {
	tok := it.raw
	switch it.kind {
	case kY:
		p.set(fYear, toInt(in), tok)
	case kYY:
		p.set(fYear, twoDigitYear(in), tok)
	case kYYYY:
		if len(in) == 2 {
			p.set(fYear, twoDigitYear(in), tok)
		} else {
			p.set(fYear, toInt(in), tok)
		}
	case kYYYYY, kYYYYYY, ky, kyy, kyyy, kyyyy, kyo:
		p.set(fYear, toInt(in), tok)
	case kM, kMM:
		p.set(fMonth, toInt(in)-1, tok)
	case kMMM, kMMMM:
		m := monthByPrefix(in)
		if m < 0 {
			p.fail(tok, "%s is not a month name", quote(in))
			return
		}
		p.set(fMonth, int64(m), tok)
	case kQ:
		p.set(fMonth, (toInt(in)-1)*3, tok)
	case kD, kDD:
		p.set(fDate, toInt(in), tok)
	case kDo:
		p.set(fDate, toInt(reMatch1to2.FindString(in)), tok)
	case kDDD, kDDDD:
		p.dayOfYear, p.hasDOY, p.doyToken = toInt(in), true, tok
	case kH, kHH, kh, khh:
		p.set(fHour, toInt(in), tok)
	case kk, kkk:
		h := toInt(in)
		if h == 24 {
			h = 0
		}
		p.set(fHour, h, tok)
	case khmm, kHmm:
		n := len(in) - 2
		p.set(fHour, toInt(in[:n]), tok)
		p.set(fMinute, toInt(in[n:]), tok)
	case khmmss, kHmmss:
		n := len(in) - 4
		p.set(fHour, toInt(in[:n]), tok)
		p.set(fMinute, toInt(in[n:n+2]), tok)
		p.set(fSecond, toInt(in[n+2:]), tok)
	case ka, kA:
		p.meridiem, p.isPM = in, in[0] == 'p' || in[0] == 'P'
	case km, kmm:
		p.set(fMinute, toInt(in), tok)
	case ks, kss:
		p.set(fSecond, toInt(in), tok)
	case kS:
		// moment reads the digits as a fraction of a second: "5" is 500 ms.
		f, _ := strconv.ParseFloat("0."+in, 64)
		p.set(fMilli, int64(f*1000), tok)
	case kZ, kZZ:
		p.tzm, p.hasTZ = offsetMinutes(in), true
	case kX:
		f, _ := strconv.ParseFloat(in, 64)
		p.setEpoch(f*1000, tok, in)
	case kx:
		f, _ := strconv.ParseFloat(in, 64)
		p.setEpoch(f, tok, in)
	case kN, kNNNN, kNNNNN:
		p.eraToken = tok
		if u := strings.ToUpper(in); u == "AD" || u == "ANNO DOMINI" {
			p.era = 1
		} else {
			p.era = 2
		}
	case kMo, kQo, kDDDo, kdo, kwo, kWo, kz, kzz:
		// moment can print these but not read them: they only consume their text.
	default:
		p.applyWeek(it, in)
	}
}

// applyWeek records the week-based tokens.
func (p *parser) applyWeek(it *item, in string) {
	w := &p.week
	w.set = true
	switch it.kind {
	case kd:
		w.d, w.hd, w.dToken = toInt(in), true, it.raw
	case ke:
		w.e, w.he = toInt(in), true
	case kE:
		w.E, w.hE = toInt(in), true
	case kdd, kddd, kdddd:
		d := dayByPrefix(in)
		if d < 0 {
			p.fail(it.raw, "%s is not a day name", quote(in))
			return
		}
		w.d, w.hd, w.dToken = int64(d), true, it.raw
	case kw, kww:
		w.w, w.hw = toInt(in), true
	case kW, kWW:
		w.W, w.hW = toInt(in), true
	case kgg:
		w.gg, w.hgg = twoDigitYear(in), true
	case kGG:
		w.GG, w.hGG = twoDigitYear(in), true
	case kgggg, kggggg:
		w.gg, w.hgg = toInt(in), true
	case kGGGG, kGGGGG:
		w.GG, w.hGG = toInt(in), true
	}
}

// setEpoch records an X/x instant (milliseconds, truncated like JavaScript's Date).
// A later X/x replaces an earlier one, even an invalid one.
func (p *parser) setEpoch(ms float64, tok, in string) {
	p.hasEpoch = true
	if math.IsNaN(ms) || ms > maxMillis || ms < -maxMillis {
		p.epochErr = &ParseError{Text: p.text, Layout: p.layout, Token: tok,
			Reason: quote(in) + " is outside the supported date range"}
		return
	}
	p.epoch, p.epochErr = time.UnixMilli(int64(ms)).UTC(), nil
}

// toInt is moment's toInt for matched digits: the number, truncated, saturating far
// beyond any valid date so nothing overflows.
func toInt(s string) int64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && f == 0 || math.IsNaN(f) {
		return 0
	}
	const sat = 1 << 53
	switch {
	case f > sat:
		return sat
	case f < -sat:
		return -sat
	}
	return int64(f)
}

// twoDigitYear is moment's parseTwoDigitYear: 69–99 are 1969–1999, 00–68 are 2000–2068.
func twoDigitYear(s string) int64 {
	n := toInt(s)
	if n > 68 {
		return n + 1900
	}
	return n + 2000
}

// offsetMinutes reads +01:00, +0100, +01 or Z as minutes east of UTC (moment's
// offsetFromString).
func offsetMinutes(s string) int64 {
	parts := reOffsetChunks.FindAllString(s, -1)
	if len(parts) < 2 {
		return 0 // "Z"
	}
	m := toInt(parts[1]) * 60
	if len(parts) > 2 {
		m += toInt(parts[2])
	}
	if parts[0] == "-" {
		return -m
	}
	return m
}
