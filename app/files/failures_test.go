package files

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/weftworks/weft"
)

// A full disk, injected at the two system calls an upload's data goes through: the
// upload takes its real path (temporary file, clean-up, classification) and ends in an
// OutOfSpaceError with nothing left behind.
func TestUploadDiskFullInjected(t *testing.T) {
	for _, tc := range []struct {
		name string
		ops  fileOps
	}{
		{"write", fileOps{
			write: func(f *os.File, p []byte) (int, error) {
				n, _ := f.Write(p[:len(p)/2]) // part of the data lands, then the disk is full
				return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
			},
			sync: realOps.sync}},
		{"sync", fileOps{
			write: realOps.write,
			sync:  func(*os.File) error { return syscall.ENOSPC }}},
		{"quota", fileOps{
			write: func(*os.File, []byte) (int, error) { return 0, syscall.EDQUOT },
			sync:  realOps.sync}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			write(t, filepath.Join(root, "report.csv"), "old")
			_, err := runWith(t, "files:Upload", Options{}, tc.ops, weft.Bundle{"root": root},
				weft.Bundle{"path": "report.csv", "data": "a,b,c\n1,2,3\n", "overwrite": true})
			wantErr(t, err, weft.OutOfSpaceError, `path: "report.csv": no space left`)
			if !weft.OutOfSpaceError.Retryable() {
				t.Error("OutOfSpaceError must be retried automatically")
			}
			deepEqual(t, "files", tree(t, root), map[string]string{"report.csv": "old"})
		})
	}
}

// A full disk for real: a 64 KiB tmpfs mounted in a private user and mount namespace
// (no root needed where unprivileged user namespaces are allowed). The test binary
// runs itself inside the namespace.
func TestUploadDiskFullTmpfs(t *testing.T) {
	if os.Getenv("WEFT_FILES_TMPFS_CHILD") == "1" {
		tmpfsChild(t)
		return
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare(1) not installed; the injected ENOSPC test covers the code path")
	}
	cmd := exec.Command(unshare, "--user", "--map-root-user", "--mount",
		os.Args[0], "-test.run=^TestUploadDiskFullTmpfs$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "WEFT_FILES_TMPFS_CHILD=1")
	out, err := cmd.CombinedOutput()
	if strings.HasPrefix(string(out), "unshare:") {
		t.Skipf("no unprivileged namespaces here (%s); the injected ENOSPC test covers the code path",
			strings.TrimSpace(string(out)))
	}
	if err != nil || !strings.Contains(string(out), "TMPFS-RESULT: OutOfSpaceError, no leftovers") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func tmpfsChild(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Fatalf("mount tmpfs: %v", err)
	}
	defer syscall.Unmount(dir, 0)
	_, err := runIn(t, "files:Upload", dir, weft.Bundle{"path": "big.bin", "data": strings.Repeat("x", 512<<10)})
	wantErr(t, err, weft.OutOfSpaceError, "no space left on the device")
	deepEqual(t, "files", tree(t, dir), map[string]string{})
	// The disk is usable again for what fits.
	if _, err := runIn(t, "files:Upload", dir, weft.Bundle{"path": "small.txt", "data": "fits"}); err != nil {
		t.Fatalf("small upload after the failure: %v", err)
	}
	if !t.Failed() {
		fmt.Println("TMPFS-RESULT: OutOfSpaceError, no leftovers")
	}
}

// A folder weft may not write to is the configuration's problem. As root, permission
// bits do not stop anyone, so the folder is made immutable (chattr +i), which stops
// root too.
func TestPermissionDenied(t *testing.T) {
	root := t.TempDir()
	locked := filepath.Join(root, "locked")
	write(t, filepath.Join(locked, "f.txt"), "x")
	if os.Geteuid() == 0 {
		chattr, err := exec.LookPath("chattr")
		if err != nil {
			t.Skip("running as root without chattr(1): no way to deny root a write")
		}
		if out, err := exec.Command(chattr, "+i", locked).CombinedOutput(); err != nil {
			t.Skipf("running as root and chattr +i is not supported here: %s", strings.TrimSpace(string(out)))
		}
		t.Cleanup(func() { exec.Command(chattr, "-i", locked).Run() })
	} else {
		must(t, os.Chmod(locked, 0o555))
		t.Cleanup(func() { os.Chmod(locked, 0o755) })
	}
	_, err := runIn(t, "files:Upload", root, weft.Bundle{"path": "locked/new.txt", "data": "x"})
	wantErr(t, err, weft.InvalidConfigurationError, "permission denied")
	_, err = runIn(t, "files:Delete", root, weft.Bundle{"path": "locked/f.txt"})
	wantErr(t, err, weft.InvalidConfigurationError, "permission denied")
	if got := tree(t, locked); len(got) != 1 || got["f.txt"] != "x" {
		t.Errorf("locked folder changed: %v", got)
	}
}
