package sqlite

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The database, its WAL and its SHM are 0600 and the folder 0700 whatever the umask
// (here 0, which leaves SQLite's own 0644 as it is), and files left with wider modes
// are narrowed when the store opens. Not parallel: the umask is the process's.
func TestFileModes(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "weft.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutRecord(ctx, "ds", "k", map[string]any{"v": "1"}, false); err != nil {
		t.Fatal(err)
	}
	wantModes(t, "new store", map[string]os.FileMode{dir: 0o700, path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// A database an older weft (or a copy by hand) left readable by everyone.
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, err := s.GetRecord(ctx, "ds", "k"); err != nil || got["v"] != "1" {
		t.Fatalf("after reopen: %v %v", got, err)
	}
	wantModes(t, "reopened store", map[string]os.FileMode{path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600})
}

// A WAL left with a wide mode (a crash leaves it behind) is narrowed before SQLite
// opens it.
func TestFileModesLeftoverWAL(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "weft.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A second store on the same file (as a reading CLI command opens one beside serve).
	s2, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	wantModes(t, "second open", map[string]os.FileMode{path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600})
}

func TestOpenRefusesNonFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "weft.db")
	if err := os.Mkdir(path+"-wal", 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Open(t.Context(), path, Options{})
	if err == nil || !strings.Contains(err.Error(), "weft.db-wal is not a regular file") {
		t.Fatalf("Open with a folder for the WAL: %v", err)
	}
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("the folder's mode changed: %v %v", fi, err)
	}
}

func wantModes(t *testing.T, what string, want map[string]os.FileMode) {
	t.Helper()
	for p, m := range want {
		fi, err := os.Stat(p)
		if err != nil {
			t.Errorf("%s: %v", what, err)
			continue
		}
		if fi.Mode().Perm() != m {
			t.Errorf("%s: %s has mode %04o; want %04o", what, filepath.Base(p), fi.Mode().Perm(), m)
		}
	}
}
