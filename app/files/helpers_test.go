package files

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
)

// specFor returns one module type built with o and ops.
func specFor(t testing.TB, name string, o Options, ops fileOps) *app.Spec {
	t.Helper()
	for _, s := range specs(o.withDefaults(), ops) {
		if s.Name == name {
			return &s
		}
	}
	t.Fatalf("no spec %s", name)
	return nil
}

// runIn runs a module once with the root parameter root and default options.
func runIn(t *testing.T, name, root string, mapper weft.Bundle) ([]weft.Bundle, error) {
	t.Helper()
	return runWith(t, name, Options{}, realOps, weft.Bundle{"root": root}, mapper)
}

func runWith(t *testing.T, name string, o Options, ops fileOps, params, mapper weft.Bundle) ([]weft.Bundle, error) {
	t.Helper()
	return apptest.Run(context.Background(), specFor(t, name, o, ops), params, mapper, nil)
}

func mustRun(t *testing.T, name, root string, mapper weft.Bundle) []weft.Bundle {
	t.Helper()
	out, err := runIn(t, name, root, mapper)
	if err != nil {
		t.Fatalf("%s %v: %v", name, mapper, err)
	}
	return out
}

func wantErr(t *testing.T, err error, typ weft.ErrorType, parts ...string) *weft.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("error = nil; want %s", typ)
	}
	var e *weft.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v is not a *weft.Error", err, err)
	}
	if e.Type != typ {
		t.Fatalf("error type %s (%v); want %s", e.Type, err, typ)
	}
	for _, p := range parts {
		if !strings.Contains(e.Message, p) {
			t.Errorf("message %q does not contain %q", e.Message, p)
		}
	}
	return e
}

func deepEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s =\n  %#v\nwant\n  %#v", what, got, want)
	}
}

// tree lists every file under dir with its content ("sub/" for folders), so tests see
// leftovers such as temporary files.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		switch {
		case d.Type()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "-> " + target
		case d.IsDir():
			out[rel+"/"] = ""
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return out
}

func names(bs []weft.Bundle) []string {
	var n []string
	for _, b := range bs {
		n = append(n, b["name"].(string))
	}
	sort.Strings(n)
	return n
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
