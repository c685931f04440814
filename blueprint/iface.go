package blueprint

import (
	"math"
	"regexp"

	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

// Scenario inputs and outputs (docs/subscenarios.md): what a scenario takes when it is
// called (scenario-service:CallSubscenario) and what it hands back
// (scenario-service:ReturnData). Make keeps this declaration beside the blueprint (its
// API's "scenario interface"), so an export carries it on the modules: the Start
// scenario trigger's metadata.interface lists the inputs, each Return output module's
// metadata.expect the outputs; a scenario that takes inputs without Start scenario
// carries them in the export's top-level "io" (input_spec, output_spec). weft reads a
// blueprint-level metadata.interface ({"input": [...], "output": [...]}, the API's
// shape) first, then io, then the modules.

// The Scenarios app's module types the analysis knows by name (app/scenarios declares
// them; this package does not depend on one app).
const (
	startModule  = "scenario-service:StartSubscenario"
	returnModule = "scenario-service:ReturnData"
)

// Param declares one scenario input or output: name, type, required, default, options
// (select), bounds (number), fields (collection, array of collections).
type Param struct {
	app.Field
	// Item declares the elements of an array of plain values (Make's "spec": {…} on an
	// array); nil for an array of collections (Field.Spec) or of anything.
	Item *app.Field
}

// Interface is a scenario's declared inputs and outputs. A side that is not declared
// accepts anything.
type Interface struct {
	Inputs, Outputs []Param
	// InputsDeclared and OutputsDeclared say whether a declaration exists (it may be
	// empty: nothing is taken, or nothing returned, but nothing is checked either).
	InputsDeclared, OutputsDeclared bool
}

// paramTypes maps the types Make's scenario inputs and outputs (and module field
// declarations) use onto the field types weft coerces to.
var paramTypes = map[string]app.FieldType{
	"text": app.TypeText, "string": app.TypeText, "email": app.TypeText, "filename": app.TypeText,
	"color": app.TypeText, "path": app.TypeText, "hidden": app.TypeText, "password": app.TypeText,
	"number": app.TypeNumber, "integer": app.TypeInteger, "uinteger": app.TypeUInteger,
	"boolean": app.TypeBoolean, "date": app.TypeDate, "timestamp": app.TypeDate,
	"select": app.TypeSelect, "url": app.TypeURL, "array": app.TypeArray,
	"collection": app.TypeCollection, "buffer": app.TypeBuffer, "binary": app.TypeBuffer,
	"any": app.TypeAny, "json": app.TypeAny, "dynamicCollection": app.TypeAny,
}

// paramName is Make's rule for input and output names: letters, digits and
// underscores, not starting with a digit.
var paramName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// scenarioInterface reads the declaration and reports its problems at their pointers.
func (a *analyzer) scenarioInterface(bp *Blueprint) Interface {
	var in Interface
	if raw, ok := bp.Metadata.obj.get("interface"); ok && string(raw) != "null" {
		base := root("metadata", "interface")
		v, err := value.DecodeJSON(raw)
		obj, isObj := v.(map[string]any)
		if err != nil || !isObj {
			a.errorf(base, 0, `must be an object {"input": [...], "output": [...]}`)
			return in
		}
		if list, ok := obj["input"]; ok && list != nil {
			in.Inputs, in.InputsDeclared = a.params(list, base.key("input"), 0, "input"), true
		}
		if list, ok := obj["output"]; ok && list != nil {
			in.Outputs, in.OutputsDeclared = a.params(list, base.key("output"), 0, "output"), true
		}
	}
	a.makeIO(bp, &in)
	if !in.InputsDeclared && len(bp.Flow) > 0 && bp.Flow[0].Type == startModule {
		m := bp.Flow[0]
		if list, ok := moduleMetadata(m, "interface"); ok {
			in.Inputs, in.InputsDeclared = a.params(list, root("flow", 0, "metadata", "interface"), m.ID, "input"), true
		}
	}
	// Else the outputs of the Return output modules: the first declaration of a name
	// wins.
	if !in.OutputsDeclared {
		seen := map[string]bool{}
		bp.walkPaths(func(m *Module, p *path) bool {
			if m.Type != returnModule {
				return true
			}
			list, ok := moduleMetadata(m, "expect")
			if !ok {
				return true
			}
			in.OutputsDeclared = true
			for _, prm := range a.params(list, p.at("metadata", "expect"), m.ID, "output") {
				if !seen[prm.Name] {
					seen[prm.Name] = true
					in.Outputs = append(in.Outputs, prm)
				}
			}
			return true
		})
	}
	a.returnsLast(bp.Flow, root("flow"))
	return in
}

// makeIO reads the top-level "io" of a Make export, {"input_spec": [PARAM…],
// "output_spec": [PARAM…]}: the scenario inputs of a scenario that does not start with
// Start scenario (the corpus' 045 takes prompt_id and lock_token this way). A side
// metadata.interface declared already is kept; an empty list is what Make writes for
// none, so it declares nothing and the modules' declarations still apply.
func (a *analyzer) makeIO(bp *Blueprint, in *Interface) {
	raw, ok := bp.obj.get("io")
	if !ok || string(raw) == "null" {
		return
	}
	base := root("io")
	v, err := value.DecodeJSON(raw)
	obj, isObj := v.(map[string]any)
	if err != nil || !isObj {
		a.errorf(base, 0, `must be an object {"input_spec": [...], "output_spec": [...]}`)
		return
	}
	declared := func(key string) bool {
		list, isList := obj[key].([]any)
		return obj[key] != nil && (!isList || len(list) > 0)
	}
	if !in.InputsDeclared && declared("input_spec") {
		in.Inputs, in.InputsDeclared = a.params(obj["input_spec"], base.key("input_spec"), 0, "input"), true
	}
	if !in.OutputsDeclared && declared("output_spec") {
		in.Outputs, in.OutputsDeclared = a.params(obj["output_spec"], base.key("output_spec"), 0, "output"), true
	}
}

// returnsLast reports Return output modules followed by other modules on their route:
// Return output ends the run (Make: "like return in programming"), so they would never
// run.
func (a *analyzer) returnsLast(mods []*Module, ptr *path) {
	for i, m := range mods {
		p := ptr.at(i)
		if m.Type == returnModule && i < len(mods)-1 {
			a.errorf(p.at("module"), m.ID, "%s ends the run: it must be the last module of its route (modules from %s/%d would never run)",
				m.Type, ptr, i+1)
		}
		for j, r := range m.Routes {
			a.returnsLast(r.Flow, p.at("routes", j, "flow"))
		}
		for j, b := range m.Branches {
			a.returnsLast(b.Flow, p.at("branches", j, "flow"))
		}
		a.returnsLast(m.OnError, p.at("onerror"))
	}
}

// moduleMetadata returns a key of a module's "metadata" object, decoded.
func moduleMetadata(m *Module, key string) (any, bool) {
	raw, ok := m.obj.get("metadata")
	if !ok {
		return nil, false
	}
	v, err := value.DecodeJSON(raw)
	if err != nil {
		return nil, false
	}
	md, _ := v.(map[string]any)
	got, ok := md[key]
	return got, ok && got != nil
}

// params reads a list of declarations; side is "input" or "output" (for messages).
func (a *analyzer) params(v any, ptr *path, id int, side string) []Param {
	list, ok := v.([]any)
	if !ok {
		a.errorf(ptr, id, "scenario %ss must be an array of {name, type, …}", side)
		return nil
	}
	out := make([]Param, 0, len(list))
	names := map[string]bool{}
	for i, e := range list {
		p, ok := a.param(e, ptr.at(i), id, side)
		if !ok {
			continue
		}
		if names[p.Name] {
			a.errorf(ptr.at(i, "name"), id, "scenario %s %q is declared twice", side, p.Name)
			continue
		}
		names[p.Name] = true
		out = append(out, p)
	}
	return out
}

// param reads one declaration.
func (a *analyzer) param(v any, ptr *path, id int, side string) (Param, bool) {
	obj, ok := v.(map[string]any)
	if !ok {
		a.errorf(ptr, id, "a scenario %s must be an object {name, type, …}", side)
		return Param{}, false
	}
	name, _ := obj["name"].(string)
	if name == "" {
		a.errorf(ptr.key("name"), id, "a scenario %s needs a name", side)
		return Param{}, false
	}
	if !paramName.MatchString(name) {
		a.warnf(ptr.key("name"), id, "scenario %s name %q: Make allows letters, digits and _ only, not starting with a digit", side, name)
	}
	p := Param{Field: a.field(obj, ptr, id, side, name)}
	if p.Type == app.TypeArray {
		switch spec := obj["spec"].(type) {
		case map[string]any:
			item := a.field(spec, ptr.key("spec"), id, side, name+" item")
			item.Name = ""
			p.Item = &item
		case []any:
			p.Spec = a.fields(spec, ptr.key("spec"), id, side)
		}
	}
	return p, true
}

// fields reads the fields of a collection (or of an array's collections).
func (a *analyzer) fields(list []any, ptr *path, id int, side string) []app.Field {
	var out []app.Field
	for i, e := range list {
		p, ok := a.param(e, ptr.at(i), id, side)
		if ok {
			out = append(out, p.Field)
		}
	}
	return out
}

// field reads what every declaration has: type, label, help, required, default,
// options, bounds and a collection's fields.
func (a *analyzer) field(obj map[string]any, ptr *path, id int, side, name string) app.Field {
	f := app.Field{Name: name, Type: app.TypeAny}
	f.Label, _ = obj["label"].(string)
	f.Help, _ = obj["help"].(string)
	switch t := obj["type"].(type) {
	case string:
		if ft, ok := paramTypes[t]; ok {
			f.Type = ft
		} else {
			a.warnf(ptr.key("type"), id, "scenario %s %s: type %q is not known to weft: any value is accepted", side, name, t)
		}
	case nil:
	default:
		a.errorf(ptr.key("type"), id, "scenario %s %s: type must be text, got %v", side, name, t)
	}
	switch r := obj["required"].(type) {
	case bool:
		f.Required = r
	case nil:
	default:
		a.errorf(ptr.key("required"), id, "scenario %s %s: required must be true or false", side, name)
	}
	if d, ok := obj["default"]; ok && !value.IsEmpty(d) {
		f.Default = d
	}
	if opts, ok := obj["options"].([]any); ok {
		for _, o := range opts {
			switch x := o.(type) {
			case string:
				f.Options = append(f.Options, x)
			case map[string]any:
				f.Options = append(f.Options, value.Text(x["value"]))
			default:
				f.Options = append(f.Options, value.Text(x))
			}
		}
	}
	if val, ok := obj["validate"].(map[string]any); ok && isNumeric(f.Type) {
		lo, hasLo := value.Number(val["min"])
		hi, hasHi := value.Number(val["max"])
		if hasLo || hasHi {
			f.Min, f.Max = math.Inf(-1), math.Inf(1)
			if hasLo && val["min"] != nil {
				f.Min = lo
			}
			if hasHi && val["max"] != nil {
				f.Max = hi
			}
			if f.Max < f.Min {
				a.errorf(ptr.key("validate"), id, "scenario %s %s: max %v is below min %v", side, name, f.Max, f.Min)
				f.Min, f.Max = 0, 0
			}
		}
	}
	if f.Type == app.TypeCollection {
		if spec, ok := obj["spec"].([]any); ok {
			f.Spec = a.fields(spec, ptr.key("spec"), id, side)
		}
	}
	return f
}

func isNumeric(t app.FieldType) bool {
	return t == app.TypeNumber || t == app.TypeInteger || t == app.TypeUInteger
}
