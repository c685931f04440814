package declarative

import (
	"fmt"
	"strconv"

	"github.com/weftworks/weft/value"
)

// columns turns a collection keyed by column letters into a row array, null where no
// column is given: the values of Google Sheets' legacy modules ({"A": "a", "C": "c"} →
// ["a", null, "c"]). Letters only (a number or a header name mapped by mistake is an
// error rather than some column), bounded as $positional is.
func columns(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$columns needs a collection keyed by column letters, got %s", value.Kind(v))
	}
	pos := make(map[string]any, len(m))
	for k, e := range m {
		i := columnIndex(k)
		if i < 0 {
			return nil, fmt.Errorf("key %q is not a column (A, B, …, ZZZ)", k)
		}
		pos[strconv.Itoa(i)] = e
	}
	return positional(pos)
}
