package value

import (
	"math"
	"reflect"
	"testing"
	"time"
)

func TestFormatNumber(t *testing.T) {
	cases := []struct {
		in   float64
		want string
	}{
		{0, "0"}, {math.Copysign(0, -1), "0"}, {1, "1"}, {-1, "-1"}, {1.5, "1.5"}, {0.30000000000000004, "0.30000000000000004"},
		{123456789, "123456789"}, {1e20, "100000000000000000000"}, {1e21, "1e+21"}, {1.5e21, "1.5e+21"},
		{0.000001, "0.000001"}, {0.0000001, "1e-7"}, {-2.5e-8, "-2.5e-8"}, {math.NaN(), "NaN"},
		{math.Inf(1), "Infinity"}, {math.Inf(-1), "-Infinity"}, {9007199254740993, "9007199254740992"},
	}
	for _, c := range cases {
		if got := FormatNumber(c.in); got != c.want {
			t.Errorf("FormatNumber(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestText(t *testing.T) {
	d := time.Date(2016, 12, 28, 17, 3, 6, 0, time.FixedZone("CET", 3600))
	cases := []struct {
		in   any
		want string
	}{
		{nil, ""}, {"x", "x"}, {true, "true"}, {false, "false"}, {3.0, "3"}, {2.5, "2.5"},
		{int64(1) << 60, "1152921504606846976"}, {d, "2016-12-28T16:03:06.000Z"}, {[]byte("bin"), "bin"},
		{map[string]any{"b": 1.0, "a": "<x>"}, `{"a":"<x>","b":1}`},
		{[]any{1.0, "a", true, nil}, "1, a, true, "},
		{[]any{map[string]any{"a": 1.0}, map[string]any{"a": 2.0}}, `{"a":1}, {"a":2}`},
		{[]any{}, ""},
	}
	for _, c := range cases {
		if got := Text(c.in); got != c.want {
			t.Errorf("Text(%#v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestNumber(t *testing.T) {
	cases := []struct {
		in   any
		want float64
		ok   bool
	}{
		{2.5, 2.5, true}, {int64(7), 7, true}, {"42", 42, true}, {" 4.5 ", 4.5, true}, {"-1e3", -1000, true},
		{"0x1F", 31, true}, {"", 0, false}, {"  ", 0, false}, {"abc", 0, false}, {"12abc", 0, false},
		{"NaN", 0, false}, {"Infinity", math.Inf(1), true}, {"1e999", 0, false}, {true, 0, false},
		{nil, 0, false}, {[]any{1.0}, 0, false}, {time.UnixMilli(1500).UTC(), 1500, true},
	}
	for _, c := range cases {
		got, ok := Number(c.in)
		if ok != c.ok || ok && got != c.want {
			t.Errorf("Number(%#v) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestBool(t *testing.T) {
	cases := []struct {
		in   any
		want bool
	}{
		{true, true}, {false, false}, {nil, false}, {"", false}, {"false", false}, {"true", true},
		{"no", true}, {"0", true}, {0.0, true}, {1.0, true}, {[]any{}, true}, {map[string]any{}, true},
	}
	for _, c := range cases {
		if got := Bool(c.in); got != c.want {
			t.Errorf("Bool(%#v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestDateArrayEmpty(t *testing.T) {
	prague, err := time.LoadLocation("Europe/Prague")
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := Date("2016-06-20", prague); !ok || !d.Equal(time.Date(2016, 6, 19, 22, 0, 0, 0, time.UTC)) {
		t.Errorf("Date(2016-06-20, Prague) = %v, %v", d, ok)
	}
	if d, ok := Date(1500.0, nil); !ok || d.UnixMilli() != 1500 {
		t.Errorf("Date(1500) = %v, %v", d, ok)
	}
	if _, ok := Date("not a date", nil); ok {
		t.Error("Date accepted text that is not a date")
	}
	if _, ok := Date(true, nil); ok {
		t.Error("Date accepted a boolean")
	}
	if got := Array(nil); !reflect.DeepEqual(got, []any{}) {
		t.Errorf("Array(nil) = %#v", got)
	}
	if got := Array("x"); !reflect.DeepEqual(got, []any{"x"}) {
		t.Errorf("Array(x) = %#v", got)
	}
	for _, v := range []any{nil, "", []any{}, []byte{}} {
		if !IsEmpty(v) {
			t.Errorf("IsEmpty(%#v) = false", v)
		}
	}
	for _, v := range []any{0.0, false, map[string]any{}, " ", []any{nil}} {
		if IsEmpty(v) {
			t.Errorf("IsEmpty(%#v) = true", v)
		}
	}
}

func TestEqual(t *testing.T) {
	d := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		a, b any
		want bool
	}{
		{nil, nil, true}, {nil, "", true}, {"", nil, true}, {nil, 0.0, false}, {"a", "a", true}, {"a", "A", false},
		{1.0, "1", true}, {"1.0", 1.0, true}, {"x", 1.0, false}, {1.0, 1.0, true}, {int64(1) << 60, int64(1) << 60, true},
		{true, "true", true}, {"false", false, true}, {true, 1.0, false}, {d, "2020-01-01T00:00:00Z", true},
		{"2020-01-01T00:00:00Z", d, true}, {d, float64(d.UnixMilli()), true},
		{[]any{1.0, "a"}, []any{"1", "a"}, true}, {[]any{1.0}, []any{1.0, 2.0}, false},
		{map[string]any{"a": 1.0}, map[string]any{"a": "1"}, true}, {map[string]any{"a": 1.0}, map[string]any{"b": 1.0}, false},
		{[]byte("x"), "x", true},
	}
	for _, c := range cases {
		if got := Equal(c.a, c.b); got != c.want {
			t.Errorf("Equal(%#v, %#v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	v, err := DecodeJSON([]byte(`{"id":1234567890123456789,"n":1.5,"s":"<&>","a":[1,null,true],"o":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	m := v.(map[string]any)
	if m["id"] != int64(1234567890123456789) || m["n"] != 1.5 {
		t.Errorf("decoded %#v", m)
	}
	want := `{"a":[1,null,true],"id":1234567890123456789,"n":1.5,"o":{},"s":"<&>"}`
	if got := string(JSON(v)); got != want {
		t.Errorf("JSON = %s\nwant %s", got, want)
	}
	if _, err := DecodeJSON([]byte(`{} x`)); err == nil {
		t.Error("trailing data accepted")
	}
	if got := string(JSON(map[string]any{"t": "a\u2028b\x01\"\\"})); got != `{"t":"a\u2028b\u0001\"\\"}` {
		t.Errorf("escaping: %s", got)
	}
}
