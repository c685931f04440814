package markdown

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
)

func spec(t *testing.T) *app.Spec {
	t.Helper()
	r := app.NewRegistry()
	if err := Register(r); err != nil {
		t.Fatal(err)
	}
	s, ok := r.Lookup("markdown:Compile")
	if !ok {
		t.Fatal("markdown:Compile is not registered")
	}
	return s
}

const gfmDoc = "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~ https://example.com\n\n- [x] done\n"

func TestCompile(t *testing.T) {
	tests := []struct {
		name   string
		mapper weft.Bundle
		want   string
	}{
		// 025 module 8: an AI-written article, gfm on, sanitize off.
		{"025 article", weft.Bundle{"gfm": true, "sanitize": false,
			"data": "## Intro\n\nWeft runs **Make** blueprints.\n\n1. Import\n2. Run\n"},
			"<h2>Intro</h2>\n<p>Weft runs <strong>Make</strong> blueprints.</p>\n<ol>\n<li>Import</li>\n<li>Run</li>\n</ol>\n"},
		{"gfm extensions", weft.Bundle{"gfm": true, "sanitize": false, "data": gfmDoc},
			"<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>1</td>\n<td>2</td>\n</tr>\n</tbody>\n</table>\n" +
				"<p><del>gone</del> <a href=\"https://example.com\">https://example.com</a></p>\n" +
				"<ul>\n<li><input checked=\"\" disabled=\"\" type=\"checkbox\"> done</li>\n</ul>\n"},
		{"plain CommonMark", weft.Bundle{"gfm": false, "sanitize": false, "data": gfmDoc},
			"<p>| a | b |\n|---|---|\n| 1 | 2 |</p>\n<p>~~gone~~ https://example.com</p>\n<ul>\n<li>[x] done</li>\n</ul>\n"},
		{"raw HTML passes through", weft.Bundle{"gfm": true, "sanitize": false,
			"data": "Hi <b>there</b>\n\n<div class=\"x\">\nblock\n</div>\n\n[click](javascript:alert(1))\n"},
			"<p>Hi <b>there</b></p>\n<div class=\"x\">\nblock\n</div>\n<p><a href=\"javascript:alert(1)\">click</a></p>\n"},
		{"sanitize escapes raw HTML and drops script links", weft.Bundle{"gfm": true, "sanitize": true,
			"data": "Hi <b>there</b>\n\n<div class=\"x\">\nblock\n</div>\n\n<script>alert(1)</script>\n\n[click](javascript:alert(1))\n"},
			"<p>Hi &lt;b&gt;there&lt;/b&gt;</p>\n<p>&lt;div class=&quot;x&quot;&gt;\nblock\n&lt;/div&gt;</p>\n" +
				"<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n<p><a href=\"\">click</a></p>\n"},
		{"sanitize keeps Markdown", weft.Bundle{"gfm": false, "sanitize": true, "data": "*a* & <i>b</i>"},
			"<p><em>a</em> &amp; &lt;i&gt;b&lt;/i&gt;</p>\n"},
		{"defaults: gfm on, sanitize off", weft.Bundle{"data": "~~x~~ <u>y</u>"}, "<p><del>x</del> <u>y</u></p>\n"},
		{"flags mapped as text (Make stores booleans as text)", weft.Bundle{"gfm": "false", "sanitize": "true", "data": "~~x~~ <u>y</u>"},
			"<p>~~x~~ &lt;u&gt;y&lt;/u&gt;</p>\n"},
		{"empty", weft.Bundle{"gfm": true}, ""},
	}
	s := spec(t)
	for _, tt := range tests {
		got, err := apptest.Run(context.Background(), s, nil, tt.mapper, nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if len(got) != 1 || got[0]["data"] != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	// One module instance serves concurrent runs.
	m, err := spec(t).New(app.Config{ModuleID: 1})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for i := range 16 {
		wg.Go(func() {
			in := weft.Bundle{"data": strings.Repeat("# H\n\n*x* <b>y</b>\n\n", i+1), "gfm": i%2 == 0, "sanitize": i%3 == 0}
			out, err := m.Run(context.Background(), &app.Call{Input: in, Exec: apptest.NewExec()})
			want, _ := ToHTML(in["data"].(string), in["gfm"].(bool), in["sanitize"].(bool))
			if err != nil || out[0]["data"] != want {
				errs <- "mismatch"
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func BenchmarkToHTML(b *testing.B) {
	doc := strings.Repeat("## Section\n\nSome *text* with a [link](https://example.com) and `code`.\n\n- a\n- b\n\n", 20)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if _, err := ToHTML(doc, true, false); err != nil {
			b.Fatal(err)
		}
	}
}
