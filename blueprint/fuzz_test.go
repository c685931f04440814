package blueprint_test

import (
	"github.com/weftworks/weft/internal/corpus"
	"os"
	"testing"

	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/blueprint"
)

// FuzzParseValidate: no input makes parsing, validation or export panic.
func FuzzParseValidate(f *testing.F) {
	for _, name := range []string{"002-make-error-handler-fallback.json", "004-make-if-else-merge.json", "005-make-iterator-aggregator.json", "009-make-webhook-router-error-handler.json"} {
		if data, err := os.ReadFile(corpus.Path(name)); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"flow":[{"id":1,"module":"builtin:BasicRouter","routes":[{"flow":[{"id":1}]}]}]}`))
	f.Add([]byte(`{"flow":[{"id":null,"module":"placeholder:Placeholder"},{"id":2,"module":"builtin:BasicAggregator","parameters":{"feeder":2}}]}`))
	reg, err := all.Registry()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		bp, err := blueprint.Parse(data)
		if err != nil {
			return
		}
		blueprint.Validate(bp, reg)
		if _, err := bp.Export(); err != nil {
			t.Fatalf("export of a parsed blueprint failed: %v", err)
		}
	})
}
