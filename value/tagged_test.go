package value

import (
	"reflect"
	"testing"
	"time"
)

func TestTaggedRoundTrip(t *testing.T) {
	in := map[string]any{
		"when":  time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC),
		"file":  []byte{0, 1, 2, 255},
		"big":   int64(1 << 60),
		"n":     1.5,
		"s":     "$date",
		"arr":   []any{nil, true, "x", map[string]any{"$date": "not a tag, a user key"}},
		"empty": map[string]any{},
	}
	data, err := MarshalTagged(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := UnmarshalTagged(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip changed the value:\n in  %#v\n out %#v\n json %s", in, out, data)
	}
}

func TestTaggedRejectsBrokenTags(t *testing.T) {
	for _, s := range []string{`{"$date":"yesterday"}`, `{"$bin":"***"}`, `{"$int":"1.5"}`, `{"$map":[1]}`} {
		if _, err := UnmarshalTagged([]byte(s)); err == nil {
			t.Errorf("%s: want an error", s)
		}
	}
}
