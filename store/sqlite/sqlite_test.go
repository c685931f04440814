package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/storetest"
)

// openTemp opens a store on a fresh file in the test's temporary folder.
func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "data", "weft.db"), Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}
