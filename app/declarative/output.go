package declarative

import (
	"fmt"
	"maps"
	"sort"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/iml"
	"github.com/weftworks/weft/value"
)

// collector turns responses into bundles: one per response, or with iterate one per
// element of the container that passes the condition and the filter, sorted and cut
// to the limit at the end.
type collector struct {
	m      *module
	comm   *commDef
	env    *iml.Env
	it     *iterDef
	filter *iml.Filter
	conds  []filterCond
	// ops and bs hold the operands of the element being matched; fenv passes them to
	// the filter. Reused for every element (a run's collector is its own).
	ops, bs map[string]any
	fenv    *iml.Env
	desc    bool
	out     []entry
}

type entry struct {
	key any
	b   weft.Bundle
}

// filterCond is one condition of the input's filter with the variable names its
// operands are passed under (values are never compiled as templates: a cell holding
// "{{" stays text).
type filterCond struct {
	cond map[string]any
	id   string
}

func (m *module) newCollector(env *iml.Env, vars map[string]any, comm *commDef) (*collector, error) {
	c := &collector{m: m, comm: comm, env: env, it: comm.resp.iterate}
	if c.it == nil {
		return c, nil
	}
	if c.it.sortOrder != nil {
		v, err := evalRequestPart(c.it.sortOrder, env, vars)
		if err != nil {
			return nil, err
		}
		c.desc = strings.EqualFold(strings.TrimSpace(value.Text(v)), "desc")
	}
	if c.it.filter == nil {
		return c, nil
	}
	v, err := evalRequestPart(c.it.filter.conditions, env, vars)
	if err != nil {
		return nil, err
	}
	groups, conds, err := filterGroups(v)
	if err != nil {
		return nil, err
	}
	if len(conds) == 0 {
		return c, nil
	}
	f, err := iml.CompileFilter(groups)
	if err != nil {
		return nil, weft.Errorf(weft.DataError, "filter: %v", err)
	}
	c.filter, c.conds = f, conds
	c.ops, c.bs = make(map[string]any, len(conds)), make(map[string]any, len(conds))
	for _, fc := range conds {
		c.bs[fc.id] = fc.cond["b"]
	}
	c.fenv = &iml.Env{Now: env.Now, Location: env.Location, ExecutionID: env.ExecutionID,
		Limits: env.Limits, Variables: map[string]any{"operand": c.ops, "b": c.bs}}
	return c, nil
}

// filterGroups reads Make's filter value [[{a, o, b}]] (groups OR'ed, conditions AND'ed)
// into conditions whose operands are variable references.
func filterGroups(v any) ([][]iml.Condition, []filterCond, error) {
	if value.IsEmpty(v) {
		return nil, nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, nil, weft.Errorf(weft.DataError, "filter must be an array of condition groups, got %s", value.Kind(v))
	}
	var groups [][]iml.Condition
	var conds []filterCond
	for gi, g := range list {
		items, ok := g.([]any)
		if !ok {
			return nil, nil, weft.Errorf(weft.DataError, "filter/%d must be an array of conditions, got %s", gi, value.Kind(g))
		}
		var group []iml.Condition
		for ci, e := range items {
			cm, ok := e.(map[string]any)
			if !ok {
				return nil, nil, weft.Errorf(weft.DataError, "filter/%d/%d must be a condition {a, o, b}, got %s", gi, ci, value.Kind(e))
			}
			if value.IsEmpty(cm["a"]) || value.IsEmpty(cm["o"]) {
				return nil, nil, weft.Errorf(weft.DataError, "filter/%d/%d needs a and o", gi, ci)
			}
			id := fmt.Sprintf("c%d_%d", gi, ci)
			conds = append(conds, filterCond{cond: cm, id: id})
			group = append(group, iml.Condition{A: "{{var.operand." + id + "}}", O: value.Text(cm["o"]), B: "{{var.b." + id + "}}"})
		}
		if len(group) > 0 {
			groups = append(groups, group)
		}
	}
	return groups, conds, nil
}

// page adds the bundles of one response and returns how many elements its container
// held (the pagination offset counts them all, passed or not).
func (c *collector) page(rvars map[string]any) (int, error) {
	if c.it == nil {
		b, err := c.output(rvars)
		if err != nil {
			return 0, err
		}
		if b == nil {
			b = weft.Bundle{}
		}
		c.out = append(c.out, entry{b: b})
		return 1, nil
	}
	cv, err := evalVars(c.it.container, c.env, rvars)
	if err != nil {
		return 0, c.unexpected("iterate", err)
	}
	if cv == nil {
		return 0, nil
	}
	items := value.Array(cv)
	ivars := maps.Clone(rvars)
	for i, item := range items {
		ivars[rootItem] = item
		ivars[rootIndex] = float64(i + 1)
		if c.it.condition != nil {
			v, err := evalVars(c.it.condition, c.env, ivars)
			if err != nil {
				return 0, c.unexpected("iterate condition", err)
			}
			if !value.Bool(v) {
				continue
			}
		}
		if c.filter != nil {
			ok, err := c.match(ivars)
			if err != nil {
				return 0, err
			}
			if !ok {
				continue
			}
		}
		b, err := c.output(ivars)
		if err != nil {
			return 0, err
		}
		if b == nil {
			continue
		}
		e := entry{b: b}
		if c.it.sortKey != nil {
			if e.key, err = evalVars(c.it.sortKey, c.env, ivars); err != nil {
				return 0, c.unexpected("sort key", err)
			}
		}
		c.out = append(c.out, e)
	}
	return len(items), nil
}

// match applies the input's filter to one element: each condition's a is resolved by
// the definition's operand template, b is the mapped value as is.
func (c *collector) match(ivars map[string]any) (bool, error) {
	defer delete(ivars, rootCondition)
	for _, fc := range c.conds {
		ivars[rootCondition] = fc.cond
		v, err := evalVars(c.it.filter.operand, c.env, ivars)
		if err != nil {
			return false, c.unexpected("filter operand", err)
		}
		c.ops[fc.id] = v
	}
	ok, err := c.filter.Match(c.fenv)
	if err != nil {
		return false, weft.Errorf(weft.DataError, "filter: %v", err)
	}
	return ok, nil
}

// output evaluates the output template: a collection, or nil for "no bundle".
func (c *collector) output(vars map[string]any) (weft.Bundle, error) {
	v, err := evalVars(c.comm.resp.output, c.env, vars)
	if err != nil {
		return nil, c.unexpected("output", err)
	}
	switch x := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return x, nil
	case string:
		if c.it == nil && x == "" {
			return nil, nil // an empty body (204)
		}
	}
	return nil, weft.Errorf(weft.UnexpectedError, "output: the response gives %s where a bundle (collection) is expected", value.Kind(v))
}

func (c *collector) unexpected(what string, err error) error {
	return &weft.Error{Type: weft.UnexpectedError, Message: "reading the response (" + what + "): " + err.Error(), Err: err}
}

// done reports whether no further page can change the result: the limit is reached
// and nothing is sorted.
func (c *collector) done(limit int) bool {
	return limit >= 0 && len(c.out) >= limit && (c.it == nil || c.it.sortKey == nil)
}

// bundles returns the result: sorted (stable), cut to the limit, and with iterate
// numbered as Make numbers search results (__IMTINDEX__ of __IMTLENGTH__).
func (c *collector) bundles(limit int) []weft.Bundle {
	if c.it != nil && c.it.sortKey != nil {
		sort.SliceStable(c.out, func(i, j int) bool {
			r := compare(c.out[i].key, c.out[j].key)
			if c.desc {
				return r > 0
			}
			return r < 0
		})
	}
	if limit >= 0 && len(c.out) > limit {
		c.out = c.out[:limit]
	}
	out := make([]weft.Bundle, len(c.out))
	for i, e := range c.out {
		if c.it == nil {
			out[i] = e.b
			continue
		}
		b := maps.Clone(e.b)
		b["__IMTINDEX__"] = float64(i + 1)
		b["__IMTLENGTH__"] = float64(len(c.out))
		out[i] = b
	}
	return out
}

// compare orders sort keys: numbers (and numeric text) by value, anything else by
// text; empty keys last.
func compare(a, b any) int {
	ae, be := value.IsEmpty(a), value.IsEmpty(b)
	switch {
	case ae && be:
		return 0
	case ae:
		return 1
	case be:
		return -1
	}
	if x, ok := value.Number(a); ok {
		if y, ok := value.Number(b); ok {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
	}
	return strings.Compare(value.Text(a), value.Text(b))
}
