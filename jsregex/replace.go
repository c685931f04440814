package jsregex

import (
	"strings"

	"github.com/dlclark/regexp2/v2"
	"github.com/weftworks/weft/limits"
)

// Replace replaces the first match in s (every match when global is true) with repl,
// as JavaScript's String.prototype.replace does with a regex. repl may use JavaScript's
// tokens: $& (the match), $1…$99 (a capture group; a group that did not take part is
// empty), $<name> (a named group, only when the pattern has named groups), $$ (a
// dollar), $` (the text before the match) and $' (the text after it). Anything else
// after a $ is kept literally, as in JavaScript.
//
// global is a parameter rather than r.Global() so callers with a separate "global"
// field (Make's text parser) need not recompile; pass r.Global() for literal semantics.
func (r *Regexp) Replace(s, repl string, global bool) (string, error) {
	return r.ReplaceIn(nil, s, repl, global)
}

// ReplaceIn is Replace within a run's limits: the searches count against the run's
// regex budget (see MatchStringIn) and a result longer than the run's maxTextBytes is
// refused as soon as it grows past it.
func (r *Regexp) ReplaceIn(run *limits.Run, s, repl string, global bool) (string, error) {
	limit := 1
	if global {
		limit = -1
	}
	var b strings.Builder
	last := 0 // byte offset in s up to which text was copied
	matched := false
	err := r.each(run, s, limit, func(m *regexp2.Match) error {
		matched = true
		start, length := m.ByteRange()
		b.WriteString(s[last:start])
		r.expand(&b, repl, s, m, start, start+length)
		last = start + length
		if n := b.Len() + len(s) - last; run != nil && int64(n) > run.MaxTextBytes {
			return run.Text(n, "replacing "+r.String())
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if !matched {
		return s, nil
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

// expand appends repl with its $ tokens resolved for match m = s[start:end]
// (ECMAScript GetSubstitution).
func (r *Regexp) expand(b *strings.Builder, repl, s string, m *regexp2.Match, start, end int) {
	n := len(r.groups)
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		if c != '$' || i+1 == len(repl) {
			b.WriteByte(c)
			continue
		}
		switch d := repl[i+1]; {
		case d == '$':
			b.WriteByte('$')
			i++
		case d == '&':
			b.WriteString(s[start:end])
			i++
		case d == '`':
			b.WriteString(s[:start])
			i++
		case d == '\'':
			b.WriteString(s[end:])
			i++
		case d >= '0' && d <= '9':
			// Two digits win when they name an existing group ($10 with ten groups),
			// else one digit ($1 then a literal 0); $0 and $00 stay literal.
			num, width := int(d-'0'), 1
			if i+2 < len(repl) && repl[i+2] >= '0' && repl[i+2] <= '9' {
				if two := num*10 + int(repl[i+2]-'0'); two >= 1 && two <= n {
					num, width = two, 2
				}
			}
			if num < 1 || num > n {
				b.WriteByte('$')
				continue
			}
			writeGroup(b, m.GroupByNumber(num))
			i += width
		case d == '<' && r.named:
			gt := strings.IndexByte(repl[i+2:], '>')
			if gt < 0 {
				b.WriteByte('$')
				continue
			}
			name := repl[i+2 : i+2+gt]
			if r.hasName(name) {
				writeGroup(b, m.GroupByName(name))
			}
			// An unknown name is replaced by nothing (ECMAScript: undefined → "").
			i += 2 + gt
		default:
			b.WriteByte('$')
		}
	}
}

func (r *Regexp) hasName(name string) bool {
	for _, g := range r.groups {
		if g == name {
			return true
		}
	}
	return false
}

func writeGroup(b *strings.Builder, g *regexp2.Group) {
	if g != nil && len(g.Captures) > 0 {
		b.WriteString(g.String())
	}
}
