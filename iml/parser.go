package iml

import (
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
	}
	return "?"
}

func (p *parser) expr() (node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
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
	// An unknown bare name (a placeholder such as {{airtableBaseId}} in a published
	// blueprint) is a reference to nothing: it evaluates to empty, like a missing field.
	p.unknown = append(p.unknown, t.text)
	return p.postfix(&refNode{root: rootName})
}

// call parses name(arg; arg; …) with the current token on "(".
func (p *parser) call(name token, lower string) (node, error) {
	fn := funcs[lower]
	if fn == nil {
		if _, ok := keywords[lower]; ok {
			return nil, p.errorf(name.off, "unknown function %s (%s is a keyword: write it without parentheses)", name.text, name.text)
		}
		return nil, p.errorf(name.off, "unknown function %s", name.text)
	}
	open := p.tok.off
	if err := p.advance(); err != nil {
		return nil, err
	}
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
				a, err := p.expr()
				if err != nil {
					return nil, err
				}
				arg = a
			}
			args = append(args, arg)
			if p.tok.kind == tSemi {
				if err := p.advance(); err != nil {
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
	if len(args) < fn.min || fn.max >= 0 && len(args) > fn.max {
		return nil, p.errorf(name.off, "%s takes %s, got %d", fn.name, fn.arity(), len(args))
	}
	c := &callNode{fn: fn, args: args, off: name.off}
	if fn.prepare != nil {
		if err := fn.prepare(c); err != nil {
			return nil, p.errorf(name.off, "%s: %v", fn.name, err)
		}
	}
	return p.postfixValue(fold(c))
}

// moduleRef parses the path after a module id (the current token is the first "." or
// whatever follows `3`).
func (p *parser) moduleRef(off, id int) (node, error) {
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
