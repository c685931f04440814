package limits

import (
	"fmt"
	"time"
)

// The sizes below estimate a value as the execution log stores it (JSON): close enough
// to compare against megabytes, cheap enough for every module's input and output. A
// value referenced twice counts twice, because the log, an incomplete execution and
// any text made of it hold it twice.

// Take counts a bundle (or any value) the run takes in, and checks every text and
// array inside it against maxTextBytes and maxArrayItems. what names it for people
// ("the output of the module"). The walk stops as soon as the run's byte budget is
// spent, so a huge value costs no more than the budget to refuse.
func (r *Run) Take(v any, what string) error {
	if r == nil {
		return nil
	}
	w := walker{r: r, left: r.BytesLeft(), what: what}
	w.walk(v, 0)
	if w.err != nil {
		return w.err
	}
	return r.AddBytes(w.size, what)
}

type walker struct {
	r    *Run
	left int64
	size int64
	what string
	err  error
}

// memoItems is the length from which an array's measured size is kept for the run.
const memoItems = 1024

// arrayKey names an array by its first element and length: modules emit bundles they
// no longer change, so the same array has the same size.
type arrayKey struct {
	first *any
	n     int
}

// maxWalkDepth stops a walk through a value nested deeper than any JSON decoder makes
// (Go's stops at 10,000): only a cyclic value built in code could get there.
const maxWalkDepth = 10_000

func (w *walker) walk(v any, depth int) {
	if w.err != nil || w.size > w.left {
		return
	}
	if depth > maxWalkDepth {
		w.err = fmt.Errorf("%s is nested more than %d levels deep", w.what, maxWalkDepth)
		return
	}
	switch x := v.(type) {
	case string:
		if int64(len(x)) > w.r.MaxTextBytes {
			w.err = w.r.Exceed("maxTextBytes", int64(len(x)),
				fmt.Sprintf("%s holds a text of %d bytes", w.what, len(x)))
			return
		}
		w.size += int64(len(x)) + 2
	case map[string]any:
		w.size += 2
		for k, e := range x {
			if w.err != nil || w.size > w.left {
				return
			}
			w.size += int64(len(k)) + 4
			// Scalars inline: most fields of most bundles are short texts and numbers.
			switch s := e.(type) {
			case string:
				if int64(len(s)) <= w.r.MaxTextBytes {
					w.size += int64(len(s)) + 2
					continue
				}
			case float64, bool, nil:
				w.size += 8
				continue
			}
			w.walk(e, depth+1)
		}
	case []any:
		if int64(len(x)) > w.r.MaxArrayItems {
			w.err = w.r.Exceed("maxArrayItems", int64(len(x)),
				fmt.Sprintf("%s holds an array of %d items", w.what, len(x)))
			return
		}
		// A long array is usually one module's output that later inputs map again: its
		// size counts every time, but it is measured once.
		var key arrayKey
		if len(x) >= memoItems {
			key = arrayKey{&x[0], len(x)}
			if n, ok := w.r.sizes[key]; ok {
				w.size += n
				return
			}
		}
		start := w.size
		w.size += 2
		for _, e := range x {
			if w.err != nil || w.size > w.left {
				return
			}
			w.size++
			w.walk(e, depth+1)
		}
		if len(x) >= memoItems && w.err == nil && w.size <= w.left {
			if w.r.sizes == nil {
				w.r.sizes = map[arrayKey]int64{}
			}
			w.r.sizes[key] = w.size - start
		}
	case []byte:
		w.size += int64(len(x)) // a file: counted as the memory it takes
	case []map[string]any: // weft.Bundle slices built in code
		for _, e := range x {
			if w.err != nil || w.size > w.left {
				return
			}
			w.walk(e, depth+1)
		}
	default:
		w.size += 8
	}
}

// TextSize estimates the length of v's text form (value.Text: arrays joined with ", ",
// collections as JSON), stopping early once it passes limit; a result over limit means
// "more than limit".
func TextSize(v any, limit int64) int64 {
	var n int64
	textSize(v, limit, &n, 0)
	return n
}

func textSize(v any, limit int64, n *int64, depth int) {
	if *n > limit || depth > maxWalkDepth {
		*n = max(*n, limit+1)
		return
	}
	switch x := v.(type) {
	case nil:
	case string:
		*n += int64(len(x))
	case []byte:
		*n += int64(len(x))
	case []any:
		for i, e := range x {
			if *n > limit {
				return
			}
			if i > 0 {
				*n += 2
			}
			textSize(e, limit, n, depth+1)
		}
	case map[string]any:
		// JSON: keys and strings quoted; escapes are rare enough to leave out.
		*n += 2
		first := true
		for k, e := range x {
			if *n > limit {
				return
			}
			if !first {
				*n++ // the comma
			}
			first = false
			*n += int64(len(k)) + 3
			if s, ok := e.(string); ok {
				*n += int64(len(s)) + 2
				continue
			}
			textSize(e, limit, n, depth+1)
		}
	case time.Time:
		*n += 24
	default:
		*n += 24 // numbers, booleans
	}
}

// AsText checks that v, turned into text (what names where: "toString()"), stays
// within maxTextBytes. Only arrays and collections need the check: a text is as long as
// it is, and numbers, dates and booleans are short.
func (r *Run) AsText(v any, what string) error {
	if r == nil {
		return nil
	}
	switch v.(type) {
	case []any, map[string]any:
	default:
		return nil
	}
	if n := TextSize(v, r.MaxTextBytes); n > r.MaxTextBytes {
		return r.Exceed("maxTextBytes", n, fmt.Sprintf("%s would turn a value into a text of more than %d bytes", what, r.MaxTextBytes))
	}
	return nil
}
