package datastore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/sqlite"
)

// newBackend opens the real SQLite store on a temporary file of its own (WAL).
func newBackend(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "weft.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("open sqlite store: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close sqlite store: %v", err)
		}
	})
	return st
}
