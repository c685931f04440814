// Package corpus locates the real Make blueprints tests run against: a copy of the
// shared corpus kept in testdata/blueprints, so a fresh checkout tests the same files
// wherever it lives.
package corpus

import (
	"path/filepath"
	"runtime"
	"testing"
)

// Dir is the absolute path of testdata/blueprints.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "blueprints")
}

// Path is the absolute path of one corpus file.
func Path(name string) string { return filepath.Join(Dir(), name) }

// Files lists every blueprint of the corpus; a test fails when there are none.
func Files(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(Dir(), "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no blueprints in %s (err %v)", Dir(), err)
	}
	return files
}

// SharedDir is where the project's shared corpus lives beside the checkout
// (../shared/blueprints) when it does.
func SharedDir() string { return filepath.Join(Dir(), "..", "..", "..", "shared", "blueprints") }

// Export is the path of one copy, under testdata/corpus, of an export from the shared
// census corpus (../shared/corpus; SOURCES.tsv there names its repository): the real
// blueprints that end-to-end tests of the modules they use run.
func Export(name string) string {
	return filepath.Join(Dir(), "..", "corpus", name)
}
