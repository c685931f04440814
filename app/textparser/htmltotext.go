package textparser

import (
	"context"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

var htmlToTextSpec = app.Spec{
	Name: "regexp:HTMLToText", Label: "HTML to text",
	Timeout: noDeadline,
	Help: "Renders HTML as plain text: blocks and <br> become line breaks, list items get " +
		`"* " or "1. ", links read "text [url]", entities are decoded, scripts and styles dropped.`,
	Mapper: []app.Field{
		{Name: "html", Label: "HTML", Type: app.TypeText},
		{Name: "newline", Label: "Line break", Type: app.TypeSelect, Required: true,
			Options: []string{"lf", "crlf", "cr"}, Default: "lf"},
		{Name: "uppercaseHeadings", Label: "Uppercase headings", Type: app.TypeBoolean, Default: false},
	},
	New: func(app.Config) (app.Module, error) {
		return app.ModuleFunc(func(_ context.Context, c *app.Call) ([]weft.Bundle, error) {
			nl := map[string]string{"lf": "\n", "crlf": "\r\n", "cr": "\r"}[value.Text(c.Input["newline"])]
			if nl == "" {
				nl = "\n"
			}
			text := HTMLToText(value.Text(c.Input["html"]), value.Bool(c.Input["uppercaseHeadings"]))
			if nl != "\n" {
				text = strings.ReplaceAll(text, "\n", nl)
			}
			return []weft.Bundle{{"text": text}}, nil
		}), nil
	},
}

// HTMLToText renders HTML (a document or a fragment; malformed markup is repaired the
// way browsers do) as plain text with "\n" line breaks:
//
//   - white space collapses as in a browser, except inside <pre>; &nbsp; is a space;
//   - paragraphs, headings, lists, tables, block quotes and <pre> are set off by a blank
//     line; div-like blocks, list items, table rows and <br> start a new line;
//   - list items start with "* " (or "1. ", "2. "… in ordered lists, honouring start),
//     nested lists are indented under their item's text, block quotes prefix "> ";
//   - table cells in a row are separated by a tab;
//   - links read "text [url]", or just the text when the url is the text, a fragment
//     (#…) or javascript:; images show their alt text as "[alt]";
//   - <hr> is a line of ten dashes;
//   - headings are upper-cased when uppercase is true, the addresses of their links
//     included;
//   - script, style, head, template, noscript, svg, iframe, object and form controls'
//     hidden parts are dropped; comments are dropped.
//
// No word wrapping is done: the text usually feeds another program (AI, speech, mail).
func HTMLToText(src string, uppercase bool) string {
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		// Only a reader error can fail the parse, and a strings.Reader has none.
		return src
	}
	w := &textWriter{uppercase: uppercase}
	w.node(doc)
	// Markers of empty list items and spaces at the end of <pre> lines are invisible
	// trailing spaces; drop them so every line ends with its last visible character
	// (and a <pre> line of only spaces cannot leave a break at either end).
	lines := strings.Split(w.b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

// Breaks requested around blocks.
const (
	lineBreak  = 1 // the block starts on a new line
	blankBreak = 2 // the block is set off by an empty line
)

// textWriter writes text lazily: line breaks and spaces are owed and paid only when
// more text follows, so the output never starts or ends with white space.
type textWriter struct {
	b         strings.Builder
	uppercase bool

	started   bool   // some text was written
	newlines  int    // line breaks owed before the next text
	sep       string // separator owed before the next text on the same line (" " or tabs)
	lineStart bool   // the next text starts a line: write the prefixes first

	prefixes []prefix // block quote and list indentation, outermost first
	pre      int      // depth of <pre>: white space is kept
	heading  int      // depth of <h1>…<h6>
}

// prefix is written at the start of every line of a block; first (if set) replaces it
// on the block's first line (a list item's marker).
type prefix struct {
	first, rest string
	used        bool
}

func (w *textWriter) block(n int) {
	if w.started {
		w.newlines = max(w.newlines, n)
	}
	w.sep = ""
}

// pay writes owed line breaks, prefixes and separators before text.
func (w *textWriter) pay() {
	if w.newlines > 0 && w.started {
		w.b.WriteString(strings.Repeat("\n", w.newlines))
		w.lineStart = true
		w.sep = ""
	}
	w.newlines = 0
	if w.lineStart || !w.started {
		for i := range w.prefixes {
			p := &w.prefixes[i]
			if !p.used && p.first != "" {
				w.b.WriteString(p.first)
			} else {
				w.b.WriteString(p.rest)
			}
			p.used = true
		}
		w.lineStart = false
		w.sep = ""
	}
	w.b.WriteString(w.sep)
	w.sep = ""
	w.started = true
}

// text writes character data, collapsing white space outside <pre>.
func (w *textWriter) text(s string) {
	if w.heading > 0 && w.uppercase {
		s = strings.ToUpper(s)
	}
	if w.pre > 0 {
		for i, line := range strings.Split(s, "\n") {
			if i > 0 {
				w.newlines++
			}
			if line != "" {
				w.pay()
				w.b.WriteString(strings.ReplaceAll(line, "\u00a0", " "))
			}
		}
		return
	}
	start := -1
	flush := func(end int) {
		if start >= 0 {
			w.pay()
			w.b.WriteString(strings.ReplaceAll(s[start:end], "\u00a0", " "))
			start = -1
		}
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r', '\f':
			flush(i)
			if w.started && w.newlines == 0 && !w.lineStart && w.sep == "" {
				w.sep = " "
			}
		default:
			if start < 0 {
				start = i
			}
		}
	}
	flush(len(s))
}

// skipped elements hold no readable text.
var skipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Head: true, atom.Template: true,
	atom.Noscript: true, atom.Svg: true, atom.Iframe: true, atom.Object: true,
	atom.Select: true, atom.Textarea: true, atom.Input: true,
	atom.Title: true, atom.Meta: true, atom.Link: true, atom.Canvas: true,
}

// blocks maps block elements to the break they need.
var blocks = map[atom.Atom]int{
	atom.P: blankBreak, atom.H1: blankBreak, atom.H2: blankBreak, atom.H3: blankBreak,
	atom.H4: blankBreak, atom.H5: blankBreak, atom.H6: blankBreak, atom.Pre: blankBreak,
	atom.Blockquote: blankBreak, atom.Table: blankBreak, atom.Dl: blankBreak,
	atom.Figure: blankBreak, atom.Address: blankBreak, atom.Hr: blankBreak,
	atom.Div: lineBreak, atom.Section: lineBreak, atom.Article: lineBreak,
	atom.Header: lineBreak, atom.Footer: lineBreak, atom.Nav: lineBreak,
	atom.Aside: lineBreak, atom.Main: lineBreak, atom.Li: lineBreak, atom.Tr: lineBreak,
	atom.Dt: lineBreak, atom.Dd: lineBreak, atom.Figcaption: lineBreak,
	atom.Caption: lineBreak, atom.Details: lineBreak, atom.Summary: lineBreak,
	atom.Form: lineBreak, atom.Fieldset: lineBreak, atom.Legend: lineBreak,
	atom.Center: lineBreak, atom.Thead: lineBreak, atom.Tbody: lineBreak, atom.Tfoot: lineBreak,
}

func (w *textWriter) node(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data)
		return
	case html.ElementNode:
	case html.DocumentNode:
		w.children(n)
		return
	default: // comments, doctypes
		return
	}
	if skipped[n.DataAtom] {
		return
	}
	brk, isBlock := blocks[n.DataAtom]
	switch n.DataAtom {
	case atom.Ul, atom.Ol:
		// A list nested in a list item needs only a new line; a top-level list a blank one.
		if w.inList() {
			brk = lineBreak
		} else {
			brk = blankBreak
		}
		isBlock = true
	}
	if isBlock {
		w.block(brk)
	}
	switch n.DataAtom {
	case atom.Br:
		if w.started {
			w.newlines++
		}
		return
	case atom.Hr:
		w.pay()
		w.b.WriteString("----------")
		w.block(brk)
		return
	case atom.Img:
		if alt := strings.TrimSpace(attr(n, "alt")); alt != "" {
			w.text("[" + alt + "]")
		}
		return
	case atom.A:
		w.link(n)
		return
	case atom.Td, atom.Th:
		if prev := previousElement(n); prev != nil && (prev.DataAtom == atom.Td || prev.DataAtom == atom.Th) {
			// White space between cells is markup, not content: the tab replaces it.
			w.sep = strings.ReplaceAll(w.sep, " ", "") + "\t"
		}
		w.children(n)
		return
	case atom.Li:
		w.listItem(n)
		w.block(brk)
		return
	case atom.Blockquote:
		w.prefixes = append(w.prefixes, prefix{rest: "> "})
		w.children(n)
		w.prefixes = w.prefixes[:len(w.prefixes)-1]
		w.block(brk)
		return
	case atom.Dd:
		w.prefixes = append(w.prefixes, prefix{rest: "  "})
		w.children(n)
		w.prefixes = w.prefixes[:len(w.prefixes)-1]
		w.block(brk)
		return
	case atom.Pre:
		w.pre++
		w.children(n)
		w.pre--
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		w.heading++
		w.children(n)
		w.heading--
	default:
		w.children(n)
	}
	if isBlock {
		w.block(brk)
	}
}

func (w *textWriter) children(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.node(c)
	}
}

func (w *textWriter) inList() bool {
	for _, p := range w.prefixes {
		if p.first != "" {
			return true
		}
	}
	return false
}

// listItem writes an <li> with its marker; continuation lines align under its text.
func (w *textWriter) listItem(n *html.Node) {
	marker := "* "
	if list := n.Parent; list != nil && list.DataAtom == atom.Ol {
		marker = strconv.Itoa(itemNumber(n)) + ". "
	}
	// The enclosing items' markers are spent: their lines continue with spaces, which
	// indents a nested list under its parent item's text.
	for i := range w.prefixes {
		w.prefixes[i].used = true
	}
	w.prefixes = append(w.prefixes, prefix{first: marker, rest: strings.Repeat(" ", len(marker))})
	w.lineStart = true
	w.children(n)
	if p := w.prefixes[len(w.prefixes)-1]; !p.used {
		w.pay() // an empty item still shows its marker
	}
	w.prefixes = w.prefixes[:len(w.prefixes)-1]
}

// itemNumber is an ordered list item's number: the list's start (default 1) plus the
// items before it, or the item's own value attribute.
func itemNumber(li *html.Node) int {
	if v, err := strconv.Atoi(strings.TrimSpace(attr(li, "value"))); err == nil {
		return v
	}
	n := 1
	if s, err := strconv.Atoi(strings.TrimSpace(attr(li.Parent, "start"))); err == nil {
		n = s
	}
	for p := li.PrevSibling; p != nil; p = p.PrevSibling {
		if p.Type == html.ElementNode && p.DataAtom == atom.Li {
			n++
		}
	}
	return n
}

// link writes a link's text followed by its address in brackets, unless the address
// adds nothing.
func (w *textWriter) link(n *html.Node) {
	mark := w.b.Len()
	w.children(n)
	href := strings.TrimSpace(attr(n, "href"))
	lower := strings.ToLower(href)
	if href == "" || strings.HasPrefix(href, "#") || strings.HasPrefix(lower, "javascript:") {
		return
	}
	if w.heading > 0 && w.uppercase {
		// Make upper-cases a heading's whole text, the link's address included: real
		// exports match "[/JOBS/…]" after a heading link to /jobs/….
		href = strings.ToUpper(href)
	}
	shown := strings.TrimSpace(w.b.String()[mark:])
	if shown == href || shown == trimPrefixFold(href, "mailto:") || shown == trimPrefixFold(href, "tel:") {
		return
	}
	if shown == "" {
		w.word(href)
		return
	}
	w.word("[" + href + "]")
}

// trimPrefixFold is strings.TrimPrefix ignoring the prefix's case (an upper-cased
// heading link reads MAILTO:).
func trimPrefixFold(s, prefix string) string {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):]
	}
	return s
}

// word writes s verbatim (no case change, no collapsing) after a space.
func (w *textWriter) word(s string) {
	if w.started && w.newlines == 0 && !w.lineStart && w.sep == "" {
		w.sep = " "
	}
	w.pay()
	w.b.WriteString(s)
}

func attr(n *html.Node, key string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func previousElement(n *html.Node) *html.Node {
	for p := n.PrevSibling; p != nil; p = p.PrevSibling {
		if p.Type == html.ElementNode {
			return p
		}
	}
	return nil
}
