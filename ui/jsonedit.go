package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/weftworks/weft/value"
)

// setScenarioSettings returns raw with the keys of set written into
// metadata.scenario; every other byte of the blueprint is kept, so an export stays
// what was imported apart from the settings a person changed (unknown keys of
// metadata.scenario survive too).
func setScenarioSettings(raw []byte, set map[string]any) ([]byte, error) {
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	cur := map[string]any{}
	if old, ok, err := lookupJSON(raw, "metadata", "scenario"); err != nil {
		return nil, err
	} else if ok && string(old) != "null" {
		v, err := value.DecodeJSON(old)
		if err != nil {
			return nil, fmt.Errorf("metadata.scenario: %w", err)
		}
		m, isObj := v.(map[string]any)
		if !isObj {
			return nil, errors.New("metadata.scenario is not an object")
		}
		cur = m
	}
	next := maps.Clone(cur)
	maps.Copy(next, set)
	return spliceJSON(raw, value.JSON(next), "metadata", "scenario")
}

// lookupJSON returns the raw value at path in a JSON object.
func lookupJSON(obj []byte, path ...string) (json.RawMessage, bool, error) {
	start, end, found, err := findKey(obj, path[0])
	if err != nil || !found {
		return nil, false, err
	}
	v := obj[start:end]
	if len(path) == 1 {
		return v, true, nil
	}
	if len(bytes.TrimSpace(v)) == 0 || bytes.TrimSpace(v)[0] != '{' {
		return nil, false, nil
	}
	return lookupJSON(v, path[1:]...)
}

// spliceJSON replaces (or adds) the value at path in a JSON object, creating the
// objects on the way when they are missing or null.
func spliceJSON(obj []byte, val json.RawMessage, path ...string) ([]byte, error) {
	start, end, found, err := findKey(obj, path[0])
	if err != nil {
		return nil, err
	}
	if !found {
		nested := val
		for i := len(path) - 1; i >= 1; i-- {
			k, _ := json.Marshal(path[i])
			nested = json.RawMessage("{" + string(k) + ":" + string(nested) + "}")
		}
		return insertKey(obj, path[0], nested)
	}
	cur := bytes.TrimSpace(obj[start:end])
	var repl []byte
	switch {
	case len(path) == 1:
		repl = val
	case len(cur) > 0 && cur[0] == '{':
		if repl, err = spliceJSON(obj[start:end], val, path[1:]...); err != nil {
			return nil, err
		}
	case string(cur) == "null":
		if repl, err = spliceJSON([]byte("{}"), val, path[1:]...); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%s is not an object", path[0])
	}
	out := make([]byte, 0, len(obj)+len(repl))
	out = append(out, obj[:start]...)
	out = append(out, repl...)
	return append(out, obj[end:]...), nil
}

// findKey returns the byte range of key's value in the JSON object obj.
func findKey(obj []byte, key string) (start, end int, found bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	tok, err := dec.Token()
	if d, ok := tok.(json.Delim); err != nil || !ok || d != '{' {
		return 0, 0, false, errors.New("the blueprint is not a JSON object")
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return 0, 0, false, fmt.Errorf("blueprint: %w", err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return 0, 0, false, fmt.Errorf("blueprint: %w", err)
		}
		if k == key {
			end := int(dec.InputOffset())
			return end - len(v), end, true, nil
		}
	}
	return 0, 0, false, nil
}

// insertKey adds "key": val as the last member of the object obj.
func insertKey(obj []byte, key string, val json.RawMessage) ([]byte, error) {
	closing := bytes.LastIndexByte(obj, '}')
	if closing < 0 {
		return nil, errors.New("the blueprint is not a JSON object")
	}
	k, _ := json.Marshal(key)
	member := string(k) + ":" + string(val)
	body := bytes.TrimSpace(obj[bytes.IndexByte(obj, '{')+1 : closing])
	if len(body) > 0 {
		member = "," + member
	}
	out := make([]byte, 0, len(obj)+len(member))
	// Insert right after the last member (before trailing whitespace and the brace).
	at := closing
	for at > 0 && (obj[at-1] == ' ' || obj[at-1] == '\n' || obj[at-1] == '\r' || obj[at-1] == '\t') {
		at--
	}
	out = append(out, obj[:at]...)
	out = append(out, member...)
	return append(out, obj[at:]...), nil
}
