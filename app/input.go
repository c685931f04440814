package app

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/value"
)

// FieldError is a field that failed its declaration: missing while required, or a value
// that does not convert to the declared type. Path is the field's path in the mapper
// ("headers/2/name").
type FieldError struct {
	Path    string
	Message string
	// Missing: a required field has no value (rather than a wrong one).
	Missing bool
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Path, e.Message) }

// PrepareInput checks an evaluated mapper against the spec's mapper fields: defaults are
// applied to absent or empty fields, declared fields are coerced to their type, required
// fields must be present. Undeclared keys are kept only when the spec has an open mapper
// (otherwise they are kept too but not checked: Make blueprints carry UI-only keys).
// The error is a *weft.Error of type DataError wrapping a *FieldError. (Make calls this
// a BundleValidationError, which SPEC §3.2 would make fatal, losing the bundle; the fix
// is a person correcting the mapping, which is what an incomplete execution without
// automatic retry is for. See docs/errors.md.)
//
// PrepareInput takes ownership of raw's top level (the engine passes a fresh map from
// the mapper's evaluation): fields are converted in place, nested values are copied
// before they change, since they may be shared with upstream bundles.
func PrepareInput(s *Spec, raw weft.Bundle) (weft.Bundle, error) {
	return prepareTop(s.Mapper, raw)
}

func prepareTop(fields []Field, raw weft.Bundle) (weft.Bundle, error) {
	if raw == nil {
		raw = weft.Bundle{}
	}
	for i := range fields {
		if err := prepareField(&fields[i], raw, ""); err != nil {
			return nil, err
		}
	}
	return raw, nil
}

// PrepareParameters is PrepareInput for the static parameters; the engine calls it once
// when it compiles the blueprint.
// Its errors are InvalidConfigurationErrors: static parameters are configuration.
func PrepareParameters(s *Spec, raw weft.Bundle) (weft.Bundle, error) {
	out, err := prepare(s.Parameters, raw, "")
	if err != nil {
		var we *weft.Error
		if errors.As(err, &we) {
			we.Type = weft.InvalidConfigurationError
		}
		return nil, err
	}
	return out, nil
}

func prepare(fields []Field, raw weft.Bundle, prefix string) (weft.Bundle, error) {
	if len(fields) == 0 {
		if raw == nil {
			return weft.Bundle{}, nil
		}
		return raw, nil
	}
	out := make(weft.Bundle, len(raw)+len(fields))
	for k, v := range raw {
		out[k] = v
	}
	for i := range fields {
		if err := prepareField(&fields[i], out, prefix); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// prepareField applies one field's declaration to out[f.Name].
func prepareField(f *Field, out weft.Bundle, prefix string) error {
	v, present := out[f.Name]
	if !present || value.IsEmpty(v) {
		if f.Default != nil {
			out[f.Name] = f.Default
			return nil
		}
		if f.Required {
			err := invalid(prefix+f.Name, "missing value of required field")
			err.(*weft.Error).Err.(*FieldError).Missing = true
			return err
		}
		if present && v != nil && f.Type != TypeText && f.Type != TypeAny && f.Type != TypeArray {
			// An empty text in a number/boolean/select field means "not set".
			delete(out, f.Name)
		}
		return nil
	}
	cv, err := coerce(f, v, prefix+f.Name)
	if err != nil {
		return err
	}
	out[f.Name] = cv
	return nil
}

func invalid(path, format string, args ...any) error {
	fe := &FieldError{Path: path, Message: fmt.Sprintf(format, args...)}
	return &weft.Error{Type: weft.DataError, Message: fe.Error(), Err: fe}
}

// Coerce converts one value to a field's declared type (exported for modules that read
// nested values themselves).
func Coerce(f *Field, v any) (any, error) { return coerce(f, v, f.Name) }

func coerce(f *Field, v any, path string) (any, error) {
	switch f.Type {
	case TypeAny, "":
		return v, nil
	case TypeText:
		return value.Text(v), nil
	case TypeSelect:
		s := value.Text(v)
		if len(f.Options) > 0 && !slices.Contains(f.Options, s) {
			return nil, invalid(path, "%q is not one of %s", s, strings.Join(f.Options, ", "))
		}
		return s, nil
	case TypeURL:
		s := strings.TrimSpace(value.Text(v))
		u, err := url.Parse(s)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, invalid(path, "%q is not an absolute URL", s)
		}
		return s, nil
	case TypeNumber, TypeInteger, TypeUInteger:
		n, ok := value.Number(v)
		if !ok {
			return nil, invalid(path, "%s %q is not a number", value.Kind(v), value.Text(v))
		}
		if f.Type != TypeNumber && n != float64(int64(n)) {
			return nil, invalid(path, "%s is not a whole number", value.FormatNumber(n))
		}
		if f.Type == TypeUInteger && n < 0 {
			return nil, invalid(path, "%s is negative", value.FormatNumber(n))
		}
		if f.Max > f.Min && (n < f.Min || n > f.Max) {
			return nil, invalid(path, "%s is outside %s…%s", value.FormatNumber(n),
				value.FormatNumber(f.Min), value.FormatNumber(f.Max))
		}
		return n, nil
	case TypeBoolean:
		return value.Bool(v), nil
	case TypeArray:
		a := value.Array(v)
		if len(f.Spec) == 0 {
			return a, nil
		}
		out := make([]any, len(a))
		for i, e := range a {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, invalid(fmt.Sprintf("%s/%d", path, i), "%s is not a collection", value.Kind(e))
			}
			pm, err := prepare(f.Spec, m, fmt.Sprintf("%s/%d/", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = pm
		}
		return out, nil
	case TypeCollection:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, invalid(path, "%s is not a collection", value.Kind(v))
		}
		if len(f.Spec) == 0 {
			return m, nil
		}
		return prepare(f.Spec, m, path+"/")
	case TypeDate:
		t, ok := value.Date(v, nil)
		if !ok {
			return nil, invalid(path, "%q is not a date", value.Text(v))
		}
		return t, nil
	case TypeBuffer:
		switch x := v.(type) {
		case []byte:
			return x, nil
		}
		return []byte(value.Text(v)), nil
	}
	return nil, invalid(path, "unknown field type %q", f.Type)
}
