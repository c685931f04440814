package httpmod

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

// dataError is a mapper value the request cannot be built from. It is a DataError
// wrapping an *app.FieldError, as app.PrepareInput reports its own field failures, so a
// person fixes the mapping and resumes.
func dataError(path, format string, args ...any) *weft.Error {
	fe := &app.FieldError{Path: path, Message: fmt.Sprintf(format, args...)}
	return &weft.Error{Type: weft.DataError, Message: fe.Error(), Err: fe}
}

// pair is one {name, value} (or {key, value}) item of a headers/query/form array.
type pair struct{ name, value string }

// pairs reads an array of collections into pairs, skipping items whose name is empty
// (Make's forms leave empty rows behind). nameKey is "name" or "key".
func pairs(in weft.Bundle, field, nameKey string) ([]pair, []any) {
	items := value.Array(in[field])
	var out []pair
	var raw []any
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		name := strings.TrimSpace(value.Text(m[nameKey]))
		if name == "" {
			continue
		}
		out = append(out, pair{name: name, value: value.Text(m["value"])})
		raw = append(raw, m["value"])
	}
	return out, raw
}

// headers builds request headers from {name, value} items, checking what net/http would
// otherwise refuse later with a less precise message.
func headers(in weft.Bundle, field string) (http.Header, error) {
	h := http.Header{}
	items := value.Array(in[field])
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, dataError(fmt.Sprintf("%s/%d", field, i), "%s is not a {name, value} collection", value.Kind(it))
		}
		name := strings.TrimSpace(value.Text(m["name"]))
		if name == "" {
			continue
		}
		if !validHeaderName(name) {
			return nil, dataError(fmt.Sprintf("%s/%d/name", field, i), "%q is not a valid header name", name)
		}
		v := value.Text(m["value"])
		if strings.ContainsAny(v, "\r\n\x00") {
			return nil, dataError(fmt.Sprintf("%s/%d/value", field, i), "header %s contains a line break", name)
		}
		h.Add(name, v)
	}
	return h, nil
}

// validHeaderName checks the HTTP token characters (RFC 9110 §5.6.2), the pattern Make's
// form validates header names with.
func validHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return s != ""
}

// requestURL parses the mapped URL after escaping what cannot travel in a URL (spaces,
// non-ASCII, quotes...), which mapped values often contain ("?q={{1.name}}"). With
// serialize (v3 serializeUrl) the stricter encodeURI set is escaped too ([ ] and the
// like). Existing %XX escapes are kept either way, so an encoded URL is not encoded twice.
func requestURL(raw string, serialize bool) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	// The fragment never leaves the client; drop it before escaping what follows it.
	if i := strings.IndexByte(raw, '#'); i >= 0 {
		raw = raw[:i]
	}
	s := escapeURL(raw, serialize)
	u, err := url.Parse(s)
	if err != nil {
		return nil, dataError("url", "%q is not a valid URL: %v", raw, unwrapURLError(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, dataError("url", "%q: only http and https URLs are supported", raw)
	}
	if u.Host == "" {
		return nil, dataError("url", "%q has no host", raw)
	}
	return u, nil
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

const hexDigits = "0123456789ABCDEF"

// escapeURL percent-encodes the bytes that may not appear in a URL. It works on the
// text after the authority only, so a host name is never altered.
func escapeURL(s string, serialize bool) string {
	start := 0
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + 3
		if j := strings.IndexAny(s[start:], "/?"); j >= 0 {
			start += j
		} else {
			return s
		}
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:start])
	for i := start; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(c)
		case c == '%' || mustEscape(c, serialize):
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func mustEscape(c byte, serialize bool) bool {
	if c <= ' ' || c >= 0x7f {
		return true
	}
	if strings.IndexByte("\"<>\\^`{|}", c) >= 0 {
		return true
	}
	// encodeURI also escapes the brackets, which a raw query keeps ("ids[]=1").
	return serialize && (c == '[' || c == ']')
}

// addQuery appends query parameters to the URL's own query, in order.
func addQuery(u *url.URL, q string) {
	if q == "" {
		return
	}
	if u.RawQuery == "" {
		u.RawQuery = q
	} else {
		u.RawQuery += "&" + q
	}
}

// encodePairs form-encodes pairs in their order (url.Values would sort them).
func encodePairs(ps []pair) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(p.name))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p.value))
	}
	return b.String()
}

// methods are the HTTP methods both module generations offer.
var methods = []string{"get", "head", "post", "put", "patch", "delete", "options"}

// method reads the method field case-insensitively (a mapped "POST" works too).
func method(in weft.Bundle, field string) (string, error) {
	m := strings.ToLower(strings.TrimSpace(value.Text(in[field])))
	if m == "" {
		m = "get"
	}
	for _, k := range methods {
		if k == m {
			return strings.ToUpper(m), nil
		}
	}
	return "", dataError(field, "%q is not one of %s", m, strings.Join(methods, ", "))
}

// timeoutOf reads the timeout field (seconds, already range-checked by the spec).
func timeoutOf(in weft.Bundle, def float64) float64 {
	if n, ok := value.Number(in["timeout"]); ok && n > 0 {
		return n
	}
	return def
}

func boolOf(in weft.Bundle, field string, def bool) bool {
	v, ok := in[field]
	if !ok || v == nil || v == "" {
		return def
	}
	return value.Bool(v)
}
