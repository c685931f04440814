package corpus_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/weftworks/weft/internal/corpus"
)

// TestCopyMatchesShared keeps testdata/blueprints identical to ../shared/blueprints
// when the shared folder is beside the checkout (in a workspace; CI clones only the
// project and then tests the copy).
func TestCopyMatchesShared(t *testing.T) {
	shared, err := filepath.Glob(filepath.Join(corpus.SharedDir(), "*"))
	if err != nil || len(shared) == 0 {
		t.Logf("no shared corpus at %s: testing the copy alone", corpus.SharedDir())
		return
	}
	for _, s := range shared {
		want, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(corpus.Path(filepath.Base(s)))
		if err != nil {
			t.Errorf("%s is in the shared corpus but not in testdata/blueprints: copy it", filepath.Base(s))
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("testdata/blueprints/%s differs from the shared corpus: copy it again", filepath.Base(s))
		}
	}
	if n := len(corpus.Files(t)); n < 26 {
		t.Fatalf("only %d blueprints in the copy", n)
	}
}
