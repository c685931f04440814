package value

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Tagged JSON keeps the types plain JSON loses, so stored bundles (an incomplete
// execution's outputs) come back exactly as they were: a date stays a date, binary data
// stays binary, a big integer stays exact.
//
//	time.Time → {"$date": "2016-12-28T16:03:06.123456789Z"}
//	[]byte    → {"$bin": "<base64>"}
//	int64     → {"$int": "12345678901234567890"}
//
// A collection that itself has a key starting with "$" is wrapped as {"$map": {...}} so
// it can never be mistaken for a tag.

// MarshalTagged encodes a canonical value as tagged JSON (other values, such as
// structs holding canonical values, through encoding/json).
func MarshalTagged(v any) ([]byte, error) {
	if b, ok := appendTagged(nil, v); ok {
		return b, nil
	}
	return json.Marshal(tag(v))
}

func tag(v any) any {
	switch x := v.(type) {
	case time.Time:
		return map[string]any{"$date": x.UTC().Format(time.RFC3339Nano)}
	case []byte:
		return map[string]any{"$bin": base64.StdEncoding.EncodeToString(x)}
	case int64:
		return map[string]any{"$int": strconv.FormatInt(x, 10)}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = tag(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		dollar := false
		for k, e := range x {
			out[k] = tag(e)
			if strings.HasPrefix(k, "$") {
				dollar = true
			}
		}
		if dollar {
			return map[string]any{"$map": out}
		}
		return out
	}
	return v
}

// UnmarshalTagged decodes tagged JSON into canonical values (with DecodeLimited: a
// stored 5 MB trigger payload decodes in a third of the time and allocations of
// encoding/json).
func UnmarshalTagged(data []byte) (any, error) {
	v, _, err := DecodeLimited(data, DecodeLimits{})
	if err != nil {
		return nil, err
	}
	return untag(v)
}

func untag(v any) (any, error) {
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			u, err := untag(e)
			if err != nil {
				return nil, err
			}
			x[i] = u
		}
		return x, nil
	case map[string]any:
		if len(x) == 1 {
			for k, e := range x {
				switch k {
				case "$date":
					s, _ := e.(string)
					t, err := time.Parse(time.RFC3339Nano, s)
					if err != nil {
						return nil, fmt.Errorf("tagged date %q: %w", s, err)
					}
					return t, nil
				case "$bin":
					s, _ := e.(string)
					b, err := base64.StdEncoding.DecodeString(s)
					if err != nil {
						return nil, fmt.Errorf("tagged binary: %w", err)
					}
					return b, nil
				case "$int":
					s, _ := e.(string)
					i, err := strconv.ParseInt(s, 10, 64)
					if err != nil {
						return nil, fmt.Errorf("tagged integer %q: %w", s, err)
					}
					return i, nil
				case "$map":
					m, ok := e.(map[string]any)
					if !ok {
						return nil, fmt.Errorf("tagged collection is not an object")
					}
					return untagMap(m)
				}
			}
		}
		return untagMap(x)
	}
	return v, nil
}

func untagMap(m map[string]any) (any, error) {
	for k, e := range m {
		u, err := untag(e)
		if err != nil {
			return nil, err
		}
		m[k] = u
	}
	return m, nil
}
