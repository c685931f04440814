package textparser

import (
	"context"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

func TestHTMLToTextRules(t *testing.T) {
	tests := []struct {
		name, html string
		upper      bool
		want       string
	}{
		{"paragraphs and whitespace", "<p>Hello <b>world</b>,\n   how   are you?</p><p>Second<br>line</p>", false,
			"Hello world, how are you?\n\nSecond\nline"},
		{"headings upper-cased", "<h1>Title &amp; more</h1><p>text</p><h2>Sub <a href=\"https://x.io/A\">link</a></h2>", true,
			"TITLE & MORE\n\ntext\n\nSUB LINK [HTTPS://X.IO/A]"},
		{"heading link addresses upper-cased", `<h3><a href="/jobs/42-engineer">Engineer</a></h3><p><a href="/jobs/43">More</a></p>` +
			`<h1><a href="https://x.io">https://x.io</a> <a href="mailto:a@b.c">a@b.c</a></h1>`, true,
			"ENGINEER [/JOBS/42-ENGINEER]\n\nMore [/jobs/43]\n\nHTTPS://X.IO A@B.C"},
		{"headings kept", "<h2>Sub</h2>", false, "Sub"},
		{"nested lists", "<ul><li>one</li><li>two<ul><li>a</li><li>b</li></ul></li><li>three</li></ul><p>after</p>", false,
			"* one\n* two\n  * a\n  * b\n* three\n\nafter"},
		{"ordered list with start and value", "<ol start=\"3\"><li>x</li><li>y</li><li value=\"9\">z</li></ol>", false,
			"3. x\n4. y\n9. z"},
		{"list item continuation", "<ul><li>first<br>more</li></ul>", false, "* first\n  more"},
		{"links", `<p>See <a href="https://example.com">our site</a>, <a href="https://x.io">https://x.io</a>, ` +
			`<a href="mailto:a@b.c">a@b.c</a>, <a href="#top">top</a>, <a href="javascript:void(0)">js</a>, <a href="https://e.com/i"><img src="i.png"></a></p>`, false,
			"See our site [https://example.com], https://x.io, a@b.c, top, js, https://e.com/i"},
		{"table", "<table><tr><th>Name</th><th>Age</th></tr>\n<tr><td>Ann</td>\n<td>30</td></tr></table><p>x</p>", false,
			"Name\tAge\nAnn\t30\n\nx"},
		{"dropped elements", "<script>var x=1;</script><style>p{}</style>Text&nbsp;&nbsp;here<!-- c --><noscript>JS off</noscript>", false,
			"Text  here"},
		{"pre keeps white space", "<p>x</p><pre>  code\n    indented</pre><p>y</p>", false, "x\n\n  code\n    indented\n\ny"},
		{"blockquote", "<blockquote><p>quoted</p><p>two</p></blockquote>", false, "> quoted\n\n> two"},
		{"whole document", "<!DOCTYPE html><html><head><title>T</title><meta charset=utf-8></head><body><div>a</div><div>b</div></body></html>", false,
			"a\nb"},
		{"image alt and rule", "<img src=x.png alt=Logo> <hr> end", false, "[Logo]\n\n----------\n\nend"},
		{"definition list", "<dl><dt>Term</dt><dd>Meaning</dd></dl>", false, "Term\n  Meaning"},
		{"entities", "&lt;b&gt; &quot;q&quot; &#39;s&#39; &eacute; &#x1F600;", false, "<b> \"q\" 's' é 😀"},
		{"plain text", "just text\nover lines", false, "just text over lines"},
		{"broken markup", "<p>open <b>bold <i>both</p>after", false, "open bold both\n\nafter"},
		{"empty", "", false, ""},
		{"only markup", "<div><span> </span></div>", false, ""},
	}
	for _, tt := range tests {
		if got := HTMLToText(tt.html, tt.upper); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

func TestHTMLToTextModule(t *testing.T) {
	// 043 module 35: title, content and date glued into one HTML string.
	html := " My post <h2>Intro</h2><p>First paragraph.</p><p>Second.</p> 2024-05-01T10:00:00"
	tests := []struct {
		mapper weft.Bundle
		want   string
	}{
		{weft.Bundle{"html": html, "newline": "lf", "uppercaseHeadings": true},
			"My post\n\nINTRO\n\nFirst paragraph.\n\nSecond.\n\n2024-05-01T10:00:00"},
		{weft.Bundle{"html": html, "newline": "crlf", "uppercaseHeadings": false},
			"My post\r\n\r\nIntro\r\n\r\nFirst paragraph.\r\n\r\nSecond.\r\n\r\n2024-05-01T10:00:00"},
		{weft.Bundle{"html": "a<br>b", "newline": "cr"}, "a\rb"},
		{weft.Bundle{"html": "a<br>b"}, "a\nb"}, // newline defaults to lf
		{weft.Bundle{"newline": "lf"}, ""},
	}
	s := spec(t, "regexp:HTMLToText")
	for _, tt := range tests {
		got, err := apptest.Run(context.Background(), s, nil, tt.mapper, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0]["text"] != tt.want {
			t.Errorf("%v:\n got %q\nwant %q", tt.mapper, got, tt.want)
		}
	}
	_, err := apptest.Run(context.Background(), s, nil, weft.Bundle{"html": "x", "newline": "crcr"}, nil)
	wantError(t, err, weft.DataError, `newline: "crcr" is not one of lf, crlf, cr`)
}

func FuzzHTMLToText(f *testing.F) {
	for _, s := range []string{"<p>a</p>", "<ul><li>x<ol><li>y", "<pre>\n a</pre>", "<a href=x>y</a>", "<table><td>1<td>2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := HTMLToText(s, true)
		if len(out) > 0 && (out[0] == '\n' || out[len(out)-1] == '\n' || out[len(out)-1] == ' ') {
			t.Fatalf("HTMLToText(%q) = %q: leading or trailing white space", s, out)
		}
	})
}

func BenchmarkHTMLToText(b *testing.B) {
	page := ""
	for range 50 {
		page += `<div class="post"><h2>Heading</h2><p>Some <b>bold</b> text with a <a href="https://example.com/x">link</a>.</p><ul><li>one</li><li>two</li></ul></div>`
	}
	b.SetBytes(int64(len(page)))
	for b.Loop() {
		HTMLToText(page, true)
	}
}

// A scenario that reads a heading's link with a text parser after HTML to text, as real
// exports do with "Uppercase headings" on, matches the upper-cased address.
func TestHTMLToTextThenParserMatchesUpperCasedHeadingLink(t *testing.T) {
	page := `<h2><a href="/jobs/1042-sdr">Sales development rep</a></h2><p>Apply today.</p>`
	got, err := apptest.Run(context.Background(), spec(t, "regexp:HTMLToText"), nil,
		weft.Bundle{"html": page, "newline": "lf", "uppercaseHeadings": true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := apptest.Run(context.Background(), spec(t, "regexp:Parser"),
		weft.Bundle{"pattern": `\[\/JOBS\/(\d+)-([A-Z]+)\]`, "global": true}, weft.Bundle{"text": got[0]["text"]}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(parsed) != 1 || parsed[0]["$1"] != "1042" || parsed[0]["$2"] != "SDR" {
		t.Fatalf("text %q parsed as %v", got[0]["text"], parsed)
	}
}
