package declarative

import (
	"encoding/base64"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/weftworks/weft/iml"
	"github.com/weftworks/weft/value"
)

// More transforms, for request bodies built from Make's nested mapper collections (the
// AI apps' messages, generation settings and tools) and for file uploads:
//
//	{"$prune": {…}}                       nulls, empty texts, empty collections and arrays removed, at every depth
//	{"$concat": [a, b, …]}                arrays joined (a value that is not an array is one element); nothing → null
//	{"$mimeType": "{{parameters.name}}"}  the media type a file name's extension names
//	{"$dataURL": "{{parameters.data}}"}   binary data as a data: URL, its media type sniffed
//
// They join the table of transform.go when the package initialises: this file's init
// runs after transform.go's, since the go tool initialises a package's files in name
// order (were that to change, the write to a nil map would fail every test at start).
func init() {
	transforms["$prune"] = unary(func(v any) (any, error) { return prune(v), nil })
	transforms["$concat"] = func(arg any, ptr string, sc scope) (node, error) {
		list, ok := arg.([]any)
		if !ok {
			return nil, errAt(ptr, "$concat takes an array of arrays")
		}
		n, err := compileNode(list, ptr, sc)
		if err != nil {
			return nil, err
		}
		return concatNode{parts: n.(arrayNode)}, nil
	}
	transforms["$mimeType"] = unary(func(v any) (any, error) {
		if value.IsEmpty(v) {
			return nil, nil
		}
		return mimeTypeOf(value.Text(v)), nil
	})
	transforms["$dataURL"] = unary(func(v any) (any, error) {
		if value.IsEmpty(v) {
			return nil, nil
		}
		data, ok := v.([]byte)
		if !ok {
			data = []byte(value.Text(v))
		}
		mt, _, err := mime.ParseMediaType(http.DetectContentType(data))
		if err != nil {
			mt = "application/octet-stream"
		}
		return "data:" + mt + ";base64," + base64.StdEncoding.EncodeToString(data), nil
	})
}

// prune removes what Make's forms leave behind when a person opens a section and fills
// nothing in ("system_instruction": {}, "thinkingConfig": {}): a service that validates
// its input strictly (Gemini, Anthropic) refuses an empty message where it accepts none.
// Zero, false and whitespace are values and stay. An array element that prunes away is
// removed too, so positions of what remains shift. Binary data stays as it is.
func prune(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		if x == "" {
			return nil
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if p := prune(e); p != nil {
				out[k] = p
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if p := prune(e); p != nil {
				out = append(out, p)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	if v == iml.Ignore {
		return nil
	}
	return v
}

// concatNode joins arrays: the tools a definition adds from switches and the ones a
// person mapped. Null and ignore are skipped; an empty result is null, so the key that
// holds it is not sent.
type concatNode struct{ parts arrayNode }

func (n concatNode) eval(env *iml.Env) (any, error) {
	var out []any
	for _, p := range n.parts.elems {
		v, err := p.eval(env)
		if err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case nil:
		case []any:
			out = append(out, x...)
		default:
			if v == iml.Ignore {
				continue
			}
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// mimeTypeOf is the media type of a file name by its extension, as the HTTP app names
// a multipart file part's (mime.TypeByExtension, parameters such as charset dropped);
// application/octet-stream when the extension says nothing.
func mimeTypeOf(name string) string {
	ext := strings.ToLower(path.Ext(strings.TrimSpace(name)))
	if t := mime.TypeByExtension(ext); t != "" {
		if mt, _, err := mime.ParseMediaType(t); err == nil {
			return mt
		}
		return t
	}
	return "application/octet-stream"
}
