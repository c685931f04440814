package blueprint

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// jsonIndex makes reading a blueprint linear in its size. The reader keeps every value
// as raw JSON (so unknown keys survive export) and reads nested objects from those raw
// values; finding where each nested value ends by scanning it again at every level
// made parsing quadratic in the nesting depth (2,000 nested routers took 11 s). The
// index records, in one pass over the document, where every object and array ends;
// the reader then steps over nested values in O(1).
type jsonIndex struct {
	doc []byte
	// spans maps the opening byte of every object and array to its extent in doc.
	spans map[*byte]span
}

type span struct{ start, end int }

// newIndex indexes doc, which must be valid JSON (json.Valid).
func newIndex(doc []byte) *jsonIndex {
	x := &jsonIndex{doc: doc, spans: map[*byte]span{}}
	var stack []int
	for i := 0; i < len(doc); i++ {
		switch doc[i] {
		case '"':
			i = stringEnd(doc, i) - 1
		case '{', '[':
			stack = append(stack, i)
		case '}', ']':
			start := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x.spans[&doc[start]] = span{start, i + 1}
		}
	}
	return x
}

// stringEnd returns the offset just past the JSON string starting at doc[i] ('"').
func stringEnd(doc []byte, i int) int {
	for j := i + 1; j < len(doc); j++ {
		switch doc[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(doc)
}

func skipSpace(doc []byte, i int) int {
	for i < len(doc) && (doc[i] == ' ' || doc[i] == '\t' || doc[i] == '\n' || doc[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns the offset just past the JSON value starting at doc[i].
func (x *jsonIndex) valueEnd(i int) int {
	switch x.doc[i] {
	case '{', '[':
		return x.spans[&x.doc[i]].end
	case '"':
		return stringEnd(x.doc, i)
	}
	j := i
	for ; j < len(x.doc); j++ {
		switch x.doc[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j
		}
	}
	return j
}

// container returns the extent of raw when it is an object or array of the indexed
// document (raw is a slice of it, possibly with surrounding white space).
func (x *jsonIndex) container(raw []byte, open byte) (span, bool) {
	raw = bytes.TrimLeft(raw, " \t\n\r")
	if x == nil || len(raw) == 0 || raw[0] != open {
		return span{}, false
	}
	sp, ok := x.spans[&raw[0]]
	return sp, ok
}

// raw returns doc[i:j] with no spare capacity, so an append by a caller can never
// write into the document.
func (x *jsonIndex) raw(i, j int) json.RawMessage { return x.doc[i:j:j] }

// object reads raw (an object of the indexed document) into an object without scanning
// its nested values again. A value from elsewhere is read the slow way.
func (x *jsonIndex) object(raw json.RawMessage) (*object, error) {
	sp, ok := x.container(raw, '{')
	if !ok {
		return parseObject(raw)
	}
	doc := x.doc
	o := &object{vals: map[string]json.RawMessage{}}
	i := skipSpace(doc, sp.start+1)
	for doc[i] != '}' {
		kend := stringEnd(doc, i)
		key, err := unquote(doc[i:kend])
		if err != nil {
			return nil, err
		}
		i = skipSpace(doc, kend) + 1 // past ':'
		i = skipSpace(doc, i)
		vend := x.valueEnd(i)
		if _, dup := o.vals[key]; !dup {
			o.keys = append(o.keys, key)
		}
		o.vals[key] = x.raw(i, vend)
		i = skipSpace(doc, vend)
		if doc[i] == ',' {
			i = skipSpace(doc, i+1)
		}
	}
	return o, nil
}

// array splits raw (an array of the indexed document) into its elements; a value that
// is not an array is an error, as json.Unmarshal into []json.RawMessage gives.
func (x *jsonIndex) array(raw json.RawMessage) ([]json.RawMessage, error) {
	sp, ok := x.container(raw, '[')
	if !ok {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, err
		}
		return items, nil
	}
	doc := x.doc
	var items []json.RawMessage
	i := skipSpace(doc, sp.start+1)
	for doc[i] != ']' {
		end := x.valueEnd(i)
		items = append(items, x.raw(i, end))
		i = skipSpace(doc, end)
		if doc[i] == ',' {
			i = skipSpace(doc, i+1)
		}
	}
	return items, nil
}

// unquote decodes a JSON string; most keys have no escapes and are copied as they are.
func unquote(q []byte) (string, error) {
	if bytes.IndexByte(q, '\\') < 0 && len(q) >= 2 {
		return string(q[1 : len(q)-1]), nil
	}
	var s string
	if err := json.Unmarshal(q, &s); err != nil {
		return "", fmt.Errorf("bad key %s: %w", q, err)
	}
	return s, nil
}
