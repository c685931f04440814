package service

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gofrs/flock"
)

// ErrLocked is returned when another weft process owns the data folder.
var ErrLocked = errors.New("data folder in use")

// Lock takes the data folder for this process: an advisory lock on DIR/weft.lock that the
// operating system releases if the process dies, even by SIGKILL (flock(2) on Unix,
// LockFileEx on Windows, through gofrs/flock so weft builds everywhere). Recover may only
// run under it: it treats every running execution as interrupted. The owner's pid is
// written beside it (weft.pid) for the message another process shows; it is only
// information, the lock is what counts.
func Lock(dir string) (unlock func() error, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder %s: %w", dir, err)
	}
	path := filepath.Join(dir, "weft.lock")
	pidPath := filepath.Join(dir, "weft.pid")
	fl := flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDWR), flock.SetPermissions(0o600))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !ok {
		pid := "unknown"
		if owner, err := os.ReadFile(pidPath); err == nil && strings.TrimSpace(string(owner)) != "" {
			pid = strings.TrimSpace(string(owner))
		}
		return nil, fmt.Errorf("%w: %s is locked by another weft process (pid %s)", ErrLocked, dir, pid)
	}
	_ = os.WriteFile(pidPath, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600)
	return func() error {
		_ = os.Remove(pidPath)
		return fl.Unlock()
	}, nil
}
