// Package blueprint reads, validates and writes Make-format blueprints (SPEC §1): the
// JSON that Make and Workfront Fusion export. Parsing keeps the whole document, so
// unknown keys and key order survive export; validation reports every problem at once,
// each with the JSON pointer of the offending value. The package does no I/O.
package blueprint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/weftworks/weft/value"
)

// Blueprint is a parsed scenario definition.
type Blueprint struct {
	Name        string
	Description string
	Flow        []*Module
	Metadata    Metadata

	obj *object
	// problems found while reading the document's shape; Validate reports them.
	shape []Problem
}

// Metadata is the blueprint's "metadata" object.
type Metadata struct {
	Version  int
	Instant  bool
	Scenario Settings
	obj      *object
}

// Module is one module of a flow (or of a route, branch or error handler route).
type Module struct {
	// ID is unique in the whole blueprint. HasID is false when "id" is null or absent
	// (Make writes null for placeholder:Placeholder).
	ID    int
	HasID bool
	// Type is the "module" value, "app:Name".
	Type    string
	Version int
	// Parameters is the static configuration (nil when absent or null).
	Parameters map[string]any
	// Mapper holds the inputs, possibly with {{...}} templates: usually an object,
	// nil when absent or null.
	Mapper any
	Filter *Filter
	// Routes of a router; Branches of an if/else; OnError is the error handler route.
	Routes   []*Route
	Branches []*Branch
	OnError  []*Module
	// Outputs of a merge: one template per if/else branch for each output field.
	Outputs []MergeOutput
	// Flags of aggregators: groupBy, stopIfEmpty.
	Flags map[string]any

	obj   *object
	dirty map[string]bool
}

// Route is one route of a router.
type Route struct {
	Flow     []*Module
	Disabled bool
	obj      *object
}

// Branch is one branch of an if/else.
type Branch struct {
	Type       string // "condition" or "else"
	Label      string
	Conditions [][]Condition
	Merge      bool
	Disabled   bool
	Flow       []*Module
	obj        *object
}

// Filter sits on the link into a module: groups are OR'ed, conditions inside a group
// AND'ed.
type Filter struct {
	Name       string
	Conditions [][]Condition
}

// Condition is one filter condition: operand a, operator o, operand b.
type Condition struct {
	A any    `json:"a"`
	O string `json:"o"`
	B any    `json:"b,omitempty"`
}

// MergeOutput is one output field of builtin:BasicMerge.
type MergeOutput struct {
	Name     string
	Mappings []any
}

// Parse reads a blueprint. Only a document that is not a JSON object is an error;
// values of the wrong shape inside it are kept as problems that Validate reports
// together with everything else.
func Parse(data []byte) (*Blueprint, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !json.Valid(data) {
		return nil, syntaxError(data)
	}
	idx := newIndex(data)
	o, err := idx.object(data)
	if err != nil {
		return nil, fmt.Errorf("blueprint: %w", err)
	}
	bp := &Blueprint{obj: o}
	r := reader{bp: bp, idx: idx}
	bp.Name = r.str(o, nil, "name")
	bp.Description = r.str(o, nil, "description")
	if raw, ok := o.get("flow"); ok {
		bp.Flow = r.flow(raw, root("flow"))
	} else {
		r.problem(root("flow"), "missing: a blueprint needs a flow")
	}
	bp.Metadata = r.metadata(o)
	return bp, nil
}

// syntaxError turns a JSON syntax error into a message with line and column.
func syntaxError(data []byte) error {
	var v any
	err := json.Unmarshal(data, &v)
	var se *json.SyntaxError
	if ok := asSyntax(err, &se); ok {
		line, col := 1, 1
		for _, c := range data[:min(int(se.Offset), len(data))] {
			if c == '\n' {
				line++
				col = 1
			} else {
				col++
			}
		}
		return fmt.Errorf("blueprint is not valid JSON: line %d, column %d: %v", line, col, se)
	}
	if err == nil {
		return fmt.Errorf("blueprint is not valid JSON")
	}
	return fmt.Errorf("blueprint is not valid JSON: %w", err)
}

func asSyntax(err error, target **json.SyntaxError) bool {
	se, ok := err.(*json.SyntaxError)
	if ok {
		*target = se
	}
	return ok
}

// reader decodes the known parts of a blueprint, recording shape problems.
type reader struct {
	bp  *Blueprint
	idx *jsonIndex
}

// object and array read nested values through the document's index (index.go).
func (r *reader) object(raw json.RawMessage) (*object, error) { return r.idx.object(raw) }

func (r *reader) array(raw json.RawMessage) ([]json.RawMessage, error) { return r.idx.array(raw) }

func (r *reader) problem(ptr *path, format string, args ...any) {
	r.bp.shape = append(r.bp.shape, Problem{Pointer: ptr.String(), Message: fmt.Sprintf(format, args...), Severity: SeverityError})
}

func (r *reader) warn(ptr *path, format string, args ...any) {
	r.bp.shape = append(r.bp.shape, Problem{Pointer: ptr.String(), Message: fmt.Sprintf(format, args...), Severity: SeverityWarning})
}

func (r *reader) str(o *object, base *path, key string) string {
	raw, ok := o.get(key)
	if !ok || string(raw) == "null" {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		r.problem(base.key(key), "must be text")
	}
	return s
}

func (r *reader) boolean(o *object, base *path, key string) bool {
	raw, ok := o.get(key)
	if !ok || string(raw) == "null" {
		return false
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		r.problem(base.key(key), "must be true or false")
	}
	return b
}

func (r *reader) anyValue(raw json.RawMessage) any {
	v, err := value.DecodeJSON(raw)
	if err != nil {
		return nil
	}
	return v
}

func (r *reader) flow(raw json.RawMessage, ptr *path) []*Module {
	items, err := r.array(raw)
	if err != nil {
		r.problem(ptr, "must be an array of modules")
		return nil
	}
	mods := make([]*Module, 0, len(items))
	for i, item := range items {
		p := ptr.at(i)
		o, err := r.object(item)
		if err != nil {
			r.problem(p, "must be a module object")
			continue
		}
		mods = append(mods, r.module(o, p))
	}
	return mods
}

func (r *reader) module(o *object, p *path) *Module {
	m := &Module{obj: o}
	if raw, ok := o.get("id"); ok && string(raw) != "null" {
		id, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil || id <= 0 || id > 1<<31 {
			r.problem(p.at("id"), "must be a positive integer, got %s", short(raw))
		} else {
			m.ID, m.HasID = int(id), true
		}
	}
	m.Type = r.str(o, p, "module")
	if raw, ok := o.get("version"); ok && string(raw) != "null" {
		if v, err := strconv.Atoi(string(raw)); err == nil {
			m.Version = v
		} else {
			r.problem(p.at("version"), "must be an integer, got %s", short(raw))
		}
	}
	if raw, ok := o.get("parameters"); ok && string(raw) != "null" {
		if pm, ok := r.anyValue(raw).(map[string]any); ok {
			m.Parameters = pm
		} else {
			r.problem(p.at("parameters"), "must be an object")
		}
	}
	if raw, ok := o.get("mapper"); ok && string(raw) != "null" {
		m.Mapper = r.anyValue(raw)
	}
	if raw, ok := o.get("filter"); ok && string(raw) != "null" {
		m.Filter = r.filter(raw, p.at("filter"))
	}
	if raw, ok := o.get("routes"); ok && string(raw) != "null" {
		routes, err := r.array(raw)
		if err != nil {
			r.problem(p.at("routes"), "must be an array of routes")
		}
		for i, rr := range routes {
			rp := p.at("routes", i)
			ro, err := r.object(rr)
			if err != nil {
				r.problem(rp, "must be a route object")
				continue
			}
			route := &Route{obj: ro, Disabled: r.boolean(ro, rp, "disabled")}
			if fr, ok := ro.get("flow"); ok {
				route.Flow = r.flow(fr, rp.at("flow"))
			}
			m.Routes = append(m.Routes, route)
		}
	}
	if raw, ok := o.get("branches"); ok && string(raw) != "null" {
		branches, err := r.array(raw)
		if err != nil {
			r.problem(p.at("branches"), "must be an array of branches")
		}
		for i, br := range branches {
			bp := p.at("branches", i)
			bo, err := r.object(br)
			if err != nil {
				r.problem(bp, "must be a branch object")
				continue
			}
			b := &Branch{obj: bo, Type: r.str(bo, bp, "type"), Label: r.str(bo, bp, "label"),
				Merge: r.boolean(bo, bp, "merge"), Disabled: r.boolean(bo, bp, "disabled")}
			if cr, ok := bo.get("conditions"); ok && string(cr) != "null" {
				b.Conditions = r.conditions(cr, bp.at("conditions"))
			}
			if fr, ok := bo.get("flow"); ok {
				b.Flow = r.flow(fr, bp.at("flow"))
			}
			m.Branches = append(m.Branches, b)
		}
	}
	if raw, ok := o.get("onerror"); ok && string(raw) != "null" {
		m.OnError = r.flow(raw, p.at("onerror"))
	}
	if raw, ok := o.get("outputs"); ok && string(raw) != "null" {
		var outs []struct {
			Name     string          `json:"name"`
			Mappings json.RawMessage `json:"mappings"`
		}
		if err := json.Unmarshal(raw, &outs); err != nil {
			r.problem(p.at("outputs"), "must be an array of {name, mappings}")
		}
		for _, out := range outs {
			mo := MergeOutput{Name: out.Name}
			if len(out.Mappings) > 0 {
				if arr, ok := r.anyValue(out.Mappings).([]any); ok {
					mo.Mappings = arr
				}
			}
			m.Outputs = append(m.Outputs, mo)
		}
	}
	if raw, ok := o.get("flags"); ok && string(raw) != "null" {
		if fm, ok := r.anyValue(raw).(map[string]any); ok {
			m.Flags = fm
		} else {
			r.problem(p.at("flags"), "must be an object")
		}
	}
	return m
}

func (r *reader) filter(raw json.RawMessage, p *path) *Filter {
	o, err := r.object(raw)
	if err != nil {
		r.problem(p, "must be a filter object")
		return nil
	}
	f := &Filter{Name: r.str(o, p, "name")}
	if cr, ok := o.get("conditions"); ok && string(cr) != "null" {
		f.Conditions = r.conditions(cr, p.at("conditions"))
	}
	return f
}

func (r *reader) conditions(raw json.RawMessage, p *path) [][]Condition {
	groups, err := r.array(raw)
	if err != nil {
		r.problem(p, "must be an array of condition groups")
		return nil
	}
	out := make([][]Condition, 0, len(groups))
	for i, g := range groups {
		items, err := r.array(g)
		if err != nil {
			r.problem(p.at(i), "must be an array of conditions")
			out = append(out, nil)
			continue
		}
		group := make([]Condition, 0, len(items))
		for j, it := range items {
			cp := p.at(i, j)
			o, err := r.object(it)
			if err != nil {
				r.problem(cp, "must be a condition object {a, o, b}")
				continue
			}
			c := Condition{O: r.str(o, cp, "o")}
			if a, ok := o.get("a"); ok {
				c.A = r.anyValue(a)
			}
			if b, ok := o.get("b"); ok {
				c.B = r.anyValue(b)
			}
			group = append(group, c)
		}
		out = append(out, group)
	}
	return out
}

func (r *reader) metadata(o *object) Metadata {
	md := Metadata{Scenario: DefaultSettings()}
	raw, ok := o.get("metadata")
	if !ok || string(raw) == "null" {
		return md
	}
	mo, err := r.object(raw)
	if err != nil {
		r.problem(root("metadata"), "must be an object")
		return md
	}
	md.obj = mo
	if v, ok := mo.get("version"); ok {
		md.Version, _ = strconv.Atoi(string(v))
	}
	md.Instant = r.boolean(mo, root("metadata"), "instant")
	if sr, ok := mo.get("scenario"); ok && string(sr) != "null" {
		md.Scenario = r.settings(sr)
	}
	return md
}

func short(raw json.RawMessage) string {
	if len(raw) > 40 {
		return string(raw[:40]) + "…"
	}
	return string(raw)
}
