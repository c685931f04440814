package iml

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind is the kind of a lexical token inside {{ … }}.
type tokKind uint8

const (
	tEOF      tokKind = iota // end of the source: the segment was never closed
	tClose                   // }}
	tNumber                  // 12, 1.5
	tString                  // "text" with "" for a quote
	tIdent                   // name, keyword, function name, path segment
	tBacktick                // `Customer Name`
	tDot                     // .
	tLBracket                // [
	tRBracket                // ]
	tLParen                  // (
	tRParen                  // )
	tSemi                    // ;
	tOp                      // = != < <= > >= + - * / % & |
	tBad                     // a character the language does not have, where an argument starts
)

type token struct {
	kind tokKind
	off  int    // byte offset of the token in the template source
	end  int    // byte offset just after the token
	text string // identifier, operator, string contents (unquoted), number text
	num  float64
	ws   bool // whitespace preceded the token
}

// lexer scans the expression inside one {{ … }} segment.
type lexer struct {
	src string
	pos int
}

func (l *lexer) errorf(off int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// isIdentStart reports whether r may start an identifier or a path segment. `$` is
// allowed because Make names regex groups $1…$9 (text parser output {{2.$1}}).
func isIdentStart(r rune) bool {
	return r == '_' || r == '$' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' ||
		r >= utf8.RuneSelf && unicode.IsLetter(r)
}

func isIdentPart(r rune) bool {
	return isIdentStart(r) || r >= '0' && r <= '9' ||
		r >= utf8.RuneSelf && (unicode.IsDigit(r) || unicode.Is(unicode.Mn, r))
}

// next returns the next token.
func (l *lexer) next() (token, error) {
	t, err := l.scan()
	t.end = l.pos
	return t, err
}

// scan reads the next token; next records where it ends.
func (l *lexer) scan() (token, error) {
	start := l.pos
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			l.pos++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(l.src[l.pos:])
			if unicode.IsSpace(r) {
				l.pos += size
				continue
			}
		}
		break
	}
	tok := token{off: l.pos, ws: l.pos > start}
	if l.pos >= len(l.src) {
		tok.kind = tEOF
		return tok, nil
	}
	c := l.src[l.pos]
	switch {
	case c == '}':
		if strings.HasPrefix(l.src[l.pos:], "}}") {
			l.pos += 2
			tok.kind = tClose
			return tok, nil
		}
		return tok, l.errorf(l.pos, "unexpected }")
	case c >= '0' && c <= '9':
		return l.number(tok)
	case c == '"':
		return l.str(tok)
	case c == '`':
		end := strings.IndexByte(l.src[l.pos+1:], '`')
		if end < 0 {
			return tok, l.errorf(l.pos, "unterminated backtick name")
		}
		tok.kind = tBacktick
		tok.text = l.src[l.pos+1 : l.pos+1+end]
		l.pos += end + 2
		return tok, nil
	case c == '.':
		l.pos++
		tok.kind = tDot
		return tok, nil
	case c == '[':
		l.pos++
		tok.kind = tLBracket
		return tok, nil
	case c == ']':
		l.pos++
		tok.kind = tRBracket
		return tok, nil
	case c == '(':
		l.pos++
		tok.kind = tLParen
		return tok, nil
	case c == ')':
		l.pos++
		tok.kind = tRParen
		return tok, nil
	case c == ';':
		l.pos++
		tok.kind = tSemi
		return tok, nil
	case c == '!':
		if strings.HasPrefix(l.src[l.pos:], "!=") {
			l.pos += 2
			tok.kind, tok.text = tOp, "!="
			return tok, nil
		}
		return tok, l.errorf(l.pos, "unexpected ! (Make has no negation operator; use != or if())")
	case c == '<' || c == '>':
		tok.kind = tOp
		if l.pos+1 < len(l.src) && l.src[l.pos+1] == '=' {
			tok.text = l.src[l.pos : l.pos+2]
			l.pos += 2
		} else {
			tok.text = l.src[l.pos : l.pos+1]
			l.pos++
		}
		return tok, nil
	case c == '=' || c == '+' || c == '-' || c == '*' || c == '/' || c == '%' || c == '&' || c == '|':
		tok.kind = tOp
		tok.text = l.src[l.pos : l.pos+1]
		l.pos++
		return tok, nil
	}
	r, size := utf8.DecodeRuneInString(l.src[l.pos:])
	if isIdentStart(r) {
		end := l.pos + size
		for end < len(l.src) {
			r, size := utf8.DecodeRuneInString(l.src[end:])
			if !isIdentPart(r) {
				break
			}
			end += size
		}
		tok.kind = tIdent
		tok.text = l.src[l.pos:end]
		l.pos = end
		return tok, nil
	}
	if r == utf8.RuneError && size == 1 {
		return tok, l.errorf(l.pos, "invalid UTF-8")
	}
	return tok, l.errorf(l.pos, "unexpected character %q", r)
}

// number scans digits with an optional fraction. A dot is part of the number only when
// a digit follows it, so 1.email is module 1 followed by .email.
func (l *lexer) number(tok token) (token, error) {
	end := l.pos
	for end < len(l.src) && l.src[end] >= '0' && l.src[end] <= '9' {
		end++
	}
	if end+1 < len(l.src) && l.src[end] == '.' && l.src[end+1] >= '0' && l.src[end+1] <= '9' {
		end++
		for end < len(l.src) && l.src[end] >= '0' && l.src[end] <= '9' {
			end++
		}
	}
	text := l.src[l.pos:end]
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return tok, l.errorf(l.pos, "invalid number %q", text)
	}
	l.pos = end
	tok.kind, tok.text, tok.num = tNumber, text, f
	return tok, nil
}

// str scans a double-quoted string. A quote inside is written twice (""); backslashes
// are literal characters, so "\n" is a backslash and an n and "/\d+/g" reaches the regex
// engine unchanged (docs/mapping.md, Decisions).
func (l *lexer) str(tok token) (token, error) {
	i := l.pos + 1
	var b strings.Builder
	plain := true
	segStart := i
	for {
		j := strings.IndexByte(l.src[i:], '"')
		if j < 0 {
			return tok, l.errorf(l.pos, "unterminated string")
		}
		i += j
		if i+1 < len(l.src) && l.src[i+1] == '"' {
			plain = false
			b.WriteString(l.src[segStart : i+1])
			i += 2
			segStart = i
			continue
		}
		break
	}
	if plain {
		tok.text = l.src[segStart:i]
	} else {
		b.WriteString(l.src[segStart:i])
		tok.text = b.String()
	}
	l.pos = i + 1
	tok.kind = tString
	return tok, nil
}
