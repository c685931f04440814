package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/iml"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// The scenario editor (/scenarios/{id}/edit): the flow as boxes that open, a form per
// module from its spec (as the resolve form), the filter on the link into it, a
// picker of {{N.field}} references, structural edits (add from the catalogue, delete,
// move, add a route, add an error handler), the scenario's name. Every change is one
// POST that rewrites the current blueprint and stores it through
// service.UpdateScenario, which validates it: a refused change shows the validator's
// problems at their module and nothing is stored; an accepted one is a new version
// whose diff against the previous one is a link away. No script is needed; htmx only
// keeps the page from reloading, and app.js inserts picked references at the cursor.

// directives are the error handler directives a person can add (SPEC §4.2).
var directives = []string{"builtin:Ignore", "builtin:Resume", "builtin:Break", "builtin:Commit", "builtin:Rollback"}

// condRow is one filter condition in the editor's form.
type condRow struct{ A, O, B string }

// filterForm is the filter on the link into a module: groups OR'ed, rows AND'ed.
// Each group shows one blank row more, and one blank group follows, so a person adds
// conditions without script; blank rows are dropped on save.
type filterForm struct {
	Name   string
	Groups [][]condRow
}

// pickItem is one reference the picker inserts.
type pickItem struct {
	Ref    string // {{3.data.id}}
	Label  string
	Sample string // a value from the last run, shortened
}

// pickGroup is the references of one upstream module.
type pickGroup struct {
	ModuleID int
	Label    string
	Items    []pickItem
}

// editorModule is the open module's panel.
type editorModule struct {
	ID       int
	Type     string
	Label    string
	Kind     string
	Help     string
	Pointer  string
	Fields   []formField
	More     []formField
	Filter   filterForm
	Picker   []pickGroup
	Problems []blueprint.Problem
	IsRouter bool
	Routes   int
	// HasHandler: it has an error handler route; HandlerEnds: that route ends with a
	// directive already.
	HasHandler  bool
	HandlerEnds bool
	CanHandle   bool
	First, Last bool
}

type catalogueEntry struct {
	Name, Label, Kind, Help string
}

type placeOption struct {
	Value, Label string
}

type editorData struct {
	pageBase
	Scenario   *weft.Scenario
	Name       string
	Desc       string
	Diagram    []diagramModule
	Module     *editorModule
	Problems   []blueprint.Problem
	Error      string
	Query      string
	Catalogue  []catalogueEntry
	More       int
	Places     []placeOption
	Operators  []string
	Directives []string
	CanWrite   bool
	Versions   []weft.Version
	// Interface is the scenario's declared inputs and outputs (as the validator reads
	// them), IfaceText its metadata.interface as JSON for the form.
	Interface blueprint.Interface
	IfaceText string
}

// editorAnalysis is a stored version's validation: its problems (warnings; a stored
// version has no errors) by module. Versions never change, so it is computed once per
// process and version.
type editorAnalysis struct {
	an       *blueprint.Analysis
	byModule map[int][]blueprint.Problem
}

func (u *UI) analysis(ctx context.Context, id int64, version int, bp *blueprint.Blueprint) *editorAnalysis {
	key := versionKey{id, version}
	if a, ok := u.anCache.Load(key); ok {
		return a.(*editorAnalysis)
	}
	a := &editorAnalysis{an: blueprint.Analyze(bp, u.cfg.Registry), byModule: map[int][]blueprint.Problem{}}
	for _, p := range a.an.Report.Problems {
		a.byModule[p.ModuleID] = append(a.byModule[p.ModuleID], p)
	}
	u.anCache.Store(key, a)
	return a
}

func moduleParam(r *http.Request) (int, error) {
	s := r.PathValue("mid")
	if s == "" {
		s = r.URL.Query().Get("module")
	}
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, &userError{status: http.StatusNotFound, msg: fmt.Sprintf("%q is not a module id.", s)}
	}
	return n, nil
}

func (u *UI) editor(w http.ResponseWriter, r *http.Request, s *session) error {
	return u.renderEditor(w, r, s, http.StatusOK, "", nil, nil)
}

// renderEditor shows the editor; after a refused change it shows why (msg, problems
// of the refused blueprint) and keeps what the person typed (typed).
func (u *UI) renderEditor(w http.ResponseWriter, r *http.Request, s *session, status int, msg string,
	problems []blueprint.Problem, typed *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	mid, err := moduleParam(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	sc, err := u.st.GetScenario(ctx, id)
	if err != nil {
		return err
	}
	f, err := u.flow(ctx, sc.ID, sc.Version)
	if err != nil {
		return err
	}
	an := u.analysis(ctx, sc.ID, sc.Version, f.BP)
	d := &editorData{pageBase: u.base(s, "Edit "+sc.Name, "scenarios"), Scenario: sc, Name: f.BP.Name, Desc: f.BP.Description,
		Error: msg, Operators: iml.Operators(), Directives: directives, CanWrite: hasScope(s, auth.ScenariosWrite),
		Query: strings.TrimSpace(r.FormValue("q"))}
	if typed != nil {
		d.Query = ""
	}
	byModule := an.byModule
	if problems != nil {
		d.Problems = problems
		byModule = map[int][]blueprint.Problem{}
		for _, p := range problems {
			byModule[p.ModuleID] = append(byModule[p.ModuleID], p)
		}
	} else {
		d.Problems = an.an.Report.Problems
	}
	d.Interface = an.an.Interface
	if raw, err := f.BP.Export(); err == nil {
		if v, ok, _ := lookupJSON(raw, "metadata", "interface"); ok && string(v) != "null" {
			d.IfaceText = prettyJSON(v)
		}
	}
	if typed != nil {
		if t, ok := typed.Form["interface"]; ok {
			d.IfaceText = t[0]
		}
	}
	// The diagram is built per request (it is linear in the flow): its boxes link to
	// this page with the module open.
	d.Diagram = buildDiagram(f.BP, u.cfg.Registry, 0)
	base := fmt.Sprintf("/scenarios/%d/edit?module=", sc.ID)
	decorate(d.Diagram, func(m *diagramModule) {
		if !m.HasID {
			return
		}
		m.Link = base + strconv.Itoa(m.ID)
		m.Selected = m.ID == mid
		m.Problems = len(byModule[m.ID])
	})
	if mid != 0 {
		m, ptr := f.BP.Module(mid)
		if m == nil {
			return &userError{status: http.StatusNotFound, msg: fmt.Sprintf("Scenario %d version %d has no module %d.", sc.ID, sc.Version, mid)}
		}
		if d.Module, err = u.editorModule(ctx, sc, f, an, m, ptr, byModule[mid], typed); err != nil {
			return err
		}
	}
	if d.CanWrite {
		d.Places = places(f.BP, mid)
		if d.Query != "" {
			d.Catalogue, d.More = catalogue(u.cfg.Registry, d.Query, 40)
		}
	}
	vs, err := u.st.ListVersions(ctx, sc.ID)
	if err != nil {
		return err
	}
	slices.Reverse(vs)
	if len(vs) > 5 {
		vs = vs[:5]
	}
	d.Versions = vs
	u.render(w, r, status, "editor", d)
	return nil
}

func (u *UI) editorModule(ctx context.Context, sc *weft.Scenario, f *scenarioFlow, an *editorAnalysis, m *blueprint.Module,
	ptr string, problems []blueprint.Problem, typed *http.Request) (*editorModule, error) {
	em := &editorModule{ID: m.ID, Type: m.Type, Label: f.Labels[m.ID], Kind: "unknown", Pointer: ptr, Problems: problems,
		HasHandler: len(m.OnError) > 0, Routes: len(m.Routes)}
	spec, _ := u.cfg.Registry.Lookup(m.Type)
	if spec != nil {
		em.Kind, em.Help = spec.Kind.String(), spec.Help
		em.IsRouter = spec.Kind == app.KindRouter
	}
	em.CanHandle = spec == nil || (spec.Kind != app.KindDirective && spec.Kind != app.KindRouter && spec.Kind != app.KindIfElse)
	if n := len(m.OnError); n > 0 {
		if last, ok := u.cfg.Registry.Lookup(m.OnError[n-1].Type); ok && last.Kind == app.KindDirective {
			em.HandlerEnds = true
		}
	}
	if list := siblings(f.BP, m.ID); len(list) > 0 {
		em.First, em.Last = list[0] == m, list[len(list)-1] == m
	}
	fields := moduleForm(m, spec)
	if typed != nil {
		for i := range fields {
			if v, ok := typed.Form[fields[i].Key()]; ok {
				fields[i].Value = v[len(v)-1]
			}
		}
	}
	// A module with a few fields shows them all (a new module has none set); one
	// with many (HTTP has thirty) folds the optional empty ones away.
	for _, ff := range fields {
		if len(fields) <= 8 || ff.Value != "" || ff.Required || !ff.Declared {
			em.Fields = append(em.Fields, ff)
		} else {
			em.More = append(em.More, ff)
		}
	}
	em.Filter = filterOf(m.Filter)
	if typed != nil {
		if tf, err := filterFromForm(typed); err == nil {
			em.Filter = filterOf(tf)
		}
	}
	var err error
	em.Picker, err = u.picker(ctx, sc, f, an, m)
	return em, err
}

// siblings returns the flow (main, route, branch or handler route) module id is in.
func siblings(bp *blueprint.Blueprint, id int) []*blueprint.Module {
	var found []*blueprint.Module
	var walk func(list []*blueprint.Module) bool
	walk = func(list []*blueprint.Module) bool {
		for _, m := range list {
			if m.HasID && m.ID == id {
				found = list
				return true
			}
			for _, r := range m.Routes {
				if walk(r.Flow) {
					return true
				}
			}
			for _, b := range m.Branches {
				if walk(b.Flow) {
					return true
				}
			}
			if walk(m.OnError) {
				return true
			}
		}
		return false
	}
	walk(bp.Flow)
	return found
}

// filterOf is the form of a filter, with a blank row after each group and a blank
// group at the end.
func filterOf(f *blueprint.Filter) filterForm {
	var ff filterForm
	if f != nil {
		ff.Name = f.Name
		for _, g := range f.Conditions {
			var rows []condRow
			for _, c := range g {
				row := condRow{A: value.Text(c.A), O: c.O}
				if c.B != nil {
					row.B = value.Text(c.B)
				}
				rows = append(rows, row)
			}
			ff.Groups = append(ff.Groups, append(rows, condRow{}))
		}
	}
	ff.Groups = append(ff.Groups, []condRow{{}})
	return ff
}

// filterFromForm reads filter.name and filter.G.C.{a,o,b}; rows without an operator
// are blank and dropped. It returns nil when no condition is left and no name given.
func filterFromForm(r *http.Request) (*blueprint.Filter, error) {
	type key struct{ g, c int }
	rows := map[key]*condRow{}
	for k, vs := range r.Form {
		rest, ok := strings.CutPrefix(k, "filter.")
		if !ok || rest == "name" {
			continue
		}
		parts := strings.Split(rest, ".")
		if len(parts) != 3 {
			continue
		}
		g, err1 := strconv.Atoi(parts[0])
		c, err2 := strconv.Atoi(parts[1])
		if err1 != nil || err2 != nil || g < 0 || c < 0 || g > 1000 || c > 1000 {
			return nil, badRequest("Filter: %q is not a condition field.", k)
		}
		row := rows[key{g, c}]
		if row == nil {
			row = &condRow{}
			rows[key{g, c}] = row
		}
		v := strings.TrimSpace(vs[len(vs)-1])
		switch parts[2] {
		case "a":
			row.A = v
		case "o":
			row.O = v
		case "b":
			row.B = v
		}
	}
	keys := slices.Collect(maps.Keys(rows))
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].g != keys[j].g {
			return keys[i].g < keys[j].g
		}
		return keys[i].c < keys[j].c
	})
	f := &blueprint.Filter{Name: strings.TrimSpace(r.FormValue("filter.name"))}
	groups := map[int][]blueprint.Condition{}
	var order []int
	for _, k := range keys {
		row := rows[k]
		if row.O == "" {
			if row.A != "" || row.B != "" {
				return nil, badRequest("Filter: condition %d of group %d has no operator.", k.c+1, k.g+1)
			}
			continue
		}
		if !iml.IsOperator(row.O) {
			return nil, badRequest("Filter: %q is not an operator.", row.O)
		}
		c := blueprint.Condition{A: row.A, O: row.O}
		if row.B != "" {
			c.B = row.B
		}
		if _, seen := groups[k.g]; !seen {
			order = append(order, k.g)
		}
		groups[k.g] = append(groups[k.g], c)
	}
	for _, g := range order {
		f.Conditions = append(f.Conditions, groups[g])
	}
	if len(f.Conditions) == 0 {
		if f.Name != "" {
			return nil, badRequest("Filter %q has no condition: add one, or clear its name to remove the filter.", f.Name)
		}
		return nil, nil
	}
	if f.Name == "" {
		f.Name = "filter"
	}
	return f, nil
}

// sameFilter reports whether two filters read the same (a number 100 and the text
// "100" are the same to a person; saving must not turn one into the other).
func sameFilter(a, b *blueprint.Filter) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Name == b.Name && conditionsText(a.Conditions) == conditionsText(b.Conditions)
}

// picker lists what module m may map: each visible upstream module's declared
// outputs, the fields of its first bundle in the scenario's last run that logged it,
// and, inside an error handler route, the failing module's error.
func (u *UI) picker(ctx context.Context, sc *weft.Scenario, f *scenarioFlow, an *editorAnalysis, m *blueprint.Module) ([]pickGroup, error) {
	node := an.an.ByModule[m]
	if node == nil {
		return nil, nil
	}
	samples, err := u.lastRunSamples(ctx, sc)
	if err != nil {
		return nil, err
	}
	var out []pickGroup
	for _, id := range node.Visible() {
		if id == m.ID {
			continue
		}
		g := pickGroup{ModuleID: id, Label: f.Labels[id]}
		seen := map[string]bool{}
		add := func(path, label, sample string) {
			if seen[path] {
				return
			}
			seen[path] = true
			g.Items = append(g.Items, pickItem{Ref: "{{" + strconv.Itoa(id) + "." + path + "}}", Label: label, Sample: sample})
		}
		if up := an.an.ByID[id]; up != nil && up.Spec != nil {
			for _, o := range up.Spec.Outputs {
				add(o.Name, o.Help, "")
			}
		}
		if node.Handler != nil && node.Handler.Module.ID == id {
			add("error.type", "the error's type", "")
			add("error.message", "the error's message", "")
		}
		for _, p := range samples[id] {
			add(p.path, "", p.sample)
		}
		if len(g.Items) > 0 {
			out = append(out, g)
		}
	}
	return out, nil
}

type samplePath struct{ path, sample string }

// lastRunSamples reads the scenario's last run that has a log: for each module, the
// fields of its first output bundle (two levels deep), with a short sample value.
// Nothing for a confidential scenario.
func (u *UI) lastRunSamples(ctx context.Context, sc *weft.Scenario) (map[int][]samplePath, error) {
	exs, err := u.st.ListExecutions(ctx, store.ExecutionFilter{ScenarioID: sc.ID, Limit: 5})
	if err != nil {
		return nil, err
	}
	for _, e := range exs {
		if e.FinishedAt == nil {
			continue
		}
		ex, err := u.st.GetExecution(ctx, e.ID)
		if err != nil {
			return nil, err
		}
		if len(ex.Log) == 0 || string(ex.Log) == "null" {
			continue
		}
		if f, err := u.flow(ctx, sc.ID, ex.Version); err != nil || f.Settings.Confidential {
			return nil, nil
		}
		log, err := u.logs.decode(ex)
		if err != nil {
			return nil, err
		}
		out := map[int][]samplePath{}
		for _, le := range log {
			if _, done := out[le.ModuleID]; done || !jsonPresent(le.Output) {
				continue
			}
			v, err := value.DecodeJSON(le.Output)
			if err != nil {
				continue
			}
			if arr, ok := v.([]any); ok && len(arr) > 0 {
				v = arr[0]
			}
			obj, ok := v.(map[string]any)
			if !ok {
				continue
			}
			out[le.ModuleID] = samplesOf(obj, "", 2)
		}
		return out, nil
	}
	return nil, nil
}

func samplesOf(obj map[string]any, prefix string, depth int) []samplePath {
	keys := slices.Sorted(maps.Keys(obj))
	var out []samplePath
	for _, k := range keys {
		path := prefix + refName(k)
		v := obj[k]
		if sub, ok := v.(map[string]any); ok && depth > 1 {
			out = append(out, samplePath{path: path, sample: "{…}"})
			out = append(out, samplesOf(sub, path+".", depth-1)...)
			continue
		}
		s := value.Text(v)
		if _, isObj := v.(map[string]any); isObj {
			s = "{…}"
		} else if _, isArr := v.([]any); isArr {
			s = fmt.Sprintf("[%d items]", len(v.([]any)))
		}
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		out = append(out, samplePath{path: path, sample: s})
	}
	return out
}

// refName quotes a field name with backticks when the mapping language needs it
// ({{1.`Customer Name`}}).
func refName(k string) string {
	for _, r := range k {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return "`" + k + "`"
		}
	}
	return k
}

// catalogue lists the module types matching q (app, name or label), at most limit,
// and how many more matched.
func catalogue(reg *app.Registry, q string, limit int) ([]catalogueEntry, int) {
	q = strings.ToLower(q)
	var out []catalogueEntry
	more := 0
	for _, sp := range reg.Specs() {
		if !strings.Contains(strings.ToLower(sp.Name), q) && !strings.Contains(strings.ToLower(sp.Label), q) {
			continue
		}
		if len(out) == limit {
			more++
			continue
		}
		out = append(out, catalogueEntry{Name: sp.Name, Label: sp.Label, Kind: sp.Kind.String(), Help: sp.Help})
	}
	return out, more
}

// places are where a new module can go: after the open module, into each route of a
// router, into its error handler route; at the end of the main flow otherwise.
func places(bp *blueprint.Blueprint, mid int) []placeOption {
	var out []placeOption
	if m, _ := bp.Module(mid); m != nil {
		out = append(out, placeOption{"after:" + strconv.Itoa(mid), fmt.Sprintf("after #%d", mid)})
		for i := range m.Routes {
			out = append(out, placeOption{fmt.Sprintf("route:%d:%d", mid, i), fmt.Sprintf("at the end of route %d of #%d", i+1, mid)})
		}
		if len(m.OnError) > 0 {
			out = append(out, placeOption{"handler:" + strconv.Itoa(mid), fmt.Sprintf("in the error handler of #%d", mid)})
		}
	}
	if len(bp.Flow) > 0 && bp.Flow[len(bp.Flow)-1].ID != mid {
		out = append(out, placeOption{"end", "at the end of the main flow"})
	}
	if len(bp.Flow) == 0 {
		out = append(out, placeOption{"end", "as the first module"})
	}
	return out
}

// change rewrites the scenario's current blueprint with fn and stores it as a new
// version. The form's "base" is the version the person edited: a change to an older
// one is refused, so two people editing never overwrite each other unseen. A change
// the validator refuses is shown at its modules, and nothing is stored.
func (u *UI) change(w http.ResponseWriter, r *http.Request, s *session, back int,
	fn func(bp *blueprint.Blueprint) (focus int, err error)) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	sc, err := u.st.GetScenario(ctx, id)
	if err != nil {
		return err
	}
	if base := r.FormValue("base"); base != strconv.Itoa(sc.Version) {
		return u.renderEditor(w, r, s, http.StatusConflict,
			fmt.Sprintf("Not saved: the scenario changed since you opened it (you edited version %s, it is now version %d). Your change is kept below; look at the current version and save again.", base, sc.Version),
			nil, r)
	}
	v, err := u.st.GetVersion(ctx, sc.ID, sc.Version)
	if err != nil {
		return err
	}
	bp, err := blueprint.Parse(v.Blueprint)
	if err != nil {
		return fmt.Errorf("scenario %d version %d: %w", sc.ID, sc.Version, err)
	}
	focus, err := fn(bp)
	if err != nil {
		var ue *userError
		if errors.As(err, &ue) {
			return u.renderEditor(w, r, s, ue.status, "Not saved: "+ue.msg, nil, r)
		}
		return err
	}
	if focus == 0 {
		focus = back
	}
	to := fmt.Sprintf("/scenarios/%d/edit", sc.ID)
	if focus > 0 {
		if m, _ := bp.Module(focus); m != nil {
			to += "?module=" + strconv.Itoa(focus)
		}
	}
	raw, err := bp.Export()
	if err != nil {
		return err
	}
	if sameJSON(raw, v.Blueprint) {
		return u.flashRedirect(w, r, s, to, "Nothing changed.")
	}
	next, err := u.svc.UpdateScenario(ctx, sc.ID, raw)
	if err != nil {
		var ib *service.InvalidBlueprintError
		if errors.As(err, &ib) {
			return u.renderEditor(w, r, s, http.StatusUnprocessableEntity,
				"Not saved: the scenario would not be valid. The problems are listed at their modules.", ib.Report.Errors(), r)
		}
		if msg, _, ok := invalidBlueprint(err); ok {
			return u.renderEditor(w, r, s, http.StatusUnprocessableEntity, "Not saved: "+msg, nil, r)
		}
		return err
	}
	return u.flashRedirect(w, r, s, to, fmt.Sprintf("Saved as version %d.", next.Version))
}

// sameJSON reports whether two JSON documents differ only in white space.
func sameJSON(a, b []byte) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return false
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

func (u *UI) editModule(w http.ResponseWriter, r *http.Request, s *session) error {
	mid, err := moduleParam(r)
	if err != nil {
		return err
	}
	return u.change(w, r, s, mid, func(bp *blueprint.Blueprint) (int, error) {
		return mid, u.applyModuleForm(bp, r, mid)
	})
}

// applyModuleForm writes the module form's changed fields and filter into module mid.
func (u *UI) applyModuleForm(bp *blueprint.Blueprint, r *http.Request, mid int) error {
	// htmx sends the CSRF token as a header, so nothing may have parsed the form yet.
	if err := r.ParseForm(); err != nil {
		return badRequest("The form could not be read: %v", err)
	}
	m, _ := bp.Module(mid)
	if m == nil {
		return &userError{status: http.StatusNotFound, msg: fmt.Sprintf("The scenario has no module %d.", mid)}
	}
	spec, _ := u.cfg.Registry.Lookup(m.Type)
	edits, err := formEdits(r, mid, moduleForm(m, spec))
	if err != nil {
		return badRequest("%v", err)
	}
	mapper, _ := m.Mapper.(map[string]any)
	mapper = maps.Clone(mapper)
	params := maps.Clone(m.Parameters)
	mapperChanged, paramsChanged := false, false
	for _, e := range edits {
		target := &mapper
		if e.Part == "parameters" {
			target, paramsChanged = &params, true
		} else {
			mapperChanged = true
		}
		if *target == nil {
			*target = map[string]any{}
		}
		if e.Value == nil || e.Value == "" {
			delete(*target, e.Path)
		} else {
			(*target)[e.Path] = e.Value
		}
	}
	// A field the module does not declare (open mappers: Create JSON, aggregators).
	if name := strings.TrimSpace(r.FormValue("new.name")); name != "" {
		if mapper == nil {
			mapper = map[string]any{}
		}
		mapper[name] = r.FormValue("new.value")
		mapperChanged = true
	}
	if mapperChanged {
		m.SetMapper(mapper)
	}
	if paramsChanged {
		m.SetParameters(params)
	}
	if _, ok := r.Form["filter.name"]; ok {
		f, err := filterFromForm(r)
		if err != nil {
			return err
		}
		if !sameFilter(f, m.Filter) {
			m.SetFilter(f)
		}
	}
	return nil
}

// liveCheck is the module form checked as it is typed, before it is saved.
type liveCheck struct {
	ModuleID int
	Error    string
	// Here are the problems at the module; Elsewhere counts the others.
	Here      []blueprint.Problem
	Elsewhere int
}

// checkModule validates the module form as typed (the current version with the
// form applied) and answers the fragment under the form: nothing is stored.
func (u *UI) checkModule(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	mid, err := moduleParam(r)
	if err != nil {
		return err
	}
	sc, err := u.st.GetScenario(r.Context(), id)
	if err != nil {
		return err
	}
	v, err := u.st.GetVersion(r.Context(), sc.ID, sc.Version)
	if err != nil {
		return err
	}
	bp, err := blueprint.Parse(v.Blueprint)
	if err != nil {
		return err
	}
	lc := &liveCheck{ModuleID: mid}
	if err := u.applyModuleForm(bp, r, mid); err != nil {
		var ue *userError
		if !errors.As(err, &ue) {
			return err
		}
		lc.Error = ue.msg
	} else {
		raw, err := bp.Export()
		if err != nil {
			return err
		}
		checked, err := blueprint.Parse(raw)
		if err != nil {
			return err
		}
		for _, p := range blueprint.Validate(checked, u.cfg.Registry).Problems {
			if p.ModuleID == mid {
				lc.Here = append(lc.Here, p)
			} else if p.Severity == blueprint.SeverityError {
				lc.Elsewhere++
			}
		}
	}
	html, err := u.renderPartial("live-check", lc)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write([]byte(html))
	return err
}

func (u *UI) addModule(w http.ResponseWriter, r *http.Request, s *session) error {
	typ := strings.TrimSpace(r.FormValue("type"))
	spec, ok := u.cfg.Registry.Lookup(typ)
	if !ok {
		return badRequest("Add: %q is not a module type weft has; search the catalogue.", typ)
	}
	return u.change(w, r, s, 0, func(bp *blueprint.Blueprint) (int, error) {
		id := bp.MaxID() + 1
		var params map[string]any
		var mapper any
		if typ == "builtin:Break" {
			mapper = map[string]any{"retry": true, "count": 3, "interval": 15}
		}
		where := r.FormValue("where")
		x, y := 0, 0
		if last := lastModule(bp.Flow); last != nil {
			if lx, ly, ok := last.Designer(); ok {
				x, y = lx+300, ly
			}
		}
		m := blueprint.NewModule(id, typ, 1, params, mapper, x, y)
		if spec.Kind == app.KindRouter {
			m.AddRoute(nil)
			m.AddRoute(nil)
		}
		kind, arg, _ := strings.Cut(where, ":")
		switch kind {
		case "", "end":
			bp.Flow = append(bp.Flow, m)
		case "after":
			after, err := strconv.Atoi(arg)
			if err != nil {
				return 0, badRequest("Add: %q is not a place.", where)
			}
			if err := bp.InsertAfter(after, m); err != nil {
				return 0, badRequest("Add: %v.", err)
			}
		case "route":
			rid, idx, _ := strings.Cut(arg, ":")
			router, err1 := strconv.Atoi(rid)
			i, err2 := strconv.Atoi(idx)
			rm, _ := bp.Module(router)
			if err1 != nil || err2 != nil || rm == nil || i < 0 || i >= len(rm.Routes) {
				return 0, badRequest("Add: %q is not a route.", where)
			}
			rm.Routes[i].Flow = append(rm.Routes[i].Flow, m)
		case "handler":
			hid, err := strconv.Atoi(arg)
			hm, _ := bp.Module(hid)
			if err != nil || hm == nil {
				return 0, badRequest("Add: %q is not an error handler route.", where)
			}
			flow := slices.Clone(hm.OnError)
			at := len(flow)
			// Before a directive that ends the route: it must stay last.
			if at > 0 {
				if ls, ok := u.cfg.Registry.Lookup(flow[at-1].Type); ok && ls.Kind == app.KindDirective {
					at--
				}
			}
			hm.SetOnError(slices.Insert(flow, at, m))
		default:
			return 0, badRequest("Add: %q is not a place.", where)
		}
		return id, nil
	})
}

func lastModule(flow []*blueprint.Module) *blueprint.Module {
	if len(flow) == 0 {
		return nil
	}
	return flow[len(flow)-1]
}

func (u *UI) deleteModule(w http.ResponseWriter, r *http.Request, s *session) error {
	mid, err := moduleParam(r)
	if err != nil {
		return err
	}
	return u.change(w, r, s, -1, func(bp *blueprint.Blueprint) (int, error) {
		if _, err := bp.Remove(mid); err != nil {
			return 0, badRequest("Delete: %v.", err)
		}
		return -1, nil
	})
}

func (u *UI) moveModule(w http.ResponseWriter, r *http.Request, s *session) error {
	mid, err := moduleParam(r)
	if err != nil {
		return err
	}
	delta := 1
	if r.FormValue("dir") == "before" {
		delta = -1
	}
	return u.change(w, r, s, mid, func(bp *blueprint.Blueprint) (int, error) {
		if _, err := bp.Move(mid, delta); err != nil {
			return 0, badRequest("Move: %v.", err)
		}
		return mid, nil
	})
}

func (u *UI) addRoute(w http.ResponseWriter, r *http.Request, s *session) error {
	mid, err := moduleParam(r)
	if err != nil {
		return err
	}
	return u.change(w, r, s, mid, func(bp *blueprint.Blueprint) (int, error) {
		m, _ := bp.Module(mid)
		if m == nil {
			return 0, badRequest("The scenario has no module %d.", mid)
		}
		if spec, ok := u.cfg.Registry.Lookup(m.Type); !ok || spec.Kind != app.KindRouter {
			return 0, badRequest("Module %d is not a router: only a router has routes.", mid)
		}
		m.AddRoute(nil)
		return mid, nil
	})
}

func (u *UI) addHandler(w http.ResponseWriter, r *http.Request, s *session) error {
	mid, err := moduleParam(r)
	if err != nil {
		return err
	}
	dir := r.FormValue("directive")
	if !slices.Contains(directives, dir) {
		return badRequest("Error handler: %q is not a directive (%s).", dir, strings.Join(directives, ", "))
	}
	return u.change(w, r, s, mid, func(bp *blueprint.Blueprint) (int, error) {
		m, _ := bp.Module(mid)
		if m == nil {
			return 0, badRequest("The scenario has no module %d.", mid)
		}
		if n := len(m.OnError); n > 0 {
			if ls, ok := u.cfg.Registry.Lookup(m.OnError[n-1].Type); ok && ls.Kind == app.KindDirective {
				return 0, badRequest("Module %d's error handler route already ends with %s; delete it first to choose another directive.", mid, m.OnError[n-1].Type)
			}
		}
		var mapper any
		if dir == "builtin:Break" {
			mapper = map[string]any{"retry": true, "count": 3, "interval": 15}
		}
		d := blueprint.NewModule(bp.MaxID()+1, dir, 1, nil, mapper, 0, 0)
		m.SetOnError(append(slices.Clone(m.OnError), d))
		return mid, nil
	})
}

// renameScenario sets the blueprint's name and description.
func (u *UI) renameScenario(w http.ResponseWriter, r *http.Request, s *session) error {
	name := strings.TrimSpace(r.FormValue("name"))
	if name == "" {
		return badRequest("The scenario needs a name.")
	}
	return u.change(w, r, s, 0, func(bp *blueprint.Blueprint) (int, error) {
		raw, err := bp.Export()
		if err != nil {
			return 0, err
		}
		nj, _ := json.Marshal(name)
		dj, _ := json.Marshal(strings.TrimSpace(r.FormValue("description")))
		if raw, err = spliceJSON(raw, nj, "name"); err != nil {
			return 0, err
		}
		if raw, err = spliceJSON(raw, dj, "description"); err != nil {
			return 0, err
		}
		next, err := blueprint.Parse(raw)
		if err != nil {
			return 0, err
		}
		*bp = *next
		return 0, nil
	})
}

// triggers lists the module types a new scenario can start with: the webhook first
// (what most scenarios built by hand start with), then every other trigger.
func triggers(reg *app.Registry) []catalogueEntry {
	var out []catalogueEntry
	for _, sp := range reg.Specs() {
		if sp.Kind != app.KindTrigger {
			continue
		}
		e := catalogueEntry{Name: sp.Name, Label: sp.Label, Kind: sp.Kind.String()}
		if sp.Name == "gateway:CustomWebHook" {
			out = slices.Insert(out, 0, e)
		} else {
			out = append(out, e)
		}
	}
	return out
}

// newScenario creates a scenario of one trigger module and opens it in the editor,
// so a scenario can be built without a blueprint file.
func (u *UI) newScenario(w http.ResponseWriter, r *http.Request, s *session) error {
	name := strings.TrimSpace(r.FormValue("name"))
	if name == "" {
		return u.renderScenarioList(w, r, s, http.StatusBadRequest, "A new scenario needs a name.", nil)
	}
	typ := r.FormValue("trigger")
	if spec, ok := u.cfg.Registry.Lookup(typ); !ok || spec.Kind != app.KindTrigger {
		return u.renderScenarioList(w, r, s, http.StatusBadRequest, fmt.Sprintf("%q is not a trigger weft has.", typ), nil)
	}
	var params map[string]any
	if typ == "gateway:CustomWebHook" {
		params = map[string]any{"hook": 1} // Make's hook id; weft gives the scenario its own address
	}
	trig, err := json.Marshal(blueprint.NewModule(1, typ, 1, params, nil, 0, 0))
	if err != nil {
		return err
	}
	nj, _ := json.Marshal(name)
	instant := typ == "gateway:CustomWebHook"
	raw := fmt.Sprintf(`{"name": %s, "flow": [%s], "metadata": {"instant": %t, "version": 1, "scenario": {"roundtrips": 1, "maxErrors": 3, "autoCommit": true, "autoCommitTriggerLast": true, "sequential": false, "confidential": false, "dataloss": false, "dlq": true, "freshVariables": false}, "designer": {"orphans": []}}}`,
		nj, trig, instant)
	var out bytes.Buffer
	if err := json.Indent(&out, []byte(raw), "", "    "); err != nil {
		return err
	}
	sc, err := u.svc.CreateScenario(r.Context(), out.Bytes(), "ui")
	if err != nil {
		if msg, problems, ok := invalidBlueprint(err); ok {
			return u.renderScenarioList(w, r, s, http.StatusUnprocessableEntity, msg, problems)
		}
		return err
	}
	if _, err := u.svc.EnsureHook(r.Context(), sc.ID); err != nil {
		return err
	}
	return u.flashRedirect(w, r, s, fmt.Sprintf("/scenarios/%d/edit?module=1", sc.ID),
		fmt.Sprintf("Created “%s” as scenario %d (inactive). Add its modules.", sc.Name, sc.ID))
}

// saveInterface sets the scenario's declared inputs and outputs, metadata.interface
// ({"input": [...], "output": [...]}, Make's API shape; docs/subscenarios.md); empty
// text removes the declaration. The validator checks it like the rest.
func (u *UI) saveInterface(w http.ResponseWriter, r *http.Request, s *session) error {
	text := strings.TrimSpace(r.FormValue("interface"))
	val := json.RawMessage("null")
	if text != "" {
		v, err := value.DecodeJSON([]byte(text))
		if err != nil {
			return u.renderEditor(w, r, s, http.StatusBadRequest, fmt.Sprintf("Not saved: the inputs and outputs are not valid JSON: %v", err), nil, r)
		}
		val = value.JSON(v)
	}
	return u.change(w, r, s, 0, func(bp *blueprint.Blueprint) (int, error) {
		raw, err := bp.Export()
		if err != nil {
			return 0, err
		}
		if raw, err = spliceJSON(raw, val, "metadata", "interface"); err != nil {
			return 0, badRequest("%v", err)
		}
		next, err := blueprint.Parse(raw)
		if err != nil {
			return 0, err
		}
		*bp = *next
		return 0, nil
	})
}
