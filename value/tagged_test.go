package value

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
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

// appendTagged writes exactly what json.Marshal(tag(v)) writes, for every canonical
// value, and declines what json.Marshal refuses.
func TestAppendTaggedMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	check := func(v any, canonical bool) {
		t.Helper()
		want, werr := json.Marshal(tag(v))
		got, ok := appendTagged(nil, v)
		switch {
		case werr != nil && ok:
			t.Fatalf("%#v: encoding/json refuses it (%v), appendTagged wrote %s", v, werr, got)
		case werr == nil && !ok && canonical:
			t.Fatalf("%#v: appendTagged declined, encoding/json writes %s", v, want)
		case ok && string(got) != string(want):
			t.Fatalf("%#v:\n got  %s\n want %s", v, got, want)
		}
		if m, err := MarshalTagged(v); string(m) != string(want) || (err == nil) != (werr == nil) {
			t.Fatalf("%#v: MarshalTagged %s, %v; want %s, %v", v, m, err, want, werr)
		}
	}
	for _, v := range []any{
		nil, true, 0.0, math.Copysign(0, -1), 1e21, 1e20, 1e-6, 1e-7, 1.5e-7, -2.5e300, 5e-324, math.MaxFloat64, 0.1,
		math.NaN(), math.Inf(1), int64(-1 << 63), "", "<a href='x'>&</a>", "\u2028\u2029", "\x00\x1f\b\f\n\r\t\"\\", "\xff\xfe",
		"é😀", []any(nil), []any{}, map[string]any(nil), map[string]any{}, []byte(nil), []byte{0, 255},
		time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600)), time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC),
		map[string]any{"$date": "user key", "b": []any{map[string]any{"$": 1.0}}}, map[string]any{"a": math.NaN()},
	} {
		check(v, true)
	}
	for _, v := range []any{map[string]string{"not": "canonical"}, []any{struct{ A int }{1}}} {
		check(v, false)
	}
	for range 3000 {
		check(randomValue(r, 0), true)
	}
}

// AppendStdJSON writes exactly what encoding/json writes for every canonical value.
func TestAppendStdJSONMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	check := func(v any, canonical bool) {
		t.Helper()
		want, werr := json.Marshal(v)
		got, ok := AppendStdJSON(nil, v)
		switch {
		case werr != nil && ok:
			t.Fatalf("%#v: encoding/json refuses it (%v), AppendStdJSON wrote %s", v, werr, got)
		case werr == nil && !ok && canonical:
			t.Fatalf("%#v: AppendStdJSON declined, encoding/json writes %s", v, want)
		case ok && string(got) != string(want):
			t.Fatalf("%#v:\n got  %s\n want %s", v, got, want)
		}
	}
	for _, v := range []any{
		nil, false, 1e21, 1e-7, math.NaN(), math.Inf(-1), int64(-1 << 63), "<&>\u2028\xff\x00", []any(nil), []any{},
		map[string]any(nil), map[string]any{"$date": 1.0}, []byte(nil), []byte{}, []byte{1, 2},
		time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600)), time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		check(v, true)
	}
	check(map[string]string{"a": "b"}, false)
	for range 3000 {
		check(randomValue(r, 0), true)
	}
}

func randomValue(r *rand.Rand, depth int) any {
	n := r.IntN(12)
	if depth > 3 {
		n = r.IntN(8)
	}
	switch n {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2:
		return []float64{0, 1, -7, 0.5, 1e-7, 3e21, 1.0 / 3, 123456789012345678, r.NormFloat64() * 1e10, r.Float64() * 1e-8}[r.IntN(10)]
	case 3:
		return int64(r.Uint64())
	case 4, 5:
		parts := []string{"a", "<", ">", "&", "$", "$date", "é", "😀", "\n", "\"", "\\", "\x01", "\xff", "\u2028", " "}
		var b strings.Builder
		for range r.IntN(5) {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		return b.String()
	case 6:
		return time.Unix(r.Int64N(1<<34), r.Int64N(1e9)).In(time.FixedZone("Z", 3600*(r.IntN(25)-12)))
	case 7:
		b := make([]byte, r.IntN(6))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return b
	case 8, 9:
		a := make([]any, r.IntN(4))
		for i := range a {
			a[i] = randomValue(r, depth+1)
		}
		return a
	default:
		m := map[string]any{}
		for range r.IntN(5) {
			k, _ := randomValue(r, 9).(string)
			if r.IntN(6) == 0 {
				k = "$" + k
			}
			m[k] = randomValue(r, depth+1)
		}
		return m
	}
}

func BenchmarkMarshalTagged5MB(b *testing.B) {
	v, err := DecodeJSON(bigObject())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := MarshalTagged(v); err != nil {
			b.Fatal(err)
		}
	}
}
