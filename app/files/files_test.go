package files

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
)

func TestRegister(t *testing.T) {
	r := app.NewRegistry()
	if err := Register(r); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"files:Upload", "files:Download", "files:List", "files:Delete"} {
		s, ok := r.Lookup(n)
		if !ok {
			t.Errorf("%s not registered", n)
			continue
		}
		if s.ACID {
			t.Errorf("%s claims ACID", n)
		}
	}
}

func TestUploadDownload(t *testing.T) {
	root := t.TempDir()
	bin := []byte{0, 1, 2, 0xff, 'x'}
	out := mustRun(t, "files:Upload", root, weft.Bundle{"path": "/reports/2026/q1.bin", "data": bin})
	deepEqual(t, "upload output", out, []weft.Bundle{{"fileName": "q1.bin", "path": "reports/2026/q1.bin", "size": 5.0}})
	mustRun(t, "files:Upload", root, weft.Bundle{"path": "notes.txt", "data": "héllo"})
	deepEqual(t, "files on disk", tree(t, root), map[string]string{
		"reports/": "", "reports/2026/": "", "reports/2026/q1.bin": string(bin), "notes.txt": "héllo"})

	out = mustRun(t, "files:Download", root, weft.Bundle{"path": "reports/2026/q1.bin"})
	deepEqual(t, "download output", out, []weft.Bundle{{"fileName": "q1.bin", "path": "reports/2026/q1.bin", "data": bin, "size": 5.0}})
	out = mustRun(t, "files:Download", root, weft.Bundle{"path": "./reports/../notes.txt"})
	deepEqual(t, "download output", out, []weft.Bundle{{"fileName": "notes.txt", "path": "notes.txt", "data": []byte("héllo"), "size": 6.0}})
}

func TestUploadOverwrite(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "a.txt"), "old")
	_, err := runIn(t, "files:Upload", root, weft.Bundle{"path": "a.txt", "data": "new"})
	wantErr(t, err, weft.DuplicateDataError, `path: "a.txt": already exists`)
	deepEqual(t, "after refused upload", tree(t, root), map[string]string{"a.txt": "old"})

	mustRun(t, "files:Upload", root, weft.Bundle{"path": "a.txt", "data": "new", "overwrite": true})
	deepEqual(t, "after overwrite", tree(t, root), map[string]string{"a.txt": "new"})

	os.Mkdir(filepath.Join(root, "dir"), 0o755)
	_, err = runIn(t, "files:Upload", root, weft.Bundle{"path": "dir", "data": "x", "overwrite": true})
	wantErr(t, err, weft.DataError, `"dir": is a folder`)
	_, err = runIn(t, "files:Upload", root, weft.Bundle{"path": "a.txt/inside", "data": "x"})
	wantErr(t, err, weft.DataError, "a.txt", "not a folder")
	deepEqual(t, "no leftovers", tree(t, root), map[string]string{"a.txt": "new", "dir/": ""})
}

// Paths that leave the root are refused, lexically or through symbolic links, and
// nothing outside the root is read or written.
func TestPathEscapes(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	outside := filepath.Join(base, "outside")
	write(t, filepath.Join(outside, "secret.txt"), "secret")
	write(t, filepath.Join(root, "inside.txt"), "inside")
	must(t, os.Symlink(outside, filepath.Join(root, "out")))                                   // folder link out
	must(t, os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(root, "leak.txt"))) // file link out
	must(t, os.Symlink("../inside.txt", filepath.Join(root, "sub-link-target")))               // relative, escapes nothing? no: ../ from root
	must(t, os.Mkdir(filepath.Join(root, "docs"), 0o755))
	must(t, os.Symlink("../inside.txt", filepath.Join(root, "docs", "alias.txt"))) // stays inside

	for _, tc := range []struct {
		module string
		mapper weft.Bundle
		want   string
	}{
		{"files:Download", weft.Bundle{"path": "../outside/secret.txt"}, "leaves the root folder"},
		{"files:Download", weft.Bundle{"path": "docs/../../outside/secret.txt"}, "leaves the root folder"},
		{"files:Upload", weft.Bundle{"path": "/../outside/new.txt", "data": "x"}, "leaves the root folder"},
		{"files:List", weft.Bundle{"folder": ".."}, "leaves the root folder"},
		{"files:Delete", weft.Bundle{"path": "../outside/secret.txt"}, "leaves the root folder"},
		{"files:Download", weft.Bundle{"path": "out/secret.txt"}, "through a symbolic link"},
		{"files:Download", weft.Bundle{"path": "leak.txt"}, "through a symbolic link"},
		{"files:Download", weft.Bundle{"path": "sub-link-target"}, "through a symbolic link"},
		{"files:Upload", weft.Bundle{"path": "out/new.txt", "data": "x"}, "through a symbolic link"},
		{"files:Upload", weft.Bundle{"path": "leak.txt", "data": "x", "overwrite": true}, ""},
		{"files:List", weft.Bundle{"folder": "out"}, "through a symbolic link"},
		{"files:Delete", weft.Bundle{"path": "out/secret.txt"}, "through a symbolic link"},
		{"files:Download", weft.Bundle{"path": "a\x00b"}, "NUL"},
	} {
		out, err := runIn(t, tc.module, root, tc.mapper)
		if tc.want == "" {
			// Overwriting a link replaces the link itself (rename), never its target.
			if err != nil {
				t.Errorf("%s %v: %v", tc.module, tc.mapper, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s %v = %v; want a DataError", tc.module, tc.mapper, out)
			continue
		}
		wantErr(t, err, weft.DataError, tc.want)
	}
	deepEqual(t, "outside untouched", tree(t, outside), map[string]string{"secret.txt": "secret"})
	deepEqual(t, "leak.txt replaced by a file", tree(t, root)["leak.txt"], "x")

	out := mustRun(t, "files:Download", root, weft.Bundle{"path": "docs/alias.txt"})
	deepEqual(t, "link inside the root", out[0]["data"], []byte("inside"))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestMissingAndWrongKinds(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "f.txt"), "x")
	must(t, os.Mkdir(filepath.Join(root, "d"), 0o755))
	for _, tc := range []struct {
		module string
		mapper weft.Bundle
		want   string
	}{
		{"files:Download", weft.Bundle{"path": "nope.txt"}, `path: "nope.txt": no such file or folder`},
		{"files:Download", weft.Bundle{"path": "d"}, `path: "d" is a folder, not a file`},
		{"files:Download", weft.Bundle{"path": "/"}, "names the root folder itself"},
		{"files:Download", weft.Bundle{}, "path: missing value of required field"},
		{"files:Delete", weft.Bundle{"path": "nope.txt"}, "no such file or folder"},
		{"files:Delete", weft.Bundle{"path": "."}, "names the root folder itself"},
		{"files:List", weft.Bundle{"folder": "nope"}, `folder: "nope": no such file or folder`},
		{"files:List", weft.Bundle{"folder": "f.txt"}, `folder: "f.txt" is a file, not a folder`},
		{"files:Upload", weft.Bundle{"path": "x.txt"}, "data: missing value of required field"},
	} {
		_, err := runIn(t, tc.module, root, tc.mapper)
		wantErr(t, err, weft.DataError, tc.want)
	}
}

func TestMaxFileSize(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "big.bin"), "0123456789")
	params := weft.Bundle{"root": root, "maxFileSize": 8.0}
	_, err := runWith(t, "files:Upload", Options{}, realOps, params, weft.Bundle{"path": "n.bin", "data": "123456789"})
	e := wantErr(t, err, weft.MaxFileSizeExceededError, `data: "n.bin" is 9 bytes, more than the 8-byte limit`)
	deepEqual(t, "details", e.Details, map[string]any{"size": 9.0, "maxFileSize": 8.0})
	_, err = runWith(t, "files:Download", Options{}, realOps, params, weft.Bundle{"path": "big.bin"})
	wantErr(t, err, weft.MaxFileSizeExceededError, `path: "big.bin" is 10 bytes`)
	if _, err := runWith(t, "files:Upload", Options{}, realOps, params, weft.Bundle{"path": "ok.bin", "data": "12345678"}); err != nil {
		t.Errorf("8 bytes at an 8-byte limit: %v", err)
	}
	// The module cannot raise the server's limit.
	_, err = runWith(t, "files:Download", Options{MaxFileSize: 4}, realOps, params, weft.Bundle{"path": "ok.bin"})
	wantErr(t, err, weft.MaxFileSizeExceededError, "4-byte limit")
	deepEqual(t, "no leftovers", tree(t, root), map[string]string{"big.bin": "0123456789", "ok.bin": "12345678"})
}

func TestList(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	write(t, filepath.Join(root, "b.txt"), "bbb")
	write(t, filepath.Join(root, "a.txt"), "a")
	write(t, filepath.Join(root, "sub", "deep.txt"), "deep")
	write(t, filepath.Join(root, ".b.txt.0011aabbccdd"+tmpSuffix), "half") // an upload in progress
	write(t, filepath.Join(base, "outside.txt"), "o")
	must(t, os.Symlink("a.txt", filepath.Join(root, "c-link")))
	must(t, os.Symlink(filepath.Join(base, "outside.txt"), filepath.Join(root, "d-out")))
	must(t, os.Symlink("missing", filepath.Join(root, "e-dangling")))
	when := time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)
	for _, p := range []string{"a.txt", "b.txt", "sub"} {
		must(t, os.Chtimes(filepath.Join(root, p), when, when))
	}

	out := mustRun(t, "files:List", root, weft.Bundle{})
	for _, b := range out {
		if b["name"] == "c-link" || b["name"] == "d-out" || b["name"] == "e-dangling" {
			delete(b, "modified") // a link's time is the system's, not the test's
		}
	}
	deepEqual(t, "root listing", out, []weft.Bundle{
		{"name": "a.txt", "path": "a.txt", "type": "file", "size": 1.0, "modified": when},
		{"name": "b.txt", "path": "b.txt", "type": "file", "size": 3.0, "modified": when},
		{"name": "c-link", "path": "c-link", "type": "file", "size": 1.0},
		{"name": "d-out", "path": "d-out", "type": "link", "size": 0.0},
		{"name": "e-dangling", "path": "e-dangling", "type": "link", "size": 0.0},
		{"name": "sub", "path": "sub", "type": "folder", "size": 0.0, "modified": when},
	})
	out = mustRun(t, "files:List", root, weft.Bundle{"folder": "sub/"})
	deepEqual(t, "sub listing", names(out), []string{"deep.txt"})
	deepEqual(t, "sub path", out[0]["path"], "sub/deep.txt")

	must(t, os.Mkdir(filepath.Join(root, "empty"), 0o755))
	out = mustRun(t, "files:List", root, weft.Bundle{"folder": "empty"})
	deepEqual(t, "empty folder emits no bundle", len(out), 0)
}

func TestDelete(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	write(t, filepath.Join(root, "f.txt"), "x")
	write(t, filepath.Join(root, "full", "g.txt"), "y")
	must(t, os.Mkdir(filepath.Join(root, "empty"), 0o755))
	write(t, filepath.Join(base, "target.txt"), "keep")
	must(t, os.Symlink(filepath.Join(base, "target.txt"), filepath.Join(root, "link")))

	deepEqual(t, "delete file", mustRun(t, "files:Delete", root, weft.Bundle{"path": "f.txt"}),
		[]weft.Bundle{{"fileName": "f.txt", "path": "f.txt", "type": "file"}})
	deepEqual(t, "delete folder", mustRun(t, "files:Delete", root, weft.Bundle{"path": "empty"}),
		[]weft.Bundle{{"fileName": "empty", "path": "empty", "type": "folder"}})
	deepEqual(t, "delete link", mustRun(t, "files:Delete", root, weft.Bundle{"path": "link"}),
		[]weft.Bundle{{"fileName": "link", "path": "link", "type": "link"}})
	_, err := runIn(t, "files:Delete", root, weft.Bundle{"path": "full"})
	wantErr(t, err, weft.DataError, `"full": folder is not empty`)
	deepEqual(t, "left in root", tree(t, root), map[string]string{"full/": "", "full/g.txt": "y"})
	deepEqual(t, "link target kept", tree(t, base)["target.txt"], "keep")
}

func TestRootConfiguration(t *testing.T) {
	base := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(base, "team", "a"), 0o755))
	outside := t.TempDir()
	must(t, os.Symlink(outside, filepath.Join(base, "escape")))
	up := func(o Options, root any, name string) error {
		params := weft.Bundle{}
		if root != nil {
			params["root"] = root
		}
		_, err := runWith(t, "files:Upload", o, realOps, params, weft.Bundle{"path": name, "data": "x"})
		return err
	}
	confined := Options{Base: base}
	for _, tc := range []struct {
		name string
		o    Options
		root any
		want string
	}{
		{"relative root without a base", Options{}, "data/files", "must be an absolute folder path"},
		{"no root without a base", Options{}, nil, "must be an absolute folder path"},
		{"missing root", Options{}, filepath.Join(base, "nope"), "does not exist"},
		{"root leaves the base", confined, "../x", `parameters.root: "../x" leaves the files root ` + base},
		{"absolute root outside the base", confined, outside, fmt.Sprintf("parameters.root: %q is outside the files root %s", outside, base)},
		{"root through a link out of the base", confined, "escape", `parameters.root: "escape" leads through a symbolic link out of the files root ` + base},
		{"missing root in the base", confined, "team/b", "folder team/b does not exist"},
	} {
		err := up(tc.o, tc.root, "x.txt")
		wantErr(t, err, weft.InvalidConfigurationError, tc.want)
	}
	// Inside the base: relative, absolute within it, or the base itself.
	for i, root := range []any{"team/a", filepath.Join(base, "team", "a"), nil} {
		if err := up(confined, root, fmt.Sprintf("%d.txt", i)); err != nil {
			t.Errorf("root %v in the base: %v", root, err)
		}
	}
	deepEqual(t, "base tree", tree(t, base), map[string]string{
		"team/": "", "team/a/": "", "team/a/0.txt": "x", "team/a/1.txt": "x", "2.txt": "x", "escape": "-> " + outside})
	deepEqual(t, "outside untouched", tree(t, outside), map[string]string{})
}

// A cancelled run stops the upload and leaves nothing behind.
func TestUploadCancelled(t *testing.T) {
	root := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := apptest.Run(ctx, specFor(t, "files:Upload", Options{}, realOps),
		weft.Bundle{"root": root}, weft.Bundle{"path": "a/b.txt", "data": "x"}, nil)
	if err == nil || weft.TypeOf(err) != weft.RuntimeError {
		t.Fatalf("error = %v; want the context's error", err)
	}
	deepEqual(t, "left behind", tree(t, root), map[string]string{"a/": ""})
}
