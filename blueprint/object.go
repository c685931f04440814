package blueprint

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// object is a JSON object that remembers its keys in document order and keeps every
// value as raw JSON. Blueprints are exported from it, so keys weft does not know survive
// a round trip byte for byte and keep their order; only keys weft changed are re-encoded.
type object struct {
	keys []string
	vals map[string]json.RawMessage
}

func parseObject(data []byte) (*object, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("expected a JSON object")
	}
	o := &object{vals: map[string]json.RawMessage{}}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		if _, dup := o.vals[key]; !dup {
			o.keys = append(o.keys, key)
		}
		o.vals[key] = raw
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return o, nil
}

func (o *object) get(key string) (json.RawMessage, bool) {
	if o == nil {
		return nil, false
	}
	raw, ok := o.vals[key]
	return raw, ok
}

// set stores raw JSON under key, appending the key when it is new.
func (o *object) set(key string, raw json.RawMessage) {
	if _, ok := o.vals[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.vals[key] = raw
}

func (o *object) del(key string) {
	if _, ok := o.vals[key]; !ok {
		return
	}
	delete(o.vals, key)
	for i, k := range o.keys {
		if k == key {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			break
		}
	}
}

// encode writes the object with indent (per level) at the given depth.
func (o *object) encode(buf *bytes.Buffer, indent string, depth int, override func(key string) (json.RawMessage, bool)) error {
	buf.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		newline(buf, indent, depth+1)
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		if indent != "" {
			buf.WriteByte(' ')
		}
		raw := o.vals[k]
		if override != nil {
			if r, ok := override(k); ok {
				raw = r
			}
		}
		if err := writeRaw(buf, raw, indent, depth+1); err != nil {
			return fmt.Errorf("key %q: %w", k, err)
		}
	}
	if len(o.keys) > 0 {
		newline(buf, indent, depth)
	}
	buf.WriteByte('}')
	return nil
}

func newline(buf *bytes.Buffer, indent string, depth int) {
	if indent == "" {
		return
	}
	buf.WriteByte('\n')
	for i := 0; i < depth; i++ {
		buf.WriteString(indent)
	}
}

// writeRaw re-indents a raw value to sit at depth (compact when indent is empty).
func writeRaw(buf *bytes.Buffer, raw json.RawMessage, indent string, depth int) error {
	if indent == "" {
		return json.Compact(buf, raw)
	}
	prefix := ""
	for i := 0; i < depth; i++ {
		prefix += indent
	}
	return json.Indent(buf, raw, prefix, indent)
}
