package postgres

import (
	"context"
	"os"
	"testing"

	"github.com/weftworks/weft/internal/pgtest"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// openTemp opens a store on a fresh database of the test server.
func openTemp(t testing.TB) *Store {
	t.Helper()
	return openURL(t, pgtest.NewDatabase(t), Options{})
}

// openURL opens a store on url, closed when the test ends (before the database is
// dropped: cleanups run last-registered first).
func openURL(t testing.TB, url string, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, opts)
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
