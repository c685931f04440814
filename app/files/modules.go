package files

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sort"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

func specs(o Options, ops fileOps) []app.Spec {
	build := func(run func(f *folder, ctx context.Context, c *app.Call) ([]weft.Bundle, error)) func(app.Config) (app.Module, error) {
		return func(cfg app.Config) (app.Module, error) {
			f, err := newFolder(o, ops, cfg.Parameters)
			if err != nil {
				return nil, err
			}
			return app.ModuleFunc(func(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
				return run(f, ctx, c)
			}), nil
		}
	}
	return []app.Spec{
		{Name: "files:Upload", Label: "Files: Upload a file", Parameters: commonParams,
			Help: "Writes data to a file under the root folder, creating its folders; atomic (readers see the old file or the whole new one).",
			Mapper: []app.Field{
				{Name: "path", Label: "File path", Type: app.TypeText, Required: true, Help: "Relative to the root folder, e.g. reports/2026/q1.pdf."},
				{Name: "data", Label: "Data", Type: app.TypeBuffer, Required: true, Help: "Binary data or text (written as UTF-8)."},
				{Name: "overwrite", Label: "Overwrite an existing file", Type: app.TypeBoolean, Default: false},
			},
			New: build(upload)},
		{Name: "files:Download", Label: "Files: Download a file", Parameters: commonParams,
			Help:   "Reads a file under the root folder.",
			Mapper: []app.Field{{Name: "path", Label: "File path", Type: app.TypeText, Required: true}},
			New:    build(download)},
		{Name: "files:List", Label: "Files: List a folder", Parameters: commonParams,
			Help:   "Emits one bundle per entry of a folder (sorted by name): name, path, type (file, folder, link, other), size, modified.",
			Mapper: []app.Field{{Name: "folder", Label: "Folder", Type: app.TypeText, Help: "Relative to the root folder; empty lists the root."}},
			New:    build(list)},
		{Name: "files:Delete", Label: "Files: Delete a file", Parameters: commonParams,
			Help:   "Deletes a file, a symbolic link (not its target) or an empty folder under the root folder.",
			Mapper: []app.Field{{Name: "path", Label: "Path", Type: app.TypeText, Required: true}},
			New:    build(remove)},
	}
}

// filePath reads a mapper path that must name something below the root.
func filePath(in weft.Bundle, field string) (string, error) {
	rel, err := localPath(field, value.Text(in[field]))
	if err != nil {
		return "", err
	}
	if rel == "." {
		return "", dataError(field, "names the root folder itself, not a file")
	}
	return rel, nil
}

func upload(f *folder, ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	rel, err := filePath(c.Input, "path")
	if err != nil {
		return nil, err
	}
	data, _ := c.Input["data"].([]byte)
	if int64(len(data)) > f.max {
		return nil, tooLarge("data", rel, int64(len(data)), f.max)
	}
	r, err := f.open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if err := f.writeAtomic(ctx, r, rel, data, value.Bool(c.Input["overwrite"])); err != nil {
		return nil, err
	}
	return []weft.Bundle{{
		"fileName": filepath.Base(rel),
		"path":     filepath.ToSlash(rel),
		"size":     float64(len(data)),
	}}, nil
}

func download(f *folder, _ context.Context, c *app.Call) ([]weft.Bundle, error) {
	rel, err := filePath(c.Input, "path")
	if err != nil {
		return nil, err
	}
	r, err := f.open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	file, err := r.Open(rel)
	if err != nil {
		return nil, fsError("path", rel, err)
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return nil, fsError("path", rel, err)
	}
	if st.IsDir() {
		return nil, dataError("path", "%q is a folder, not a file", filepath.ToSlash(rel))
	}
	if st.Size() > f.max {
		return nil, tooLarge("path", rel, st.Size(), f.max)
	}
	// The file may grow while it is read: never read past the limit.
	data, err := io.ReadAll(io.LimitReader(file, f.max+1))
	if err != nil {
		return nil, fsError("path", rel, err)
	}
	if int64(len(data)) > f.max {
		return nil, tooLarge("path", rel, int64(len(data)), f.max)
	}
	return []weft.Bundle{{
		"fileName": filepath.Base(rel),
		"path":     filepath.ToSlash(rel),
		"data":     data,
		"size":     float64(len(data)),
	}}, nil
}

func list(f *folder, _ context.Context, c *app.Call) ([]weft.Bundle, error) {
	rel, err := localPath("folder", value.Text(c.Input["folder"]))
	if err != nil {
		return nil, err
	}
	r, err := f.open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	d, err := r.Open(rel)
	if err != nil {
		return nil, fsError("folder", rel, err)
	}
	defer d.Close()
	if st, err := d.Stat(); err != nil {
		return nil, fsError("folder", rel, err)
	} else if !st.IsDir() {
		return nil, dataError("folder", "%q is a file, not a folder", filepath.ToSlash(rel))
	}
	entries, err := d.ReadDir(-1)
	if err != nil {
		return nil, fsError("folder", rel, err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	out := make([]weft.Bundle, 0, len(entries))
	for _, e := range entries {
		if isUploadTemp(e.Name()) {
			continue
		}
		p := filepath.Join(rel, e.Name())
		b := weft.Bundle{"name": e.Name(), "path": filepath.ToSlash(p), "size": 0.0}
		info, err := e.Info()
		if err != nil {
			continue // removed since ReadDir
		}
		if e.Type()&fs.ModeSymlink != 0 {
			// A link is listed as what it points to when that is inside the root;
			// otherwise (outside, dangling) as a link, which Download refuses.
			if target, err := r.Stat(p); err == nil {
				info = target
			}
		}
		b["type"] = typeOf(info.Mode())
		if info.Mode().IsRegular() {
			b["size"] = float64(info.Size())
		}
		b["modified"] = info.ModTime().UTC()
		out = append(out, b)
	}
	return out, nil
}

func typeOf(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "file"
	case m.IsDir():
		return "folder"
	case m&fs.ModeSymlink != 0:
		return "link"
	}
	return "other"
}

func remove(f *folder, _ context.Context, c *app.Call) ([]weft.Bundle, error) {
	rel, err := filePath(c.Input, "path")
	if err != nil {
		return nil, err
	}
	r, err := f.open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	st, err := r.Lstat(rel)
	if err != nil {
		return nil, fsError("path", rel, err)
	}
	if err := r.Remove(rel); err != nil {
		return nil, fsError("path", rel, err)
	}
	syncDir(r, filepath.Dir(rel))
	return []weft.Bundle{{
		"fileName": filepath.Base(rel),
		"path":     filepath.ToSlash(rel),
		"type":     typeOf(st.Mode()),
	}}, nil
}

func tooLarge(field, rel string, size, max int64) *weft.Error {
	return &weft.Error{Type: weft.MaxFileSizeExceededError,
		Message: fmt.Sprintf("%s: %q is %d bytes, more than the %d-byte limit", field, filepath.ToSlash(rel), size, max),
		Details: map[string]any{"size": float64(size), "maxFileSize": float64(max)}}
}
