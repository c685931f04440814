package ui_test

import (
	"context"

	"github.com/weftworks/weft"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/blueprint"
)

// current returns the scenario's current version number and blueprint.
func (e *env) current(id int64) (int, *blueprint.Blueprint) {
	e.t.Helper()
	sc, err := e.st.GetScenario(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	v, err := e.st.GetVersion(context.Background(), id, sc.Version)
	if err != nil {
		e.t.Fatal(err)
	}
	bp, err := blueprint.Parse(v.Blueprint)
	if err != nil {
		e.t.Fatal(err)
	}
	reg, _ := all.Registry()
	if rep := blueprint.Validate(bp, reg); !rep.OK() {
		e.t.Fatalf("stored version %d does not validate: %v", sc.Version, rep.Problems)
	}
	return sc.Version, bp
}

func mapperOf(t testing.TB, bp *blueprint.Blueprint, id int) map[string]any {
	t.Helper()
	m, _ := bp.Module(id)
	if m == nil {
		t.Fatalf("no module %d", id)
	}
	mp, _ := m.Mapper.(map[string]any)
	return mp
}

// TestEditorEditsAModuleAsANewVersion: the editor opens module 3 with its mapping,
// filter and the picker; a changed mapping and filter are stored as version 2 (every
// other byte kept: the settings' unknown key), whose diff shows the change.
func TestEditorEditsAModuleAsANewVersion(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn()
	sc := e.scenario(routerBlueprint)
	p := b.get("/scenarios/1/edit?module=3")
	if p.status != http.StatusOK {
		t.Fatal(p)
	}
	mustContain(t, p.body,
		`href="/scenarios/1/edit?module=3" data-module="3"`, `aria-current="true"`, // the open box
		`id="f-mapper.value" name="mapper.value" value="big"`,
		`name="filter.name" value="Big orders"`,
		`name="filter.0.0.a" value="{{1.amount}}"`, `<option selected>number:greater</option>`,
		`name="filter.0.1.a" value=""`, `name="filter.1.0.a" value=""`, // blank rows to add conditions
		`id="picker"`, `name="base" value="1"`,
		`id="catalogue-q"`)
	if r := b.get("/scenarios/1/edit?module=99"); r.status != http.StatusNotFound {
		t.Fatalf("missing module: %s", r)
	}

	form := url.Values{"base": {"1"}, "mapper.value": {"huge {{1.amount}}"}, "filter.name": {"Huge orders"},
		"filter.0.0.a": {"{{1.amount}}"}, "filter.0.0.o": {"number:greater"}, "filter.0.0.b": {"1000"},
		"filter.0.1.a": {"{{1.country}}"}, "filter.0.1.o": {"text:equal"}, "filter.0.1.b": {"DE"},
		"filter.1.0.a": {""}, "filter.1.0.o": {""}, "filter.1.0.b": {""}}
	r := b.post("/scenarios/1/edit/modules/3", form)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/scenarios/1/edit?module=3" {
		t.Fatalf("save: %s", r)
	}
	v, bp := e.current(sc.ID)
	if v != 2 {
		t.Fatalf("version %d after save, want 2", v)
	}
	if got := mapperOf(t, bp, 3)["value"]; got != "huge {{1.amount}}" {
		t.Fatalf("mapper.value = %v", got)
	}
	m3, _ := bp.Module(3)
	if m3.Filter == nil || m3.Filter.Name != "Huge orders" || len(m3.Filter.Conditions) != 1 || len(m3.Filter.Conditions[0]) != 2 {
		t.Fatalf("filter = %+v", m3.Filter)
	}
	if bp.Metadata.Scenario.MaxErrors != 3 {
		t.Fatal("settings lost")
	}
	exp := b.get("/scenarios/1/export")
	mustContain(t, exp.body, `"customKey": "kept"`)
	mustContain(t, b.get("/scenarios/1/edit?module=3").body, "Saved as version 2.")

	d := b.get("/scenarios/1/versions/2/diff")
	mustContain(t, d.body, "Changes against version 1", `&#43;                 &#34;value&#34;: &#34;huge {{1.amount}}&#34;</span>`,
		`<span class="dl ddel"><span class="ln">25</span><span class="ln"></span>-                 &#34;value&#34;: &#34;big&#34;</span>`,
		`Huge orders`)
	mustNotContain(t, d.body, `&#34;customKey&#34;`) // unchanged lines far from a change are not shown

	// The same form again changes nothing: no new version.
	form.Set("base", "2")
	if r := b.post("/scenarios/1/edit/modules/3", form); r.status != http.StatusSeeOther {
		t.Fatal(r)
	}
	if v, _ := e.current(sc.ID); v != 2 {
		t.Fatalf("an unchanged form stored version %d", v)
	}
	// Removing every condition removes the filter.
	if r := b.post("/scenarios/1/edit/modules/3", url.Values{"base": {"2"}, "filter.name": {""}, "filter.0.0.o": {""}}); r.status != http.StatusSeeOther {
		t.Fatal(r)
	}
	if _, bp := e.current(sc.ID); func() bool { m, _ := bp.Module(3); return m.Filter != nil }() {
		t.Fatal("the filter was not removed")
	}
}

// TestEditorRefusesAnInvalidChange: a mapping to a module the edited one cannot see is
// refused with the validator's pointer at the module, the typed value kept, nothing
// stored; a change made against an older version is refused too.
func TestEditorRefusesAnInvalidChange(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn()
	sc := e.scenario(routerBlueprint)
	r := b.post("/scenarios/1/edit/modules/3", url.Values{"base": {"1"}, "mapper.value": {"{{4.result}}"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid change: %s", r)
	}
	mustContain(t, r.body, "Not saved: the scenario would not be valid", `id="module-problems"`,
		"<code>/flow/1/routes/0/flow/0/mapper/value</code>", `value="{{4.result}}"`, `href="/scenarios/1/edit?module=3"`)
	if v, _ := e.current(sc.ID); v != 1 {
		t.Fatalf("an invalid change was stored as version %d", v)
	}
	if r := b.post("/scenarios/1/edit/modules/3", url.Values{"base": {"1"}, "mapper.value": {"ok"}}); r.status != http.StatusSeeOther {
		t.Fatal(r)
	}
	stale := b.post("/scenarios/1/edit/modules/3", url.Values{"base": {"1"}, "mapper.value": {"mine"}})
	if stale.status != http.StatusConflict {
		t.Fatalf("stale change: %s", stale)
	}
	mustContain(t, stale.body, "you edited version 1, it is now version 2", `value="mine"`)
	if _, bp := e.current(sc.ID); mapperOf(t, bp, 3)["value"] != "ok" {
		t.Fatal("a stale change overwrote the newer version")
	}
	if r := b.post("/scenarios/1/edit/modules/3", url.Values{"base": {"2"}, "filter.name": {""}, "filter.0.0.a": {"x"}, "filter.0.0.o": {"text:nonsense"}}); r.status != http.StatusBadRequest {
		t.Fatalf("unknown operator: %s", r)
	} else {
		mustContain(t, r.body, "Filter: &#34;text:nonsense&#34; is not an operator.")
	}
}

// TestEditorStructure: add modules from the catalogue (after a module, into a route,
// into an error handler route before its directive), move, add a route and an error
// handler, delete; every step a valid new version.
func TestEditorStructure(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn()
	sc := e.scenario(routerBlueprint)
	s := b.get("/scenarios/1/edit?module=3&q=json")
	mustContain(t, s.body, `name="type" value="json:ParseJSON"`, `<option value="after:3">after #3</option>`, `<option value="end">at the end of the main flow</option>`)
	mustNotContain(t, s.body, `value="http:MakeRequest"`)
	if s := b.get("/scenarios/1/edit?q=zzzz"); !strings.Contains(s.body, `id="catalogue-empty"`) {
		t.Fatal("no empty catalogue note")
	}
	step := func(path string, form url.Values, wantVersion int) *blueprint.Blueprint {
		t.Helper()
		v, _ := e.current(sc.ID)
		form.Set("base", itoa(int64(v)))
		r := b.post(path, form)
		if r.status != http.StatusSeeOther {
			t.Fatalf("%s: %s", path, r)
		}
		got, bp := e.current(sc.ID)
		if got != wantVersion {
			t.Fatalf("%s: version %d, want %d", path, got, wantVersion)
		}
		return bp
	}
	bp := step("/scenarios/1/edit/add", url.Values{"type": {"json:CreateJSON"}, "where": {"after:3"}}, 2)
	if m, _ := bp.Module(6); m == nil || m.Type != "json:CreateJSON" {
		t.Fatalf("module 6: %+v", m)
	}
	r2, _ := bp.Module(2)
	if f := r2.Routes[0].Flow; len(f) != 2 || f[1].ID != 6 {
		t.Fatal("module 6 not after 3 in route 1")
	}
	bp = step("/scenarios/1/edit/modules/6/move", url.Values{"dir": {"before"}}, 3)
	if r2, _ = bp.Module(2); r2.Routes[0].Flow[0].ID != 6 {
		t.Fatal("module 6 not moved first")
	}
	bp = step("/scenarios/1/edit/modules/2/route", url.Values{}, 4)
	if r2, _ = bp.Module(2); len(r2.Routes) != 3 {
		t.Fatalf("%d routes", len(r2.Routes))
	}
	bp = step("/scenarios/1/edit/add", url.Values{"type": {"util:ComposeTransformer"}, "where": {"route:2:2"}}, 5)
	if r2, _ = bp.Module(2); len(r2.Routes[2].Flow) != 1 || r2.Routes[2].Flow[0].ID != 7 {
		t.Fatal("module 7 not in route 3")
	}
	bp = step("/scenarios/1/edit/modules/7/handler", url.Values{"directive": {"builtin:Resume"}}, 6)
	if m7, _ := bp.Module(7); len(m7.OnError) != 1 || m7.OnError[0].Type != "builtin:Resume" {
		t.Fatal("no Resume handler on 7")
	}
	// A second directive is refused; a module goes in before the directive.
	if r := b.post("/scenarios/1/edit/modules/7/handler", url.Values{"base": {"6"}, "directive": {"builtin:Ignore"}}); r.status != http.StatusBadRequest {
		t.Fatalf("second directive: %s", r)
	}
	bp = step("/scenarios/1/edit/add", url.Values{"type": {"util:SetVariable2"}, "where": {"handler:7"}}, 7)
	if m7, _ := bp.Module(7); len(m7.OnError) != 2 || m7.OnError[0].Type != "util:SetVariable2" || m7.OnError[1].Type != "builtin:Resume" {
		t.Fatalf("handler route: %v, %v", m7.OnError[0].Type, m7.OnError[1].Type)
	}
	bp = step("/scenarios/1/edit/modules/2/delete", url.Values{}, 8)
	if bp.MaxID() != 1 {
		t.Fatalf("delete of the router left module %d", bp.MaxID())
	}
	if r := b.post("/scenarios/1/edit/add", url.Values{"base": {"8"}, "type": {"nope:Nothing"}}); r.status != http.StatusBadRequest {
		t.Fatalf("unknown type: %s", r)
	}
	// The last module of a flow: deleting it makes the flow empty, which the validator refuses.
	if r := b.post("/scenarios/1/edit/modules/1/delete", url.Values{"base": {"8"}}); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("empty flow: %s", r)
	} else {
		mustContain(t, r.body, "the flow is empty")
	}
}

// TestEditorBooleanSwitchAndPicker: a boolean field is a switch whose hidden "false"
// lets it be turned off; the picker offers HTTP's declared outputs and the fields of
// the last run's bundles.
func TestEditorBooleanSwitchAndPicker(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn()
	ok := newStandIn(t, 200)
	sc := e.scenario(forwardBlueprint("Forward", ok.srv.URL))
	if _, err := e.svc.Run(t.Context(), sc.ID, []weft.Bundle{{"orderId": "A-1"}}); err != nil {
		t.Fatal(err)
	}
	p := b.get("/scenarios/1/edit?module=3")
	mustContain(t, p.body, `data-ref="{{2.statusCode}}"`, `data-ref="{{2.data.accepted}}"`, `<span class="muted small">true</span>`,
		`#2 HTTP: Make a request`, `data-ref="{{1.orderId}}"`, `A-1`)
	p = b.get("/scenarios/1/edit?module=2")
	mustContain(t, p.body, `type="checkbox" role="switch" id="f-mapper.parseResponse" name="mapper.parseResponse" value="true">`)
	on := url.Values{"base": {"1"}, "mapper.parseResponse": {"false", "true"}}
	if r := b.post("/scenarios/1/edit/modules/2", on); r.status != http.StatusSeeOther {
		t.Fatal(r)
	}
	if _, bp := e.current(sc.ID); mapperOf(t, bp, 2)["parseResponse"] != true {
		t.Fatalf("switch on: %v", mapperOf(t, bp, 2)["parseResponse"])
	}
	mustContain(t, b.get("/scenarios/1/edit?module=2").body, `name="mapper.parseResponse" value="true" checked>`)
	if r := b.post("/scenarios/1/edit/modules/2", url.Values{"base": {"2"}, "mapper.parseResponse": {"false"}}); r.status != http.StatusSeeOther {
		t.Fatal(r)
	}
	if _, bp := e.current(sc.ID); mapperOf(t, bp, 2)["parseResponse"] != false {
		t.Fatalf("switch off: %v", mapperOf(t, bp, 2)["parseResponse"])
	}
}

// TestEditorNeedsWriteScope: a reader sees the editor without forms and cannot post.
func TestEditorNeedsWriteScope(t *testing.T) {
	e := newEnv(t)
	e.scenario(routerBlueprint)
	b := e.browser()
	if p := b.signIn(e.token(auth.ScenariosRead)); p.status != http.StatusSeeOther {
		t.Fatal(p)
	}
	p := b.get("/scenarios/1/edit?module=3")
	if p.status != http.StatusOK {
		t.Fatal(p)
	}
	mustContain(t, p.body, "Your token cannot change scenarios.")
	mustNotContain(t, p.body, `id="module-form"`, `id="add-panel"`, `id="save-name"`)
	if r := b.post("/scenarios/1/edit/modules/3", url.Values{"base": {"1"}, "mapper.value": {"x"}}); r.status != http.StatusForbidden {
		t.Fatalf("reader's post: %s", r)
	}
}

// TestNewScenarioFromNothing: a scenario is created from a name and a trigger, opens
// in the editor, and exports as a blueprint that validates.
func TestNewScenarioFromNothing(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn()
	list := b.get("/scenarios")
	mustContain(t, list.body, `id="new-form"`, `<option value="gateway:CustomWebHook">Custom webhook (gateway:CustomWebHook)</option>`)
	if r := b.post("/scenarios/new", url.Values{"name": {""}, "trigger": {"gateway:CustomWebHook"}}); r.status != http.StatusBadRequest {
		t.Fatalf("no name: %s", r)
	}
	if r := b.post("/scenarios/new", url.Values{"name": {"x"}, "trigger": {"http:MakeRequest"}}); r.status != http.StatusBadRequest {
		t.Fatalf("not a trigger: %s", r)
	}
	r := b.post("/scenarios/new", url.Values{"name": {"Orders <new>"}, "trigger": {"gateway:CustomWebHook"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/scenarios/1/edit?module=1" {
		t.Fatalf("create: %s", r)
	}
	v, bp := e.current(1)
	if v != 1 || bp.Name != "Orders <new>" || len(bp.Flow) != 1 || bp.Flow[0].Type != "gateway:CustomWebHook" || !bp.Metadata.Instant {
		t.Fatalf("created: v%d %+v", v, bp)
	}
	mustContain(t, b.get("/scenarios/1/edit?module=1").body, "Created “Orders &lt;new&gt;” as scenario 1 (inactive).")
	if _, err := e.svc.Hook(t.Context(), 1); err != nil {
		t.Fatalf("no webhook address: %v", err)
	}
}

// TestRunOnceRefusalIsAFragment: a trigger bundle that is not JSON answers the htmx
// form with the outcome fragment alone (not a whole page inside the panel); without
// script, the scenario page says why.
func TestRunOnceRefusalIsAFragment(t *testing.T) {
	e := newEnv(t)
	e.scenario(routerBlueprint)
	b := e.signedIn()
	p := b.post("/scenarios/1/run", url.Values{"input": {"{nope"}}, "HX-Request", "true", "HX-Target", "run-outcome")
	if p.status != http.StatusBadRequest {
		t.Fatal(p)
	}
	mustContain(t, p.body, `data-outcome="failed"`, "<strong>Not run.</strong> The trigger bundle is not valid JSON")
	mustNotContain(t, p.body, "<html", "<header")
	p = b.post("/scenarios/1/run", url.Values{"input": {"{nope"}})
	if p.status != http.StatusBadRequest {
		t.Fatal(p)
	}
	mustContain(t, p.body, `id="scenario-error">Not run: The trigger bundle is not valid JSON`, "<html")
}

// TestEditorChecksAsTyped: the module form checked before saving answers the problems
// at the module as typed (with the validator's pointer), and stores nothing.
func TestEditorChecksAsTyped(t *testing.T) {
	e := newEnv(t)
	sc := e.scenario(routerBlueprint)
	b := e.signedIn()
	mustContain(t, b.get("/scenarios/1/edit?module=3").body, `hx-post="/scenarios/1/edit/modules/3/check"`)
	// As htmx sends it: the CSRF token in a header, not in the form.
	p := b.post("/scenarios/1/edit/modules/3/check", url.Values{"_csrf": {""}, "base": {"1"}, "mapper.value": {"{{4.result}}"}},
		"HX-Request", "true", "X-CSRF-Token", b.csrf)
	if p.status != http.StatusOK {
		t.Fatal(p)
	}
	mustContain(t, p.body, `data-live-check="3"`, "<code>/flow/1/routes/0/flow/0/mapper/value</code>")
	mustNotContain(t, p.body, "<html")
	p = b.post("/scenarios/1/edit/modules/3/check", url.Values{"base": {"1"}, "mapper.value": {"{{1.amount}} ok"}}, "HX-Request", "true")
	mustContain(t, p.body, "As typed: no problem at this module.")
	p = b.post("/scenarios/1/edit/modules/3/check", url.Values{"filter.name": {""}, "filter.0.0.a": {"x"}}, "HX-Request", "true")
	mustContain(t, p.body, "condition 1 of group 1 has no operator")
	if v, _ := e.current(sc.ID); v != 1 {
		t.Fatalf("checking stored version %d", v)
	}
}

// TestEditorArrayRows: an array of collections whose items the module declares
// (HTTP's headers) is edited as rows, one per item, with a blank row to add one;
// emptied rows are removed.
func TestEditorArrayRows(t *testing.T) {
	e := newEnv(t)
	ok := newStandIn(t, 200)
	sc := e.scenario(forwardBlueprint("Forward", ok.srv.URL))
	b := e.signedIn()
	p := b.get("/scenarios/1/edit?module=2")
	mustContain(t, p.body, `<table class="rows-edit" id="f-mapper.headers">`, `name="mapper.headers.0.name" value=""`, `name="mapper.headers.0.value" value=""`)
	form := url.Values{"base": {"1"}, "mapper.headers.0.name": {"X-Api-Key"}, "mapper.headers.0.value": {"{{1.key}}"},
		"mapper.headers.1.name": {""}, "mapper.headers.1.value": {""}}
	if r := b.post("/scenarios/1/edit/modules/2", form); r.status != http.StatusSeeOther {
		t.Fatal(r)
	}
	_, bp := e.current(sc.ID)
	h, _ := mapperOf(t, bp, 2)["headers"].([]any)
	if len(h) != 1 || h[0].(map[string]any)["name"] != "X-Api-Key" || h[0].(map[string]any)["value"] != "{{1.key}}" {
		t.Fatalf("headers = %#v", mapperOf(t, bp, 2)["headers"])
	}
	p = b.get("/scenarios/1/edit?module=2")
	mustContain(t, p.body, `name="mapper.headers.0.name" value="X-Api-Key"`, `name="mapper.headers.1.name" value=""`)
	if r := b.post("/scenarios/1/edit/modules/2", url.Values{"base": {"2"}, "mapper.headers.0.name": {""}, "mapper.headers.0.value": {""}}); r.status != http.StatusSeeOther {
		t.Fatal(r)
	}
	if _, bp := e.current(sc.ID); mapperOf(t, bp, 2)["headers"] != nil {
		t.Fatalf("headers not removed: %v", mapperOf(t, bp, 2)["headers"])
	}
}

// TestEditorInterface: the scenario's inputs and outputs are declared as JSON, shown
// as the validator reads them, refused when invalid, and removed when emptied.
func TestEditorInterface(t *testing.T) {
	e := newEnv(t)
	sc := e.scenario(routerBlueprint)
	b := e.signedIn()
	mustContain(t, b.get("/scenarios/1/edit").body, "Inputs: not declared")
	decl := `{"input": [{"name": "orderId", "type": "text", "required": true}], "output": [{"name": "total", "type": "number"}]}`
	if r := b.post("/scenarios/1/edit/interface", url.Values{"base": {"1"}, "interface": {decl}}); r.status != http.StatusSeeOther {
		t.Fatal(r)
	}
	p := b.get("/scenarios/1/edit")
	mustContain(t, p.body, "<strong>Inputs:</strong> <code>orderId</code> text (required)", "<strong>Outputs:</strong> <code>total</code> number")
	if exp := b.get("/scenarios/1/export"); !strings.Contains(exp.body, `"interface":{"input":[{"name":"orderId"`) && !strings.Contains(exp.body, `"interface": {`) {
		t.Fatalf("export lacks the interface:\n%s", exp.body)
	}
	r := b.post("/scenarios/1/edit/interface", url.Values{"base": {"2"}, "interface": {`{"input": [{"name": "a", "type": "text"}, {"name": "a", "type": "text"}]}`}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("an input declared twice: %s", r)
	}
	mustContain(t, r.body, "/metadata/interface/input")
	if r := b.post("/scenarios/1/edit/interface", url.Values{"base": {"2"}, "interface": {`{nope`}}); r.status != http.StatusBadRequest {
		t.Fatalf("not JSON: %s", r)
	}
	if r := b.post("/scenarios/1/edit/interface", url.Values{"base": {"2"}, "interface": {""}}); r.status != http.StatusSeeOther {
		t.Fatal(r)
	}
	if v, _ := e.current(sc.ID); v != 3 {
		t.Fatalf("version %d", v)
	}
	mustContain(t, b.get("/scenarios/1/edit").body, "Inputs: not declared")
}
