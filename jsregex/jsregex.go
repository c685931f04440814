// Package jsregex gives weft JavaScript (ECMAScript) regular expressions, the dialect
// Make uses in the text parser, Replace, Switch and the mapping language's replace().
// Go's regexp (RE2) lacks lookaround and back-references that real blueprints use
// (`^.*?(?={)`, `(?<json>…)`), so this wraps github.com/dlclark/regexp2 in its
// ECMAScript mode and adds what JavaScript has and regexp2 does not: the g and y flags,
// `/pattern/flags` literals and String.prototype.replace's replacement tokens.
//
// Every match is bounded by a timeout (DefaultTimeout) so a catastrophic pattern
// fails the module with ErrTimeout instead of hanging the run.
package jsregex

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dlclark/regexp2/v2"
	"github.com/weftworks/weft/limits"
)

// DefaultTimeout bounds one search (one match attempt over the input, including all its
// backtracking). Make modules run for at most 40 s; 5 s is far beyond any sane pattern.
const DefaultTimeout = 5 * time.Second

// Errors a search can return besides a nil error. They are wrapped with the pattern.
var (
	// ErrTimeout: the search took longer than the timeout (catastrophic backtracking).
	ErrTimeout = errors.New("regular expression took too long (catastrophic backtracking?)")
	// ErrTooComplex: the search exceeded the backtracking stack limit.
	ErrTooComplex = errors.New("regular expression needs too much backtracking memory")
)

// SyntaxError is a pattern or flags that do not compile.
type SyntaxError struct {
	Pattern string
	Flags   string
	Reason  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid regular expression /%s/%s: %s", e.Pattern, e.Flags, e.Reason)
}

// Regexp is a compiled JavaScript regular expression. It is safe for concurrent use.
type Regexp struct {
	re      *regexp2.Regexp
	pattern string
	flags   string
	global  bool
	sticky  bool
	groups  []string // name of each capture group 1..n ("" when unnamed)
	named   bool     // the pattern has at least one named group ($<name> is active)
}

// Match is one match of a Regexp in a text.
type Match struct {
	// Text is the matched text.
	Text string
	// Index is the byte offset of the match in the searched text (s[Index:Index+len(Text)]).
	Index int
	// Groups holds capture groups 1..n in pattern order (Groups[0] is $1).
	Groups []Group
}

// Group is one capture group of a match.
type Group struct {
	// Name is the group's name, "" for an unnamed group.
	Name string
	// Text is what the group captured ("" when it did not take part in the match).
	Text string
	// Ok is false when the group did not take part in the match (JavaScript undefined).
	Ok bool
}

// Compile compiles pattern with JavaScript flags, a subset of "gimsuy". The g flag is
// remembered (Global) rather than passed to the engine: in JavaScript it is a property
// of the caller's loop, not of the pattern.
func Compile(pattern, flags string) (*Regexp, error) {
	return CompileTimeout(pattern, flags, DefaultTimeout)
}

// CompileTimeout is Compile with a search timeout other than DefaultTimeout.
func CompileTimeout(pattern, flags string, timeout time.Duration) (*Regexp, error) {
	opts := regexp2.ECMAScript
	r := &Regexp{pattern: pattern, flags: flags}
	seen := map[rune]bool{}
	for _, f := range flags {
		if seen[f] {
			return nil, &SyntaxError{pattern, flags, fmt.Sprintf("flag %q given twice", f)}
		}
		seen[f] = true
		switch f {
		case 'g':
			r.global = true
		case 'i':
			opts |= regexp2.IgnoreCase
		case 'm':
			opts |= regexp2.Multiline
		case 's':
			opts |= regexp2.Singleline
		case 'u':
			opts |= regexp2.Unicode
		case 'y':
			r.sticky = true
		default:
			return nil, &SyntaxError{pattern, flags, fmt.Sprintf("unknown flag %q (allowed: g, i, m, s, u, y)", f)}
		}
	}
	re, err := regexp2.Compile(pattern, opts)
	if err != nil {
		reason := strings.TrimPrefix(err.Error(), "error parsing regexp: ")
		return nil, &SyntaxError{pattern, flags, reason}
	}
	re.MatchTimeout = timeout
	r.re = re
	// Group numbers are dense 0..n in ECMAScript mode; names of unnamed groups are
	// empty or their number, depending on the engine version, so digits mean unnamed.
	for _, num := range re.GetGroupNumbers() {
		if num == 0 {
			continue
		}
		name := re.GroupNameFromNumber(num)
		if _, err := strconv.Atoi(name); err == nil {
			name = ""
		}
		if name != "" {
			r.named = true
		}
		r.groups = append(r.groups, name)
	}
	return r, nil
}

// MustCompile is Compile for patterns fixed in code; it panics on a bad pattern.
func MustCompile(pattern, flags string) *Regexp {
	r, err := Compile(pattern, flags)
	if err != nil {
		panic(err)
	}
	return r
}

// ParseLiteral splits a JavaScript regex literal: "/\d+/g" gives `\d+`, "g". ok is false
// when s is not a literal (no leading slash, empty pattern, or anything after the last
// slash that is not a set of distinct flags from "gimsuy"); callers then treat s as
// plain text, so "/usr/local" stays a path.
func ParseLiteral(s string) (pattern, flags string, ok bool) {
	if len(s) < 3 || s[0] != '/' {
		return "", "", false
	}
	end := strings.LastIndexByte(s, '/')
	if end <= 1 {
		return "", "", false
	}
	flags = s[end+1:]
	for i, f := range flags {
		if !strings.ContainsRune("gimsuy", f) || strings.ContainsRune(flags[:i], f) {
			return "", "", false
		}
	}
	return s[1:end], flags, true
}

// String returns the regex as a JavaScript literal, /pattern/flags.
func (r *Regexp) String() string { return "/" + r.pattern + "/" + r.flags }

// Pattern returns the source pattern.
func (r *Regexp) Pattern() string { return r.pattern }

// Flags returns the flags as given to Compile.
func (r *Regexp) Flags() string { return r.flags }

// Global reports whether the g flag was given.
func (r *Regexp) Global() bool { return r.global }

// GroupNames returns the name of each capture group 1..n in pattern order ("" for
// unnamed groups); its length is the number of groups.
func (r *Regexp) GroupNames() []string { return append([]string(nil), r.groups...) }

// MatchString reports whether the pattern matches somewhere in s (RegExp.test, ignoring
// lastIndex; with the y flag only a match at the start counts).
func (r *Regexp) MatchString(s string) (bool, error) { return r.MatchStringIn(nil, s) }

// MatchStringIn is MatchString within a run's limits: the search counts against the
// run's regex budget (limits.Run.RegexBudget) and may take at most what is left of it;
// a nil run means no budget, only the regex's own timeout.
func (r *Regexp) MatchStringIn(run *limits.Run, s string) (bool, error) {
	if r.sticky {
		ms, err := r.FindAllIn(run, s, 1)
		return len(ms) > 0, err
	}
	if run == nil {
		ok, err := r.re.MatchString(s)
		if err != nil {
			return false, r.searchError(err)
		}
		return ok, nil
	}
	re, budgeted, err := r.engine(run)
	if err != nil {
		return false, err
	}
	start := time.Now()
	ok, err := re.MatchString(s)
	run.SpendRegex(time.Since(start))
	if err != nil {
		return false, r.budgetError(run, err, budgeted)
	}
	return ok, nil
}

// FindAll returns up to limit successive non-overlapping matches (all when limit < 0),
// as String.prototype.matchAll does; the g flag does not matter here. After an empty
// match the search moves on by one character. With the y flag each match must start
// where the previous one ended (the first at 0).
func (r *Regexp) FindAll(s string, limit int) ([]*Match, error) { return r.FindAllIn(nil, s, limit) }

// FindAllIn is FindAll within a run's limits (see MatchStringIn); more matches than the
// run's maxArrayItems are refused, as each match becomes an item or a bundle.
func (r *Regexp) FindAllIn(run *limits.Run, s string, limit int) ([]*Match, error) {
	var out []*Match
	err := r.each(run, s, limit, func(m *regexp2.Match) error {
		out = append(out, r.convert(m))
		if run != nil && int64(len(out)) > run.MaxArrayItems {
			return run.Items(len(out), "the matches of "+r.String())
		}
		return nil
	})
	return out, err
}

// each calls fn for up to limit successive matches (all when limit < 0); an error from
// fn stops the search. With a run, every search counts against the run's regex budget
// and may take at most what is left of it.
func (r *Regexp) each(run *limits.Run, s string, limit int, fn func(*regexp2.Match) error) error {
	if limit == 0 {
		return nil
	}
	var m *regexp2.Match
	next := 0 // rune index where a sticky match must start
	for n := 0; ; n++ {
		var err error
		if m, err = r.search(run, s, m); err != nil {
			return err
		}
		if m == nil || (r.sticky && m.RuneIndex != next) {
			return nil
		}
		if err := fn(m); err != nil {
			return err
		}
		if limit > 0 && n+1 >= limit {
			return nil
		}
		next = m.RuneIndex + m.RuneLength
		if m.RuneLength == 0 {
			next++ // JavaScript's AdvanceStringIndex after an empty match
		}
	}
}

// search finds the first match in s (prev nil) or the one after prev, within the run's
// regex budget when there is a run.
func (r *Regexp) search(run *limits.Run, s string, prev *regexp2.Match) (*regexp2.Match, error) {
	re, budgeted := r.re, false
	var start time.Time
	if run != nil {
		var err error
		if re, budgeted, err = r.engine(run); err != nil {
			return nil, err
		}
		start = time.Now()
	}
	var m *regexp2.Match
	var err error
	if prev == nil {
		m, err = re.FindStringMatch(s)
	} else {
		m, err = re.FindNextMatch(prev)
	}
	if run == nil {
		if err != nil {
			return nil, r.searchError(err)
		}
		return m, nil
	}
	run.SpendRegex(time.Since(start))
	if err != nil {
		return nil, r.budgetError(run, err, budgeted)
	}
	return m, nil
}

// engine returns the regexp2 engine for a run's next search: the compiled one when the
// run's budget leaves more than its timeout, else a shallow copy whose timeout is what
// is left (budgeted). A copy shares the compiled program and the runner pool; only the
// timeout differs, so a search never runs past the run's budget.
func (r *Regexp) engine(run *limits.Run) (*regexp2.Regexp, bool, error) {
	left, err := run.RegexLeft()
	if err != nil {
		return nil, false, err
	}
	if left >= r.re.MatchTimeout {
		return r.re, false, nil
	}
	cp := *r.re
	cp.MatchTimeout = left
	return &cp, true, nil
}

// budgetError is searchError, except that a search stopped by what was left of the
// run's budget (not by the regex's own timeout) reports the run's regexBudget error.
func (r *Regexp) budgetError(run *limits.Run, err error, budgeted bool) error {
	if budgeted && !errors.Is(err, regexp2.ErrBacktrackingStackLimit) {
		run.ExhaustRegex()
		return run.RegexSpent()
	}
	return r.searchError(err)
}

func (r *Regexp) convert(m *regexp2.Match) *Match {
	idx, _ := m.ByteRange()
	out := &Match{Text: m.String(), Index: idx, Groups: make([]Group, len(r.groups))}
	for i, name := range r.groups {
		g := m.GroupByNumber(i + 1)
		out.Groups[i].Name = name
		if g != nil && len(g.Captures) > 0 {
			out.Groups[i].Text = g.String()
			out.Groups[i].Ok = true
		}
	}
	return out
}

// searchError names the pattern on a timeout or backtracking-limit failure.
func (r *Regexp) searchError(err error) error {
	if errors.Is(err, regexp2.ErrBacktrackingStackLimit) {
		return fmt.Errorf("search with %s: %w", r, ErrTooComplex)
	}
	// regexp2 reports a timeout as an untyped error whose text quotes the whole input;
	// anything else it returns is a timeout too (its docs: other errors are bugs).
	return fmt.Errorf("search with %s: %w (limit %v)", r, ErrTimeout, r.re.MatchTimeout)
}
