package blueprint

import (
	"fmt"
	"strconv"
	"strings"
)

// escape encodes one JSON pointer reference token (RFC 6901).
func escape(tok string) string {
	if !strings.ContainsAny(tok, "~/") {
		return tok
	}
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}

// Pointer joins reference tokens into a JSON pointer.
func Pointer(tokens ...string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escape(t))
	}
	return b.String()
}

// path is a JSON pointer built lazily: a module deep in nested routes shares its
// parents' prefix instead of copying it, so locating every module and mapped value
// costs time linear in the blueprint (copying the prefix at every level made
// validation quadratic in the nesting depth); the text is made only when a problem is
// reported. The nil *path is the document root.
type path struct {
	parent *path
	seg    string // one or more reference tokens, escaped, joined by "/"
}

// at appends reference tokens given as known key names (not escaped: callers pass
// literals) or indexes.
func (p *path) at(segs ...any) *path {
	var b strings.Builder
	for i, s := range segs {
		if i > 0 {
			b.WriteByte('/')
		}
		switch x := s.(type) {
		case string:
			b.WriteString(x)
		case int:
			b.WriteString(strconv.Itoa(x))
		default:
			panic(fmt.Sprintf("blueprint: path segment of type %T", s))
		}
	}
	return &path{parent: p, seg: b.String()}
}

// key appends a key taken from the document (escaped).
func (p *path) key(k string) *path { return &path{parent: p, seg: escape(k)} }

// String renders the pointer ("" for the root).
func (p *path) String() string {
	var segs []string
	for ; p != nil; p = p.parent {
		segs = append(segs, p.seg)
	}
	var b strings.Builder
	for i := len(segs) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(segs[i])
	}
	return b.String()
}

// root returns the path of a pointer given as literal tokens.
func root(segs ...any) *path { return (*path)(nil).at(segs...) }
