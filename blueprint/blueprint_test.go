package blueprint_test

import (
	"encoding/json"
	"github.com/weftworks/weft/internal/corpus"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/blueprint"
)

var corpusDir = corpus.Dir()

func corpusFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no blueprints in %s (err %v)", corpusDir, err)
	}
	return files
}

func decode(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestCorpusRoundTrip: exporting a parsed blueprint keeps every key, unknown ones
// included, with the same values.
func TestCorpusRoundTrip(t *testing.T) {
	for _, file := range corpusFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			bp, err := blueprint.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			out, err := bp.Export()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(decode(t, data[bomLen(data):]), decode(t, out)) {
				t.Fatal("export differs from the original document")
			}
			// Keys keep their order: the first top-level key is still the first.
			if firstKey(data[bomLen(data):]) != firstKey(out) {
				t.Fatalf("key order changed: %q vs %q", firstKey(data), firstKey(out))
			}
		})
	}
}

func bomLen(b []byte) int {
	if strings.HasPrefix(string(b), "\xef\xbb\xbf") {
		return 3
	}
	return 0
}

func firstKey(b []byte) string {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.Token()
	tok, _ := dec.Token()
	s, _ := tok.(string)
	return s
}

// TestCorpusValidates: every real blueprint validates; unsupported modules are listed
// by id, not errors.
func TestCorpusValidates(t *testing.T) {
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range corpusFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, _ := os.ReadFile(file)
			bp, err := blueprint.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			rep := blueprint.Validate(bp, reg)
			for _, p := range rep.Errors() {
				t.Errorf("%s", p)
			}
			for _, u := range rep.Unsupported {
				if u.ModuleID == 0 || u.Pointer == "" || u.Type == "" {
					t.Errorf("unsupported entry without id or pointer: %+v", u)
				}
				if _, ok := reg.Lookup(u.Type); ok {
					t.Errorf("%s is listed unsupported but registered", u.Type)
				}
			}
		})
	}
}

func TestSetMapperExportsTheChange(t *testing.T) {
	bp, err := blueprint.Parse([]byte(`{"name":"x","zzz":{"keep":[1,2]},"flow":[{"id":1,"module":"a:B","mapper":{"u":"1"},"custom":true}]}`))
	if err != nil {
		t.Fatal(err)
	}
	m, ptr := bp.Module(1)
	if ptr != "/flow/0" {
		t.Fatalf("pointer %q", ptr)
	}
	m.SetMapper(map[string]any{"u": "2"})
	out, err := bp.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"x","zzz":{"keep":[1,2]},"flow":[{"id":1,"module":"a:B","mapper":{"u":"2"},"custom":true}]}`
	if string(out) != want {
		t.Fatalf("got  %s\nwant %s", out, want)
	}
}

func TestParseRejectsNonJSON(t *testing.T) {
	for _, in := range []string{``, `{`, `[1,2]`, `"x"`, "{\n  \"flow\": [,]\n}"} {
		if _, err := blueprint.Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q) accepted", in)
		}
	}
	_, err := blueprint.Parse([]byte("{\n  \"flow\": [,]\n}"))
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("error should name the line: %v", err)
	}
}
