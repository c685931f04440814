package httpmod

import (
	"bytes"
	"fmt"
	"mime"
	"mime/multipart"
	"net/textproto"
	"path"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/value"
)

// part is one field of a multipart/form-data body: text, or a file.
type part struct {
	name        string
	value       string
	file        bool
	fileName    string
	data        []byte
	contentType string
}

// multipartBody encodes parts in order; it returns the body and its Content-Type (with
// the boundary, so it always replaces a Content-Type header the user set).
func multipartBody(parts []part) ([]byte, string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		if !p.file {
			if err := w.WriteField(p.name, p.value); err != nil {
				return nil, "", fmt.Errorf("multipart field %s: %w", p.name, err)
			}
			continue
		}
		h := make(textproto.MIMEHeader)
		h.Set("Content-Disposition", mime.FormatMediaType("form-data",
			map[string]string{"name": p.name, "filename": p.fileName}))
		ct := p.contentType
		if ct == "" {
			ct = mime.TypeByExtension(path.Ext(p.fileName))
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		h.Set("Content-Type", ct)
		pw, err := w.CreatePart(h)
		if err != nil {
			return nil, "", fmt.Errorf("multipart file %s: %w", p.name, err)
		}
		if _, err := pw.Write(p.data); err != nil {
			return nil, "", fmt.Errorf("multipart file %s: %w", p.name, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", fmt.Errorf("multipart body: %w", err)
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

// bytesOf is a body or file value as bytes: binary data as is, anything else as text.
func bytesOf(v any) []byte {
	if b, ok := v.([]byte); ok {
		return b
	}
	return []byte(value.Text(v))
}

// v4Parts reads multipartBodyContent: [{name, value, multipartFieldType}]. A file part
// has multipartFieldType "file" (or a value holding "data") and value
// {fileName, data, contentType?}.
func v4Parts(in weft.Bundle) ([]part, error) {
	var out []part
	for i, it := range value.Array(in["multipartBodyContent"]) {
		at := fmt.Sprintf("multipartBodyContent/%d", i)
		m, ok := it.(map[string]any)
		if !ok {
			return nil, dataError(at, "%s is not a {name, value} collection", value.Kind(it))
		}
		name := strings.TrimSpace(value.Text(m["name"]))
		if name == "" {
			continue
		}
		kind := strings.ToLower(value.Text(m["multipartFieldType"]))
		fv, isColl := m["value"].(map[string]any)
		if kind == "file" || (kind == "" && isColl && fv["data"] != nil) {
			if !isColl {
				return nil, dataError(at+"/value", "a file part needs {fileName, data}, got %s", value.Kind(m["value"]))
			}
			p, err := filePart(name, fv["fileName"], fv["data"], fv["contentType"], at+"/value")
			if err != nil {
				return nil, err
			}
			out = append(out, p)
			continue
		}
		if kind != "" && kind != "text" {
			return nil, dataError(at+"/multipartFieldType", "%q is not text or file", kind)
		}
		out = append(out, part{name: name, value: value.Text(m["value"])})
	}
	return out, nil
}

// v3Parts reads formDataFields: [{fieldType: text|file, key, value | data, fileName}].
func v3Parts(in weft.Bundle) ([]part, error) {
	var out []part
	for i, it := range value.Array(in["formDataFields"]) {
		at := fmt.Sprintf("formDataFields/%d", i)
		m, ok := it.(map[string]any)
		if !ok {
			return nil, dataError(at, "%s is not a {key, value} collection", value.Kind(it))
		}
		name := strings.TrimSpace(value.Text(m["key"]))
		if name == "" {
			continue
		}
		switch kind := strings.ToLower(value.Text(m["fieldType"])); kind {
		case "file":
			p, err := filePart(name, m["fileName"], m["data"], m["contentType"], at)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		case "", "text":
			out = append(out, part{name: name, value: value.Text(m["value"])})
		default:
			return nil, dataError(at+"/fieldType", "%q is not text or file", kind)
		}
	}
	return out, nil
}

func filePart(name string, fileName, data, contentType any, at string) (part, error) {
	fn := strings.TrimSpace(value.Text(fileName))
	if fn == "" {
		return part{}, dataError(at+"/fileName", "a file part needs a file name")
	}
	if data == nil {
		return part{}, dataError(at+"/data", "a file part needs data")
	}
	return part{name: name, file: true, fileName: fn, data: bytesOf(data), contentType: value.Text(contentType)}, nil
}
