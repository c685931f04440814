package blueprint

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/weftworks/weft/value"
)

// Export writes the blueprint as indented JSON (4 spaces, as Make exports). Keys keep
// their original order and unknown keys their original value; only values changed
// through SetMapper/SetParameters/SetFilter are re-encoded.
func (bp *Blueprint) Export() ([]byte, error) {
	compact, err := bp.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact, "", "    "); err != nil {
		return nil, fmt.Errorf("export blueprint: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// MarshalJSON writes the blueprint compactly.
func (bp *Blueprint) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	o := bp.obj
	if o == nil {
		o = &object{vals: map[string]json.RawMessage{}}
	}
	if _, ok := o.get("flow"); !ok {
		o.set("flow", json.RawMessage("[]"))
	}
	err := o.encode(&buf, "", 0, func(key string) (json.RawMessage, bool) {
		if key == "flow" {
			raw, err := flowJSON(bp.Flow)
			return raw, err == nil
		}
		return nil, false
	})
	if err != nil {
		return nil, fmt.Errorf("export blueprint: %w", err)
	}
	return buf.Bytes(), nil
}

func flowJSON(mods []*Module) (json.RawMessage, error) {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, m := range mods {
		if i > 0 {
			buf.WriteByte(',')
		}
		raw, err := m.MarshalJSON()
		if err != nil {
			return nil, err
		}
		buf.Write(raw)
	}
	buf.WriteByte(']')
	return buf.Bytes(), nil
}

// MarshalJSON writes the module compactly, keeping unknown keys.
func (m *Module) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	var ferr error
	err := m.obj.encode(&buf, "", 0, func(key string) (json.RawMessage, bool) {
		if m.dirty[key] {
			return m.dirtyValue(key), true
		}
		switch key {
		case "routes":
			raw, err := routesJSON(m.Routes)
			ferr = err
			return raw, err == nil
		case "branches":
			raw, err := branchesJSON(m.Branches)
			ferr = err
			return raw, err == nil
		case "onerror":
			raw, err := flowJSON(m.OnError)
			ferr = err
			return raw, err == nil
		}
		return nil, false
	})
	if ferr != nil {
		return nil, ferr
	}
	return buf.Bytes(), err
}

func (m *Module) dirtyValue(key string) json.RawMessage {
	switch key {
	case "mapper":
		return value.JSON(m.Mapper)
	case "parameters":
		if m.Parameters == nil {
			return json.RawMessage("null")
		}
		return value.JSON(m.Parameters)
	case "filter":
		if m.Filter == nil {
			return json.RawMessage("null")
		}
		b, _ := json.Marshal(struct {
			Name       string        `json:"name"`
			Conditions [][]Condition `json:"conditions"`
		}{m.Filter.Name, m.Filter.Conditions})
		return b
	}
	return json.RawMessage("null")
}

func routesJSON(routes []*Route) (json.RawMessage, error) {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, r := range routes {
		if i > 0 {
			buf.WriteByte(',')
		}
		var ferr error
		err := r.obj.encode(&buf, "", 0, func(key string) (json.RawMessage, bool) {
			if key == "flow" {
				raw, err := flowJSON(r.Flow)
				ferr = err
				return raw, err == nil
			}
			return nil, false
		})
		if err != nil || ferr != nil {
			return nil, fmt.Errorf("route %d: %v", i, firstErr(err, ferr))
		}
	}
	buf.WriteByte(']')
	return buf.Bytes(), nil
}

func branchesJSON(branches []*Branch) (json.RawMessage, error) {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, b := range branches {
		if i > 0 {
			buf.WriteByte(',')
		}
		var ferr error
		err := b.obj.encode(&buf, "", 0, func(key string) (json.RawMessage, bool) {
			if key == "flow" {
				raw, err := flowJSON(b.Flow)
				ferr = err
				return raw, err == nil
			}
			return nil, false
		})
		if err != nil || ferr != nil {
			return nil, fmt.Errorf("branch %d: %v", i, firstErr(err, ferr))
		}
	}
	buf.WriteByte(']')
	return buf.Bytes(), nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func (m *Module) markDirty(key string) {
	if m.dirty == nil {
		m.dirty = map[string]bool{}
	}
	m.dirty[key] = true
	if m.obj == nil {
		m.obj = &object{vals: map[string]json.RawMessage{}}
	}
	if _, ok := m.obj.get(key); !ok {
		m.obj.set(key, json.RawMessage("null"))
	}
}

// SetMapper replaces the module's mapper (a person fixing an incomplete execution).
func (m *Module) SetMapper(v any) { m.Mapper = v; m.markDirty("mapper") }

// SetParameters replaces the module's static parameters.
func (m *Module) SetParameters(p map[string]any) { m.Parameters = p; m.markDirty("parameters") }

// SetFilter replaces the filter on the link into the module (nil removes it).
func (m *Module) SetFilter(f *Filter) { m.Filter = f; m.markDirty("filter") }

// Clone returns a deep copy of the blueprint (by export and parse), so an incomplete
// execution can own its snapshot and edit it.
func (bp *Blueprint) Clone() (*Blueprint, error) {
	raw, err := bp.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return Parse(raw)
}
