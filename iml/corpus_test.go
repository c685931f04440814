package iml

import (
	"encoding/json"
	"fmt"
	"github.com/weftworks/weft/internal/corpus"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// corpusDir holds the real Make exports the project keeps beside the repository.
var corpusDir = corpus.Dir()

func corpusFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skipf("no blueprint corpus at %s (it lives beside the repository in the project workspace)", corpusDir)
	}
	return files
}

// walkJSON calls fn for every value in a decoded JSON document with its pointer.
func walkJSON(v any, ptr string, fn func(ptr string, v any)) {
	fn(ptr, v)
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walkJSON(x[k], ptr+"/"+escapePointer(k), fn)
		}
	case []any:
		for i, e := range x {
			walkJSON(e, ptr+"/"+strconv.Itoa(i), fn)
		}
	}
}

// TestCorpusTemplatesParse: every string containing {{ in every blueprint compiles,
// and evaluates without a panic against an empty environment.
func TestCorpusTemplatesParse(t *testing.T) {
	var failures []string
	count := 0
	for _, f := range corpusFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		walkJSON(doc, "", func(ptr string, v any) {
			s, ok := v.(string)
			if !ok || !strings.Contains(s, "{{") {
				return
			}
			count++
			tpl, err := ParseTemplate(s)
			if err != nil {
				failures = append(failures, fmt.Sprintf("%s %s: %v\n    %.200q", filepath.Base(f), ptr, err, s))
				return
			}
			if _, err := tpl.Eval(&Env{}); err != nil {
				// Errors are allowed (e.g. a function given an empty value it rejects), panics are not.
				t.Logf("%s %s: evaluates with an error on empty input: %v", filepath.Base(f), ptr, err)
			}
		})
	}
	if len(failures) > 0 {
		t.Fatalf("%d of %d templates do not parse:\n%s", len(failures), count, strings.Join(failures, "\n"))
	}
	if count < 800 {
		t.Fatalf("only %d templates found; the corpus walk is broken", count)
	}
	t.Logf("%d templates parse", count)
}

// TestCorpusFiltersCompile: every condition list (filter.conditions and if/else
// branches[].conditions) compiles, and its refs are the modules its templates name.
func TestCorpusFiltersCompile(t *testing.T) {
	var failures []string
	filters, conditions := 0, 0
	for _, f := range corpusFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		walkJSON(doc, "", func(ptr string, v any) {
			m, ok := v.(map[string]any)
			if !ok {
				return
			}
			raw, ok := m["conditions"]
			if !ok {
				return
			}
			b, _ := json.Marshal(raw)
			var groups [][]Condition
			if err := json.Unmarshal(b, &groups); err != nil {
				failures = append(failures, fmt.Sprintf("%s %s/conditions: not condition groups: %v", filepath.Base(f), ptr, err))
				return
			}
			filters++
			for _, g := range groups {
				conditions += len(g)
			}
			flt, err := CompileFilter(groups)
			if err != nil {
				failures = append(failures, fmt.Sprintf("%s %s/conditions: %v", filepath.Base(f), ptr, err))
				return
			}
			if _, err := flt.Match(&Env{}); err != nil {
				t.Logf("%s %s: matches with an error on empty input: %v", filepath.Base(f), ptr, err)
			}
		})
	}
	if len(failures) > 0 {
		t.Fatalf("%d filters do not compile:\n%s", len(failures), strings.Join(failures, "\n"))
	}
	if conditions < 100 {
		t.Fatalf("only %d conditions found; the corpus walk is broken", conditions)
	}
	t.Logf("%d condition lists with %d conditions compile", filters, conditions)
}
