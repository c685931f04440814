package datastore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/iml"
	"github.com/weftworks/weft/limits"
	"github.com/weftworks/weft/value"
)

// search is datastore:SearchRecord: one bundle {key, data, __IMTINDEX__, __IMTLENGTH__}
// per record that passes the filter, sorted, at most limit of them.
func (m *module) search(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	f, err := compileSearch(c.Input["filter"])
	if err != nil {
		return nil, err
	}
	keys, err := sortKeys(c.Input["sort"])
	if err != nil {
		return nil, err
	}
	limit := searchLimit(c)
	fetch := 0 // every record: the filter or the sort needs them all
	if f.f == nil && len(keys) == 0 {
		fetch = limit // key order, first ones: the backend can stop early
	}
	recs, err := m.reg.list(ctx, c.Exec, m.store, fetch)
	if err != nil {
		return nil, err
	}
	env := iml.Env{Now: c.Exec.Now, Location: c.Exec.Location(), ExecutionID: c.Exec.ID(),
		Limits: limits.FromContext(ctx)} // the run's limits (docs/operations.md)
	var hits []weft.Record
	for _, r := range recs {
		ok, err := f.match(&env, r)
		if err != nil {
			return nil, err
		}
		if ok {
			hits = append(hits, r)
		}
	}
	if len(keys) > 0 {
		// Stable: records equal on every sort key keep their key order.
		slices.SortStableFunc(hits, func(a, b weft.Record) int { return compareRecords(a, b, keys) })
	}
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	if len(hits) == 0 {
		if value.Bool(m.params["continueWhenNoRes"]) {
			return []weft.Bundle{{"__IMTLENGTH__": 0.0}}, nil
		}
		return nil, nil
	}
	out := make([]weft.Bundle, len(hits))
	n := float64(len(hits))
	for i, r := range hits {
		out[i] = weft.Bundle{"key": r.Key, "data": r.Data, "__IMTINDEX__": float64(i + 1), "__IMTLENGTH__": n}
	}
	return out, nil
}

// searchLimit is the mapped limit when set, else the limit parameter; 0 means all.
func searchLimit(c *app.Call) int {
	for _, v := range []any{c.Input["mappAbleLimit"], c.Params["limit"]} {
		if n, ok := value.Number(v); ok && n > 0 {
			return int(n)
		}
	}
	return 0
}

// list returns a data store's records as this run sees them (committed records with the
// run's pending writes applied), in key order: all of them, or at least the first
// limit ones when limit > 0. Records are the caller's to keep.
func (d *registration) list(ctx context.Context, exec app.Execution, storeName string, limit int) ([]weft.Record, error) {
	pending := d.txn(exec).pendingStore(storeName)
	if len(pending) > 0 {
		limit = 0 // pending deletes and adds change which records come first
	}
	stored, err := d.backend.ListRecords(ctx, storeName, limit)
	if err != nil {
		return nil, backendError(err, "list the records of data store %q", storeName)
	}
	if len(pending) == 0 {
		return stored, nil
	}
	out := make([]weft.Record, 0, len(stored)+len(pending))
	for _, r := range stored {
		ops, ok := pending[r.Key]
		if !ok {
			out = append(out, r)
			continue
		}
		delete(pending, r.Key)
		if rec, exists := replay(r.Data, true, ops); exists {
			out = append(out, weft.Record{Key: r.Key, Data: rec})
		}
	}
	for key, ops := range pending { // records this run created
		if rec, exists := replay(nil, false, ops); exists {
			out = append(out, weft.Record{Key: key, Data: rec})
		}
	}
	slices.SortFunc(out, func(a, b weft.Record) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// replay applies pending writes leniently (what the run intends) to a record.
func replay(rec weft.Bundle, exists bool, ops []op) (weft.Bundle, bool) {
	start, needBase := replayStart(ops)
	if !needBase {
		rec, exists = nil, false
	}
	for i := start; i < len(ops); i++ {
		rec, exists, _ = ops[i].apply(rec, exists, false)
	}
	return rec, exists
}

// searchFilter is a SearchRecord filter compiled for one call: Make's condition groups
// where a names a record field. It reuses the filter operators of routes (iml) so that
// every operator means the same everywhere: each condition's operands become
// {{N.a}} and {{N.b}} over a scope that hands condition N the record's field and the
// mapped value. The mapped value is never parsed again as a template, so a "{{" inside
// record or input data is plain text.
type searchFilter struct {
	f      *iml.Filter
	fields []string // per condition (1-based module id - 1): the record field of a
	bs     []any    // per condition: the mapped value of b
}

func compileSearch(raw any) (*searchFilter, error) {
	if value.IsEmpty(raw) {
		return &searchFilter{}, nil
	}
	groupsRaw, ok := raw.([]any)
	if !ok {
		return nil, errorf("filter", "%s is not an array of condition groups", value.Kind(raw))
	}
	sf := &searchFilter{}
	groups := make([][]iml.Condition, 0, len(groupsRaw))
	for gi, g := range groupsRaw {
		conds, ok := g.([]any)
		if !ok {
			return nil, errorf(fmt.Sprintf("filter/%d", gi), "%s is not an array of conditions", value.Kind(g))
		}
		group := make([]iml.Condition, 0, len(conds))
		for ci, cv := range conds {
			path := fmt.Sprintf("filter/%d/%d", gi, ci)
			c, ok := cv.(map[string]any)
			if !ok {
				return nil, errorf(path, "%s is not a condition {a, o, b}", value.Kind(cv))
			}
			field := value.Text(c["a"])
			if field == "" {
				return nil, errorf(path+"/a", "missing the record field to test")
			}
			o := value.Text(c["o"])
			if !iml.IsOperator(o) {
				return nil, errorf(path+"/o", "%q is not a filter operator", o)
			}
			n := len(sf.fields) + 1
			cond := iml.Condition{A: fmt.Sprintf("{{%d.a}}", n), O: o}
			if b := c["b"]; isPlain(b) {
				cond.B = b // a constant lets text:pattern compile its expression once
			} else {
				cond.B = fmt.Sprintf("{{%d.b}}", n)
			}
			sf.fields = append(sf.fields, field)
			sf.bs = append(sf.bs, c["b"])
			group = append(group, cond)
		}
		groups = append(groups, group)
	}
	f, err := iml.CompileFilter(groups)
	if err != nil {
		var fe *iml.FilterError
		if errors.As(err, &fe) {
			return nil, errorf(fmt.Sprintf("filter/%d/%d/%s", fe.Group, fe.Index, fe.Field), "%v", fe.Err)
		}
		return nil, errorf("filter", "%v", err)
	}
	sf.f = f
	return sf, nil
}

// isPlain reports whether v compiles to itself: a number, a boolean, null or text
// without "{{".
func isPlain(v any) bool {
	switch x := v.(type) {
	case nil, bool, float64, int64:
		return true
	case string:
		return !strings.Contains(x, "{{")
	}
	return false
}

func (sf *searchFilter) match(env *iml.Env, r weft.Record) (bool, error) {
	if sf.f == nil {
		return true, nil
	}
	env.Scope = recordScope{sf: sf, rec: r}
	ok, err := sf.f.Match(env)
	if err != nil {
		var fe *iml.FilterError
		if errors.As(err, &fe) {
			return false, errorf(fmt.Sprintf("filter/%d/%d/%s", fe.Group, fe.Index, fe.Field),
				"record %q: %v", r.Key, fe.Err)
		}
		return false, errorf("filter", "record %q: %v", r.Key, err)
	}
	return ok, nil
}

// recordScope answers {{N.a}} and {{N.b}} for condition N and one record.
type recordScope struct {
	sf  *searchFilter
	rec weft.Record
}

func (s recordScope) Output(n int) (any, bool) {
	if n < 1 || n > len(s.sf.fields) {
		return nil, false
	}
	out := map[string]any{"b": s.sf.bs[n-1]}
	if v, ok := field(s.rec, s.sf.fields[n-1]); ok {
		out["a"] = v
	}
	return out, true
}

// field reads a record field by name; "key" is the record's key unless the record has
// a field of that name (Make's search and sort offer the key next to the fields).
func field(r weft.Record, name string) (any, bool) {
	if v, ok := r.Data[name]; ok {
		return v, true
	}
	if name == "key" {
		return r.Key, true
	}
	return nil, false
}

// sortKey is one entry of the sort field.
type sortKey struct {
	field string
	desc  bool
}

func sortKeys(raw any) ([]sortKey, error) {
	items, _ := raw.([]any) // the spec made it an array of prepared collections
	out := make([]sortKey, 0, len(items))
	for i, it := range items {
		m, _ := it.(map[string]any)
		name := value.Text(m["key"])
		if name == "" {
			return nil, errorf(fmt.Sprintf("sort/%d/key", i), "missing the record field to sort by")
		}
		out = append(out, sortKey{field: name, desc: value.Text(m["order"]) == "-1"})
	}
	return out, nil
}

func compareRecords(a, b weft.Record, keys []sortKey) int {
	for _, k := range keys {
		x, _ := field(a, k.field)
		y, _ := field(b, k.field)
		c := compareValues(x, y)
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// compareValues orders field values: empty values first, then booleans, numbers,
// dates and text (each by its own order; text by code point), then anything else by
// its text form. Mixed kinds order by that rank, so a sort never fails on a record.
func compareValues(x, y any) int {
	rx, ry := rank(x), rank(y)
	if rx != ry {
		return cmp.Compare(rx, ry)
	}
	switch rx {
	case 0:
		return 0
	case 1:
		return cmp.Compare(boolInt(x.(bool)), boolInt(y.(bool)))
	case 2:
		f, _ := value.Number(x)
		g, _ := value.Number(y)
		return cmp.Compare(f, g)
	case 3:
		return x.(time.Time).Compare(y.(time.Time))
	}
	return strings.Compare(value.Text(x), value.Text(y))
}

func rank(v any) int {
	if value.IsEmpty(v) {
		return 0
	}
	switch v.(type) {
	case bool:
		return 1
	case float64, int64:
		return 2
	case time.Time:
		return 3
	case string:
		return 4
	}
	return 5
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
