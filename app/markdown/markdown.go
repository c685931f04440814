// Package markdown is Make's Markdown app: markdown:Compile ("Markdown to HTML"),
// rendered with goldmark (CommonMark, plus GitHub's extensions when gfm is on).
package markdown

import (
	"bytes"
	"context"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

// Specs returns the module types of the Markdown app.
func Specs() []app.Spec { return []app.Spec{compileSpec} }

// noDeadline (a negative Spec.Timeout) runs a module without a per-bundle deadline:
// these modules do no I/O and their work is linear in their input, so they cannot hang.
const noDeadline = -1

// Register adds every Markdown module type to r.
func Register(r *app.Registry) error {
	for _, s := range Specs() {
		if err := r.Register(s); err != nil {
			return err
		}
	}
	return nil
}

var compileSpec = app.Spec{
	Name: "markdown:Compile", Label: "Markdown to HTML",
	Timeout: noDeadline,
	Help: "Converts Markdown to HTML; outputs `data`. gfm adds tables, strikethrough, " +
		"autolinks and task lists; sanitize shows raw HTML in the input as text.",
	Mapper: []app.Field{
		{Name: "data", Label: "Markdown", Type: app.TypeText},
		{Name: "gfm", Label: "GitHub Flavored Markdown", Type: app.TypeBoolean, Default: true},
		{Name: "sanitize", Label: "Sanitize", Type: app.TypeBoolean, Default: false},
	},
	New: func(app.Config) (app.Module, error) {
		return app.ModuleFunc(func(_ context.Context, c *app.Call) ([]weft.Bundle, error) {
			out, err := ToHTML(value.Text(c.Input["data"]), value.Bool(c.Input["gfm"]), value.Bool(c.Input["sanitize"]))
			if err != nil {
				return nil, err
			}
			return []weft.Bundle{{"data": out}}, nil
		}), nil
	},
}

// converters are built once: a goldmark.Markdown is safe for concurrent use.
var converters = [2][2]goldmark.Markdown{
	{newConverter(false, false), newConverter(false, true)},
	{newConverter(true, false), newConverter(true, true)},
}

func newConverter(gfm, sanitize bool) goldmark.Markdown {
	var opts []goldmark.Option
	if gfm {
		opts = append(opts, goldmark.WithExtensions(extension.GFM))
	}
	if sanitize {
		// Without html.WithUnsafe goldmark also drops javascript: and similar link URLs;
		// the escaping renderer outranks its "raw HTML omitted" comments.
		opts = append(opts, goldmark.WithRendererOptions(
			renderer.WithNodeRenderers(util.Prioritized(escapeRawHTML{}, 100))))
	} else {
		opts = append(opts, goldmark.WithRendererOptions(html.WithUnsafe()))
	}
	return goldmark.New(opts...)
}

// ToHTML converts Markdown to HTML. With sanitize, HTML written in the Markdown is shown
// as text (escaped), the way the marked library's sanitize option did, so nothing from
// the input runs in a reader's browser; without it, HTML passes through untouched.
func ToHTML(src string, gfm, sanitize bool) (string, error) {
	var buf bytes.Buffer
	if err := converters[b2i(gfm)][b2i(sanitize)].Convert([]byte(src), &buf); err != nil {
		return "", weft.Errorf(weft.DataError, "data: markdown conversion failed: %w", err)
	}
	return buf.String(), nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// escapeRawHTML renders inline and block HTML of the Markdown source as escaped text.
type escapeRawHTML struct{}

func (escapeRawHTML) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindRawHTML, renderRawHTML)
	reg.Register(ast.KindHTMLBlock, renderHTMLBlock)
}

func renderRawHTML(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		segs := node.(*ast.RawHTML).Segments
		for i := range segs.Len() {
			seg := segs.At(i)
			_, _ = w.Write(util.EscapeHTML(seg.Value(source)))
		}
	}
	return ast.WalkSkipChildren, nil
}

func renderHTMLBlock(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.HTMLBlock)
	var raw []byte
	lines := n.Lines()
	for i := range lines.Len() {
		line := lines.At(i)
		raw = append(raw, line.Value(source)...)
	}
	if n.HasClosure() {
		raw = append(raw, n.ClosureLine.Value(source)...)
	}
	// Shown as a paragraph of text, as a Markdown reader sees it in the source.
	_, _ = w.WriteString("<p>")
	_, _ = w.Write(util.EscapeHTML(bytes.TrimRight(raw, "\n")))
	_, _ = w.WriteString("</p>\n")
	return ast.WalkSkipChildren, nil
}
