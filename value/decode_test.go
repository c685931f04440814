package value

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// sameAsDecodeJSON checks DecodeLimited against DecodeJSON (encoding/json) on one text:
// the same value, or both refuse it. DecodeJSON accepts a stray '}' or ']' after the
// value (json.Decoder.More does not look past them); DecodeLimited refuses any trailing
// text, the one difference.
func sameAsDecodeJSON(t *testing.T, text []byte) {
	t.Helper()
	want, werr := DecodeJSON(text)
	got, _, gerr := DecodeLimited(text, DecodeLimits{})
	switch {
	case werr == nil && gerr == nil:
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got  %#v\n want %#v", text, got, want)
		}
	case werr != nil && gerr == nil:
		t.Fatalf("%q: DecodeJSON refuses it (%v), DecodeLimited returned %#v", text, werr, got)
	case werr == nil && gerr != nil:
		var se *SyntaxError
		if !errors.As(gerr, &se) || !strings.HasPrefix(se.Msg, "unexpected") {
			t.Fatalf("%q: DecodeJSON reads %#v, DecodeLimited refuses it: %v", text, want, gerr)
		}
		if rest := bytes.TrimSpace(text[se.Offset:]); len(rest) == 0 || (rest[0] != '}' && rest[0] != ']') {
			t.Fatalf("%q: DecodeJSON reads %#v, DecodeLimited refuses it: %v", text, want, gerr)
		}
	}
}

func TestDecodeLimitedMatchesDecodeJSON(t *testing.T) {
	for _, text := range []string{
		`{}`, `[]`, `""`, `0`, `-0`, `-0.0`, `1`, `-1`, `1023`, `1024`, `-1023`, `12345678901234`, `123456789012345`,
		`1234567890123456`, `9007199254740993`, `-9007199254740993`, `92233720368547758070`, `1e400`, `-1e400`, `1.5e-7`,
		`1E2`, `1e+2`, `0.1`, `true`, `false`, `null`, ` {"a" : [1, 2.5, "x", null, true, {"b": {}}] } `,
		`{"a":1,"a":2}`, `{"$date":"2020-01-01T00:00:00Z"}`, `"\u00e9\ud83d\ude00\n\t\"\\\/\b\f\r"`,
		`"\ud83d"`, `"\ud83dx"`, `"\ude00\ud83d"`, `"\ud83d\u0041"`, `"\ud83d\ud83d\ude00"`, "\"a\xffb\"", "\"\xed\xa0\x80\"",
		"{\"k\xff\":1}", `"\uD83D\uDE00"`, "\"é€𝄞\"",
		// refused by both
		``, ` `, `{`, `[`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[,1]`, `01`, `-`, `1.`, `.5`, `1e`, `1e+`, `+1`, `tru`,
		`nul`, `"abc`, `"\x"`, `"\u12"`, `"\u12G4"`, "\"a\x01b\"", `{1:2}`, `[1 2]`, `{"a":1 "b":2}`, `NaN`, `Infinity`,
		`"\`, `[1]x`, `{"a":1}}`, `[1]]`, `{} {}`,
	} {
		sameAsDecodeJSON(t, []byte(text))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		sameAsDecodeJSON(t, randomJSON(r, 0))
	}
}

// randomJSON makes a random JSON text, sometimes with spacing, escapes, odd numbers and
// invalid UTF-8 in strings.
func randomJSON(r *rand.Rand, depth int) []byte {
	var b bytes.Buffer
	writeRandom(&b, r, depth)
	return b.Bytes()
}

func writeRandom(b *bytes.Buffer, r *rand.Rand, depth int) {
	space := func() {
		if r.IntN(4) == 0 {
			b.WriteString([]string{" ", "\n", "\t ", "\r\n"}[r.IntN(4)])
		}
	}
	space()
	k := r.IntN(10)
	if depth > 4 {
		k = r.IntN(6)
	}
	switch k {
	case 0:
		b.WriteString([]string{"true", "false", "null"}[r.IntN(3)])
	case 1, 2:
		b.WriteString([]string{"0", "-0", "7", "-12", "1023", "1024", "3.25", "-0.5e-3", "1E10", "123456789012345",
			"1234567890123456", "9007199254740993", "-9223372036854775808", "18446744073709551616", "1e309", "5e-324"}[r.IntN(16)])
		if r.IntN(3) == 0 {
			fmt.Fprint(b, r.IntN(5000)-100)
		}
	case 3, 4, 5:
		writeRandomString(b, r)
	case 6, 7:
		b.WriteByte('[')
		for i := range r.IntN(5) {
			if i > 0 {
				b.WriteByte(',')
			}
			writeRandom(b, r, depth+1)
		}
		space()
		b.WriteByte(']')
	default:
		b.WriteByte('{')
		for i := range r.IntN(5) {
			if i > 0 {
				b.WriteByte(',')
			}
			space()
			writeRandomString(b, r)
			space()
			b.WriteByte(':')
			writeRandom(b, r, depth+1)
		}
		space()
		b.WriteByte('}')
	}
	space()
}

func writeRandomString(b *bytes.Buffer, r *rand.Rand) {
	parts := []string{"a", "key", "$int", "$", "é", "😀", `\n`, `\"`, `\\`, `\/`, `\u0041`, `\u00e9`, `\ud83d\ude00`,
		`\ud83d`, `\ude00`, "\xff", "\xed\xa0\x80", " ", "<&>", "\u2028"}
	b.WriteByte('"')
	for range r.IntN(4) {
		b.WriteString(parts[r.IntN(len(parts))])
	}
	b.WriteByte('"')
}

func FuzzDecodeLimited(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":"c"}]}`, `"\ud83d\ude00"`, `-0.0e-1`, `{"$date":"x"}`, "\"\xff\"", `[[[]]]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		sameAsDecodeJSON(t, text)
		v, safe, err := DecodeLimited(text, DecodeLimits{})
		if err != nil || !safe {
			return
		}
		// Tag-safe text reads back as the same value through UnmarshalTagged.
		back, err := UnmarshalTagged(text)
		if err != nil || !reflect.DeepEqual(back, v) {
			t.Fatalf("%q is tag-safe but UnmarshalTagged reads %#v, %v (want %#v)", text, back, err, v)
		}
	})
}

func TestDecodeLimitedTagSafe(t *testing.T) {
	for text, want := range map[string]bool{
		`{"a":1,"b":[{"c":"$x"}]}`:         true,
		`"$date"`:                          true,
		`{"$date":"2020-01-01T00:00:00Z"}`: false,
		`{"a":{"$x":1}}`:                   false,
		`[{"$":1}]`:                        false,
		`{"a":92233720368547758070}`:       true,
	} {
		v, safe, err := DecodeLimited([]byte(text), DecodeLimits{})
		if err != nil || safe != want {
			t.Errorf("%s: tag-safe %v, %v; want %v", text, safe, err, want)
			continue
		}
		if safe {
			back, err := UnmarshalTagged([]byte(text))
			if err != nil || !reflect.DeepEqual(back, v) {
				t.Errorf("%s: tag-safe, but UnmarshalTagged reads %#v, %v", text, back, err)
			}
		}
	}
}

func TestDecodeLimitedBounds(t *testing.T) {
	deep := strings.Repeat("[", 5) + strings.Repeat("]", 5)
	for _, c := range []struct {
		text  string
		lim   DecodeLimits
		bound string
	}{
		{deep, DecodeLimits{MaxDepth: 4}, "depth"},
		{`{"a":{"b":{"c":{"d":{}}}}}`, DecodeLimits{MaxDepth: 4}, "depth"},
		{deep, DecodeLimits{MaxDepth: 5}, ""},
		{`{"a":1,"b":2,"c":3}`, DecodeLimits{MaxMembers: 2}, "members"},
		{`[1,[2,3]]`, DecodeLimits{MaxMembers: 3}, "members"},
		{`[1,[2,3]]`, DecodeLimits{MaxMembers: 4}, ""},
		{`{"a":[1,2]}`, DecodeLimits{MaxMembers: 3}, ""},
		{strings.Repeat("[", hardDepth+1) + strings.Repeat("]", hardDepth+1), DecodeLimits{}, "depth"},
	} {
		_, _, err := DecodeLimited([]byte(c.text), c.lim)
		var le *LimitError
		switch {
		case c.bound == "" && err != nil:
			t.Errorf("%.40s %+v: %v", c.text, c.lim, err)
		case c.bound != "" && (!errors.As(err, &le) || le.Bound != c.bound):
			t.Errorf("%.40s %+v: got %v, want the %s bound", c.text, c.lim, err, c.bound)
		}
	}
	_, _, err := DecodeLimited([]byte(`{"a":1,"b":2,"c":3}`), DecodeLimits{MaxMembers: 2})
	if err == nil || err.Error() != "JSON with more than 2 object members and array elements (at offset 13)" {
		t.Errorf("members message: %v", err)
	}
}

func TestDecodeLimitedSyntaxErrorsSayWhere(t *testing.T) {
	_, _, err := DecodeLimited([]byte("{\n  \"a\": 1,\n  \"b\" 2\n}"), DecodeLimits{})
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line != 3 || se.Column != 7 || se.Offset != 18 ||
		err.Error() != `invalid JSON at line 3, column 7 (offset 18): expected ':' after an object key` {
		t.Fatalf("got %v", err)
	}
}

// The payload of the webhook benchmark: 400,000 keys in about 5 MB.
func bigObject() []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := range 400_000 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%x":%d`, i, i%1000)
	}
	b.WriteByte('}')
	return b.Bytes()
}

func BenchmarkDecode5MB(b *testing.B) {
	data := bigObject()
	b.Run("DecodeJSON", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := DecodeJSON(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("DecodeLimited", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, _, err := DecodeLimited(data, DecodeLimits{MaxDepth: 64, MaxMembers: 1_000_000}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
