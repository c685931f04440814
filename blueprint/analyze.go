package blueprint

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/iml"
	"github.com/weftworks/weft/limits"
	"github.com/weftworks/weft/value"
)

// Catalog tells the analyzer which module types exist (app.Registry is one).
type Catalog interface {
	Lookup(name string) (*app.Spec, bool)
}

// Node is what the analysis knows of one module: where it is, what kind it is, which
// module outputs it may map, and its place in loops and error handler routes. The
// engine compiles its execution graph from these nodes.
type Node struct {
	Module *Module
	path   *path
	// Spec is nil for module types the catalog does not know.
	Spec *app.Spec
	Kind app.Kind
	// Handler is set on modules inside an error handler route: the module whose
	// failure the route handles.
	Handler *Node
	// Feeder is the module whose loop an aggregator closes.
	Feeder *Node
	// Params are the module's parameters as its spec prepared them and Built the module
	// its spec built from them: analysis builds every module once, so that a module
	// weft cannot build is reported with the other problems, and the engine runs the
	// module built here. Both are nil when the spec has none, or preparing or building
	// failed (a warning says why).
	Params weft.Bundle
	Built  app.Module
	// Branches of a merge: for each branch of the if/else before it, the visibility at
	// the end of that branch (used to check each branch's output mapping).
	vis  *Seen
	seen *seenIndex
}

// Pointer is the module's JSON pointer in the blueprint, e.g. /flow/2/routes/0/flow/1.
func (n *Node) Pointer() string { return n.path.String() }

// Seen returns the module ids this module may map, as the shared list (nearest
// first); nil when it sees nothing.
func (n *Node) Seen() *Seen { return n.vis }

// ID is the module id at the head of the list.
func (v *Seen) ID() int { return v.id }

// Prev is the rest of the list (nil at its end).
func (v *Seen) Prev() *Seen { return v.prev }

// Visible returns the ids of the modules whose outputs this module may map, in flow
// order (nearest last).
func (n *Node) Visible() []int { return n.vis.ids() }

// CanSee reports whether the module may map module id's output.
func (n *Node) CanSee(id int) bool { return n.seen.has(n.vis, id) }

// Analysis is the validated structure of a blueprint.
type Analysis struct {
	Nodes    []*Node // document order
	ByID     map[int]*Node
	ByModule map[*Module]*Node
	Report   Report
	// Interface is the scenario's declared inputs and outputs (docs/subscenarios.md).
	Interface Interface
}

// Seen is an immutable set of visible module ids, a list shared between paths: each
// module adds itself on top of what it saw. Sharing keeps analysis linear in the flow's
// size; the engine keeps the lists as they are for the same reason.
type Seen struct {
	id    int
	prev  *Seen
	depth int     // entries before this one
	jump  []*Seen // jump[k]: the entry 2^k up the list
}

// seenIndex answers "is module id on this list?" in O(log n) instead of walking the
// list, which made checking every reference quadratic in a flow's length: it keeps
// every entry of each id (an id has several only after merges) and, in each entry,
// jumps to its ancestors 1, 2, 4… entries up.
type seenIndex struct {
	byID map[int][]*Seen
}

func (x *seenIndex) add(v *Seen, id int) *Seen {
	e := &Seen{id: id, prev: v}
	if v != nil {
		e.depth = v.depth + 1
		e.jump = make([]*Seen, 1, bits.Len(uint(e.depth)))
		e.jump[0] = v
		for k := 1; ; k++ {
			mid := e.jump[k-1]
			if len(mid.jump) < k {
				break
			}
			e.jump = append(e.jump, mid.jump[k-1])
		}
	}
	x.byID[id] = append(x.byID[id], e)
	return e
}

// has reports whether id is on list v.
func (x *seenIndex) has(v *Seen, id int) bool {
	for _, e := range x.byID[id] {
		if onList(e, v) {
			return true
		}
	}
	return false
}

// onList reports whether entry e is v or one of v's ancestors: v lifted to e's depth
// is e.
func onList(e, v *Seen) bool {
	if v == nil || e.depth > v.depth {
		return false
	}
	for d, k := v.depth-e.depth, 0; d > 0; d, k = d>>1, k+1 {
		if d&1 == 1 {
			v = v.jump[k]
		}
	}
	return v == e
}

func (v *Seen) ids() []int {
	var out []int
	for ; v != nil; v = v.prev {
		out = append(out, v.id)
	}
	slices.Reverse(out)
	return out
}

// Options tune validation. The zero value applies weft's default limits.
type Options struct {
	// Limits are the server's: MaxDepth and MaxModules bound the blueprint's structure,
	// and a run limit the scenario sets above the server's is reported (a warning: the
	// server's bound applies). Zero fields are the defaults (limits.Default).
	Limits limits.Limits
}

// Validate checks a blueprint and reports every problem at once, under the default
// limits.
func Validate(bp *Blueprint, cat Catalog) Report { return Analyze(bp, cat).Report }

// ValidateWith is Validate with options (the server's limits).
func ValidateWith(bp *Blueprint, cat Catalog, opts Options) Report {
	return AnalyzeWith(bp, cat, opts).Report
}

// Analyze validates a blueprint under the default limits and returns its structure.
func Analyze(bp *Blueprint, cat Catalog) *Analysis { return AnalyzeWith(bp, cat, Options{}) }

// AnalyzeWith is Analyze with options. Its cost is linear in the blueprint's size.
func AnalyzeWith(bp *Blueprint, cat Catalog, opts Options) *Analysis {
	lim := opts.Limits.WithDefaults()
	a := &analyzer{cat: cat, an: &Analysis{ByID: map[int]*Node{}, ByModule: map[*Module]*Node{}},
		idAt: map[int]*path{}, maxDepth: int(lim.MaxDepth), seen: &seenIndex{byID: map[int][]*Seen{}}}
	a.an.Report.Problems = append(a.an.Report.Problems, bp.shape...)
	// Ids first, so references to modules further down the document resolve.
	count := 0
	bp.walkPaths(func(m *Module, ptr *path) bool {
		a.registerID(m, ptr)
		count++
		return true
	})
	if int64(count) > lim.MaxModules {
		a.errorf(root("flow"), 0, "%s", structureLimit("maxModules", lim, int64(count),
			fmt.Sprintf("the blueprint has %d modules", count)))
	}
	a.scenarioLimits(bp, lim)
	if len(bp.Flow) == 0 {
		if _, ok := bp.obj.get("flow"); ok {
			a.errorf(root("flow"), 0, "the flow is empty: a scenario needs at least one module")
		}
	}
	a.flow(bp.Flow, root("flow"), nil, nil, true)
	a.an.Interface = a.scenarioInterface(bp)
	return a.an
}

type analyzer struct {
	cat  Catalog
	an   *Analysis
	idAt map[int]*path
	// depth is how deep the flow being analyzed nests (0: the scenario's flow).
	depth, maxDepth int
	seen            *seenIndex
}

// structureLimit words a structure limit that a blueprint exceeds.
func structureLimit(key string, lim limits.Limits, value int64, what string) string {
	d, _ := limits.Lookup(key)
	return (&limits.Exceeded{Key: key, Limit: d.Get(lim), Value: value, What: what}).Error()
}

// scenarioLimits warns about run limits the scenario sets above the server's: they
// have no effect (a scenario can only lower a bound).
func (a *analyzer) scenarioLimits(bp *Blueprint, server limits.Limits) {
	own := bp.Metadata.Scenario.Limits
	for i := range limits.Defs {
		d := &limits.Defs[i]
		if v := d.Get(own); v > d.Get(server) {
			a.warnf(root("metadata", "scenario", "limits").key(d.Key), 0,
				"%s %s is above the server's limit of %s: the server's applies (a scenario can only lower a limit)",
				d.Key, d.Format(v), d.Format(d.Get(server)))
		}
	}
}

func (a *analyzer) errorf(ptr *path, id int, format string, args ...any) {
	a.an.Report.Problems = append(a.an.Report.Problems,
		Problem{Pointer: ptr.String(), Message: fmt.Sprintf(format, args...), Severity: SeverityError, ModuleID: id})
}

func (a *analyzer) warnf(ptr *path, id int, format string, args ...any) {
	a.an.Report.Problems = append(a.an.Report.Problems,
		Problem{Pointer: ptr.String(), Message: fmt.Sprintf(format, args...), Severity: SeverityWarning, ModuleID: id})
}

const placeholder = "placeholder:Placeholder"

func (a *analyzer) registerID(m *Module, ptr *path) {
	if !m.HasID {
		if m.Type != placeholder {
			a.errorf(ptr, 0, "missing id: every module needs an integer id unique in the blueprint")
		}
		return
	}
	if first, dup := a.idAt[m.ID]; dup {
		a.errorf(ptr.at("id"), m.ID, "duplicate id %d: already used by the module at %s", m.ID, first)
		return
	}
	a.idAt[m.ID] = ptr
}

// flow analyzes one flow list. v is what its first module sees; handler is the failing
// module when the list is (inside) an error handler route. It returns what a module
// after the list would see (for merges).
func (a *analyzer) flow(mods []*Module, ptr *path, v *Seen, handler *Node, top bool) *Seen {
	var prev *Node
	var branchEnds []*Seen // ends of the merging branches of the if/else just before
	var beforeIfElse *Seen
	for i, m := range mods {
		p := ptr.at(i)
		n := a.node(m, p, v, handler)
		isLast := i == len(mods)-1
		switch n.Kind {
		case app.KindTrigger:
			if m.Type == placeholder {
				if !top || i != 0 {
					// Make's editor leaves an empty module where one was removed or not
					// chosen yet; the run passes bundles through it.
					a.warnf(p.at("module"), m.ID, "an empty module (placeholder:Placeholder): bundles pass through it unchanged; choose a module or remove it")
				}
			} else if !top || i != 0 {
				a.errorf(p.at("module"), m.ID, "%s is a trigger: it can only be the first module of the scenario", m.Type)
			}
		case app.KindDirective:
			if handler == nil {
				a.errorf(p.at("module"), m.ID, "directive %s is only allowed at the end of an error handler route", m.Type)
			} else if !isLast {
				a.errorf(p.at("module"), m.ID, "directive %s must be the last module of its error handler route", m.Type)
			}
		case app.KindMerge:
			if prev == nil || prev.Kind != app.KindIfElse {
				a.errorf(p.at("module"), m.ID, "a merge must directly follow an if/else")
			}
		case app.KindRouter:
			if !isLast {
				a.errorf(p.at("module"), m.ID, "a router must be the last module of its flow: modules after it (from %s/%d) would never run", ptr, i+1)
			}
		case app.KindIfElse:
			if !isLast {
				if next, ok := a.cat.Lookup(mods[i+1].Type); !ok || next.Kind != app.KindMerge {
					a.errorf(p.at("module"), m.ID, "an if/else must be the last module of its flow or be followed by a merge")
				}
			}
		}
		a.checkFilter(m.Filter, p.at("filter"), n)
		a.checkMapper(n, p)

		// Children.
		if len(m.Routes) > 0 && n.Spec != nil && n.Kind != app.KindRouter {
			a.errorf(p.at("routes"), m.ID, "only a router has routes; %s is not a router", m.Type)
		}
		if len(m.Branches) > 0 && n.Spec != nil && n.Kind != app.KindIfElse {
			a.errorf(p.at("branches"), m.ID, "only an if/else has branches; %s is not one", m.Type)
		}
		inner := a.seen.add(v, m.ID)
		var ends []*Seen
		if len(m.Routes)+len(m.Branches)+len(m.OnError) > 0 && a.depth >= a.maxDepth {
			// Not descended into: what lies deeper is not analyzed (nor compiled).
			a.errorf(p, m.ID, "%s", structureLimit("maxDepth", limits.Limits{MaxDepth: int64(a.maxDepth)}, int64(a.depth+1),
				fmt.Sprintf("routes, branches and error handler routes nest %d levels deep at module %d", a.depth+1, m.ID)))
		} else {
			a.depth++
			for j, r := range m.Routes {
				a.flow(r.Flow, p.at("routes", j, "flow"), inner, handler, false)
			}
			if n.Kind == app.KindRouter {
				a.checkRouter(m, p)
			}
			if n.Kind == app.KindIfElse {
				ends = a.checkIfElse(m, p, v, inner, handler)
			} else {
				for j, b := range m.Branches {
					a.flow(b.Flow, p.at("branches", j, "flow"), inner, handler, false)
				}
			}
			if len(m.OnError) > 0 {
				if n.Kind == app.KindDirective || n.Kind == app.KindRouter || n.Kind == app.KindIfElse || n.Kind == app.KindMerge {
					a.errorf(p.at("onerror"), m.ID, "%s cannot have an error handler route", m.Type)
				}
				a.flow(m.OnError, p.at("onerror"), inner, n, false)
			}
			a.depth--
		}

		// What the next module sees.
		switch n.Kind {
		case app.KindAggregator:
			if n.Feeder != nil {
				v = a.seen.add(n.Feeder.vis, m.ID)
			} else {
				v = inner
			}
		case app.KindIfElse:
			beforeIfElse, branchEnds = inner, ends
			v = inner
		case app.KindMerge:
			v = a.seen.add(a.mergeVis(beforeIfElse, branchEnds), m.ID)
			a.checkMergeOutputs(n, p, ends, beforeIfElse, branchEnds)
		default:
			v = inner
		}
		if n.Kind != app.KindIfElse {
			branchEnds = nil
		}
		prev = n
	}
	return v
}

func (a *analyzer) node(m *Module, p *path, v *Seen, handler *Node) *Node {
	n := &Node{Module: m, path: p, Handler: handler, vis: v, seen: a.seen}
	a.an.Nodes = append(a.an.Nodes, n)
	a.an.ByModule[m] = n
	if m.HasID {
		if _, dup := a.an.ByID[m.ID]; !dup {
			a.an.ByID[m.ID] = n
		}
	}
	switch {
	case m.Type == "":
		a.errorf(p.at("module"), m.ID, "missing module type (\"module\": \"app:Name\")")
	case !strings.Contains(m.Type, ":"):
		a.errorf(p.at("module"), m.ID, "module type %q is not of the form app:Name", m.Type)
	default:
		spec, ok := a.cat.Lookup(m.Type)
		if ok {
			n.Spec, n.Kind = spec, spec.Kind
			break
		}
		if strings.HasPrefix(m.Type, "builtin:") {
			a.errorf(p.at("module"), m.ID, "unknown directive or flow-control module %s", m.Type)
			break
		}
		a.an.Report.Unsupported = append(a.an.Report.Unsupported, Unsupported{ModuleID: m.ID, Type: m.Type, Pointer: p.String()})
		a.warnf(p.at("module"), m.ID, "module type %s is not supported by weft yet (module %d)", m.Type, m.ID)
	}
	if n.Kind == app.KindAggregator {
		a.linkFeeder(n, p)
	}
	if n.Spec != nil {
		a.build(n, p)
	}
	return n
}

// build prepares a module's parameters and builds it, as the engine will before a run.
// A module that cannot be built (a connection still to choose, an option weft does not
// support) keeps the blueprint valid — Make's editor shows such a module as not set up
// — but the scenario cannot run until it is fixed: a warning says why, at the module.
func (a *analyzer) build(n *Node, p *path) {
	m := n.Module
	params, err := app.PrepareParameters(n.Spec, m.Parameters)
	if err != nil {
		var fe *app.FieldError
		if errors.As(err, &fe) && fe.Missing {
			// Make exports leave connections and ids to be chosen after import: the
			// blueprint is valid, but the scenario cannot run until they are set.
			a.warnf(p.at("parameters"), m.ID, "%s: set it before the scenario can run", paramMessage(err))
		} else {
			a.errorf(p.at("parameters"), m.ID, "%s", paramMessage(err))
		}
		return
	}
	n.Params = params
	if n.Spec.New == nil {
		return
	}
	mod, err := n.Spec.New(app.Config{ModuleID: m.ID, Version: m.Version, Parameters: params})
	if errors.Is(err, app.ErrUnavailable) {
		return // the registry's doing, not the blueprint's; the engine's registry builds it
	}
	if err != nil {
		a.warnf(p.at("parameters"), m.ID, "module %d (%s) is not set up: %s; the scenario cannot run until it is",
			m.ID, m.Type, BuildMessage(err))
		return
	}
	n.Built = mod
}

// BuildMessage words an error of a module's New: its message, after its error type
// when it has one (the type tells who must act, SPEC §3.1).
func BuildMessage(err error) string {
	var we *weft.Error
	if errors.As(err, &we) {
		if we.Type != "" {
			return string(we.Type) + ": " + we.Message
		}
		return we.Message
	}
	return err.Error()
}

func paramMessage(err error) string {
	var fe *app.FieldError
	if errors.As(err, &fe) {
		return fe.Path + ": " + fe.Message
	}
	return err.Error()
}

func (a *analyzer) linkFeeder(n *Node, p *path) {
	m := n.Module
	raw, ok := m.Parameters["feeder"]
	if !ok || value.IsEmpty(raw) {
		a.errorf(p.at("parameters/feeder"), m.ID, "an aggregator needs parameters.feeder: the id of the module that opens its loop")
		return
	}
	f, ok := value.Number(raw)
	id := int(f)
	if !ok || f != float64(id) {
		a.errorf(p.at("parameters/feeder"), m.ID, "feeder must be a module id, got %q", value.Text(raw))
		return
	}
	if !a.seen.has(n.vis, id) {
		if _, exists := a.idAt[id]; !exists {
			a.errorf(p.at("parameters/feeder"), m.ID, "feeder %d is not a module of this blueprint", id)
		} else {
			a.errorf(p.at("parameters/feeder"), m.ID, "feeder %d is not upstream of aggregator %d on its path", id, m.ID)
		}
		return
	}
	feeder := a.an.ByID[id]
	if feeder == nil {
		return
	}
	switch feeder.Kind {
	case app.KindRouter, app.KindIfElse, app.KindMerge, app.KindDirective:
		a.errorf(p.at("parameters/feeder"), m.ID, "feeder %d is a %s; a loop starts at a module that emits bundles (an iterator, a search, a trigger)", id, feeder.Kind)
		return
	}
	n.Feeder = feeder
}

func (a *analyzer) checkRouter(m *Module, p *path) {
	if len(m.Routes) == 0 {
		a.warnf(p.at("routes"), m.ID, "router has no routes")
	}
	raw, ok := m.Parameters["else"]
	if !ok || raw == nil {
		return
	}
	f, ok := value.Number(raw)
	if !ok || f != float64(int(f)) || f < 0 || int(f) >= len(m.Routes) {
		// Make keeps the fallback index when the route it named is deleted: the router
		// then has no fallback route, which is what weft runs.
		a.warnf(p.at("parameters/else"), m.ID, "fallback route %s is not a route of this router (routes 0…%d): the router has no fallback route", value.Text(raw), len(m.Routes)-1)
	}
}

func (a *analyzer) checkIfElse(m *Module, p *path, v, inner *Seen, handler *Node) []*Seen {
	if len(m.Branches) == 0 {
		a.errorf(p.at("branches"), m.ID, "an if/else needs at least one branch")
	}
	ends := make([]*Seen, len(m.Branches))
	elseSeen := false
	n := a.an.ByModule[m]
	for j, b := range m.Branches {
		bp := p.at("branches", j)
		switch b.Type {
		case "else":
			if elseSeen {
				a.errorf(bp.at("type"), m.ID, "an if/else has at most one else branch")
			}
			elseSeen = true
			if j != len(m.Branches)-1 {
				a.errorf(bp.at("type"), m.ID, "the else branch must be the last branch")
			}
		case "condition":
			if len(b.Conditions) == 0 {
				a.errorf(bp.at("conditions"), m.ID, "a condition branch needs conditions")
			}
			a.checkConditions(b.Conditions, bp.at("conditions"), n)
		default:
			a.errorf(bp.at("type"), m.ID, "branch type must be \"condition\" or \"else\", got %q", b.Type)
		}
		end := a.flow(b.Flow, bp.at("flow"), inner, handler, false)
		if b.Merge {
			ends[j] = end
		}
	}
	return ends
}

// mergeVis is what a merge and the modules after it see: everything before the if/else
// plus the modules of every merging branch (a module of a branch that did not run maps
// to empty, as any missing value does).
func (a *analyzer) mergeVis(base *Seen, ends []*Seen) *Seen {
	out := base
	for _, e := range ends {
		var extra []int
		for x := e; x != nil && x != base; x = x.prev {
			if !a.seen.has(out, x.id) {
				extra = append(extra, x.id)
			}
		}
		for i := len(extra) - 1; i >= 0; i-- {
			out = a.seen.add(out, extra[i])
		}
	}
	return out
}

func (a *analyzer) checkMergeOutputs(n *Node, p *path, _ []*Seen, base *Seen, ends []*Seen) {
	for i, out := range n.Module.Outputs {
		if out.Name == "" {
			a.errorf(p.at("outputs", i, "name"), n.Module.ID, "a merge output needs a name")
		}
		for j, mapping := range out.Mappings {
			seen := base
			if j < len(ends) && ends[j] != nil {
				seen = ends[j]
			}
			a.checkValue(mapping, p.at("outputs", i, "mappings", j), n, seen)
		}
	}
}

func (a *analyzer) checkFilter(f *Filter, p *path, n *Node) {
	if f == nil {
		return
	}
	a.checkConditions(f.Conditions, p.at("conditions"), n)
}

func (a *analyzer) checkConditions(groups [][]Condition, p *path, n *Node) {
	for i, g := range groups {
		for j, c := range g {
			cp := p.at(i, j)
			if c.O == "" {
				a.errorf(cp.at("o"), n.Module.ID, "missing filter operator")
			} else if !iml.IsOperator(c.O) {
				a.errorf(cp.at("o"), n.Module.ID, "unknown filter operator %q", c.O)
			}
			a.checkValue(c.A, cp.at("a"), n, n.vis)
			a.checkValue(c.B, cp.at("b"), n, n.vis)
		}
	}
}

func (a *analyzer) checkMapper(n *Node, p *path) {
	m := n.Module
	if m.Mapper != nil {
		if _, ok := m.Mapper.(map[string]any); !ok && n.Spec != nil {
			a.errorf(p.at("mapper"), m.ID, "mapper must be an object")
		}
		a.checkValue(m.Mapper, p.at("mapper"), n, n.vis)
		a.checkLiterals(n, p)
	}
	if gb, ok := m.Flags["groupBy"]; ok {
		a.checkValue(gb, p.at("flags/groupBy"), n, n.vis)
	}
}

// checkLiterals checks the mapper's literal numbers (no {{…}}) against the bounds the
// module declares: a value that can only fail at run time (Break with count 0) is
// better named now, at its JSON pointer.
func (a *analyzer) checkLiterals(n *Node, p *path) {
	mapper, ok := n.Module.Mapper.(map[string]any)
	if !ok || n.Spec == nil {
		return
	}
	for i := range n.Spec.Mapper {
		f := &n.Spec.Mapper[i]
		if f.Max <= f.Min {
			continue
		}
		switch f.Type {
		case app.TypeNumber, app.TypeInteger, app.TypeUInteger:
		default:
			continue
		}
		raw, ok := mapper[f.Name]
		if !ok {
			continue
		}
		var num float64
		switch x := raw.(type) {
		case float64:
			num = x
		case string:
			t := strings.TrimSpace(x)
			if t == "" || strings.Contains(t, "{{") {
				continue
			}
			v, err := strconv.ParseFloat(t, 64)
			if err != nil {
				continue // not a number: PrepareInput names it at run time
			}
			num = v
		default:
			continue
		}
		if num < f.Min || num > f.Max {
			a.errorf(p.at("mapper").key(f.Name), n.Module.ID, "%s is %s, outside %s…%s",
				f.Name, strconv.FormatFloat(num, 'f', -1, 64),
				strconv.FormatFloat(f.Min, 'f', -1, 64), strconv.FormatFloat(f.Max, 'f', -1, 64))
		}
	}
}

// checkValue parses every template inside a mapped value and checks its module
// references against what the module may see.
func (a *analyzer) checkValue(v any, p *path, n *Node, seen *Seen) {
	switch x := v.(type) {
	case string:
		if !strings.Contains(x, "{{") {
			return
		}
		t, err := iml.ParseTemplate(x)
		if err != nil {
			var se *iml.SyntaxError
			if errors.As(err, &se) {
				a.errorf(p, n.Module.ID, "cannot parse %s: %s (at character %d)", quoteShort(x), se.Msg, se.Offset+1)
			} else {
				a.errorf(p, n.Module.ID, "cannot parse %s: %v", quoteShort(x), err)
			}
			return
		}
		for _, ref := range t.Refs() {
			a.checkRef(ref.Module, p, n, seen)
		}
		for _, name := range t.UnknownNames() {
			a.warnf(p, n.Module.ID, "%q is not a module reference, variable or keyword: it maps to empty", name)
		}
		for _, note := range t.Notes() {
			a.warnf(p, n.Module.ID, "%s (at character %d)", note.Msg, note.Offset+1)
		}
	case map[string]any:
		for k, e := range x {
			a.checkValue(e, p.key(k), n, seen)
		}
	case []any:
		for i, e := range x {
			a.checkValue(e, p.at(i), n, seen)
		}
	}
}

func (a *analyzer) checkRef(id int, p *path, n *Node, seen *Seen) {
	if a.seen.has(seen, id) {
		return
	}
	if _, ok := a.idAt[id]; !ok {
		a.errorf(p, n.Module.ID, "refers to module %d, which is not in this blueprint", id)
		return
	}
	if id == n.Module.ID {
		a.errorf(p, n.Module.ID, "module %d refers to its own output", id)
		return
	}
	a.errorf(p, n.Module.ID, "refers to module %d, which is not upstream of module %d on this path", id, n.Module.ID)
}

func quoteShort(s string) string {
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return strconv.Quote(s)
}
