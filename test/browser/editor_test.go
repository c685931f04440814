package browser

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/blueprint"
)

// version waits for the editor to show version n (each save is a new version).
func version(n int) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(css(fmt.Sprintf(`#editor-version[data-version="%d"]`, n)))
}

func opened(id int) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(css(fmt.Sprintf(`a.module.selected[data-module="%d"]`, id)))
}

// addModule searches the catalogue and adds typ at where (the place select's value;
// "" keeps the default: after the open module).
func addModule(query, typ, where string) []chromedp.Action[chromedp.Void] {
	acts := []chromedp.Action[chromedp.Void]{
		chromedp.SetValue(id("catalogue-q"), query), chromedp.Click(id("catalogue-search")),
		chromedp.WaitVisible(css(`#catalogue button[value="` + typ + `"]`)),
	}
	if where != "" {
		acts = append(acts, chromedp.SetValue(id("add-where"), where))
	}
	return append(acts, chromedp.Click(css(`#catalogue button[value="`+typ+`"]`)))
}

// TestBuildAScenarioInTheEditor builds webhook → HTTP → router (a filtered route and
// a second route) with an error handler, from an empty weft and only through the
// editor (the keyboard opens one module), runs it once and exports a blueprint that
// validates.
func TestBuildAScenarioInTheEditor(t *testing.T) {
	w := startWeft(t)
	p := newPartner(t)
	ctx := newBrowser(t)
	dir := shots(t)

	steps(t, ctx, "sign in", chromedp.Navigate(w.base+"/scenarios"), chromedp.WaitVisible(id("token")),
		chromedp.SendKeys(id("token"), w.token), chromedp.Click(id("signin")), chromedp.WaitVisible(id("new-form")))
	steps(t, ctx, "create", chromedp.SendKeys(id("new-name"), "Orders by size"), chromedp.Click(id("new-scenario")),
		opened(1), version(1))

	steps(t, ctx, "add HTTP", append(addModule("make a request", "http:MakeRequest", ""), opened(2), version(2))...)
	steps(t, ctx, "set up HTTP",
		chromedp.SetValue(css(`[name="mapper.url"]`), p.srv.URL+"/fixed?id={{1.orderId}}"),
		chromedp.SetValue(css(`select[name="mapper.method"]`), "post"),
		chromedp.Click(id("save-module")), version(3))
	steps(t, ctx, "add a router", append(addModule("router", "builtin:BasicRouter", ""), opened(3), version(4))...)
	steps(t, ctx, "add to route 1", append(addModule("compose", "util:ComposeTransformer", "route:3:0"), opened(4), version(5))...)
	steps(t, ctx, "map and filter route 1",
		chromedp.SetValue(css(`[name="mapper.value"]`), "big order {{1.orderId}} "),
		// The picker puts a reference where the cursor was (HTTP declares statusCode).
		// (Setting a value leaves the cursor at its end.)
		chromedp.Focus(css(`[name="mapper.value"]`)),
		chromedp.Click(css(`button.pick[data-ref="{{2.statusCode}}"]`)),
		chromedp.SetValue(css(`[name="filter.name"]`), "Big orders"),
		chromedp.SetValue(css(`[name="filter.0.0.a"]`), "{{1.qty}}"),
		chromedp.SetValue(css(`[name="filter.0.0.o"]`), "number:greater"),
		chromedp.SetValue(css(`[name="filter.0.0.b"]`), "10"),
		chromedp.Click(id("save-module")), version(6))
	// The keyboard opens the router: focus its box, Enter.
	steps(t, ctx, "open the router by keyboard", chromedp.Focus(css(`a.module[data-module="3"]`)), chromedp.KeyEvent("\r"), opened(3))
	steps(t, ctx, "add to route 2", append(addModule("set variable", "util:SetVariable2", "route:3:1"), opened(5), version(7))...)
	steps(t, ctx, "set the variable",
		chromedp.SetValue(css(`[name="mapper.name"]`), "small"),
		chromedp.SetValue(css(`[name="mapper.value"]`), "{{1.orderId}}"),
		chromedp.Click(id("save-module")), version(8))
	steps(t, ctx, "error handler on route 1's module", chromedp.Click(css(`a.module[data-module="4"]`)), opened(4),
		chromedp.SetValue(id("handler-directive"), "builtin:Ignore"), chromedp.Click(id("add-handler")), version(9),
		chromedp.WaitVisible(css(`.onerror a.module[data-module="6"]`)), chromedp.WaitVisible(id("no-problems")),
		screenshot(dir, "12-editor"))
	if v := read(t, ctx, "mapped value", chromedp.Value(css(`[name="mapper.value"]`))); v != "big order {{1.orderId}} {{2.statusCode}}" {
		t.Errorf("module 4's value %q", v)
	}

	// Checked as typed: a reference to a module on the other route is named before saving.
	steps(t, ctx, "check as typed", chromedp.SendKeys(css(`[name="mapper.value"]`), " {{5.small}}"),
		chromedp.WaitVisible(css(`#live-check li.problem code`)))
	if live := text(t, ctx, "#live-check"); !strings.Contains(live, "/flow/2/routes/0/flow/0/mapper/value") {
		t.Errorf("live check: %q", live)
	}

	// The last version's changes against the one before.
	steps(t, ctx, "diff", chromedp.Click(css(`#editor-versions a[href$="/versions/9/diff"]`)), chromedp.WaitVisible(id("diff-summary")),
		screenshot(dir, "13-version-diff"))
	if d := text(t, ctx, "main"); !strings.Contains(d, "Changes against version 8") || !strings.Contains(d, `"module": "builtin:Ignore"`) {
		t.Errorf("diff page: %.600s", d)
	}

	// Run once with a big order: both routes run (the filter passes), HTTP is called.
	steps(t, ctx, "run once", chromedp.Navigate(w.base+"/scenarios/1/edit"), version(9),
		chromedp.SetValue(id("run-input"), `{"orderId": "A-7", "qty": 20}`), chromedp.Click(id("run")),
		chromedp.WaitVisible(css(`#run-outcome [data-outcome]`)))
	if out := text(t, ctx, "#run-outcome"); !strings.Contains(out, "Run ended success") || !strings.Contains(out, "4 · Compose a string") ||
		!strings.Contains(out, "5 · Set variable") {
		t.Errorf("run once: %q", out)
	}
	if n := p.called("/fixed?id=A-7 "); n != 1 {
		t.Errorf("the partner got %d calls, want 1", n)
	}
	w.runs.wait(t, 1)

	// Inspect the run: a bubble per module; the HTTP module's operation with its
	// bundles.
	steps(t, ctx, "inspect", chromedp.Click(css(`#run-outcome a[href^="/executions/"]`)), chromedp.WaitVisible(css(`.bubble`)),
		screenshot(dir, "14-inspector"),
		chromedp.Click(css(`a.module[data-module="2"]`)), chromedp.WaitVisible(id("op-pos")))
	if pos, out := text(t, ctx, "#op-pos"), text(t, ctx, "#op-output"); pos != "operation 1 of 1" || !strings.Contains(out, `"accepted": true`) {
		t.Errorf("module 2's operation: %q, output %q", pos, out)
	}
	if n := read(t, ctx, "bubbles", chromedp.Evaluate[float64](`document.querySelectorAll(".bubble.success").length`)); n != 4 {
		t.Errorf("%v bubbles, want 4 (modules 1, 2, 4, 5; the router logs no operation)", n)
	}

	// The export is a blueprint weft validates, in Make's shape.
	raw, err := w.svc.ExportScenario(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	bp, err := blueprint.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	reg, _ := all.Registry()
	if rep := blueprint.Validate(bp, reg); !rep.OK() {
		t.Fatalf("export: %v", rep.Problems)
	}
	router, _ := bp.Module(3)
	if len(bp.Flow) != 3 || router == nil || len(router.Routes) != 2 || router.Routes[0].Flow[0].Filter == nil ||
		router.Routes[0].Flow[0].OnError[0].Type != "builtin:Ignore" || router.Routes[1].Flow[0].Type != "util:SetVariable2" {
		t.Fatalf("exported flow:\n%s", raw)
	}
	for _, key := range []string{`"metadata": {`, `"designer": {`, `"instant": true`} {
		if !strings.Contains(string(raw), key) {
			t.Errorf("export lacks %s", key)
		}
	}
}
