package service_test

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/weftworks/weft/service"
)

// One process owns a data folder: a second Lock is refused naming the owner's pid, and
// unlocking lets the next one in.
func TestLockOwnsTheDataFolder(t *testing.T) {
	dir := t.TempDir()
	unlock, err := service.Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = service.Lock(dir)
	if !errors.Is(err, service.ErrLocked) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("second lock: %v", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	unlock, err = service.Lock(dir)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	defer unlock()
	if fi, err := os.Stat(filepath.Join(dir, "weft.lock")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("lock file %v %v", fi, err)
	}
}

// The lock is released by the operating system when its process dies (SIGKILL
// included): a helper process takes it and is killed.
func TestLockReleasedWhenTheOwnerDies(t *testing.T) {
	if os.Getenv("WEFT_LOCK_HELPER") != "" {
		if _, err := service.Lock(os.Getenv("WEFT_LOCK_HELPER")); err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("locked\n")
		select {} // until killed
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestLockReleasedWhenTheOwnerDies$")
	cmd.Env = append(os.Environ(), "WEFT_LOCK_HELPER="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 7)
	if _, err := io.ReadFull(out, buf); err != nil || string(buf) != "locked\n" {
		t.Fatalf("helper: %q %v", buf, err)
	}
	if _, err := service.Lock(dir); !errors.Is(err, service.ErrLocked) {
		t.Fatalf("while the helper holds it: %v", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	unlock, err := service.Lock(dir)
	if err != nil {
		t.Fatalf("after the owner was killed: %v", err)
	}
	unlock()
}
