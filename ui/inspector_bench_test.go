package ui_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/ui"
)

// iteratorBlueprint turns the trigger's items into bundles and composes a text for
// each: a run of n items logs n+2 operations.
const iteratorBlueprint = `{"name": "Iterate", "flow": [
  {"id": 1, "module": "gateway:CustomWebHook", "version": 1, "parameters": {"hook": 1}, "mapper": {}},
  {"id": 2, "module": "builtin:BasicFeeder", "version": 1, "mapper": {"array": "{{1.items}}"}},
  {"id": 3, "module": "util:ComposeTransformer", "version": 1, "mapper": {"value": "item {{2.n}} of {{2.__IMTLENGTH__}}"}}
], "metadata": {"version": 1, "scenario": {"roundtrips": 1, "maxErrors": 3, "dlq": true}}}`

// iteratorRun stores a run of the iterator over n items and returns its id.
func iteratorRun(tb testing.TB, e *env, n int) string {
	tb.Helper()
	sc := e.scenario(iteratorBlueprint)
	items := make([]any, n)
	for i := range items {
		items[i] = map[string]any{"n": float64(i + 1), "sku": fmt.Sprintf("SKU-%05d", i+1)}
	}
	rr, err := e.svc.Run(tb.Context(), sc.ID, []weft.Bundle{{"items": items}})
	if err != nil {
		tb.Fatal(err)
	}
	return rr.Execution.ID
}

// BenchmarkExecutionPage5000 renders the page of a 5,000-item iterator run (5,002
// operations): server time and the page's size in bytes.
func BenchmarkExecutionPage5000(b *testing.B) {
	e := newEnv(b)
	id := iteratorRun(b, e, 5000)
	br := e.signedIn()
	cookies := br.c.Jar.Cookies(mustURL(e.srv.URL))
	for _, c := range []struct{ name, path string }{
		{"first-page", "/executions/" + id},
		{"module-3-op-4000", "/executions/" + id + "?module=3&op=4000"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, c.path, nil)
				for _, ck := range cookies {
					req.AddCookie(ck)
				}
				w := httptest.NewRecorder()
				e.ui.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
				b.ReportMetric(float64(w.Body.Len()), "bytes/page")
			}
		})
	}
}

// TestExecutionInspector: a 200-item iterator run shows a bubble per module with its
// operations, pages the log 50 entries at a time, pages a module's operations one at a
// time (with its input and output bundles) and an operation's 200 output bundles ten
// at a time; the page stays small.
func TestExecutionInspector(t *testing.T) {
	e := newEnv(t)
	id := iteratorRun(t, e, 200)
	b := e.signedIn()
	p := b.get("/executions/" + id)
	if p.status != http.StatusOK {
		t.Fatal(p)
	}
	mustContain(t, p.body,
		`href="/executions/`+id+`?module=1" data-module="1"`, `<span class="bubble success" title="1 operation(s), success">1</span>`,
		`<span class="bubble success" title="200 operation(s), success">200</span>`,
		"202 log entries", "page 1 of 5", `id="log-next"`,
		`200 output bundle(s) — page through them`) // the iterator's outputs are not inlined
	if len(p.body) > 100_000 {
		t.Errorf("the first page is %d bytes", len(p.body))
	}
	p9 := b.get("/executions/" + id + "?page=5")
	mustContain(t, p9.body, "page 5 of 5", "operation 200 · cycle 1")
	mustNotContain(t, p9.body, `id="log-next"`)

	op := b.get("/executions/" + id + "?module=3&op=150")
	mustContain(t, op.body, `id="op-pos">operation 150 of 200`, `href="?module=3&op=149" id="op-prev"`, `href="?module=3&op=151" id="op-next"`,
		`&#34;value&#34;: &#34;item 150 of 200&#34;`, `aria-current="true" class="current"`,
		`class="module action selected"`)
	it := b.get("/executions/" + id + "?module=2")
	mustContain(t, it.body, `id="out-pos">bundles 1–10 of 200`, `&#34;sku&#34;: &#34;SKU-00010&#34;`, `id="out-next"`)
	_, outputs, _ := strings.Cut(it.body, `id="op-output"`)
	mustNotContain(t, outputs, `SKU-00011`)
	last := b.get("/executions/" + id + "?module=2&out=20")
	_, outputs, _ = strings.Cut(last.body, `id="op-output"`)
	mustContain(t, last.body, `bundles 191–200 of 200`)
	mustContain(t, outputs, `SKU-00200`)
	mustNotContain(t, outputs, `SKU-00190`)
	mustNotContain(t, last.body, `id="out-next"`)

	for path, status := range map[string]int{
		"?module=3&op=201": http.StatusBadRequest, "?module=3&op=x": http.StatusBadRequest,
		"?module=9": http.StatusNotFound, "?page=6": http.StatusBadRequest,
	} {
		if r := b.get("/executions/" + id + path); r.status != status {
			t.Errorf("%s: %d, want %d", path, r.status, status)
		}
	}
}

// TestHistoryFilters: the history is filtered by a date range (in the viewer's time
// zone when the browser sends its offset) and searched by an id prefix or a value in
// the bundles; the pager keeps the filters.
func TestHistoryFilters(t *testing.T) {
	e := newEnv(t, func(c *ui.Config) { c.PageSize = 1 })
	sc := e.scenario(iteratorBlueprint)
	var ids []string
	for i, sku := range []string{"SKU-RED", "SKU-BLUE", "SKU-RED-2"} {
		rr, err := e.svc.Run(t.Context(), sc.ID, []weft.Bundle{{"items": []any{map[string]any{"sku": sku}}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rr.Execution.ID)
		e.clock.Add(time.Duration(i+1) * 24 * time.Hour) // runs on May 1, 2 and 4
	}
	b := e.signedIn()
	rowsOf := func(path string) string {
		t.Helper()
		p := b.get(path)
		if p.status != http.StatusOK {
			t.Fatalf("%s: %s", path, p)
		}
		return p.body
	}
	p := rowsOf("/executions?q=SKU-RED")
	mustContain(t, p, ids[2], `href="?q=SKU-RED&amp;before=`+ids[2]+`" id="older"`)
	mustNotContain(t, p, ids[1])
	mustContain(t, rowsOf("/executions?q=SKU-RED&before="+ids[2]), ids[0])
	mustContain(t, rowsOf("/executions?q="+ids[1]), ids[1])
	mustContain(t, rowsOf("/executions?q=SKU-GREEN"), "No runs match.")
	// May 2 only: the second run.
	p = rowsOf("/scenarios/1/history?from=2026-05-02&to=2026-05-02")
	mustContain(t, p, ids[1], `value="2026-05-02"`)
	mustNotContain(t, p, ids[0], `id="older"`)
	// The same day in UTC+14 starts 14 hours earlier: the first run (May 1, 12:00 UTC) is in it.
	mustContain(t, rowsOf("/executions?from=2026-05-02&to=2026-05-02&tz=-840"), ids[0])
	for _, bad := range []string{"from=May", "to=2026-13-01", "from=2026-05-03&to=2026-05-02", "tz=x"} {
		if r := b.get("/executions?" + bad); r.status != http.StatusBadRequest {
			t.Errorf("%s: %d", bad, r.status)
		}
	}
}
