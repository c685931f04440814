package iml

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Operator precedence, lowest first (docs/mapping.md "Precedence"). All binary
// operators are left-associative.
const (
	precOr  = 1 // |  or
	precAnd = 2 // &  and
	precEq  = 3 // =  !=
	precCmp = 4 // <  <=  >  >=
	precAdd = 5 // +  -
	precMul = 6 // *  /  %  mod
)

// keywords maps the lower-cased keyword to its value. Keywords are matched without
// regard to case (Fusion writes executionID).
var keywords = map[string]node{
	"true":           &constNode{true},
	"false":          &constNode{false},
	"null":           &constNode{nil},
	"ignore":         &constNode{Ignore},
	"erase":          &constNode{nil},
	"emptystring":    &constNode{""},
	"space":          &constNode{" "},
	"nbsp":           &constNode{"\u00a0"},
	"tab":            &constNode{"\t"},
	"newline":        &constNode{"\n"},
	"carriagereturn": &constNode{"\r"},
	"pi":             &constNode{math.Pi},
	"now":            &keywordNode{kwNow},
	"timestamp":      &keywordNode{kwTimestamp},
	"random":         &keywordNode{kwRandom},
	"uuid":           &keywordNode{kwUUID},
	"emptyarray":     &keywordNode{kwEmptyArray},
	"executionid":    &keywordNode{kwExecutionID},
}

// IsKeyword reports whether name is a keyword of the language (any case).
func IsKeyword(name string) bool {
	_, ok := keywords[strings.ToLower(name)]
	return ok
}

// maxDepth bounds nesting so a hostile template cannot exhaust the stack.
const maxDepth = 200

type parser struct {
	lx      lexer
	open    int // offset of the "{{" being parsed
	tok     token
	depth   int
	refs    []offRef
	unknown []string
	notes   []Note
	// inArg counts the function arguments being parsed around the current token: a
	// bare word inside one is text, not an unknown name (docs/mapping.md, "Tolerant
	// reading").
	inArg int
	// words counts bare words read as text; data counts module references and
	// variables. An argument with words and no data is read whole as its text.
	words, data int
	// fatal is set by errors no tolerant reading may hide: the nesting limit, an
	// unknown function (Make fails on it whatever surrounds the call), a function's
	// constant argument it cannot use (an invalid regular expression).
	fatal bool
	// quotes is the template's table of where a string whose contents start at i ends
	// (see closingQuote), shared by the parsers of its segments and made on the first
	// argument read as text that holds a quote.
	quotes *[]int32
}

// Note is something a template does that Make tolerates but that is likely a mistake:
// an argument that is not an expression and is read as text, a call with fewer or more
// arguments than the function takes. Offset is a byte offset in the template's source.
// The template compiles and runs; a validator reports notes as warnings.
type Note struct {
	Offset int
	Msg    string
}

func (p *parser) note(off int, format string, args ...any) {
	p.notes = append(p.notes, Note{Offset: off, Msg: fmt.Sprintf(format, args...)})
}

// mark is the parser's state at the start of an argument, to read it again as text.
type mark struct {
	pos                               int
	tok                               token
	refs, unknown, notes, words, data int
}

func (p *parser) mark() mark {
	return mark{pos: p.lx.pos, tok: p.tok, refs: len(p.refs), unknown: len(p.unknown),
		notes: len(p.notes), words: p.words, data: p.data}
}

func (p *parser) reset(m mark) {
	p.lx.pos, p.tok = m.pos, m.tok
	p.refs, p.unknown, p.notes = p.refs[:m.refs], p.unknown[:m.unknown], p.notes[:m.notes]
	p.words, p.data = m.words, m.data
}

// offRef is a module reference with the offset where it starts, to report refs in
// source order.
type offRef struct {
	off int
	Ref
}

func (p *parser) advance() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

// advanceArg is advance where a function argument starts: a character the language
// does not have (a quote ', a backslash) is not an error there but a tBad token, so the
// argument can be read as text.
func (p *parser) advanceArg() error {
	t, err := p.lx.next()
	if err != nil {
		t.kind = tBad
	}
	p.tok = t
	return nil
}

func (p *parser) errorf(off int, format string, args ...any) *SyntaxError {
	return p.lx.errorf(off, format, args...)
}

// segment parses one expression starting after "{{" and consumes the closing "}}".
func (p *parser) segment(open int) (node, error) {
	p.open = open
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tClose {
		return nil, p.errorf(open, "empty expression {{}}")
	}
	n, err := p.expr()
	if err != nil {
		return nil, err
	}
	switch p.tok.kind {
	case tClose:
		return n, nil
	case tEOF:
		return nil, p.errorf(open, "missing }} to close the expression opened here")
	}
	return nil, p.errorf(p.tok.off, "expected }} or an operator, found %s", describe(p.tok))
}

func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "the end of the text"
	case tClose:
		return "}}"
	case tNumber:
		return "number " + t.text
	case tString:
		return "a string"
	case tIdent:
		return strconv.Quote(t.text)
	case tBacktick:
		return "`" + t.text + "`"
	case tDot:
		return "."
	case tLBracket:
		return "["
	case tRBracket:
		return "]"
	case tLParen:
		return "("
	case tRParen:
		return ")"
	case tSemi:
		return ";"
	case tOp:
		return "operator " + t.text
	case tBad:
		return "a character the language does not have"
	}
	return "?"
}

func (p *parser) expr() (node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		p.fatal = true
		return nil, p.errorf(p.tok.off, "expression nested too deeply (more than %d levels)", maxDepth)
	}
	return p.binary(precOr)
}

// infix returns the binary operator at the current token and its precedence (0 when
// the token is not a binary operator). The words and, or, mod are aliases of &, |, %.
func (p *parser) infix() (string, int) {
	t := p.tok
	switch t.kind {
	case tOp:
		switch t.text {
		case "|":
			return "|", precOr
		case "&":
			return "&", precAnd
		case "=", "!=":
			return t.text, precEq
		case "<", "<=", ">", ">=":
			return t.text, precCmp
		case "+", "-":
			return t.text, precAdd
		case "*", "/", "%":
			return t.text, precMul
		}
	case tIdent:
		switch strings.ToLower(t.text) {
		case "or":
			return "|", precOr
		case "and":
			return "&", precAnd
		case "mod":
			return "%", precMul
		}
	}
	return "", 0
}

func (p *parser) binary(min int) (node, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		op, prec := p.infix()
		if prec == 0 || prec < min {
			return left, nil
		}
		off := p.tok.off
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := p.binary(prec + 1)
		if err != nil {
			return nil, err
		}
		left = newBinary(op, left, right, off)
	}
}

func (p *parser) unary() (node, error) {
	if p.tok.kind == tOp && p.tok.text == "-" {
		off := p.tok.off
		if err := p.advance(); err != nil {
			return nil, err
		}
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			p.fatal = true
			return nil, p.errorf(off, "expression nested too deeply (more than %d levels)", maxDepth)
		}
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		if c, ok := x.(*constNode); ok {
			if f, ok := c.v.(float64); ok {
				return &constNode{-f}, nil
			}
		}
		return &negNode{x: x, off: off}, nil
	}
	return p.primary()
}

func (p *parser) primary() (node, error) {
	t := p.tok
	switch t.kind {
	case tNumber:
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind == tDot && !p.tok.ws && isDigits(t.text) {
			id, err := strconv.Atoi(t.text)
			if err != nil {
				return nil, p.errorf(t.off, "module id %s is too large", t.text)
			}
			return p.moduleRef(t.off, id)
		}
		return &constNode{t.num}, nil
	case tString:
		if err := p.advance(); err != nil {
			return nil, err
		}
		return &constNode{t.text}, nil
	case tBacktick:
		if err := p.advance(); err != nil {
			return nil, err
		}
		if isDigits(t.text) {
			id, err := strconv.Atoi(t.text)
			if err != nil {
				return nil, p.errorf(t.off, "module id %s is too large", t.text)
			}
			return p.moduleRef(t.off, id)
		}
		p.unknown = append(p.unknown, t.text)
		return p.postfix(&refNode{root: rootName})
	case tIdent:
		return p.ident()
	case tLParen:
		if err := p.advance(); err != nil {
			return nil, err
		}
		n, err := p.expr()
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tRParen {
			return nil, p.errorf(p.tok.off, "expected ) to close the ( at offset %d, found %s", t.off, describe(p.tok))
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		return p.postfixValue(n)
	case tEOF:
		return nil, p.errorf(p.open, "missing }} to close the expression opened here")
	}
	return nil, p.errorf(t.off, "expected a value, found %s", describe(t))
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (p *parser) ident() (node, error) {
	t := p.tok
	if err := p.advance(); err != nil {
		return nil, err
	}
	lower := strings.ToLower(t.text)
	if p.tok.kind == tLParen {
		return p.call(t, lower)
	}
	if lower == "var" && p.tok.kind == tDot {
		p.data++
		n := &refNode{root: rootVar}
		if err := p.path(n); err != nil {
			return nil, err
		}
		if len(n.steps) == 0 || n.steps[0].idx != nil || n.steps[0].first {
			return nil, p.errorf(t.off, "var must be followed by a variable group such as var.scenario")
		}
		return n, nil
	}
	if kw, ok := keywords[lower]; ok {
		return p.postfixValue(kw)
	}
	switch lower {
	case "and", "or", "mod":
		return nil, p.errorf(t.off, "operator %s needs a value on its left", t.text)
	}
	if p.inArg > 0 {
		return p.word(t)
	}
	// An unknown bare name (a placeholder such as {{airtableBaseId}} in a published
	// blueprint) is a reference to nothing: it evaluates to empty, like a missing field.
	p.unknown = append(p.unknown, t.text)
	return p.postfix(&refNode{root: rootName})
}

// word reads a bare word inside a function argument as text, the way Make's mapping
// panel writes text arguments (formatDate(1.date; YYYY-MM-DD), get(1.user;
// address.city)). Dots glued to the word belong to it: DD.MM.YYYY is one word.
func (p *parser) word(t token) (node, error) {
	end := t.end
	for p.tok.kind == tDot && !p.tok.ws {
		save := p.mark()
		if err := p.advance(); err != nil {
			return nil, err
		}
		if (p.tok.kind == tIdent || p.tok.kind == tNumber) && !p.tok.ws {
			end = p.tok.end
			if err := p.advance(); err != nil {
				return nil, err
			}
			continue
		}
		p.reset(save)
		break
	}
	p.words++
	return p.postfixValue(&constNode{p.lx.src[t.off:end]})
}

// call parses name(arg; arg; …) with the current token on "(".
func (p *parser) call(name token, lower string) (node, error) {
	fn := funcs[lower]
	if fn == nil {
		p.fatal = true
		if _, ok := keywords[lower]; ok {
			return nil, p.errorf(name.off, "unknown function %s (%s is a keyword: write it without parentheses)", name.text, name.text)
		}
		return nil, p.errorf(name.off, "unknown function %s", name.text)
	}
	open := p.tok.off
	if err := p.advanceArg(); err != nil {
		return nil, err
	}
	args, err := p.arguments(name, open)
	if err != nil {
		return nil, err
	}
	// Make evaluates a call with a wrong number of arguments as JavaScript does: a
	// missing argument is empty, an extra one is ignored (and not evaluated).
	if len(args) < fn.min {
		p.note(name.off, "%s takes %s, got %d: the missing ones are empty", fn.name, fn.arity(), len(args))
		for len(args) < fn.min {
			args = append(args, &constNode{nil})
		}
	}
	if fn.max >= 0 && len(args) > fn.max {
		p.note(name.off, "%s takes %s, got %d: the extra ones are ignored", fn.name, fn.arity(), len(args))
		args = args[:fn.max]
	}
	c := &callNode{fn: fn, args: args, off: name.off}
	if fn.prepare != nil {
		if err := fn.prepare(c); err != nil {
			p.fatal = true
			return nil, p.errorf(name.off, "%s: %v", fn.name, err)
		}
	}
	return p.postfixValue(fold(c))
}

// arguments parses the arguments of a call up to its ")"; the current token is the
// one after the "(" at offset open.
func (p *parser) arguments(name token, open int) ([]node, error) {
	p.inArg++
	defer func() { p.inArg-- }()
	var args []node
	if p.tok.kind == tRParen {
		if err := p.advance(); err != nil {
			return nil, err
		}
	} else {
		for {
			// An empty argument (f(a; ; c)) is an omitted optional value.
			var arg node = &constNode{nil}
			if p.tok.kind != tSemi && p.tok.kind != tRParen {
				a, err := p.argument(name, len(args)+1, open)
				if err != nil {
					return nil, err
				}
				arg = a
			}
			args = append(args, arg)
			if p.tok.kind == tSemi {
				if err := p.advanceArg(); err != nil {
					return nil, err
				}
				continue
			}
			if p.tok.kind == tRParen {
				if err := p.advance(); err != nil {
					return nil, err
				}
				break
			}
			if p.tok.kind == tEOF || p.tok.kind == tClose {
				return nil, p.errorf(open, "missing ) to close %s(", name.text)
			}
			return nil, p.errorf(p.tok.off, "expected ; or ) in the arguments of %s, found %s", name.text, describe(p.tok))
		}
	}
	return args, nil
}

// moduleRef parses the path after a module id (the current token is the first "." or
// whatever follows `3`).
func (p *parser) moduleRef(off, id int) (node, error) {
	p.data++
	n := &refNode{root: rootModule, module: id}
	if err := p.path(n); err != nil {
		return nil, err
	}
	r := Ref{Module: id}
	for _, s := range n.steps {
		if s.idx == nil && !s.first {
			r.Path = append(r.Path, s.key)
		}
	}
	p.refs = append(p.refs, offRef{off: off, Ref: r})
	return n, nil
}

// postfix parses a path after a name and returns the reference.
func (p *parser) postfix(n *refNode) (node, error) {
	if err := p.path(n); err != nil {
		return nil, err
	}
	return n, nil
}

// postfixValue parses .key and [index] after a computed value (a call, a parenthesised
// expression or a keyword); without them the value is returned as is.
func (p *parser) postfixValue(base node) (node, error) {
	if p.tok.kind != tLBracket && !(p.tok.kind == tDot && !p.tok.ws) {
		return base, nil
	}
	n := &refNode{root: rootValue, base: base}
	if err := p.path(n); err != nil {
		return nil, err
	}
	return n, nil
}

// path parses .key, .`key`, [expr] and [] steps.
func (p *parser) path(n *refNode) error {
	for {
		switch {
		case p.tok.kind == tDot:
			dot := p.tok.off
			if err := p.advance(); err != nil {
				return err
			}
			switch p.tok.kind {
			case tIdent, tBacktick:
				n.steps = append(n.steps, step{key: p.tok.text})
			case tNumber:
				if !isDigits(p.tok.text) {
					return p.errorf(p.tok.off, "field name %s needs backticks", p.tok.text)
				}
				n.steps = append(n.steps, step{key: p.tok.text})
			default:
				return p.errorf(dot, "expected a field name after ., found %s", describe(p.tok))
			}
			if err := p.advance(); err != nil {
				return err
			}
		case p.tok.kind == tLBracket:
			open := p.tok.off
			if err := p.advance(); err != nil {
				return err
			}
			if p.tok.kind == tRBracket {
				n.steps = append(n.steps, step{first: true})
			} else {
				idx, err := p.expr()
				if err != nil {
					return err
				}
				if p.tok.kind != tRBracket {
					return p.errorf(open, "missing ] to close the index opened here")
				}
				n.steps = append(n.steps, step{idx: idx})
			}
			if err := p.advance(); err != nil {
				return err
			}
		default:
			return nil
		}
	}
}

// argument parses one function argument. An argument that is not an expression of the
// language, or is made only of bare words and operators (YYYY-MM-DD), is read as text:
// its characters up to the next ; or ) of the call, without surrounding white space.
// Make reads such arguments as text; the first kind is noted (a likely mistake, such as
// 'single quotes' or JavaScript syntax), the second is the panel's usual notation.
func (p *parser) argument(fn token, n, open int) (node, error) {
	start := p.tok.off
	parsed := false
	if p.tok.kind != tBad {
		m := p.mark()
		x, err := p.expr()
		if p.fatal {
			return nil, err
		}
		parsed = err == nil && (p.tok.kind == tSemi || p.tok.kind == tRParen)
		if parsed && (p.words == m.words || p.data > m.data) {
			return x, nil
		}
		p.reset(m)
	}
	text, end, err := p.rawArgument(start, fn, open)
	if err != nil {
		return nil, err
	}
	p.lx.pos = end
	if err := p.advance(); err != nil {
		return nil, err
	}
	if !parsed {
		p.note(start, "argument %d of %s is not an expression of the mapping language; it is read as the text %s",
			n, fn.text, shortQuote(text))
	}
	return &constNode{text}, nil
}

// rawArgument finds where an argument read as text ends: at the next ; or ) of its
// call. Double-quoted strings and balanced parentheses inside it are skipped over, a
// backslash escapes the character after it, and an argument that starts as a regular
// expression literal (/a;b/g) ends after its flags. The end is the offset of the ;
// or ).
func (p *parser) rawArgument(start int, fn token, open int) (string, int, error) {
	src := p.lx.src
	missing := func() (string, int, error) {
		return "", 0, p.errorf(open, "missing ) to close %s(", fn.text)
	}
	if end, ok := regexLiteralEnd(src, start); ok {
		j := end
		for j < len(src) && (src[j] == ' ' || src[j] == '\t' || src[j] == '\n' || src[j] == '\r') {
			j++
		}
		if j < len(src) && (src[j] == ';' || src[j] == ')') {
			return src[start:end], j, nil
		}
	}
	depth := 0
	for i := start; i < len(src); i++ {
		switch src[i] {
		case '"':
			if j := p.closingQuote(i); j > 0 {
				i = j
			}
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			if depth == 0 {
				return strings.TrimSpace(src[start:i]), i, nil
			}
			depth--
		case ';':
			if depth == 0 {
				return strings.TrimSpace(src[start:i]), i, nil
			}
		case '}':
			if i+1 < len(src) && src[i+1] == '}' {
				return missing()
			}
		}
	}
	return missing()
}

// closingQuote returns the offset of the quote that closes the string opening at i
// ("" inside is a quote), or -1 when it is never closed. The answers for every offset
// are computed once, from the end of the source, so a template full of unmatched
// quotes is still read in linear time.
func (p *parser) closingQuote(i int) int {
	src := p.lx.src
	if p.quotes == nil {
		p.quotes = new([]int32)
	}
	q := *p.quotes
	if q == nil {
		q = make([]int32, len(src)+2)
		q[len(src)], q[len(src)+1] = -1, -1
		for j := len(src) - 1; j >= 0; j-- {
			switch {
			case src[j] != '"':
				q[j] = q[j+1]
			case j+1 < len(src) && src[j+1] == '"':
				q[j] = q[j+2]
			default:
				q[j] = int32(j)
			}
		}
		*p.quotes = q
	}
	return int(q[i+1])
}

// maxRegexLiteral bounds how far a regular expression literal is looked for, so that
// arguments starting with "/" cost linear time however many there are.
const maxRegexLiteral = 4096

// regexLiteralEnd reports whether a regular expression literal /pattern/flags starts
// at i and where it ends. A / inside a character class or after a backslash does not
// close it.
func regexLiteralEnd(src string, i int) (int, bool) {
	if i >= len(src) || src[i] != '/' {
		return 0, false
	}
	class := false
	for j := i + 1; j < len(src) && j-i < maxRegexLiteral; j++ {
		switch c := src[j]; {
		case c == '\\':
			j++
		case c == '[':
			class = true
		case c == ']':
			class = false
		case c == '\n':
			return 0, false
		case c == '/' && !class:
			if j == i+1 {
				return 0, false // "//" is no pattern
			}
			k := j + 1
			for k < len(src) && src[k] >= 'a' && src[k] <= 'z' {
				k++
			}
			return k, true
		}
	}
	return 0, false
}

// shortQuote quotes text for a message, shortened.
func shortQuote(s string) string {
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return strconv.Quote(s)
}
