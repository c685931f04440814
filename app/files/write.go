package files

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// tmpSuffix marks an upload in progress; List hides such files.
const tmpSuffix = ".weft-upload"

// chunk is how much is written between two checks of the module's context.
const chunk = 1 << 20

// writeAtomic puts data at rel inside r: a temporary file in the same folder receives
// the data and is synced, then takes the target's name (rename when overwriting, hard
// link otherwise, so that an existing file, even one created a moment ago by another
// run, is never replaced). A failure removes the temporary file; readers never see a
// partial file. The folder is synced so the new name survives a crash.
func (f *folder) writeAtomic(ctx context.Context, r *os.Root, rel string, data []byte, overwrite bool) error {
	dir, name := filepath.Split(rel)
	dir = filepath.Clean(dir)
	if dir != "." {
		if err := r.MkdirAll(dir, 0o755); err != nil {
			if errors.Is(err, fs.ErrExist) {
				err = syscall.ENOTDIR // a file stands where a folder must be
			}
			return fsError("path", dir, err)
		}
	}
	if !overwrite {
		// Fail before writing a large file that cannot be placed (Link decides for sure).
		if _, err := r.Lstat(rel); err == nil {
			return fsError("path", rel, fs.ErrExist)
		}
	} else if st, err := r.Lstat(rel); err == nil && st.IsDir() {
		return fsError("path", rel, syscall.EISDIR)
	}
	tmp := filepath.Join(dir, "."+name+"."+randomHex()+tmpSuffix)
	file, err := r.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fsError("path", rel, err)
	}
	placed := false
	defer func() {
		if !placed {
			_ = r.Remove(tmp)
		}
	}()
	if err := f.fill(ctx, file, rel, data); err != nil {
		file.Close()
		return err
	}
	if err := file.Close(); err != nil {
		return fsError("path", rel, err)
	}
	if overwrite {
		if err := r.Rename(tmp, rel); err != nil {
			return fsError("path", rel, err)
		}
		placed = true
	} else {
		err := r.Link(tmp, rel)
		if err != nil && linkUnsupported(err) {
			// File systems without hard links: check and rename (a narrow race).
			if _, serr := r.Lstat(rel); serr == nil {
				return fsError("path", rel, fs.ErrExist)
			}
			err = r.Rename(tmp, rel)
			placed = err == nil
		}
		if err != nil {
			return fsError("path", rel, err)
		}
	}
	syncDir(r, dir)
	return nil
}

// fill writes data and syncs it, through f.ops (real system calls unless a test
// injects a failure).
func (f *folder) fill(ctx context.Context, file *os.File, rel string, data []byte) error {
	for len(data) > 0 {
		if err := ctx.Err(); err != nil {
			return err // the engine types its own deadline
		}
		n := min(len(data), chunk)
		w, err := f.ops.write(file, data[:n])
		if err != nil {
			return fsError("path", rel, err)
		}
		data = data[w:]
	}
	if err := f.ops.sync(file); err != nil {
		// ENOSPC often shows only here, when delayed allocation meets a full disk.
		return fsError("path", rel, err)
	}
	return nil
}

func linkUnsupported(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOTSUP) ||
		errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.EXDEV) || errors.Is(err, syscall.EMLINK)
}

// syncDir makes a new directory entry durable. Its failure is not the upload's: the
// data is written and named; some file systems cannot sync folders at all.
func syncDir(r *os.Root, dir string) {
	d, err := r.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	d.Close()
}

func randomHex() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// isUploadTemp reports whether a directory entry is an upload in progress.
func isUploadTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.HasSuffix(name, tmpSuffix)
}
