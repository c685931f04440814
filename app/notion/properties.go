package notion

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/datetime"
	"github.com/weftworks/weft/value"
)

// property is one property of a database's (or data source's) schema.
type property struct {
	id, name, typ string
}

// schema is a database's properties, found by ID or by name.
type schema struct {
	props []property
}

// readSchema reads the properties of a database (kind "databases", API 2022-06-28) or
// a data source (kind "data_sources", API 2025-09-03): both answer
// {"properties": {name: {id, name, type, …}}}.
func (s *session) readSchema(ctx context.Context, kind, id string) (*schema, error) {
	body, err := s.call(ctx, request{method: "GET", path: "/v1/" + kind + "/" + pathID(id)})
	if err != nil {
		return nil, err
	}
	props, _ := body["properties"].(map[string]any)
	if props == nil {
		return nil, weft.Errorf(weft.UnexpectedError, "GET /v1/%s/%s: the answer has no properties", kind, id)
	}
	sc := &schema{}
	for name, v := range props {
		p, _ := v.(map[string]any)
		sc.props = append(sc.props, property{id: value.Text(p["id"]), name: name, typ: value.Text(p["type"])})
	}
	sort.Slice(sc.props, func(i, j int) bool { return sc.props[i].name < sc.props[j].name })
	return sc, nil
}

// find returns the property a field key names: its ID as Notion gives it (Make's keys
// are these IDs, URL-encoded as in the API: "%5E%40sv"), the same ID decoded, or the
// property's name.
func (sc *schema) find(key string) (property, bool) {
	plain := unescape(key)
	for _, p := range sc.props {
		if p.id == key || unescape(p.id) == plain {
			return p, true
		}
	}
	for _, p := range sc.props {
		if p.name == key {
			return p, true
		}
	}
	return property{}, false
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// properties turns Make's fields (property ID → plain value) into Notion's properties
// object (ID → typed value). A field mapped to nothing (null or empty text) is not
// sent: Make leaves the property as it is; a field no property has, or a value that
// cannot be the property's type, is a DataError naming it.
func (sc *schema) properties(fields map[string]any, loc *time.Location) (map[string]any, error) {
	out := make(map[string]any, len(fields))
	keys := slices.Sorted(maps.Keys(fields))
	for _, k := range keys {
		v := fields[k]
		if v == nil {
			continue
		}
		if s, ok := v.(string); ok && s == "" {
			continue
		}
		p, ok := sc.find(k)
		if !ok {
			return nil, weft.Errorf(weft.DataError, "fields.%s: the database has no property with this ID or name", k)
		}
		pv, err := propertyValue(p, v, loc)
		if err != nil {
			return nil, weft.Errorf(weft.DataError, "fields.%s (%s, %s): %v", k, p.name, p.typ, err)
		}
		if pv == nil {
			continue
		}
		out[p.id] = map[string]any{p.typ: pv}
	}
	return out, nil
}

// maxText is Notion's limit for the content of one rich text object.
const maxText = 2000

// propertyValue shapes one plain value as the property's type takes it. nil means
// nothing to send.
func propertyValue(p property, v any, loc *time.Location) (any, error) {
	switch p.typ {
	case "title", "rich_text":
		return richText(v), nil
	case "number":
		f, ok := value.Number(v)
		if !ok {
			return nil, fmt.Errorf("%q is not a number", value.Text(v))
		}
		return f, nil
	case "select", "status":
		if m, ok := v.(map[string]any); ok && m["name"] != nil {
			return map[string]any{"name": value.Text(m["name"])}, nil
		}
		return map[string]any{"name": value.Text(v)}, nil
	case "multi_select":
		var out []any
		for _, e := range value.Array(v) {
			name := value.Text(e)
			if m, ok := e.(map[string]any); ok {
				name = value.Text(m["name"])
			}
			if name != "" {
				out = append(out, map[string]any{"name": name})
			}
		}
		return orEmpty(out), nil
	case "checkbox":
		return value.Bool(v), nil
	case "url", "email", "phone_number":
		return value.Text(v), nil
	case "date":
		return dateValue(v, loc)
	case "people":
		return idList(v, "user"), nil
	case "relation":
		return idList(v, ""), nil
	case "files":
		var out []any
		for _, e := range value.Array(v) {
			m, ok := e.(map[string]any)
			u := value.Text(e)
			name := ""
			if ok {
				u, name = value.Text(m["url"]), value.Text(m["name"])
			}
			if u == "" {
				continue
			}
			if name == "" {
				name = u[strings.LastIndex(u, "/")+1:]
			}
			if len(name) > 100 {
				name = name[:100] // Notion's limit for a file's name
			}
			out = append(out, map[string]any{"name": name, "type": "external", "external": map[string]any{"url": u}})
		}
		return orEmpty(out), nil
	case "formula", "rollup", "created_time", "created_by", "last_edited_time", "last_edited_by", "unique_id",
		"button", "verification":
		return nil, fmt.Errorf("Notion computes this property; it cannot be written")
	}
	return nil, fmt.Errorf("property type %q is not supported by weft", p.typ)
}

func orEmpty(a []any) []any {
	if a == nil {
		return []any{}
	}
	return a
}

// richText is a text as Notion's rich text: pieces of at most 2000 characters (a longer
// text is split, not refused). An array of rich text objects is sent as it is.
func richText(v any) []any {
	if a, ok := v.([]any); ok && len(a) > 0 {
		if m, ok := a[0].(map[string]any); ok && (m["text"] != nil || m["type"] != nil) {
			return a
		}
	}
	s := value.Text(v)
	var out []any
	for s != "" {
		n := 0
		i := 0
		for i < len(s) && n < maxText {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			n++
		}
		out = append(out, map[string]any{"type": "text", "text": map[string]any{"content": s[:i]}})
		s = s[i:]
	}
	return orEmpty(out)
}

// dateValue reads Make's date field {start, end, includeTime, timeZone} or a plain date.
// Without includeTime (Make's default "No") a date is sent as a day, YYYY-MM-DD in the
// scenario's time zone; with it, as an instant.
func dateValue(v any, loc *time.Location) (any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		m = map[string]any{"start": v}
		if s, isText := v.(string); isText && len(strings.TrimSpace(s)) > 10 {
			m["includeTime"] = true // a text with a time of day keeps it
		}
		if _, isDate := v.(time.Time); isDate {
			m["includeTime"] = true
		}
	}
	if value.IsEmpty(m["start"]) {
		if value.IsEmpty(m["end"]) {
			return nil, nil
		}
		return nil, fmt.Errorf("a date range needs its start")
	}
	withTime := value.Bool(m["includeTime"])
	out := map[string]any{}
	for _, k := range []string{"start", "end"} {
		if value.IsEmpty(m[k]) {
			continue
		}
		t, ok := value.Date(m[k], loc)
		if !ok {
			return nil, fmt.Errorf("%s %q is not a date", k, value.Text(m[k]))
		}
		if withTime {
			out[k] = datetime.ISO(t)
		} else {
			out[k] = t.In(loc).Format("2006-01-02")
		}
	}
	if tz := value.Text(m["timeZone"]); tz != "" && withTime {
		out["time_zone"] = tz
	}
	return out, nil
}

// idList reads IDs (an array, one ID, or collections with an id) as Notion's references.
func idList(v any, object string) []any {
	var out []any
	for _, e := range value.Array(v) {
		id := value.Text(e)
		if m, ok := e.(map[string]any); ok {
			id = value.Text(m["id"])
		}
		for _, part := range strings.Split(id, ",") {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			ref := map[string]any{"id": notionID(part)}
			if object != "" {
				ref["object"] = object
			}
			out = append(out, ref)
		}
	}
	return orEmpty(out)
}

// withValues adds Make's properties_value to a page or database: each property's
// value by name, without Notion's type wrapper ({{1.properties_value.Link}},
// {{1.properties_value.Language[].plain_text}}); a formula or rollup gives its result.
func withValues(obj map[string]any) weft.Bundle {
	out := weft.Bundle(maps.Clone(obj))
	props, _ := obj["properties"].(map[string]any)
	vals := make(map[string]any, len(props))
	for name, v := range props {
		p, _ := v.(map[string]any)
		typ := value.Text(p["type"])
		val := p[typ]
		if typ == "formula" || typ == "rollup" {
			if inner, ok := val.(map[string]any); ok {
				val = inner[value.Text(inner["type"])]
			}
		}
		vals[name] = val
	}
	out["properties_value"] = vals
	return out
}
