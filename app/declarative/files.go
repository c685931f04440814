package declarative

import (
	"bytes"
	"fmt"
	"mime"
	"mime/multipart"
	"net/textproto"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/iml"
	"github.com/weftworks/weft/value"
)

// Files between modules, as Make passes them: a file is a name and its data (a
// buffer, or text sent as UTF-8), mapped from an upstream module's fileName and data.
// A definition turns them into a file with the $file transform and sends it in a
// multipart/form-data body ("type": "multipart") or as the whole body ("type":
// "binary"):
//
//	{"$file": {"name": "{{parameters.filename}}", "data": "{{parameters.data}}",
//	           "contentType": "{{parameters.contentType}}", "maxSize": 10485760}}
//
// Both name and data empty is no file (null: an optional upload left out); one of them
// empty is a DataError. maxSize (bytes) refuses a larger file with a
// MaxFileSizeExceededError before anything is sent — the service's documented limit,
// so a person sees at once which file is too big instead of a 413 after the upload.
// contentType defaults to the type of the name's extension, else
// application/octet-stream. firstByte and lastByte (inclusive) send one part of the
// data, for services that take large files in parts (LinkedIn's video upload
// instructions); maxSize applies to the whole file.
type fileValue struct {
	name  string
	data  []byte
	ctype string
}

func (f *fileValue) contentType() string {
	if f.ctype != "" {
		return f.ctype
	}
	if ct := mime.TypeByExtension(path.Ext(f.name)); ct != "" {
		return ct
	}
	return "application/octet-stream"
}

type fileNode struct {
	name, data, ctype, max node
	first, last            node // a byte range of the data (inclusive), for uploads in parts
	ptr                    string
}

func compileFile(arg any, ptr string, sc scope) (node, error) {
	m, ok := arg.(map[string]any)
	if !ok {
		return nil, errAt(ptr, `$file takes {"name": …, "data": …, "contentType": …, "maxSize": …, "firstByte": …, "lastByte": …}`)
	}
	for k := range m {
		switch k {
		case "name", "data", "contentType", "maxSize", "firstByte", "lastByte":
		default:
			return nil, errAt(ptr+"/"+escape(k), `unknown key (a $file has "name", "data", "contentType", "maxSize", "firstByte" and "lastByte")`)
		}
	}
	if (m["firstByte"] == nil) != (m["lastByte"] == nil) {
		return nil, errAt(ptr, `$file needs both "firstByte" and "lastByte", or neither`)
	}
	if m["name"] == nil || m["data"] == nil {
		return nil, errAt(ptr, `$file needs "name" and "data"`)
	}
	n := fileNode{ptr: ptr}
	var err error
	for _, p := range []struct {
		key  string
		into *node
	}{{"name", &n.name}, {"data", &n.data}, {"contentType", &n.ctype}, {"maxSize", &n.max},
		{"firstByte", &n.first}, {"lastByte", &n.last}} {
		if m[p.key] == nil {
			continue
		}
		if *p.into, err = compileNode(m[p.key], ptr+"/"+p.key, sc); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func (n fileNode) eval(env *iml.Env) (any, error) {
	part := func(x node) (any, error) {
		if x == nil {
			return nil, nil
		}
		v, err := x.eval(env)
		if v == iml.Ignore {
			v = nil
		}
		return v, err
	}
	nv, err := part(n.name)
	if err != nil {
		return nil, err
	}
	dv, err := part(n.data)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(value.Text(nv))
	var data []byte
	switch d := dv.(type) {
	case nil:
	case []byte:
		data = d
	case string:
		data = []byte(d)
	default:
		return nil, &evalError{ptr: n.ptr + "/data", err: fmt.Errorf("a file's data is a buffer or text, got %s", value.Kind(dv))}
	}
	switch {
	case name == "" && len(data) == 0:
		return nil, nil // no file
	case name == "":
		return nil, &evalError{ptr: n.ptr + "/name", err: fmt.Errorf("the file (%d bytes) has no name", len(data))}
	case len(data) == 0:
		return nil, &evalError{ptr: n.ptr + "/data", err: fmt.Errorf("the file %q has no data", name)}
	}
	f := &fileValue{name: name, data: data}
	if n.first != nil {
		fv, err := part(n.first)
		if err != nil {
			return nil, err
		}
		lv, err := part(n.last)
		if err != nil {
			return nil, err
		}
		first, ok1 := value.Number(fv)
		last, ok2 := value.Number(lv)
		if !ok1 || !ok2 || first < 0 || last < first || last >= float64(len(data)) || first != float64(int(first)) || last != float64(int(last)) {
			return nil, &evalError{ptr: n.ptr, err: fmt.Errorf("bytes %s to %s are not a range of the file %q (%d bytes)",
				value.Text(fv), value.Text(lv), name, len(data))}
		}
		f.data = data[int(first) : int(last)+1]
	}
	cv, err := part(n.ctype)
	if err != nil {
		return nil, err
	}
	f.ctype = strings.TrimSpace(value.Text(cv))
	if strings.ContainsAny(f.ctype, "\r\n") {
		return nil, &evalError{ptr: n.ptr + "/contentType", err: fmt.Errorf("a content type cannot hold a line break")}
	}
	mv, err := part(n.max)
	if err != nil {
		return nil, err
	}
	if max, ok := value.Number(mv); ok && max > 0 && float64(len(data)) > max {
		return nil, &weft.Error{Type: weft.MaxFileSizeExceededError,
			Message: fmt.Sprintf("the file %q is %d bytes; the service accepts at most %s", name, len(data), value.FormatNumber(max)),
			Details: map[string]any{"fileName": name, "size": float64(len(data)), "maxFileSize": max}}
	}
	return f, nil
}

// objectNode builds a collection with computed keys ($object): Discord's files[0],
// files[1] … parts, a service's fields keyed by mapped names.
//
//	{"$object": {"over": "{{parameters.files}}", "key": "files[{{index - 1}}]", "value": …}}
//
// Entries whose key is empty or whose value is null are left out; a later equal key
// wins.
type objectNode struct {
	over, key, val node
	ptr            string
}

func compileObject(arg any, ptr string, sc scope) (node, error) {
	m, ok := arg.(map[string]any)
	if !ok {
		return nil, errAt(ptr, `$object takes {"over": …, "key": …, "value": …}`)
	}
	for k := range m {
		if k != "over" && k != "key" && k != "value" {
			return nil, errAt(ptr+"/"+escape(k), `unknown key (an $object has "over", "key" and "value")`)
		}
	}
	if m["over"] == nil || m["key"] == nil {
		return nil, errAt(ptr, `$object needs "over" and "key"`)
	}
	n := objectNode{ptr: ptr}
	var err error
	if n.over, err = compileNode(m["over"], ptr+"/over", sc); err != nil {
		return nil, err
	}
	inner := sc.with(rootItem, rootIndex)
	if n.key, err = compileNode(m["key"], ptr+"/key", inner); err != nil {
		return nil, err
	}
	val := m["value"]
	if val == nil {
		val = "{{item}}"
	}
	if n.val, err = compileNode(val, ptr+"/value", inner); err != nil {
		return nil, err
	}
	return n, nil
}

func (n objectNode) eval(env *iml.Env) (any, error) {
	v, err := n.over.eval(env)
	if err != nil {
		return nil, err
	}
	if v == nil || v == iml.Ignore {
		return nil, nil
	}
	in := value.Array(v)
	out := make(map[string]any, len(in))
	vars := make(map[string]any, len(env.Variables)+2)
	for k, x := range env.Variables {
		vars[k] = x
	}
	inner := *env
	inner.Variables = vars
	for i, e := range in {
		vars[rootItem] = e
		vars[rootIndex] = float64(i + 1)
		k, err := n.key.eval(&inner)
		if err != nil {
			return nil, err
		}
		key := value.Text(k)
		if k == iml.Ignore || strings.TrimSpace(key) == "" {
			continue
		}
		x, err := n.val.eval(&inner)
		if err != nil {
			return nil, err
		}
		if x == nil || x == iml.Ignore {
			continue
		}
		out[key] = x
	}
	return out, nil
}

// multipartBody encodes a collection as multipart/form-data, keys in order (numbered
// names by their number): a file is a file part; an array is one part per element
// under the same name; a collection is sent as JSON text (Discord's payload_json);
// null is left out; anything else is text.
func multipartBody(v any) ([]byte, string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, "", weft.Errorf(weft.DataError, "a multipart body must be a collection of parts, got %s", value.Kind(v))
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return partLess(keys[i], keys[j]) })
	for _, k := range keys {
		elems := []any{m[k]}
		if a, isArray := m[k].([]any); isArray {
			elems = a
		}
		for _, e := range elems {
			if err := writePart(w, k, e); err != nil {
				return nil, "", err
			}
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", weft.Errorf(weft.DataError, "multipart body: %v", err)
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

// partLess orders part names with their numbers by value (files[2] before files[10]),
// so the parts arrive in the order the definition numbered them.
func partLess(a, b string) bool {
	pa, na, oka := splitIndex(a)
	pb, nb, okb := splitIndex(b)
	if oka && okb && pa == pb {
		return na < nb
	}
	return a < b
}

func splitIndex(s string) (string, int, bool) {
	i := strings.LastIndexByte(s, '[')
	if i < 0 || !strings.HasSuffix(s, "]") {
		return s, 0, false
	}
	n, err := strconv.Atoi(s[i+1 : len(s)-1])
	if err != nil {
		return s, 0, false
	}
	return s[:i], n, true
}

func writePart(w *multipart.Writer, name string, v any) error {
	switch x := v.(type) {
	case nil:
		return nil
	case *fileValue:
		h := make(textproto.MIMEHeader)
		h.Set("Content-Disposition", mime.FormatMediaType("form-data",
			map[string]string{"name": name, "filename": x.name}))
		h.Set("Content-Type", x.contentType())
		pw, err := w.CreatePart(h)
		if err == nil {
			_, err = pw.Write(x.data)
		}
		if err != nil {
			return weft.Errorf(weft.DataError, "multipart file %s: %v", name, err)
		}
		return nil
	case map[string]any, []any:
		if containsFile(v) {
			return weft.Errorf(weft.DataError, "multipart part %s: a file can only be a part of its own, not inside a collection", name)
		}
		return w.WriteField(name, string(value.JSON(v)))
	}
	return w.WriteField(name, scalarText(v))
}

// binaryBody is a file (or a buffer, or text) sent as the whole body.
func binaryBody(v any) ([]byte, string, error) {
	switch x := v.(type) {
	case *fileValue:
		return x.data, x.contentType(), nil
	case []byte:
		return x, "application/octet-stream", nil
	case string:
		return []byte(x), "application/octet-stream", nil
	}
	return nil, "", weft.Errorf(weft.DataError, "a binary body is a file, a buffer or text, got %s", value.Kind(v))
}

// containsFile reports whether a value holds a file anywhere: a file can only travel
// in a multipart or binary body.
func containsFile(v any) bool {
	switch x := v.(type) {
	case *fileValue:
		return true
	case map[string]any:
		for _, e := range x {
			if containsFile(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if containsFile(e) {
				return true
			}
		}
	}
	return false
}
