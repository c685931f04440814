package ui_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/weftworks/weft"
)

// bigBlueprint is a webhook and n-1 more modules: a chain of Set variable modules
// each mapping the one before it and the trigger, ending in a router whose two
// routes hold ten modules each; every tenth module has an error handler.
func bigBlueprint(n int) string {
	var b strings.Builder
	b.WriteString(`{"name": "Big", "flow": [{"id": 1, "module": "gateway:CustomWebHook", "version": 1, "parameters": {"hook": 1}, "mapper": {}}`)
	mod := func(id int) string {
		s := fmt.Sprintf(`{"id": %d, "module": "util:SetVariable2", "version": 1, "mapper": {"name": "v%d", "value": "{{%d.v%d}} {{1.orderId}}", "scope": "roundtrip"}`,
			id, id, id-1, id-1)
		if id%10 == 0 {
			s += fmt.Sprintf(`, "onerror": [{"id": %d, "module": "builtin:Ignore", "version": 1}]`, 10000+id)
		}
		return s + `, "filter": {"name": "has order", "conditions": [[{"a": "{{1.orderId}}", "o": "exist"}]]}}`
	}
	id := 2
	for ; id <= n-21; id++ {
		b.WriteString(", " + mod(id))
	}
	fmt.Fprintf(&b, `, {"id": %d, "module": "builtin:BasicRouter", "version": 1, "routes": [`, id)
	router := id
	id++
	for r := 0; r < 2; r++ {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`{"flow": [`)
		for k := 0; k < 10; k++ {
			if k > 0 {
				b.WriteString(", ")
			}
			s := mod(id)
			if k == 0 { // the first of a route maps the module before the router
				s = strings.Replace(s, fmt.Sprintf("{{%d.v%d}}", id-1, id-1), fmt.Sprintf("{{%d.v%d}}", router-1, router-1), 1)
			}
			b.WriteString(s)
			id++
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`]}], "metadata": {"version": 1, "scenario": {"roundtrips": 1, "maxErrors": 3, "dlq": true}}}`)
	return b.String()
}

// BenchmarkEditorPage100 renders the editor of a 100-module scenario (plus 9 error
// handlers) with module 95 open (in the router's second route), after a run that logged every module's bundle (the
// picker reads it): server time through the whole handler, session check included.
// Budget: 300 ms.
func BenchmarkEditorPage100(b *testing.B) {
	e := newEnv(b)
	sc := e.scenario(bigBlueprint(100))
	if _, err := e.svc.Run(b.Context(), sc.ID, []weft.Bundle{{"orderId": "A-1"}}); err != nil {
		b.Fatal(err)
	}
	br := e.signedIn()
	cookies := br.c.Jar.Cookies(mustURL(e.srv.URL))
	for _, c := range []struct{ name, path string }{
		{"flow", fmt.Sprintf("/scenarios/%d/edit", sc.ID)},
		{"module-open", fmt.Sprintf("/scenarios/%d/edit?module=95", sc.ID)},
		{"module-open-search", fmt.Sprintf("/scenarios/%d/edit?module=95&q=http", sc.ID)},
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
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
				b.ReportMetric(float64(w.Body.Len()), "bytes/page")
			}
		})
	}
}

// TestEditorPage100 checks the big editor page itself: every module a link, the
// open one's form and its picker with what a run logged.
func TestEditorPage100(t *testing.T) {
	e := newEnv(t)
	sc := e.scenario(bigBlueprint(100))
	if _, err := e.svc.Run(t.Context(), sc.ID, []weft.Bundle{{"orderId": "A-1"}}); err != nil {
		t.Fatal(err)
	}
	p := e.signedIn().get(fmt.Sprintf("/scenarios/%d/edit?module=95", sc.ID))
	if p.status != http.StatusOK {
		t.Fatal(p)
	}
	if n := strings.Count(p.body, `<a class="module`); n != 109 {
		t.Errorf("%d module links, want 109 (100 and 9 handlers)", n)
	}
	mustContain(t, p.body, `id="module-form"`, `data-ref="{{94.v94}}"`, `data-ref="{{79.v79}}"`, `data-ref="{{1.orderId}}"`, "None: the scenario validates.")
}
