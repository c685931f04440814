package declarative

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/datetime"
	"github.com/weftworks/weft/value"
)

// Polling triggers in Make's custom-app shape (docs/apps-declarative.md, "Triggers"):
// the communication's response carries
//
//	"trigger": {"type": "id"|"date", "order": "asc"|"desc"|"unordered",
//	            "id": "{{item.id}}", "date": "{{item.created}}"}
//
// and the module may have an "epoch" section (Make's "Choose where to start"). The
// module's request reads the items; weft keeps the ones after the stored position,
// oldest first, up to the response's limit, each with the position after it.

type triggerDef struct {
	typ   string // id or date
	order string // asc, desc or unordered
	id    node
	date  node
}

type epochDef struct {
	qs    node // merged into the request that lists the items to choose from
	limit int  // how many of the newest items are considered
}

// defaultEpochLimit is how many items "last:N" looks at without an epoch limit (Make's
// advice for its epoch RPC: at most 300).
const defaultEpochLimit = 300

func decodeTrigger(o obj) (*triggerDef, error) {
	t, ok, err := o.object("trigger")
	if err != nil || !ok {
		return nil, err
	}
	if err := t.only("type", "order", "id", "date"); err != nil {
		return nil, err
	}
	d := &triggerDef{}
	if d.typ, err = t.str("type", true); err != nil {
		return nil, err
	}
	if d.typ != "id" && d.typ != "date" {
		return nil, errAt(t.at("type"), "%q is not a trigger type (id, date)", d.typ)
	}
	if d.order, err = t.str("order", true); err != nil {
		return nil, err
	}
	if !slices.Contains([]string{"asc", "desc", "unordered"}, d.order) {
		return nil, errAt(t.at("order"), "%q is not an order (asc, desc, unordered)", d.order)
	}
	sc := scopeRequest.with(rootItem)
	if _, err := t.str("id", true); err != nil {
		return nil, err
	}
	if d.id, err = t.node("id", sc); err != nil {
		return nil, err
	}
	if d.typ == "date" {
		if _, err := t.str("date", true); err != nil {
			return nil, errAt(t.at("date"), "required for a trigger of type date")
		}
	}
	if d.date, err = t.node("date", sc); err != nil {
		return nil, err
	}
	return d, nil
}

func decodeEpoch(o obj) (*epochDef, error) {
	e, ok, err := o.object("epoch")
	if err != nil || !ok {
		return nil, err
	}
	if err := e.only("qs", "limit"); err != nil {
		return nil, err
	}
	d := &epochDef{}
	if d.qs, err = e.collection("qs", scopeRequest); err != nil {
		return nil, err
	}
	if d.limit, err = e.integer("limit", defaultEpochLimit, 1, 10000); err != nil {
		return nil, err
	}
	return d, nil
}

// triggerRoots are the roots a polling trigger's request may read besides the usual
// ones: {{position.date}} and {{position.id}}, the stored position, so the request can
// ask the service for what is newer ("timestamp >= …") instead of listing every item
// each time. Other modules have no position: for them the root is a load error.
func triggerRoots(comm obj) []string {
	if resp, ok, _ := comm.object("response"); ok && resp.has("trigger") {
		return []string{rootPosition}
	}
	return nil
}

// positionVars is the position as the request's templates read it: date as RFC 3339
// text in UTC with the nanoseconds it has (what Google's filters take), id as stored;
// both empty without a position (a first run, "all", or where to start being chosen).
func positionVars(p *tposition) map[string]any {
	out := map[string]any{"date": nil, "id": nil}
	if p == nil {
		return out
	}
	if p.Date != nil {
		out["date"] = p.Date.UTC().Format(time.RFC3339Nano)
	}
	out["id"] = p.ID
	return out
}

// pollModule is a declarative polling trigger: the generic executor plus Poller.
type pollModule struct{ *module }

var _ app.Poller = pollModule{}

// tposition is a declarative trigger's position: the last id (type id), or the last
// date and the ids emitted at that date (type date).
type tposition struct {
	ID     any        `json:"id,omitempty"`
	Date   *time.Time `json:"date,omitempty"`
	AtDate []string   `json:"atDate,omitempty"`
}

type titem struct {
	b     weft.Bundle
	id    any
	key   string
	date  time.Time
	dated bool
}

// items fetches every item the request lists (all pages, up to maxPages; a newest-first
// listing stops at the first page that reaches pos), oldest first.
func (m pollModule) items(ctx context.Context, c *app.Call, pos *tposition, o fetchOptions) ([]titem, *fetched, error) {
	tr := m.def.trigger
	var f *fetched
	eval := func(e entry) (titem, error) {
		ivars := maps.Clone(f.vars)
		ivars[rootItem] = map[string]any(e.b)
		it := titem{b: e.b}
		v, err := evalVars(tr.id, f.env, ivars)
		if err != nil {
			return it, weft.Errorf(weft.UnexpectedError, "trigger id: %v", err)
		}
		if value.IsEmpty(v) {
			return it, weft.Errorf(weft.UnexpectedError, "trigger id: an item has no id (%s)", excerpt(value.JSON(e.b), 120))
		}
		it.id, it.key = v, value.Text(v)
		if tr.date != nil {
			d, err := evalVars(tr.date, f.env, ivars)
			if err != nil {
				return it, weft.Errorf(weft.UnexpectedError, "trigger date: %v", err)
			}
			if !value.IsEmpty(d) {
				t, err := toDate(d, f.env.Location)
				if err != nil && tr.typ == "date" {
					return it, weft.Errorf(weft.UnexpectedError, "trigger date of item %s: %v", it.key, err)
				}
				it.date, it.dated = t.UTC(), err == nil
			}
			if tr.typ == "date" && !it.dated {
				return it, weft.Errorf(weft.UnexpectedError, "trigger date: item %s has no date", it.key)
			}
		}
		return it, nil
	}
	o.noLimit = true
	o.vars = map[string]any{rootPosition: positionVars(pos)}
	if pos != nil && tr.order == "desc" {
		o.stop = func(page []entry) (bool, error) {
			for _, e := range page {
				it, err := eval(e)
				if err != nil {
					return false, err
				}
				if pos.seen(tr, it) {
					return true, nil
				}
			}
			return false, nil
		}
	}
	o.ready = func(x *fetched) { f = x }
	if _, err := m.fetch(ctx, c, o); err != nil {
		return nil, nil, err
	}
	out := make([]titem, 0, len(f.col.out))
	for _, e := range f.col.out {
		it, err := eval(e)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, it)
	}
	switch {
	case tr.typ == "date":
		// Make sorts a date trigger's items by date and id.
		sort.SliceStable(out, func(i, j int) bool {
			if c := out[i].date.Compare(out[j].date); c != 0 {
				return c < 0
			}
			return compare(out[i].id, out[j].id) < 0
		})
	case tr.order == "desc":
		slices.Reverse(out)
	case tr.order == "unordered":
		sort.SliceStable(out, func(i, j int) bool { return compare(out[i].id, out[j].id) < 0 })
	}
	return out, f, nil
}

func (p *tposition) seen(tr *triggerDef, it titem) bool {
	if tr.typ == "date" {
		if p.Date == nil {
			return false
		}
		return it.date.Before(*p.Date) || it.date.Equal(*p.Date) && slices.Contains(p.AtDate, it.key)
	}
	if p.ID == nil {
		return false
	}
	return compare(it.id, p.ID) <= 0
}

func (p tposition) after(tr *triggerDef, it titem) tposition {
	if tr.typ == "date" {
		switch {
		case p.Date == nil || it.date.After(*p.Date):
			d := it.date
			p.Date, p.AtDate = &d, []string{it.key}
		case it.date.Equal(*p.Date):
			p.AtDate = append(slices.Clone(p.AtDate), it.key)
		}
		return p
	}
	p.ID = it.id
	return p
}

func decodeTPosition(raw json.RawMessage) (*tposition, error) {
	var p tposition
	if len(raw) == 0 || string(raw) == "null" {
		return &p, nil
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, weft.Errorf(weft.InvalidConfigurationError, "the trigger's stored position is unreadable (%v): choose where it starts again", err)
	}
	return &p, nil
}

// Poll emits the items after pos, oldest first, at most the response's limit.
func (m pollModule) Poll(ctx context.Context, c *app.Call, raw json.RawMessage) ([]app.PollItem, error) {
	pos, err := decodeTPosition(raw)
	if err != nil {
		return nil, err
	}
	items, f, err := m.items(ctx, c, pos, fetchOptions{})
	if err != nil {
		return nil, err
	}
	tr := m.def.trigger
	cur := *pos
	var out []app.PollItem
	for _, it := range items {
		if f.limit >= 0 && len(out) >= f.limit {
			break
		}
		if cur.seen(tr, it) {
			continue
		}
		cur = cur.after(tr, it)
		enc, err := json.Marshal(cur)
		if err != nil {
			return nil, err
		}
		out = append(out, app.PollItem{Bundle: it.b, Key: it.key, Position: enc})
	}
	return out, nil
}

// Start: "all" is no position; "since" a date (type date only); "now" the position
// after every item listed; "last:N" (with an epoch section, as Make offers "Choose
// manually" only then) the position before the N newest.
func (m pollModule) Start(ctx context.Context, c *app.Call, from app.StartFrom) (json.RawMessage, error) {
	tr := m.def.trigger
	switch from.Mode {
	case app.StartAll:
		return json.RawMessage("null"), nil
	case app.StartSince:
		if tr.typ != "date" {
			return nil, fmt.Errorf("this trigger follows ids, not dates: it starts now, all or (with an epoch) last:N")
		}
		d := from.Since.UTC().Add(-time.Nanosecond)
		return json.Marshal(tposition{Date: &d})
	case app.StartLast:
		if m.def.epoch == nil {
			return nil, fmt.Errorf("this trigger has no epoch section: it starts now, all%s", map[bool]string{true: " or since a date"}[tr.typ == "date"])
		}
	case app.StartNow:
	default:
		return nil, fmt.Errorf("start %q: not a start mode", from.Mode)
	}
	o := fetchOptions{}
	if e := m.def.epoch; e != nil {
		o.qs = e.qs
	}
	items, _, err := m.items(ctx, c, nil, o)
	if err != nil {
		return nil, err
	}
	keep := len(items)
	if from.Mode == app.StartLast {
		if e := m.def.epoch; e != nil && len(items) > e.limit {
			items = items[len(items)-e.limit:]
		}
		keep = max(len(items)-from.Last, 0)
	}
	var p tposition
	for _, it := range items[:keep] {
		p = p.after(tr, it)
	}
	if from.Mode == app.StartNow && tr.typ == "date" && p.Date == nil {
		now := c.Exec.Now().UTC()
		p.Date = &now
	}
	if p.ID == nil && p.Date == nil {
		return json.RawMessage("null"), nil
	}
	return json.Marshal(p)
}

// Run is never called for a polling trigger.
func (m pollModule) Run(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	return nil, weft.Errorf(weft.RuntimeError, "%s:%s is a polling trigger: it runs as the first module", m.def.app.name, m.def.name)
}

// toDate reads a trigger date: a date value, or text in any form Make's date coercion
// takes (ISO 8601, RFC 2822, …).
func toDate(v any, loc *time.Location) (time.Time, error) {
	if t, ok := v.(time.Time); ok {
		return t, nil
	}
	if loc == nil {
		loc = time.UTC
	}
	return datetime.Coerce(value.Text(v), loc)
}
