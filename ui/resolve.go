package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// formField is one input of the resolve form, generated from the failing module's
// spec (app.Spec Mapper and Parameters), plus the keys its mapper holds that the spec
// does not declare.
type formField struct {
	Part     string // "mapper" or "parameters"
	Name     string
	Label    string
	Help     string
	Type     string
	Required bool
	Options  []string
	// Value is the current value as the input shows it: text as it is, anything else
	// as JSON.
	Value string
	// JSON: the value is read back as JSON (collections, arrays, numbers stored as
	// numbers); a {{…}} template is kept as text.
	JSON bool
	// Control is "text", "textarea", "select", "switch" (a boolean) or "rows" (an
	// array of collections whose item fields are declared: a row per item).
	Control  string
	Declared bool
	// Cols and Rows are the "rows" control: the item fields, and the items' values as
	// text (one blank row more, to add an item).
	Cols []string
	Rows [][]string
}

// rowsOf returns an array of collections as rows of text under cols, when every
// item is an object of those keys with text values (anything else stays JSON).
func rowsOf(v any, spec []app.Field) (cols []string, rows [][]string, ok bool) {
	for _, f := range spec {
		switch f.Type {
		case app.TypeText, app.TypeAny, app.TypeSelect, app.TypeURL:
		default:
			return nil, nil, false
		}
		cols = append(cols, f.Name)
	}
	if len(cols) == 0 {
		return nil, nil, false
	}
	var items []any
	switch x := v.(type) {
	case nil:
	case []any:
		items = x
	default:
		return nil, nil, false
	}
	for _, it := range items {
		obj, isObj := it.(map[string]any)
		if !isObj {
			return nil, nil, false
		}
		row := make([]string, len(cols))
		for k, val := range obj {
			i := slices.Index(cols, k)
			str, isText := val.(string)
			if i < 0 || !isText {
				return nil, nil, false
			}
			row[i] = str
		}
		rows = append(rows, row)
	}
	return cols, append(rows, make([]string, len(cols))), true
}

// rowsValue reads a "rows" control back: non-blank rows as objects, empty cells left
// out (nil when no row is left).
func rowsValue(r *http.Request, f formField) []any {
	var out []any
	for i := 0; i < 1000; i++ {
		prefix := fmt.Sprintf("%s.%d.", f.Key(), i)
		if _, ok := r.Form[prefix+f.Cols[0]]; !ok {
			break
		}
		obj := map[string]any{}
		for _, c := range f.Cols {
			if v := strings.TrimSpace(r.FormValue(prefix + c)); v != "" {
				obj[c] = v
			}
		}
		if len(obj) > 0 {
			out = append(out, obj)
		}
	}
	return out
}

// Key is the form's input name.
func (f formField) Key() string { return f.Part + "." + f.Name }

// currentText renders a stored value for an input; asJSON says it must be read back
// as JSON.
func currentText(v any, typ app.FieldType) (text string, asJSON bool) {
	switch x := v.(type) {
	case nil:
		return "", typ == app.TypeCollection || typ == app.TypeArray
	case string:
		return x, false
	}
	return string(value.JSON(v)), true
}

// moduleForm builds the resolve form of module m.
func moduleForm(m *blueprint.Module, spec *app.Spec) []formField {
	mapper, _ := m.Mapper.(map[string]any)
	var out []formField
	add := func(part string, fields []app.Field, values map[string]any) {
		seen := map[string]bool{}
		for _, f := range fields {
			seen[f.Name] = true
			out = append(out, field(part, f, values[f.Name], true))
		}
		var extra []string
		for k := range values {
			if !seen[k] {
				extra = append(extra, k)
			}
		}
		slices.Sort(extra)
		for _, k := range extra {
			out = append(out, field(part, app.Field{Name: k, Type: app.TypeAny}, values[k], false))
		}
	}
	var mf, pf []app.Field
	if spec != nil {
		mf, pf = spec.Mapper, spec.Parameters
	}
	add("mapper", mf, mapper)
	add("parameters", pf, m.Parameters)
	return out
}

func field(part string, f app.Field, v any, declared bool) formField {
	ff := formField{Part: part, Name: f.Name, Label: f.Label, Help: f.Help, Type: string(f.Type), Required: f.Required,
		Declared: declared}
	if ff.Label == "" {
		ff.Label = f.Name
	}
	ff.Value, ff.JSON = currentText(v, f.Type)
	if f.Type == app.TypeArray && len(f.Spec) > 0 {
		if cols, rows, ok := rowsOf(v, f.Spec); ok {
			ff.Control, ff.Cols, ff.Rows = "rows", cols, rows
			return ff
		}
	}
	switch {
	case f.Type == app.TypeBoolean && (ff.Value == "" || ff.Value == "true" || ff.Value == "false"):
		ff.Control = "switch"
	case (f.Type == app.TypeSelect || f.Type == app.TypeText) && len(f.Options) > 0 && !ff.JSON && !strings.Contains(ff.Value, "{{"):
		ff.Control, ff.Options = "select", slices.Clone(f.Options)
		if ff.Value != "" && !slices.Contains(ff.Options, ff.Value) {
			ff.Options = append(ff.Options, ff.Value)
		}
	case ff.JSON || strings.Contains(ff.Value, "\n") || len(ff.Value) > 80:
		ff.Control = "textarea"
		if ff.JSON && ff.Value != "" {
			ff.Value = prettyJSON(json.RawMessage(ff.Value))
		}
	default:
		ff.Control = "text"
	}
	return ff
}

// formEdits compares the submitted form with the module's current values and returns
// an edit for every field that changed.
func formEdits(r *http.Request, moduleID int, fields []formField) ([]service.Edit, error) {
	var edits []service.Edit
	for _, f := range fields {
		if f.Control == "rows" {
			if _, sent := r.Form[f.Key()+".0."+f.Cols[0]]; !sent {
				continue
			}
			var val any
			if items := rowsValue(r, f); items != nil {
				val = items
			}
			if (val == nil && f.Value == "") || (val != nil && equalJSON(val, f.Value)) {
				continue
			}
			edits = append(edits, service.Edit{ModuleID: moduleID, Part: f.Part, Path: f.Name, Value: val})
			continue
		}
		got, ok := r.Form[f.Key()]
		if !ok {
			continue
		}
		// A switch sends a hidden "false" before its checkbox: the last value wins.
		v := strings.ReplaceAll(got[len(got)-1], "\r\n", "\n")
		if v == f.Value {
			continue
		}
		var val any = v
		if f.Control == "switch" {
			if f.Value == "" && v == "false" {
				continue // left off: unset stays unset (the module's default)
			}
			if f.JSON || f.Value == "" {
				val = v == "true"
			} // else it was stored as text ("true"), and stays text
			edits = append(edits, service.Edit{ModuleID: moduleID, Part: f.Part, Path: f.Name, Value: val})
			continue
		}
		trimmed := strings.TrimSpace(v)
		switch {
		case f.JSON && trimmed == "":
			val = nil
		case f.JSON && !strings.HasPrefix(trimmed, "{{"):
			j, err := value.DecodeJSON([]byte(trimmed))
			if err != nil {
				return nil, fmt.Errorf("%s (%s): not valid JSON: %v", f.Label, f.Key(), err)
			}
			if equalJSON(j, f.Value) {
				continue // only re-indented
			}
			val = j
		}
		edits = append(edits, service.Edit{ModuleID: moduleID, Part: f.Part, Path: f.Name, Value: val})
	}
	return edits, nil
}

func equalJSON(v any, text string) bool {
	old, err := value.DecodeJSON([]byte(text))
	return err == nil && string(value.JSON(old)) == string(value.JSON(v))
}

// moduleJSON is the JSON editor's text: the module's mapper and parameters.
func moduleJSON(m *blueprint.Module) string {
	var mapper any = map[string]any{}
	if m.Mapper != nil {
		mapper = m.Mapper
	}
	params := map[string]any{}
	if m.Parameters != nil {
		params = m.Parameters
	}
	return prettyJSON(json.RawMessage(value.JSON(map[string]any{"mapper": mapper, "parameters": params})))
}

// jsonEdit applies the JSON editor's text to the failing module of the incomplete
// execution's blueprint and returns the edited blueprint (nil: nothing changed).
func jsonEdit(ie *weft.Incomplete, text string) ([]byte, error) {
	bp, err := blueprint.Parse(ie.Blueprint)
	if err != nil {
		return nil, err
	}
	m, _ := bp.Module(ie.FailedModuleID)
	if m == nil {
		return nil, fmt.Errorf("the blueprint has no module %d", ie.FailedModuleID)
	}
	v, err := value.DecodeJSON([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("the JSON editor's text is not valid JSON: %v", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New(`the JSON editor's text must be an object {"mapper": {…}, "parameters": {…}}`)
	}
	for k := range obj {
		if k != "mapper" && k != "parameters" {
			return nil, fmt.Errorf("the JSON editor's text has %q; only mapper and parameters can change here", k)
		}
	}
	if equalJSON(obj, moduleJSON(m)) {
		return nil, nil
	}
	if mp, ok := obj["mapper"]; ok {
		m.SetMapper(mp)
	}
	if p, ok := obj["parameters"]; ok {
		pm, isObj := p.(map[string]any)
		if !isObj && p != nil {
			return nil, errors.New("parameters must be an object")
		}
		m.SetParameters(pm)
	}
	return bp.Export()
}

type ieData struct {
	pageBase
	IE          *weft.Incomplete
	Scenario    *weft.Scenario
	Flow        *scenarioFlow
	Module      *blueprint.Module
	ModuleLabel string
	Fields      []formField
	// More are the optional fields the module leaves empty (folded away).
	More         []formField
	JSONText     string
	Input        string
	Outputs      string
	Details      string
	Confidential bool
	Attempts     []weft.Attempt
	CanWrite     bool
	Editable     bool
	Error        string
	// Outcome unknown and circuit breakers (ui/recovery.go).
	Unknown *unknownData
	Breaker *service.BreakerState
	// Preview is what a retry as stored would do (nil when it cannot tell).
	Preview *service.Preview
}

func (u *UI) incompleteDetail(w http.ResponseWriter, r *http.Request, s *session) error {
	return u.renderIncomplete(w, r, s, http.StatusOK, "", nil)
}

// renderIncomplete shows an incomplete execution; after a refused edit it keeps what
// the person typed (typed: the submitted form) and shows why.
func (u *UI) renderIncomplete(w http.ResponseWriter, r *http.Request, s *session, status int, msg string, typed *http.Request) error {
	return u.renderIncompleteWith(w, r, s, status, msg, typed, nil)
}

// renderIncompleteWith is renderIncomplete; extra adds to the page's data (a check's
// result).
func (u *UI) renderIncompleteWith(w http.ResponseWriter, r *http.Request, s *session, status int, msg string,
	typed *http.Request, extra func(*ieData)) error {
	ctx := r.Context()
	ie, err := u.st.GetIncomplete(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	sc, err := u.st.GetScenario(ctx, ie.ScenarioID)
	if err != nil {
		return err
	}
	f, err := u.parseFlow(ie.Blueprint, ie.FailedModuleID)
	if err != nil {
		return fmt.Errorf("incomplete execution %s: its blueprint: %w", ie.ID, err)
	}
	d := &ieData{pageBase: u.base(s, "Incomplete execution "+shortID(ie.ID), "incomplete"), IE: ie, Scenario: sc, Flow: f,
		Confidential: ie.Confidential, CanWrite: hasScope(s, auth.IncompleteWrite), Error: msg,
		Editable: ie.Status == weft.IncompleteUnresolved || ie.Status == weft.IncompletePending}
	d.Module, _ = f.BP.Module(ie.FailedModuleID)
	d.ModuleLabel = f.Labels[ie.FailedModuleID]
	if d.Module != nil {
		spec, _ := u.cfg.Registry.Lookup(d.Module.Type)
		d.Fields = moduleForm(d.Module, spec)
		d.JSONText = moduleJSON(d.Module)
	}
	if typed != nil {
		for i := range d.Fields {
			if v, ok := typed.Form[d.Fields[i].Key()]; ok {
				d.Fields[i].Value = v[len(v)-1]
			}
		}
		if t := typed.FormValue("json"); t != "" {
			d.JSONText = t
		}
	}
	// The fields in use come first; a module declares many optional ones (HTTP has
	// thirty), and a person fixing a mapping needs the few that are set.
	var set []formField
	for _, f := range d.Fields {
		if f.Value != "" || f.Required || !f.Declared {
			set = append(set, f)
		} else {
			d.More = append(d.More, f)
		}
	}
	d.Fields = set
	if !ie.Confidential {
		st, err := value.UnmarshalTagged(ie.State)
		if err != nil {
			return fmt.Errorf("incomplete execution %s: its stored state: %w", ie.ID, err)
		}
		if m, ok := st.(map[string]any); ok {
			d.Input = prettyJSON(json.RawMessage(value.JSON(m["input"])))
			d.Outputs = prettyJSON(json.RawMessage(value.JSON(m["outputs"])))
		}
		if len(ie.ErrorDetails) > 0 {
			d.Details = prettyJSON(json.RawMessage(value.JSON(ie.ErrorDetails)))
		}
	}
	if d.Attempts, err = u.st.ListAttempts(ctx, ie.ID); err != nil {
		return err
	}
	if err := u.recoveryData(ctx, d); err != nil {
		return err
	}
	if extra != nil {
		extra(d)
	}
	u.render(w, r, status, "resolve", d)
	return nil
}

// applyForm stores the person's changes to the incomplete execution's blueprint: the
// generated form's changed fields, or the JSON editor's text (editor=json).
func (u *UI) applyForm(ctx context.Context, r *http.Request, ie *weft.Incomplete) (changed bool, err error) {
	if r.FormValue("editor") == "json" {
		raw, err := jsonEdit(ie, r.FormValue("json"))
		if err != nil || raw == nil {
			return false, err
		}
		_, err = u.svc.EditIncomplete(ctx, ie.ID, nil, raw)
		return err == nil, err
	}
	bp, err := blueprint.Parse(ie.Blueprint)
	if err != nil {
		return false, err
	}
	m, _ := bp.Module(ie.FailedModuleID)
	if m == nil {
		return false, fmt.Errorf("the blueprint has no module %d", ie.FailedModuleID)
	}
	spec, _ := u.cfg.Registry.Lookup(m.Type)
	edits, err := formEdits(r, ie.FailedModuleID, moduleForm(m, spec))
	if err != nil || len(edits) == 0 {
		return false, err
	}
	_, err = u.svc.EditIncomplete(ctx, ie.ID, edits, nil)
	return err == nil, err
}

// editRefused reports whether err is the person's to fix (shown on the form).
func editRefused(err error) bool {
	return err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrFull) &&
		!errors.Is(err, context.Canceled)
}

func (u *UI) saveIncomplete(w http.ResponseWriter, r *http.Request, s *session) error {
	ie, err := u.st.GetIncomplete(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	changed, err := u.applyForm(r.Context(), r, ie)
	if editRefused(err) {
		return u.renderIncomplete(w, r, s, http.StatusUnprocessableEntity, "Not saved: "+err.Error(), r)
	}
	if err != nil {
		return err
	}
	msg := "Nothing changed."
	if changed {
		msg = "Saved. The next attempt runs with the changed module."
	}
	return u.flashRedirect(w, r, s, "/incomplete/"+ie.ID, msg)
}

// runIncomplete saves the form and continues the incomplete execution now; the page
// follows the outcome live.
func (u *UI) runIncomplete(w http.ResponseWriter, r *http.Request, s *session) error {
	ie, err := u.st.GetIncomplete(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if _, err := u.applyForm(r.Context(), r, ie); editRefused(err) {
		return u.refuseInPanel(w, r, s, "Not run: "+err.Error())
	} else if err != nil {
		return err
	}
	return u.startRetry(w, r, s, ie, "Run")
}

// refuseInPanel shows a refusal: in the outcome panel for htmx, else on the page.
func (u *UI) refuseInPanel(w http.ResponseWriter, r *http.Request, s *session, msg string) error {
	if r.Header.Get("HX-Request") == "" {
		return u.renderIncomplete(w, r, s, http.StatusUnprocessableEntity, msg, r)
	}
	html, err := u.renderPartial("outcome", &outcome{Status: "failed", Error: msg})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err = w.Write([]byte(html))
	return err
}

func (u *UI) retryIncomplete(w http.ResponseWriter, r *http.Request, s *session) error {
	ie, err := u.st.GetIncomplete(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return u.startRetry(w, r, s, ie, "Retry")
}

func (u *UI) startRetry(w http.ResponseWriter, r *http.Request, s *session, ie *weft.Incomplete, what string) error {
	return u.startAttempt(w, r, s, ie, what, func(ctx context.Context, id string) (*service.RunResult, *weft.Incomplete, error) {
		return u.svc.RetryNow(ctx, id)
	})
}

// startAttempt runs an attempt of ie as a job the page follows: a retry, or a person's
// mark-done (ui/recovery.go).
func (u *UI) startAttempt(w http.ResponseWriter, r *http.Request, s *session, ie *weft.Incomplete, what string,
	attempt func(ctx context.Context, id string) (*service.RunResult, *weft.Incomplete, error)) error {
	switch ie.Status {
	case weft.IncompleteResolved:
		return u.refuseInPanel(w, r, s, "This incomplete execution is already resolved.")
	case weft.IncompleteInProgress:
		return u.refuseInPanel(w, r, s, "This incomplete execution is being retried right now.")
	}
	id := ie.ID
	var labels map[int]string
	if bp, err := blueprint.Parse(ie.Blueprint); err == nil {
		labels = moduleLabels(bp, u.cfg.Registry)
	} // else the run refuses it, and its progress names module types
	j := u.jobs.start(s.key, what+" of incomplete execution "+shortID(id), labels, func(ctx context.Context) *outcome {
		rr, after, err := attempt(ctx, id)
		o := runOutcome(rr, err)
		o.IncompleteID = id
		if after == nil {
			if cur, gerr := u.st.GetIncomplete(ctx, id); gerr == nil {
				after = cur
			}
		}
		if after != nil {
			o.IncompleteStatus = after.Status
		}
		return o
	})
	return u.startedPanel(w, r, s, j, "/incomplete/"+id)
}

func (u *UI) deleteIncomplete(w http.ResponseWriter, r *http.Request, s *session) error {
	ie, err := u.st.GetIncomplete(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if ie.Status == weft.IncompleteInProgress {
		return u.renderIncomplete(w, r, s, http.StatusConflict, "It is being retried right now; delete it after the attempt.", nil)
	}
	n, err := u.svc.Delete(r.Context(), store.Selection{IDs: []string{ie.ID}, ScenarioID: ie.ScenarioID}, false)
	if err != nil {
		return err
	}
	if n == 0 {
		return u.renderIncomplete(w, r, s, http.StatusConflict, "It is being retried right now; delete it after the attempt.", nil)
	}
	return u.flashRedirect(w, r, s, fmt.Sprintf("/scenarios/%d/incomplete", ie.ScenarioID), "Deleted incomplete execution "+shortID(ie.ID)+".")
}
