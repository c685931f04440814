package declarative

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/weftworks/weft/value"
)

// byHeader turns cells keyed by column header into a row array: Google Sheets' "Use
// column headers" ({"Email": "a@b"} with headers ["Name", "Email"] → [null, "a@b"]).
// A key matches a header exactly, else once both are trimmed (Make's forms keep a
// header's trailing space, a person's mapping may not). A key naming no header is an
// error: the sheet's columns changed since the scenario was made, and writing the value
// elsewhere would corrupt the row. Make's editor names columns without a header
// "undefined"; such keys with an empty value are ignored.
func byHeader(v any) (any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf(`$byHeader takes {"headers": …, "values": …}, got %s`, value.Kind(v))
	}
	values, ok := m["values"].(map[string]any)
	if !ok {
		if m["values"] == nil {
			return nil, nil
		}
		return nil, fmt.Errorf("$byHeader values: a collection keyed by column header is needed, got %s", value.Kind(m["values"]))
	}
	headers, _ := m["headers"].([]any)
	exact, trimmed := map[string]int{}, map[string]int{}
	for i, h := range headers {
		name := value.Text(h)
		if _, seen := exact[name]; !seen && name != "" {
			exact[name] = i
		}
		if _, seen := trimmed[strings.TrimSpace(name)]; !seen && strings.TrimSpace(name) != "" {
			trimmed[strings.TrimSpace(name)] = i
		}
	}
	pos := make(map[string]any, len(values))
	for k, e := range values {
		i, found := exact[k]
		if !found {
			i, found = trimmed[strings.TrimSpace(k)]
		}
		if !found {
			if k == "undefined" && (e == nil || value.Text(e) == "") {
				continue
			}
			if len(headers) == 0 {
				return nil, fmt.Errorf("column %q: the sheet's header row is empty", k)
			}
			return nil, fmt.Errorf("column %q is not in the sheet's header row (%s)", k, headerList(headers))
		}
		pos[strconv.Itoa(i)] = e
	}
	return positional(pos)
}

// headerList names the headers for an error message, the first few only.
func headerList(headers []any) string {
	var names []string
	for i, h := range headers {
		if i == 10 {
			names = append(names, "…")
			break
		}
		names = append(names, strconv.Quote(value.Text(h)))
	}
	return strings.Join(names, ", ")
}
