package datastore_test

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/internal/corpus"
	"github.com/weftworks/weft/value"
)

// Every data store module of the real blueprints is registered, its parameters pass
// their declaration, and every mapper key it uses is a declared field.
func TestCorpusModulesMatchTheSpecs(t *testing.T) {
	h := newHarness(t)
	var seen []string
	for _, file := range corpus.Files(t) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		bp, err := blueprint.Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		bp.Walk(func(m *blueprint.Module, ptr string) bool {
			if !strings.HasPrefix(m.Type, "datastore:") {
				return true
			}
			where := filepath.Base(file) + ptr
			seen = append(seen, filepath.Base(file)[:3]+" "+m.Type)
			spec, ok := h.reg.Lookup(m.Type)
			if !ok {
				t.Errorf("%s: %s is not registered", where, m.Type)
				return true
			}
			params, err := app.PrepareParameters(spec, m.Parameters)
			if err != nil {
				t.Errorf("%s: parameters: %v", where, err)
				return true
			}
			if value.Text(params["datastore"]) == "" {
				t.Errorf("%s: no data store name", where)
			}
			mapper, _ := m.Mapper.(map[string]any)
			for k := range mapper {
				if !slices.ContainsFunc(spec.Mapper, func(f app.Field) bool { return f.Name == k }) {
					t.Errorf("%s: mapper key %q is not a declared field of %s", where, k, m.Type)
				}
			}
			if _, err := app.PrepareInput(spec, mapper); err != nil {
				t.Errorf("%s: mapper: %v", where, err)
			}
			return true
		})
	}
	sort.Strings(seen)
	same(t, "data store modules in the corpus", seen, []string{
		"001 datastore:AddRecord", "001 datastore:ExistRecord",
		"015 datastore:AddRecord", "015 datastore:GetRecord", "015 datastore:UpdateRecord",
		"019 datastore:GetRecord", "041 datastore:AddRecord",
	})
}
