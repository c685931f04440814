package declarative

import (
	"fmt"
	"strconv"

	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

// fieldTypes maps a definition's field type to app.FieldType: weft's own names plus
// the Make names its exports use for the same thing.
var fieldTypes = map[string]app.FieldType{
	"any": app.TypeAny, "text": app.TypeText, "number": app.TypeNumber,
	"integer": app.TypeInteger, "uinteger": app.TypeUInteger, "boolean": app.TypeBoolean,
	"select": app.TypeSelect, "array": app.TypeArray, "collection": app.TypeCollection,
	"url": app.TypeURL, "date": app.TypeDate, "buffer": app.TypeBuffer,
	// Make's names for text with a UI hint, and for a filter (condition groups).
	"email": app.TypeText, "password": app.TypeText, "filename": app.TypeText,
	"file": app.TypeText, "filter": app.TypeArray,
}

// decodeFields reads an optional array of fields:
//
//	{"name", "label", "type", "required", "default", "options", "min", "max", "spec", "help"}
//
// options are texts or Make's {"label", "value"} objects.
func decodeFields(parent obj, key string) ([]app.Field, error) {
	v, ok := parent.m[key]
	if !ok || v == nil {
		return nil, nil
	}
	return fieldList(v, parent.at(key))
}

func fieldList(v any, ptr string) ([]app.Field, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, errAt(ptr, "must be an array of fields, got %s", value.Kind(v))
	}
	out := make([]app.Field, 0, len(list))
	seen := map[string]bool{}
	for i, e := range list {
		p := ptr + "/" + strconv.Itoa(i)
		f, err := decodeField(e, p)
		if err != nil {
			return nil, err
		}
		if seen[f.Name] {
			return nil, errAt(p+"/name", "field %q is declared twice", f.Name)
		}
		seen[f.Name] = true
		out = append(out, f)
	}
	return out, nil
}

func decodeField(v any, ptr string) (app.Field, error) {
	o, err := asObj(v, ptr)
	if err != nil {
		return app.Field{}, err
	}
	if err := o.only("name", "label", "type", "required", "default", "options", "min", "max", "spec", "help"); err != nil {
		return app.Field{}, err
	}
	var f app.Field
	if f.Name, err = o.str("name", true); err != nil {
		return f, err
	}
	if f.Label, err = o.str("label", false); err != nil {
		return f, err
	}
	if f.Help, err = o.str("help", false); err != nil {
		return f, err
	}
	typ, err := o.str("type", false)
	if err != nil {
		return f, err
	}
	if typ == "" {
		typ = "text"
	}
	ft, ok := fieldTypes[typ]
	if !ok {
		return f, errAt(o.at("type"), "%q is not a field type", typ)
	}
	f.Type = ft
	if f.Required, err = o.boolean("required", false); err != nil {
		return f, err
	}
	if d, ok := o.m["default"]; ok && d != nil {
		if _, err := app.Coerce(&f, d); err != nil {
			return f, errAt(o.at("default"), "default does not fit the field's type: %v", err)
		}
		f.Default = d
	}
	if opts, ok := o.m["options"]; ok && opts != nil {
		if f.Options, err = options(opts, o.at("options")); err != nil {
			return f, err
		}
	}
	for _, k := range []string{"min", "max"} {
		if x, ok := o.m[k]; ok && x != nil {
			n, ok := x.(float64)
			if !ok {
				return f, errAt(o.at(k), "must be a number")
			}
			if k == "min" {
				f.Min = n
			} else {
				f.Max = n
			}
		}
	}
	if o.has("min") && o.has("max") && f.Max <= f.Min {
		return f, errAt(o.at("max"), "max must be above min")
	}
	if s, ok := o.m["spec"]; ok && s != nil {
		if f.Type != app.TypeArray && f.Type != app.TypeCollection {
			return f, errAt(o.at("spec"), "only an array or a collection has a spec")
		}
		if f.Spec, err = fieldList(s, o.at("spec")); err != nil {
			return f, err
		}
	}
	return f, nil
}

func options(v any, ptr string) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, errAt(ptr, "must be an array")
	}
	out := make([]string, 0, len(list))
	for i, e := range list {
		switch x := e.(type) {
		case string:
			out = append(out, x)
		case map[string]any:
			val, ok := x["value"]
			if !ok {
				return nil, errAt(fmt.Sprintf("%s/%d", ptr, i), `an option object needs "value"`)
			}
			out = append(out, value.Text(val))
		default:
			out = append(out, value.Text(e))
		}
	}
	return out, nil
}
