package httpmod

import (
	"bytes"
	"mime"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/value"
)

// headerMap is v4's headers output: lower-case name → value, an array when the header
// came more than once; set-cookie is always an array (mappings iterate it).
func headerMap(h http.Header) map[string]any {
	out := make(map[string]any, len(h))
	for name, vals := range h {
		key := strings.ToLower(name)
		if len(vals) == 1 && key != "set-cookie" {
			out[key] = vals[0]
			continue
		}
		a := make([]any, len(vals))
		for i, v := range vals {
			a[i] = v
		}
		out[key] = a
	}
	return out
}

// headerList is the legacy (v3) headers output: [{name, value}], one item per received
// header line, names in lower case (as Node reports them) and sorted for a stable order.
func headerList(h http.Header) []any {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([]any, 0, len(h))
	for _, name := range names {
		for _, v := range h[name] {
			out = append(out, map[string]any{"name": strings.ToLower(name), "value": v})
		}
	}
	return out
}

// cookieHeaders is the legacy cookieHeaders output: the Set-Cookie values.
func cookieHeaders(h http.Header) []any {
	out := []any{}
	for _, v := range h.Values("Set-Cookie") {
		out = append(out, v)
	}
	return out
}

// mediaType returns the lower-case media type and charset of a Content-Type.
func mediaType(h http.Header) (typ, charset string) {
	ct := h.Get("Content-Type")
	if ct == "" {
		return "", ""
	}
	typ, params, err := mime.ParseMediaType(ct)
	if err != nil {
		// A malformed header still names its type before the first ';'.
		typ, _, _ = strings.Cut(ct, ";")
		return strings.ToLower(strings.TrimSpace(typ)), ""
	}
	return typ, strings.ToLower(params["charset"])
}

func isJSONType(typ string) bool {
	return typ == "application/json" || typ == "text/json" || strings.HasSuffix(typ, "+json")
}

func isTextType(typ string) bool {
	switch {
	case strings.HasPrefix(typ, "text/"), isJSONType(typ),
		typ == "application/xml", strings.HasSuffix(typ, "+xml"),
		typ == "application/javascript", typ == "application/ecmascript",
		typ == "application/x-www-form-urlencoded", typ == "application/graphql",
		typ == "application/x-ndjson", typ == "application/yaml", typ == "application/x-yaml":
		return true
	}
	return false
}

// looksTextual decides for a body without a telling type: valid UTF-8 without NUL bytes.
func looksTextual(b []byte) bool { return utf8.Valid(b) && bytes.IndexByte(b, 0) < 0 }

// decodeBody turns a response body into the module's data output:
//   - parse and a JSON type (or no type / text/plain and a body that looks like JSON):
//     the parsed value; parse and an XML type: the collection of parseXML;
//   - a textual type, or no type and a UTF-8 body: text (Latin-1 bodies converted);
//   - anything else: the bytes.
//
// A body whose type claims JSON or XML but does not parse is an UnexpectedError when strict
// (the module was asked to parse a success response), text otherwise.
func decodeBody(h http.Header, body []byte, parse, strict bool) (any, error) {
	if len(body) == 0 {
		return "", nil
	}
	typ, charset := mediaType(h)
	if parse {
		body := bytes.TrimPrefix(body, []byte("\ufeff")) // a BOM is not JSON
		switch {
		case isJSONType(typ):
			v, err := value.DecodeJSON(body)
			if err == nil {
				return v, nil
			}
			if strict {
				return nil, &weft.Error{Type: weft.UnexpectedError,
					Message: "the response says " + typ + " but its body is not valid JSON: " + err.Error() +
						": " + excerpt(body, messageExcerpt),
					Details: map[string]any{"body": excerptDetails(body)}, Err: err}
			}
		case isXMLType(typ):
			v, err := parseXML(body, charset)
			if err == nil {
				return v, nil
			}
			if strict {
				return nil, &weft.Error{Type: weft.UnexpectedError,
					Message: "the response says " + typ + " but its body is not well-formed XML: " + err.Error() +
						": " + excerpt(body, messageExcerpt),
					Details: map[string]any{"body": excerptDetails(body)}, Err: err}
			}
		case (typ == "" || typ == "text/plain") && sniffJSON(body):
			// Only a guess: a body that fails to parse stays text.
			if v, err := value.DecodeJSON(body); err == nil {
				return v, nil
			}
		}
	}
	switch {
	case isTextType(typ):
		return text(body, charset), nil
	case typ == "" && looksTextual(body):
		return string(body), nil
	}
	return body, nil
}

func excerptDetails(body []byte) string {
	s, _ := truncateUTF8(body, detailsBody)
	return s
}

// sniffJSON reports whether a body starts like a JSON object or array.
func sniffJSON(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n\ufeff")
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}

// text decodes a textual body: UTF-8 as is (invalid bytes replaced), ISO-8859-1
// converted; other charsets are passed as UTF-8 (no conversion tables here).
func text(b []byte, charset string) string {
	switch charset {
	case "iso-8859-1", "latin1", "l1", "iso_8859-1":
		// Every Latin-1 byte is the code point of the same number.
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
