package files

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

// inTempRoot makes Setup give the case a fresh root folder, with files already in it.
func inTempRoot(existing map[string]string) func(testing.TB, *apptest.ErrorCase) {
	return func(t testing.TB, c *apptest.ErrorCase) {
		root := t.TempDir()
		for name, content := range existing {
			if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		c.Params["root"] = root
	}
}

// files:Upload's failures through the real module and the real engine: each one's
// type and what weft then does with the bundle (SPEC §3.2).
func TestUploadErrorTable(t *testing.T) {
	// A full disk at the write system call, on the path real uploads take.
	diskFull := fileOps{
		write: func(f *os.File, p []byte) (int, error) {
			return 0, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
		},
		sync: realOps.sync,
	}
	apptest.CheckErrors(t, specFor(t, "files:Upload", Options{}, diskFull), []apptest.ErrorCase{
		{Name: "disk full", Setup: inTempRoot(nil), Mapper: weft.Bundle{"path": "r.csv", "data": "a,b\n"},
			Want: weft.OutOfSpaceError, WantMessage: `path: "r.csv": no space left`},
	})

	apptest.CheckErrors(t, specFor(t, "files:Upload", Options{}, realOps), []apptest.ErrorCase{
		{Name: "over maxFileSize", Setup: inTempRoot(nil), Params: weft.Bundle{"maxFileSize": 8.0},
			Mapper: weft.Bundle{"path": "big.bin", "data": []byte("0123456789")},
			Want:   weft.MaxFileSizeExceededError, WantMessage: `"big.bin" is 10 bytes, more than the 8-byte limit`,
			Check: func(t testing.TB, e *weft.Error) {
				if e.Details["size"] != 10.0 || e.Details["maxFileSize"] != 8.0 {
					t.Errorf("details %v", e.Details)
				}
			}},
		{Name: "exists, overwrite off", Setup: inTempRoot(map[string]string{"r.csv": "old"}),
			Mapper: weft.Bundle{"path": "r.csv", "data": "new"}, Want: weft.DuplicateDataError},
		{Name: "path leaves the root", Setup: inTempRoot(nil),
			Mapper: weft.Bundle{"path": "../etc/passwd", "data": "x"}, Want: weft.DataError},
		{Name: "root missing", Params: weft.Bundle{"root": "/nonexistent/weft-sdk-test"},
			Mapper: weft.Bundle{"path": "a", "data": "x"}, Want: weft.InvalidConfigurationError,
			WantMessage: "folder /nonexistent/weft-sdk-test does not exist"},
		{Name: "root not absolute", Params: weft.Bundle{"root": "relative/dir"},
			Mapper: weft.Bundle{"path": "a", "data": "x"}, Want: weft.InvalidConfigurationError,
			WantMessage: "must be an absolute folder path"},
	})
}

func TestDownloadErrorTable(t *testing.T) {
	apptest.CheckErrors(t, specFor(t, "files:Download", Options{}, realOps), []apptest.ErrorCase{
		{Name: "missing file", Setup: inTempRoot(nil), Mapper: weft.Bundle{"path": "nope.txt"}, Want: weft.DataError},
		{Name: "over maxFileSize", Setup: inTempRoot(map[string]string{"big.txt": "0123456789"}),
			Params: weft.Bundle{"maxFileSize": 4.0}, Mapper: weft.Bundle{"path": "big.txt"},
			Want: weft.MaxFileSizeExceededError},
	})
}
