package datastore

import (
	"context"
	"fmt"
	"slices"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

// add is datastore:AddRecord. Output: {key, …record fields}; the key wins over a field
// named "key", since {{N.key}} is how a scenario reads a generated key (blueprint 015).
func (m *module) add(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	key := value.Text(c.Input["key"])
	if key == "" {
		key = m.reg.opts.NewKey()
	}
	data, err := recordData(c.Input)
	if err != nil {
		return nil, err
	}
	overwrite := value.Bool(c.Input["overwrite"])
	if !overwrite {
		_, exists, err := m.reg.view(ctx, c.Exec, m.store, key)
		if err != nil {
			return nil, err
		}
		if exists {
			return nil, weft.Errorf(weft.DuplicateDataError,
				"data store %q already has a record with key %q (overwrite is off)", m.store, key)
		}
	}
	m.reg.txn(c.Exec).add(m.store, key, op{kind: opAdd, data: data, overwrite: overwrite})
	return []weft.Bundle{flat(key, data)}, nil
}

// get is datastore:GetRecord. A missing record outputs one empty bundle, so the route
// goes on and a filter such as "{{N.field}} exists" decides, as Make users build it.
func (m *module) get(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	key := value.Text(c.Input["key"])
	rec, exists, err := m.reg.view(ctx, c.Exec, m.store, key)
	if err != nil {
		return nil, err
	}
	switch {
	case !exists:
		return []weft.Bundle{{}}, nil
	case value.Bool(c.Input["returnWrapped"]):
		return []weft.Bundle{{"key": key, "data": clone(rec)}}, nil
	}
	return []weft.Bundle{clone(rec)}, nil
}

// update is datastore:UpdateRecord. Output: {key, …the record after the update}.
func (m *module) update(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	key := value.Text(c.Input["key"])
	data, err := recordData(c.Input)
	if err != nil {
		return nil, err
	}
	o := op{kind: opUpdate, data: data, upsert: value.Bool(c.Input["upsert"]),
		overwriteArrays: value.Bool(c.Input["overwriteArrays"])}
	rec, exists, err := m.reg.view(ctx, c.Exec, m.store, key)
	if err != nil {
		return nil, err
	}
	if !exists && !o.upsert {
		return nil, weft.Errorf(weft.DataError,
			"data store %q has no record with key %q (turn on upsert, \"Insert missing record\", to create it)", m.store, key)
	}
	after, _, _ := o.apply(rec, exists, false)
	m.reg.txn(c.Exec).add(m.store, key, o)
	return []weft.Bundle{flat(key, after)}, nil
}

// delete is datastore:DeleteRecord. Deleting a missing record succeeds: the record is
// gone either way, and a retried or resumed run must not fail on its own earlier delete.
func (m *module) delete(_ context.Context, c *app.Call) ([]weft.Bundle, error) {
	key := value.Text(c.Input["key"])
	m.reg.txn(c.Exec).add(m.store, key, op{kind: opDelete})
	return []weft.Bundle{{"key": key}}, nil
}

// exist is datastore:ExistRecord: one bundle {exist} either way (blueprint 001 filters
// on it).
func (m *module) exist(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	_, exists, err := m.reg.view(ctx, c.Exec, m.store, value.Text(c.Input["key"]))
	if err != nil {
		return nil, err
	}
	return []weft.Bundle{{"exist": exists}}, nil
}

// recordData is the mapper's data collection, deep-copied: the write set keeps it past
// this call, and nested values may be shared with upstream bundles.
func recordData(in weft.Bundle) (weft.Bundle, error) {
	switch d := in["data"].(type) {
	case nil:
		return weft.Bundle{}, nil
	case map[string]any:
		return clone(d), nil
	default:
		return nil, weft.Errorf(weft.DataError, "data: %s is not a collection of record fields", value.Kind(d))
	}
}

// flat is the output of a write: the record's fields and its key.
func flat(key string, rec weft.Bundle) weft.Bundle {
	out := make(weft.Bundle, len(rec)+1)
	for k, v := range rec {
		out[k] = cloneValue(v)
	}
	out["key"] = key
	return out
}

// merge applies an update's fields to rec (which it owns and returns): collections merge
// field by field at every depth, arrays are appended to unless overwriteArrays, any other
// value replaces the stored one. A field mapped to `ignore` is absent and keeps its value.
func merge(rec, patch weft.Bundle, overwriteArrays bool) weft.Bundle {
	if rec == nil {
		rec = weft.Bundle{}
	}
	for k, v := range patch {
		switch nv := v.(type) {
		case map[string]any:
			if old, ok := rec[k].(map[string]any); ok {
				rec[k] = merge(clone(old), nv, overwriteArrays)
				continue
			}
		case []any:
			if old, ok := rec[k].([]any); ok && !overwriteArrays {
				out := make([]any, 0, len(old)+len(nv))
				out = append(out, old...)
				for _, e := range nv {
					out = append(out, cloneValue(e))
				}
				rec[k] = out
				continue
			}
		}
		rec[k] = cloneValue(v)
	}
	return rec
}

// clone deep-copies a record.
func clone(b weft.Bundle) weft.Bundle {
	if b == nil {
		return nil
	}
	out := make(weft.Bundle, len(b))
	for k, v := range b {
		out[k] = cloneValue(v)
	}
	return out
}

// cloneValue deep-copies the mutable kinds of bundle values (collections, arrays,
// binary data); the others are immutable.
func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return clone(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	case []byte:
		return slices.Clone(x)
	}
	return v
}

// errorf is a DataError naming the mapper path at fault.
func errorf(path, format string, args ...any) error {
	fe := &app.FieldError{Path: path, Message: fmt.Sprintf(format, args...)}
	return &weft.Error{Type: weft.DataError, Message: fe.Error(), Err: fe}
}
