package iml

import (
	"slices"
	"strings"

	"github.com/weftworks/weft/value"
)

// Template is a compiled mapped value: literal text with {{ … }} expressions. It is
// immutable and safe for concurrent use.
type Template struct {
	src string
	// single is set when the whole source is one {{…}}: the value keeps its type.
	single node
	// parts alternates literal text and expressions otherwise (nil node = literal).
	parts   []part
	konst   bool
	size    int // expected length of the text result, to size its buffer once
	refs    []Ref
	unknown []string
	notes   []Note
}

type part struct {
	lit string
	n   node
}

// ParseTemplate compiles a mapped value. The error is a *SyntaxError whose Offset is a
// byte offset in src.
func ParseTemplate(src string) (*Template, error) {
	t := &Template{src: src}
	if !strings.Contains(src, "{{") {
		t.konst = true
		return t, nil
	}
	var refs []offRef
	var quotes []int32 // shared by the segments' parsers (parser.closingQuote)
	i := 0
	for i < len(src) {
		j := strings.Index(src[i:], "{{")
		if j < 0 {
			t.parts = append(t.parts, part{lit: src[i:]})
			break
		}
		j += i
		// In a run of braces ("{{{1.a}}}" in a JSON body) the expression opens at the
		// last "{{"; the braces before it are text.
		for j+2 < len(src) && src[j+2] == '{' {
			j++
		}
		if j > i {
			t.parts = append(t.parts, part{lit: src[i:j]})
		}
		p := parser{lx: lexer{src: src, pos: j + 2}, quotes: &quotes}
		n, err := p.segment(j)
		if err != nil {
			return nil, err
		}
		t.parts = append(t.parts, part{n: n})
		refs = append(refs, p.refs...)
		t.unknown = append(t.unknown, p.unknown...)
		t.notes = append(t.notes, p.notes...)
		i = p.lx.pos
	}
	if len(t.parts) == 1 && t.parts[0].n != nil {
		t.single = t.parts[0].n
		t.parts = nil
	}
	for _, p := range t.parts {
		t.size += len(p.lit)
		if p.n != nil {
			t.size += 16
		}
	}
	t.refs = dedupeRefs(refs)
	return t, nil
}

// MustParseTemplate is ParseTemplate for templates fixed in code; it panics on error.
func MustParseTemplate(src string) *Template {
	t, err := ParseTemplate(src)
	if err != nil {
		panic(err)
	}
	return t
}

func dedupeRefs(refs []offRef) []Ref {
	if len(refs) == 0 {
		return nil
	}
	slices.SortStableFunc(refs, func(a, b offRef) int { return a.off - b.off })
	out := make([]Ref, 0, len(refs))
	for _, r := range refs {
		if !slices.ContainsFunc(out, func(o Ref) bool {
			return o.Module == r.Module && slices.Equal(o.Path, r.Path)
		}) {
			out = append(out, r.Ref)
		}
	}
	return out
}

// Eval evaluates the template. A template that is exactly one {{…}} yields the
// expression's value with its type (arrays, collections, numbers, dates, Ignore);
// anything else yields text. The error is an *EvalError.
func (t *Template) Eval(env *Env) (any, error) {
	if env == nil {
		env = &zeroEnv
	}
	if t.konst {
		return t.src, nil
	}
	if t.single != nil {
		return t.single.eval(env)
	}
	var b strings.Builder
	b.Grow(t.size)
	for _, p := range t.parts {
		if p.n == nil {
			b.WriteString(p.lit)
			continue
		}
		v, err := p.n.eval(env)
		if err != nil {
			return nil, err
		}
		if isIgnore(v) {
			continue
		}
		if env.Limits != nil {
			if err := env.Limits.AsText(v, "the template"); err != nil {
				return nil, err
			}
		}
		appendText(&b, v)
		if env.Limits != nil {
			if err := env.Limits.Text(b.Len(), "the template"); err != nil {
				return nil, err
			}
		}
	}
	return b.String(), nil
}

// appendText writes a value's text form without allocating for the common scalars.
func appendText(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
	case string:
		b.WriteString(x)
	default:
		b.WriteString(value.Text(v))
	}
}

// Refs lists the module references of the template in source order, without duplicates.
func (t *Template) Refs() []Ref { return slices.Clone(t.refs) }

// Const returns the value of a template without {{…}}: its text.
func (t *Template) Const() (any, bool) {
	if t.konst {
		return t.src, true
	}
	return nil, false
}

// Source returns the template's source text.
func (t *Template) Source() string { return t.src }

// Notes lists what the template does that Make tolerates but that is likely a
// mistake (an argument read as text, a call with a wrong number of arguments), in
// source order. A validator may warn about them.
func (t *Template) Notes() []Note { return slices.Clone(t.notes) }

// UnknownNames lists bare names that are neither keywords nor references (such as a
// placeholder {{airtableBaseId}}); they evaluate to empty. A validator may warn about them.
func (t *Template) UnknownNames() []string { return slices.Clone(t.unknown) }
