package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store/sqlite"
)

// A backup taken while writes go on is a consistent database that opens, migrates as a
// no-op and holds what was committed before it began.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "weft.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sc := &weft.Scenario{Name: "s", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := st.CreateScenario(ctx, sc, []byte(`{"name":"s","flow":[]}`)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		if err := st.Enqueue(ctx, &weft.QueueItem{ScenarioID: sc.ID, Payload: []byte(`{}`), EnqueuedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		for !stop.Load() {
			if err := st.Enqueue(ctx, &weft.QueueItem{ScenarioID: sc.ID, Payload: []byte(`{}`), EnqueuedAt: time.Now()}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	out := filepath.Join(t.TempDir(), "copy", "weft.db")
	err = st.Backup(ctx, out)
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Backup(ctx, out); err == nil {
		t.Fatal("a backup over an existing file must be refused")
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the copy's mode: %v %v", fi, err)
	}
	cp, err := sqlite.Open(ctx, out, sqlite.Options{})
	if err != nil {
		t.Fatalf("open the copy: %v", err)
	}
	defer cp.Close()
	n, err := cp.QueueDepth(ctx, sc.ID)
	if err != nil || n < 100 {
		t.Fatalf("the copy holds %d queued payloads (%v), want at least the 100 committed before", n, err)
	}
	if got, err := cp.GetScenario(ctx, sc.ID); err != nil || got.Name != "s" {
		t.Fatalf("scenario in the copy: %+v %v", got, err)
	}
}
