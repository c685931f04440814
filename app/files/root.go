package files

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

// Parameters every files module shares.
var commonParams = []app.Field{
	{Name: "root", Label: "Root folder", Type: app.TypeText,
		Help: "The folder the module works in; every path stays inside it. Absolute, or relative to the server's files folder when it has one."},
	{Name: "maxFileSize", Label: "Maximum file size (bytes)", Type: app.TypeUInteger,
		Help: "Larger files are refused with a MaxFileSizeExceededError. Defaults to the server's limit, which it cannot exceed."},
}

// folder is a module's resolved root: where it is and how large a file may be.
type folder struct {
	base string // Options.Base ("" when unconfined)
	dir  string // the root: relative to base when base is set, else absolute
	root string // the root parameter as written, for messages
	max  int64
	ops  fileOps
}

// newFolder checks the static parameters once, when the blueprint is compiled; the
// folder itself is opened per call (it may be created or mounted later).
func newFolder(o Options, ops fileOps, p weft.Bundle) (*folder, error) {
	f := &folder{base: o.Base, max: o.MaxFileSize, ops: ops}
	if n, ok := p["maxFileSize"].(float64); ok && n > 0 && int64(n) < f.max {
		f.max = int64(n)
	}
	root := strings.TrimSpace(value.Text(p["root"]))
	f.root = root
	if strings.ContainsRune(root, 0) {
		return nil, configError("parameters.root: contains a NUL byte")
	}
	if o.Base == "" {
		if root == "" || !filepath.IsAbs(root) {
			return nil, configError("parameters.root: %q must be an absolute folder path", root)
		}
		f.dir = filepath.Clean(root)
		return f, nil
	}
	if filepath.IsAbs(root) {
		rel, err := filepath.Rel(filepath.Clean(o.Base), filepath.Clean(root))
		if err != nil || !filepath.IsLocal(rel) && rel != "." {
			return nil, outsideBase(root, o.Base, "is outside the files root")
		}
		root = rel
	}
	if root == "" {
		root = "."
	}
	if clean := filepath.Clean(root); !filepath.IsLocal(clean) && clean != "." {
		return nil, outsideBase(root, o.Base, "leaves the files root")
	}
	root = filepath.Clean(root)
	f.dir = root
	return f, nil
}

// open opens the root for one call. A root that is missing or not reachable is the
// configuration's fault.
func (f *folder) open() (*os.Root, error) {
	if f.base == "" {
		r, err := os.OpenRoot(f.dir)
		if err != nil {
			return nil, f.rootError(err)
		}
		return r, nil
	}
	b, err := os.OpenRoot(f.base)
	if err != nil {
		return nil, &weft.Error{Type: weft.InvalidConfigurationError,
			Message: "the server's files folder cannot be opened: " + unwrapPath(err).Error(), Err: err}
	}
	if f.dir == "." {
		return b, nil
	}
	defer b.Close()
	r, err := b.OpenRoot(f.dir) // refuses ".." and symbolic links out of the base
	if err != nil {
		return nil, f.rootError(err)
	}
	return r, nil
}

func (f *folder) rootError(err error) *weft.Error {
	msg := fmt.Sprintf("parameters.root: cannot open %s: %v", f.dir, unwrapPath(err))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		msg = fmt.Sprintf("parameters.root: folder %s does not exist", f.dir)
	case isEscape(err):
		return outsideBase(f.root, f.base, "leads through a symbolic link out of the files root")
	}
	return &weft.Error{Type: weft.InvalidConfigurationError, Message: msg, Err: err}
}

// outsideBase refuses a module's root that is not inside the server's files root. It
// names both: the blueprint's author needs the files root to write a root that works
// (an absolute root must lie inside it), and it is the operator's choice, not a secret.
func outsideBase(root, base, how string) *weft.Error {
	return &weft.Error{Type: weft.InvalidConfigurationError, Message: fmt.Sprintf(
		"parameters.root: %q %s %s: a module's root must be a folder inside it "+
			"(relative to it, or an absolute path within it; empty means the files root itself)", root, how, base)}
}

// localPath checks a path from the mapper: relative to the root (leading slashes are
// dropped: "/reports/a.pdf" means the root's reports folder), no NUL, no way out.
// It returns the cleaned path ("." for the root itself).
func localPath(field, p string) (string, error) {
	if strings.ContainsRune(p, 0) {
		return "", dataError(field, "contains a NUL byte")
	}
	p = strings.TrimLeft(strings.TrimSpace(p), "/")
	clean := filepath.Clean(p)
	if !filepath.IsLocal(clean) && clean != "." {
		return "", dataError(field, "%q leaves the root folder", p)
	}
	return clean, nil
}

// fsError types a file-system failure of op on path (field names the mapper field).
func fsError(field, path string, err error) *weft.Error {
	cause := unwrapPath(err)
	typ, what := weft.RuntimeError, cause.Error()
	switch {
	case isEscape(err):
		typ, what = weft.DataError, "leads out of the root folder through a symbolic link"
	case errors.Is(err, fs.ErrNotExist):
		typ, what = weft.DataError, "no such file or folder"
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		typ, what = weft.OutOfSpaceError, "no space left on the device: "+cause.Error()
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EROFS):
		// The folder's owner or mount must change: a person's job, retrying cannot help.
		typ, what = weft.InvalidConfigurationError, "permission denied: "+cause.Error()
	case errors.Is(err, syscall.EFBIG):
		typ, what = weft.MaxFileSizeExceededError, "file too large for the file system"
	case errors.Is(err, syscall.ENOTEMPTY): // before ErrExist, which Errno matches for it too
		typ, what = weft.DataError, "folder is not empty"
	case errors.Is(err, fs.ErrExist):
		typ, what = weft.DuplicateDataError, "already exists"
	case errors.Is(err, syscall.ENOTDIR):
		typ, what = weft.DataError, "a part of the path is a file, not a folder"
	case errors.Is(err, syscall.EISDIR):
		typ, what = weft.DataError, "is a folder"
	case errors.Is(err, syscall.ENAMETOOLONG), errors.Is(err, syscall.EINVAL), errors.Is(err, syscall.ELOOP):
		typ, what = weft.DataError, "invalid path: "+cause.Error()
	}
	return &weft.Error{Type: typ, Message: fmt.Sprintf("%s: %q: %s", field, filepath.ToSlash(path), what), Err: err}
}

// isEscape recognises os.Root's refusal to leave the root. The standard library has no
// exported sentinel for it, so the sentinel's fixed text is matched at the end of the
// chain (it can sit under more than one *PathError).
func isEscape(err error) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		if err.Error() == "path escapes from parent" {
			return true
		}
	}
	return false
}

// unwrapPath drops the *PathError's operation and path, which the messages give
// themselves (relative to the root, never the server's full path).
func unwrapPath(err error) error {
	for {
		var pe *fs.PathError
		var le *os.LinkError
		switch {
		case errors.As(err, &pe) && pe.Err != nil:
			err = pe.Err
		case errors.As(err, &le) && le.Err != nil:
			err = le.Err
		default:
			return err
		}
	}
}

func configError(format string, args ...any) *weft.Error {
	return &weft.Error{Type: weft.InvalidConfigurationError, Message: fmt.Sprintf(format, args...)}
}

func dataError(field, format string, args ...any) *weft.Error {
	return &weft.Error{Type: weft.DataError, Message: field + ": " + fmt.Sprintf(format, args...)}
}
