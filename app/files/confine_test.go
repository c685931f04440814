package files

import (
	"context"

	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weftworks/weft"
)

// dataFolder lays out a data folder as weft serve leaves it: the database with its WAL
// and SHM, the key file, and the files root inside. It returns the data folder and the
// prepared files root.
func dataFolder(t *testing.T) (data, base string) {
	t.Helper()
	data = filepath.Join(t.TempDir(), "data")
	for _, f := range []string{"weft.db", "weft.db-wal", "weft.db-shm", "secret.keys"} {
		write(t, filepath.Join(data, f), "SECRET "+f)
	}
	base, err := PrepareBase(filepath.Join(data, "files"), data)
	if err != nil {
		t.Fatalf("PrepareBase: %v", err)
	}
	return data, base
}

// With a files root, no blueprint reaches the data folder: not by its root parameter
// (absolute, "..", a link), not by a mapped path ("..", absolute, a link to a file or a
// folder out, a linked parent folder).
func TestConfinedToFilesRoot(t *testing.T) {
	data, base := dataFolder(t)
	write(t, filepath.Join(base, "team", "ok.txt"), "ok")
	must(t, os.Symlink(data, filepath.Join(base, "data-link")))                                 // a folder link out
	must(t, os.Symlink(filepath.Join(data, "secret.keys"), filepath.Join(base, "team", "key"))) // a file link out
	must(t, os.Symlink("../..", filepath.Join(base, "team", "up")))                             // a relative link out
	must(t, os.Symlink(filepath.Join(base, "data-link"), filepath.Join(base, "parent")))        // a link to a link out
	o := Options{Base: base}

	for _, root := range []any{"/", data, filepath.Dir(data), "..", "team/../..", "data-link", "parent",
		"team/up", filepath.Join(base, "data-link")} {
		for _, module := range []string{"files:Download", "files:Upload", "files:List", "files:Delete"} {
			mapper := weft.Bundle{"path": "secret.keys", "data": "overwritten", "overwrite": true, "folder": ""}
			_, err := runWith(t, module, o, realOps, weft.Bundle{"root": root}, mapper)
			e := wantErr(t, err, weft.InvalidConfigurationError, "parameters.root: ", "the files root "+base)
			if !strings.Contains(e.Message, root.(string)) {
				t.Errorf("root %v: message %q does not name the root", root, e.Message)
			}
		}
	}
	for _, tc := range []struct {
		module string
		mapper weft.Bundle
		typ    weft.ErrorType
		want   string
	}{
		{"files:Download", weft.Bundle{"path": "../secret.keys"}, weft.DataError, "leaves the root folder"},
		{"files:Download", weft.Bundle{"path": "team/../../weft.db"}, weft.DataError, "leaves the root folder"},
		// An absolute path is relative to the root: this is <files root>/…/secret.keys.
		{"files:Download", weft.Bundle{"path": filepath.Join(data, "secret.keys")}, weft.DataError, "no such file or folder"},
		{"files:Download", weft.Bundle{"path": "/etc/passwd"}, weft.DataError, "no such file or folder"},
		{"files:Download", weft.Bundle{"path": "data-link/secret.keys"}, weft.DataError, "through a symbolic link"},
		{"files:Download", weft.Bundle{"path": "parent/weft.db"}, weft.DataError, "through a symbolic link"},
		{"files:Download", weft.Bundle{"path": "team/key"}, weft.DataError, "through a symbolic link"},
		{"files:Download", weft.Bundle{"path": "team/up/weft.db-wal"}, weft.DataError, "through a symbolic link"},
		{"files:Upload", weft.Bundle{"path": "data-link/weft.db", "data": "x", "overwrite": true}, weft.DataError, "through a symbolic link"},
		{"files:Upload", weft.Bundle{"path": "team/up/new.txt", "data": "x"}, weft.DataError, "through a symbolic link"},
		{"files:Delete", weft.Bundle{"path": "data-link/secret.keys"}, weft.DataError, "through a symbolic link"},
		{"files:List", weft.Bundle{"folder": "data-link"}, weft.DataError, "through a symbolic link"},
		{"files:List", weft.Bundle{"folder": "team/up"}, weft.DataError, "through a symbolic link"},
	} {
		_, err := runWith(t, tc.module, o, realOps, weft.Bundle{"root": "team/.."}, tc.mapper)
		if err == nil {
			t.Errorf("%s %v: no error", tc.module, tc.mapper)
			continue
		}
		wantErr(t, err, tc.typ, tc.want)
	}
	// The data folder is as it was; what the files root allows still works.
	for _, f := range []string{"weft.db", "weft.db-wal", "weft.db-shm", "secret.keys"} {
		if b, err := os.ReadFile(filepath.Join(data, f)); err != nil || string(b) != "SECRET "+f {
			t.Errorf("%s changed: %q %v", f, b, err)
		}
	}
	out, err := runWith(t, "files:Download", o, realOps, weft.Bundle{"root": "team"}, weft.Bundle{"path": "ok.txt"})
	if err != nil || string(out[0]["data"].([]byte)) != "ok" {
		t.Fatalf("download inside the files root: %v %v", out, err)
	}
}

// A folder swapped for a link while a scenario exists is caught at the next access:
// roots and paths are resolved by every call, not once at compile time.
func TestConfinedAfterSwap(t *testing.T) {
	data, base := dataFolder(t)
	write(t, filepath.Join(base, "inbox", "weft.db"), "harmless")
	spec := specFor(t, "files:Download", Options{Base: base}, realOps)
	mod, err := spec.New(appConfig(weft.Bundle{"root": "inbox"}))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := runModule(mod, weft.Bundle{"path": "weft.db"}); err != nil || string(out[0]["data"].([]byte)) != "harmless" {
		t.Fatalf("before the swap: %v %v", out, err)
	}
	must(t, os.RemoveAll(filepath.Join(base, "inbox")))
	must(t, os.Symlink(data, filepath.Join(base, "inbox")))
	_, err = runModule(mod, weft.Bundle{"path": "weft.db"})
	wantErr(t, err, weft.InvalidConfigurationError, `"inbox" leads through a symbolic link out of the files root`)
}

func TestPrepareBase(t *testing.T) {
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	write(t, filepath.Join(data, "weft.db"), "db")
	must(t, os.Symlink(data, filepath.Join(tmp, "data-link")))
	must(t, os.Symlink(tmp, filepath.Join(data, "up")))
	write(t, filepath.Join(tmp, "a-file"), "x")

	// The default: created 0700 inside the data folder.
	got, err := PrepareBase(filepath.Join(data, "files"), data)
	if err != nil || got != filepath.Join(data, "files") {
		t.Fatalf("PrepareBase(data/files) = %q, %v", got, err)
	}
	if fi, err := os.Stat(got); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("files root mode: %v %v; want 0700", fi.Mode(), err)
	}
	// Elsewhere, unrelated to the data folder: fine.
	if _, err := PrepareBase(filepath.Join(tmp, "shared", "files"), data); err != nil {
		t.Fatalf("a files root beside the data folder: %v", err)
	}
	for _, tc := range []struct{ dir, want string }{
		{data, "contains " + data},
		{tmp, "contains " + data},
		{"/", "contains " + data},
		{filepath.Join(data, "."), "contains " + data},
		{filepath.Join(tmp, "data-link"), "(" + data + ") contains"},   // the data folder by a link
		{filepath.Join(data, "up"), "contains " + data},                // a link from inside up to its parent
		{filepath.Join(data, "files", "..", ".."), "contains " + data}, // lexically up
		{filepath.Join(tmp, "a-file"), "not a folder"},
	} {
		_, err := PrepareBase(tc.dir, data)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("PrepareBase(%s) = %v; want an error containing %q", tc.dir, err, tc.want)
		}
	}
	// A protected file that does not exist yet is placed where it will be created, also
	// behind a dangling link.
	must(t, os.Symlink(filepath.Join(tmp, "elsewhere", "keys"), filepath.Join(data, "secret.keys")))
	if _, err := PrepareBase(filepath.Join(tmp, "elsewhere"), filepath.Join(data, "secret.keys")); err == nil ||
		!strings.Contains(err.Error(), "contains "+filepath.Join(data, "secret.keys")) {
		t.Errorf("a files root holding a dangling link's target: %v", err)
	}
	if _, err := PrepareBase("", data); err == nil {
		t.Error("an empty files root was accepted")
	}
}

// appConfig builds one module's configuration as the engine does when it compiles.
func appConfig(params weft.Bundle) app.Config {
	return app.Config{ModuleID: 1, Version: 1, Parameters: params}
}

// runModule calls a built module once, as a run of the compiled plan does.
func runModule(m app.Module, in weft.Bundle) ([]weft.Bundle, error) {
	return m.Run(context.Background(), &app.Call{ModuleID: 1, Input: in, Params: weft.Bundle{}, Exec: apptest.NewExec()})
}
