package iml

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/weftworks/weft/value"
)

// Array functions (IML.md §2.5). Every function returns a new array; a non-array
// argument is read as a one-element array and an empty one as the empty array (§5).
func init() {
	register(
		pureCtx("join", 1, 2, fnJoin),
		pureCtx("map", 2, 4, fnMap),
		pure("first", 1, 1, func(a []any) (any, error) {
			if x := value.Array(a[0]); len(x) > 0 {
				return x[0], nil
			}
			return nil, nil
		}),
		pure("last", 1, 1, func(a []any) (any, error) {
			if x := value.Array(a[0]); len(x) > 0 {
				return x[len(x)-1], nil
			}
			return nil, nil
		}),
		pureCtx("flatten", 1, 2, fnFlatten),
		pure("keys", 1, 1, fnKeys),
		pure("slice", 2, 3, fnSlice),
		pureCtx("merge", 1, -1, fnMerge),
		pureCtx("remove", 1, -1, fnRemove),
		pureCtx("add", 1, -1, func(c callCtx, a []any) (any, error) {
			src := value.Array(a[0])
			if err := c.env.Limits.Items(len(src)+len(a)-1, "add()"); err != nil {
				return nil, err
			}
			return append(slices.Clone(src), a[1:]...), nil
		}),
		pureCtx("sort", 1, 3, fnSort),
		pure("reverse", 1, 1, func(a []any) (any, error) {
			out := slices.Clone(value.Array(a[0]))
			slices.Reverse(out)
			return out, nil
		}),
		pureCtx("distinct", 1, 2, fnDistinct),
		pureCtx("deduplicate", 1, 1, fnDistinct),
		pure("toArray", 1, 1, fnToArray),
		pureCtx("toCollection", 3, 3, fnToCollection),
		pureCtx("arrayDiff", 2, 2, func(c callCtx, a []any) (any, error) { return setOp(c, a, false) }),
		pureCtx("arrayIntersect", 2, 2, func(c callCtx, a []any) (any, error) { return setOp(c, a, true) }),
		withEnv("shuffle", 1, 1, fnShuffle),
	)
	// join reads its elements as text but checks the text as it grows.
	readsArrays("join", "map", "first", "last", "flatten", "keys", "slice", "merge", "remove", "add",
		"sort", "reverse", "distinct", "deduplicate", "toArray", "toCollection", "arrayDiff",
		"arrayIntersect", "shuffle")
}

// fnJoin joins the text of every element; the separator defaults to ", " (the
// separator of an array written as text).
// The text is checked against the run's maxTextBytes as it grows, so a long separator
// between many elements is refused before it is built.
func fnJoin(c callCtx, a []any) (any, error) {
	sep := ", "
	if len(a) > 1 && a[1] != nil {
		sep = text(a[1])
	}
	lim := c.env.Limits
	var b strings.Builder
	for i, e := range value.Array(a[0]) {
		if i > 0 {
			b.WriteString(sep)
		}
		if lim != nil {
			if err := lim.AsText(e, "join()"); err != nil {
				return nil, err
			}
		}
		appendText(&b, e)
		if lim != nil {
			if err := lim.Text(b.Len(), "join()"); err != nil {
				return nil, err
			}
			if err := c.env.every(i); err != nil {
				return nil, err
			}
		}
	}
	return b.String(), nil
}

// path reads a dot path ("sender.name") inside a collection.
func path(v any, p string) any {
	for _, k := range strings.Split(p, ".") {
		if v == nil {
			return nil
		}
		v = member(v, k)
	}
	return v
}

// fnMap collects the value at key (a dot path) of every collection; with a filter key
// and values (comma-separated text or an array), only collections whose filter key
// equals one of them. Elements without the key are left out.
func fnMap(c callCtx, a []any) (any, error) {
	key := text(a[1])
	var filterKey string
	var allowed []any
	if len(a) > 2 && a[2] != nil {
		filterKey = text(a[2])
		switch fv := arg(a, 3).(type) {
		case []any:
			allowed = fv
		case nil:
		default:
			for _, s := range strings.Split(text(fv), ",") {
				allowed = append(allowed, s)
			}
		}
	}
	src := value.Array(a[0])
	out := make([]any, 0, len(src))
	for i, e := range src {
		if err := c.env.every(i); err != nil {
			return nil, err
		}
		if filterKey != "" {
			fv := path(e, filterKey)
			if !slices.ContainsFunc(allowed, func(x any) bool { return value.Equal(fv, x) }) {
				continue
			}
		}
		if v := path(e, key); v != nil {
			out = append(out, v)
		}
	}
	return out, nil
}

// fnFlatten flattens nested arrays by depth levels (1 by default, as JavaScript's
// Array.prototype.flat).
func fnFlatten(c callCtx, a []any) (any, error) {
	depth, err := intArg("flatten", a, 1, "depth", 1)
	if err != nil {
		return nil, err
	}
	src := value.Array(a[0])
	if lim := c.env.Limits; lim != nil {
		// Counted before anything is built: nested arrays flatten to their product.
		if err := lim.Items(flatLen(src, depth, int(lim.MaxArrayItems)), "flatten()"); err != nil {
			return nil, err
		}
	}
	return flat(src, depth, nil), nil
}

// flatLen counts the elements flat would make, stopping once past stop.
func flatLen(src []any, depth, stop int) int {
	n := 0
	for _, e := range src {
		if inner, ok := e.([]any); ok && depth > 0 {
			n += flatLen(inner, depth-1, stop-n)
		} else {
			n++
		}
		if n > stop {
			return n
		}
	}
	return n
}

func flat(src []any, depth int, out []any) []any {
	if out == nil {
		out = make([]any, 0, len(src))
	}
	for _, e := range src {
		if inner, ok := e.([]any); ok && depth > 0 {
			out = flat(inner, depth-1, out)
			continue
		}
		out = append(out, e)
	}
	return out
}

// fnKeys lists a collection's keys in sorted order (collections do not keep their
// key order in weft); an array's keys are its positions "0", "1"… as JavaScript's
// Object.keys gives them (Make's help: "an object's or array's properties").
func fnKeys(a []any) (any, error) {
	switch x := a[0].(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = k
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = value.FormatNumber(float64(i))
		}
		return out, nil
	}
	return []any{}, nil
}

// fnSlice follows JavaScript's Array.prototype.slice: 0-based start, exclusive end,
// negative positions count from the end.
func fnSlice(a []any) (any, error) {
	src := value.Array(a[0])
	n := len(src)
	start, err := intArg("slice", a, 1, "start", 0)
	if err != nil {
		return nil, err
	}
	end, err := intArg("slice", a, 2, "end", n)
	if err != nil {
		return nil, err
	}
	clamp := func(i int) int {
		if i < 0 {
			i += n
		}
		return min(max(i, 0), n)
	}
	start, end = clamp(start), clamp(end)
	if start >= end {
		return []any{}, nil
	}
	return slices.Clone(src[start:end]), nil
}

func fnMerge(c callCtx, a []any) (any, error) {
	n := 0
	for _, v := range a {
		if v != nil {
			n += len(value.Array(v))
		}
	}
	if err := c.env.Limits.Items(n, "merge()"); err != nil {
		return nil, err
	}
	out := make([]any, 0, n)
	for _, v := range a {
		if v == nil {
			continue
		}
		out = append(out, value.Array(v)...)
	}
	return out, nil
}

// fnRemove drops every element equal (as `=`) to one of the values.
func fnRemove(c callCtx, a []any) (any, error) {
	src := value.Array(a[0])
	out := make([]any, 0, len(src))
	for i, e := range src {
		if err := c.env.every(i * len(a)); err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(a[1:], func(x any) bool { return value.Equal(e, x) }) {
			out = append(out, e)
		}
	}
	return out, nil
}

// fnSort sorts by value or by a key (dot path) of collections. Order: asc (default),
// desc, "asc ci", "desc ci"; with two arguments the second is the key unless it is an
// order word. Numbers sort before text, text by code point (ci: ignoring case, upper
// case first among equal letters), empty values last; the sort is stable.
func fnSort(c callCtx, a []any) (any, error) {
	order, key := "asc", ""
	if len(a) > 1 && a[1] != nil {
		o := strings.ToLower(strings.TrimSpace(text(a[1])))
		switch o {
		case "asc", "desc", "asc ci", "desc ci":
			order = o
		default:
			if len(a) == 2 {
				key = text(a[1])
			} else {
				return nil, evalErr("sort", "unknown order %q (use asc, desc, asc ci or desc ci)", text(a[1]))
			}
		}
	}
	if len(a) > 2 && a[2] != nil {
		key = text(a[2])
	}
	ci := strings.HasSuffix(order, " ci")
	desc := strings.HasPrefix(order, "desc")
	out := slices.Clone(value.Array(a[0]))
	get := func(v any) any {
		if key == "" {
			return v
		}
		return path(v, key)
	}
	// The deadline is looked at every few thousand comparisons; once it has passed,
	// every comparison says "equal" so the sort ends at once, and the error is returned.
	var late error
	comparisons := 0
	slices.SortStableFunc(out, func(x, y any) int {
		if late != nil {
			return 0
		}
		comparisons++
		if err := c.env.every(comparisons); err != nil {
			late = err
			return 0
		}
		a, b := get(x), get(y)
		c := sortCompare(a, b, ci)
		if desc && !isEmptySort(a) && !isEmptySort(b) {
			c = -c
		}
		if c == 0 && ci {
			// Letters equal but for case: upper case first in both orders, as Make's
			// help shows ("desc ci": …, C, c, B, b, A, a).
			if s, ok := a.(string); ok {
				if t, ok := b.(string); ok {
					c = strings.Compare(s, t)
				}
			}
		}
		return c
	})
	if late != nil {
		return nil, late
	}
	return out, nil
}

func isEmptySort(v any) bool { return v == nil || v == "" }

// sortRank groups values of different types: numbers, dates, booleans, text, others,
// empty.
func sortRank(v any) int {
	switch v.(type) {
	case float64, int64:
		return 0
	case time.Time:
		return 1
	case bool:
		return 2
	case string:
		if v == "" {
			return 5
		}
		return 3
	case nil:
		return 5
	}
	return 4
}

func sortCompare(x, y any, ci bool) int {
	rx, ry := sortRank(x), sortRank(y)
	if rx != ry {
		return rx - ry
	}
	switch rx {
	case 0:
		f, _ := value.Number(x)
		g, _ := value.Number(y)
		return cmpFloat(f, g)
	case 1:
		return x.(time.Time).Compare(y.(time.Time))
	case 2:
		return cmpFloat(b2f(x.(bool)), b2f(y.(bool)))
	case 3:
		s, t := x.(string), y.(string)
		if ci {
			return strings.Compare(strings.ToLower(s), strings.ToLower(t))
		}
		return strings.Compare(s, t)
	case 4:
		return strings.Compare(string(value.JSON(x)), string(value.JSON(y)))
	}
	return 0
}

// equalKey is a hash key consistent with value.Equal for the values arrays usually
// hold: a number and the text spelling it share a key, and so do null and "".
func equalKey(v any) string {
	switch x := v.(type) {
	case nil:
		return "s:"
	case string:
		if f, ok := value.Number(x); ok && !math.IsInf(f, 0) {
			return "n:" + value.FormatNumber(f)
		}
		return "s:" + x
	case bool:
		return "s:" + value.Text(x)
	case float64, int64:
		f, _ := value.Number(x)
		return "n:" + value.FormatNumber(f)
	case time.Time:
		return "d:" + value.Text(x)
	}
	return "j:" + string(value.JSON(v))
}

// fnDistinct keeps the first of equal elements (equal as `=`); with a key, elements
// are compared by that key (dot path) of collections.
func fnDistinct(c callCtx, a []any) (any, error) {
	key := ""
	if len(a) > 1 && a[1] != nil {
		key = text(a[1])
	}
	src := value.Array(a[0])
	seen := make(map[string]bool, len(src))
	out := make([]any, 0, len(src))
	for i, e := range src {
		if err := c.env.every(i); err != nil {
			return nil, err
		}
		v := e
		if key != "" {
			v = path(e, key)
		}
		k := equalKey(v)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, e)
	}
	return out, nil
}

// setOp returns the elements of the first array that are (intersect) or are not
// (diff) in the second one, in the first array's order.
func setOp(c callCtx, a []any, keep bool) ([]any, error) {
	other := value.Array(a[1])
	in := make(map[string]bool, len(other))
	for i, e := range other {
		if err := c.env.every(i); err != nil {
			return nil, err
		}
		in[equalKey(e)] = true
	}
	src := value.Array(a[0])
	out := make([]any, 0, len(src))
	for i, e := range src {
		if err := c.env.every(i); err != nil {
			return nil, err
		}
		if in[equalKey(e)] == keep {
			out = append(out, e)
		}
	}
	return out, nil
}

// fnToArray turns a collection into an array of {key, value} collections, sorted by
// key.
func fnToArray(a []any) (any, error) {
	switch x := a[0].(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = map[string]any{"key": k, "value": x[k]}
		}
		return out, nil
	case nil:
		return []any{}, nil
	}
	return slices.Clone(value.Array(a[0])), nil
}

// fnToCollection builds one collection from an array of collections: the key field of
// each element names the entry, the value field gives its value.
func fnToCollection(c callCtx, a []any) (any, error) {
	kf, vf := text(a[1]), text(a[2])
	out := map[string]any{}
	for i, e := range value.Array(a[0]) {
		if err := c.env.every(i); err != nil {
			return nil, err
		}
		k := path(e, kf)
		if k == nil {
			continue
		}
		out[text(k)] = path(e, vf)
	}
	return out, nil
}

// fnShuffle returns the elements in random order (Fisher–Yates on Env.Random).
func fnShuffle(c callCtx, a []any) (any, error) {
	out := slices.Clone(value.Array(a[0]))
	for i := len(out) - 1; i > 0; i-- {
		j := int(c.env.random() * float64(i+1))
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}
