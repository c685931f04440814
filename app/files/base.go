package files

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// PrepareBase makes dir ready to be a process's files root (Options.Base): it is made
// absolute and created (mode 0700) when missing, and refused when it is not a folder or
// when, symbolic links resolved, it holds any of the protected paths — the data folder,
// its database and its key file, which together decrypt every stored connection. A
// files root is where blueprints read and write as they please, so nothing weft keeps
// for itself may be inside it. PrepareBase returns the absolute path to use as Base
// (not resolved: the modules open it, and so resolve it, at every access).
func PrepareBase(dir string, protected ...string) (string, error) {
	if dir == "" {
		return "", errors.New("files root: empty path")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("files root %s: %w", dir, err)
	}
	st, err := os.Stat(abs)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(abs, 0o700); err == nil {
			st, err = os.Stat(abs)
		}
	}
	if err != nil {
		return "", fmt.Errorf("files root %s: %w", abs, err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("files root %s: not a folder", abs)
	}
	real, err := resolve(abs)
	if err != nil {
		return "", fmt.Errorf("files root %s: %w", abs, err)
	}
	for _, p := range protected {
		rp, err := resolve(p)
		if err != nil {
			return "", fmt.Errorf("files root %s: resolve %s: %w", abs, p, err)
		}
		if within(real, rp) {
			shown := abs
			if real != abs {
				shown = abs + " (" + real + ")"
			}
			return "", fmt.Errorf("files root %s contains %s, which blueprints must never reach: "+
				"choose a folder that does not contain it", shown, p)
		}
	}
	return abs, nil
}

// resolve returns p absolute with every symbolic link resolved; a path that does not
// exist yet (a database before its first start) resolves through its nearest existing
// parent, which is where it will be created, and a dangling link through its target.
func resolve(p string) (string, error) { return resolveDepth(p, 0) }

func resolveDepth(p string, depth int) (string, error) {
	if depth > 40 {
		return "", fmt.Errorf("%s: too many levels of symbolic links", p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err == nil {
		return real, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	parent := filepath.Dir(abs)
	if fi, lerr := os.Lstat(abs); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(abs)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(parent, target)
		}
		return resolveDepth(target, depth+1)
	}
	if parent == abs {
		return abs, nil
	}
	rp, err := resolveDepth(parent, depth+1)
	if err != nil {
		return "", err
	}
	return filepath.Join(rp, filepath.Base(abs)), nil
}

// within reports whether p is dir or below it (both absolute and clean).
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && (rel == "." || filepath.IsLocal(rel))
}
