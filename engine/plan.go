package engine

import (
	"fmt"
	"iter"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/iml"
	"github.com/weftworks/weft/value"
)

// Plan is a compiled blueprint version: every template parsed, every filter compiled,
// every module built, the flow linked into a graph. Immutable; shared by runs.
type Plan struct {
	Blueprint *blueprint.Blueprint
	Settings  blueprint.Settings
	report    blueprint.Report
	trigger   *node // first module
	nodes     []*node
	byID      map[int]*node
	slotOf    []int32 // module id → slot, -1 when none (ids up to maxDirectID)
	slotMap   map[int]int
	// iface is the scenario's declared inputs and outputs (docs/subscenarios.md).
	iface blueprint.Interface
}

// Report is the validation report the plan was compiled from (warnings only).
func (p *Plan) Report() blueprint.Report { return p.report }

const maxDirectID = 1 << 16

func (p *Plan) slot(id int) int {
	if id >= 0 && id < len(p.slotOf) {
		return int(p.slotOf[id])
	}
	if s, ok := p.slotMap[id]; ok {
		return s
	}
	return -1
}

// node is one module in the execution graph.
type node struct {
	slot    int
	id      int
	typ     string
	spec    *app.Spec
	kind    app.Kind
	mod     app.Module
	params  weft.Bundle
	timeout time.Duration
	counts  bool // counts as an operation

	filter *iml.Filter
	mapper *iml.Value

	// next is where the flow continues after this module for one bundle (nil: the
	// path ends). The last module of a merging branch continues at the merge.
	next *node
	// Router.
	routes   []*node // route heads (nil for an empty route)
	disabled []bool
	fallback int // index of the fallback route, -1 when none
	// If/else.
	branches []branch
	merge    *node
	ifelse   *node // on a merge: the if/else it rejoins
	outputs  []mergeOutput
	// Error handler route head.
	onerror *node
	// Aggregators.
	feeder      *node
	aggs        []*node // on a feeder: the aggregators closing its loop, document order
	groupBy     *iml.Template
	stopIfEmpty bool
	// visible lists the slots the module may map (saved with an incomplete execution),
	// nearest first, as a list shared with the modules before it (see slotList).
	visible *slotList
	// ahead lists the aggregators reachable from the module along the flow; the loops
	// among them that enclose the module are found when needed (enclosingLoops).
	ahead []*node
}

// slotList is a module's visible slots as a list shared with the modules before it:
// each module's list is what it saw plus itself, as the analysis keeps it
// (blueprint.Seen). Copying each module's whole set made compiling quadratic in the
// flow's length (2,000 nested routers: 640 ms and 490 MB).
type slotList struct {
	slot int
	prev *slotList
}

// visibleSlots yields the slots module n may map, nearest first (a slot may come twice
// after a merge).
func (n *node) visibleSlots() iter.Seq[int] {
	return func(yield func(int) bool) {
		for l := n.visible; l != nil; l = l.prev {
			if !yield(l.slot) {
				return
			}
		}
	}
}

type branch struct {
	cond     *iml.Filter // nil for else
	head     *node
	merge    bool
	disabled bool
}

type mergeOutput struct {
	name     string
	mappings []*iml.Value // per branch index; nil when the branch has no mapping
}

type loopRef struct {
	feeder *node
	aggs   []*node
}

// InvalidError is returned by Compile for a blueprint that does not validate or uses
// modules weft cannot run.
type InvalidError struct {
	Report blueprint.Report
}

func (e *InvalidError) Error() string {
	errs := e.Report.Errors()
	var b strings.Builder
	if len(errs) > 0 {
		fmt.Fprintf(&b, "blueprint has %d problem(s)", len(errs))
		for i, p := range errs {
			if i == 5 {
				fmt.Fprintf(&b, "; …")
				break
			}
			fmt.Fprintf(&b, "; %s", p)
		}
		return b.String()
	}
	b.WriteString("blueprint uses modules weft cannot run:")
	for _, u := range e.Report.Unsupported {
		fmt.Fprintf(&b, " %s (module %d)", u.Type, u.ModuleID)
	}
	return b.String()
}

// Compile validates a blueprint and compiles it for running.
func (e *Engine) Compile(bp *blueprint.Blueprint) (*Plan, error) {
	an := blueprint.AnalyzeWith(bp, e.opts.Registry, blueprint.Options{Limits: e.opts.Limits})
	if !an.Report.Runnable() {
		return nil, &InvalidError{Report: an.Report}
	}
	c := &compiler{e: e, an: an, nodes: map[*blueprint.Module]*node{},
		plan: &Plan{Blueprint: bp, Settings: bp.Metadata.Scenario, report: an.Report, byID: map[int]*node{},
			iface: an.Interface}}
	if err := c.build(); err != nil {
		return nil, err
	}
	return c.plan, nil
}

type compiler struct {
	e     *Engine
	an    *blueprint.Analysis
	plan  *Plan
	nodes map[*blueprint.Module]*node
}

func (c *compiler) build() error {
	p := c.plan
	maxID := 0
	for _, an := range c.an.Nodes {
		if an.Module.HasID && an.Module.ID > maxID {
			maxID = an.Module.ID
		}
	}
	if maxID < maxDirectID {
		p.slotOf = make([]int32, maxID+1)
		for i := range p.slotOf {
			p.slotOf[i] = -1
		}
	} else {
		p.slotMap = map[int]int{}
	}
	for i, an := range c.an.Nodes {
		m := an.Module
		n := &node{slot: i, id: m.ID, typ: m.Type, spec: an.Spec, kind: an.Kind, fallback: -1}
		if err := c.prepare(n, an); err != nil {
			// A module that cannot be built (a connection or id still to choose, a
			// pattern that does not compile) makes the blueprint unrunnable: reported like
			// a validation problem, with its place, so callers refuse with the reason.
			msg := err.Error()
			if we, ok := err.(*weft.Error); ok {
				msg = we.Message
				if we.Type != "" { // the type tells who must act (SPEC §3.1)
					msg = string(we.Type) + ": " + msg
				}
			}
			return &InvalidError{Report: blueprint.Report{Problems: []blueprint.Problem{{
				Pointer: an.Pointer() + "/parameters", ModuleID: m.ID, Severity: blueprint.SeverityError,
				Message: fmt.Sprintf("module %d (%s) cannot be built: %s", m.ID, m.Type, msg)}}}}
		}
		c.nodes[m] = n
		p.nodes = append(p.nodes, n)
		if m.HasID {
			p.byID[m.ID] = n
			if p.slotOf != nil {
				p.slotOf[m.ID] = int32(i)
			} else {
				p.slotMap[m.ID] = i
			}
		}
	}
	head := c.flow(c.plan.Blueprint.Flow, nil)
	p.trigger = head
	// Loops: feeders know their aggregators; every module knows its visible slots.
	lists := map[*blueprint.Seen]*slotList{nil: nil}
	for _, an := range c.an.Nodes {
		n := c.nodes[an.Module]
		if an.Feeder != nil {
			n.feeder = c.nodes[an.Feeder.Module]
			n.feeder.aggs = append(n.feeder.aggs, n)
		}
		n.visible = c.slotList(an.Seen(), lists)
	}
	ahead := map[*node][]*node{}
	for _, n := range p.nodes {
		n.ahead = aggsAhead(n, ahead, map[*node]bool{})
	}
	return nil
}

// slotList converts an analysis list of visible ids into slots, sharing every tail
// already converted (memo), so the whole plan costs time linear in its size.
func (c *compiler) slotList(seen *blueprint.Seen, memo map[*blueprint.Seen]*slotList) *slotList {
	var todo []*blueprint.Seen
	for s := seen; s != nil; s = s.Prev() {
		if _, ok := memo[s]; ok {
			break
		}
		todo = append(todo, s)
	}
	for i := len(todo) - 1; i >= 0; i-- {
		s := todo[i]
		tail := memo[s.Prev()]
		if slot := c.plan.slot(s.ID()); slot >= 0 {
			tail = &slotList{slot: slot, prev: tail}
		}
		memo[s] = tail
	}
	return memo[seen]
}

// prepare compiles a module's templates and takes the Module the analysis built (or
// builds it, saying why it cannot be).
func (c *compiler) prepare(n *node, an *blueprint.Node) error {
	m := an.Module
	var err error
	if m.Filter != nil {
		if n.filter, err = compileFilter(m.Filter.Conditions); err != nil {
			return fmt.Errorf("filter: %w", err)
		}
	}
	if m.Mapper != nil {
		if n.mapper, err = iml.CompileValue(m.Mapper); err != nil {
			return fmt.Errorf("mapper: %w", err)
		}
	}
	if n.spec == nil { // placeholder without a registered spec cannot happen: Runnable checked
		return nil
	}
	n.counts = !n.spec.NoOperation
	switch {
	case n.spec.Timeout < 0:
		n.timeout = 0
	case n.spec.Timeout > 0:
		n.timeout = n.spec.Timeout
	default:
		n.timeout = c.e.opts.ModuleTimeout
	}
	if an.Params != nil {
		n.params = an.Params
	} else if n.params, err = app.PrepareParameters(n.spec, m.Parameters); err != nil {
		return err
	}
	if an.Built != nil {
		n.mod = an.Built
	} else if n.spec.New != nil {
		if n.mod, err = n.spec.New(app.Config{ModuleID: m.ID, Version: m.Version, Parameters: n.params}); err != nil {
			return err
		}
	}
	if gb, ok := m.Flags["groupBy"].(string); ok && gb != "" {
		if n.groupBy, err = iml.ParseTemplate(gb); err != nil {
			return fmt.Errorf("flags.groupBy: %w", err)
		}
	}
	if sie, ok := m.Flags["stopIfEmpty"].(bool); ok {
		n.stopIfEmpty = sie
	}
	if n.kind == app.KindRouter {
		// A fallback index that names no route (Make keeps it when the route is
		// deleted) means no fallback route; validation warns about it.
		if f, ok := value.Number(n.params["else"]); ok && f == math.Trunc(f) && f >= 0 && f < float64(len(m.Routes)) {
			n.fallback = int(f)
		}
	}
	for _, out := range m.Outputs {
		mo := mergeOutput{name: out.Name}
		for _, mp := range out.Mappings {
			v, err := iml.CompileValue(mp)
			if err != nil {
				return fmt.Errorf("merge output %q: %w", out.Name, err)
			}
			mo.mappings = append(mo.mappings, v)
		}
		n.outputs = append(n.outputs, mo)
	}
	return nil
}

func compileFilter(groups [][]blueprint.Condition) (*iml.Filter, error) {
	gs := make([][]iml.Condition, len(groups))
	for i, g := range groups {
		gs[i] = make([]iml.Condition, len(g))
		for j, cnd := range g {
			gs[i][j] = iml.Condition{A: cnd.A, O: cnd.O, B: cnd.B}
		}
	}
	return iml.CompileFilter(gs)
}

// flow links one flow list; cont is where the flow goes when the list ends. It returns
// the list's first node (nil for an empty list).
func (c *compiler) flow(mods []*blueprint.Module, cont *node) *node {
	next := cont
	for i := len(mods) - 1; i >= 0; i-- {
		m := mods[i]
		n := c.nodes[m]
		switch n.kind {
		case app.KindRouter:
			for _, r := range m.Routes {
				n.routes = append(n.routes, c.flow(r.Flow, nil))
				n.disabled = append(n.disabled, r.Disabled)
			}
		case app.KindIfElse:
			if i+1 < len(mods) {
				if mn := c.nodes[mods[i+1]]; mn.kind == app.KindMerge {
					n.merge, mn.ifelse = mn, n
				}
			}
			for _, b := range m.Branches {
				br := branch{merge: b.Merge && n.merge != nil, disabled: b.Disabled}
				if b.Type != "else" {
					f, err := compileFilter(b.Conditions)
					if err == nil {
						br.cond = f
					}
				}
				var bc *node
				if br.merge {
					bc = n.merge
				}
				br.head = c.flow(b.Flow, bc)
				n.branches = append(n.branches, br)
			}
		case app.KindDirective:
		default:
			n.next = next
		}
		if len(m.OnError) > 0 {
			n.onerror = c.flow(m.OnError, nil)
		}
		next = n
	}
	return next
}

// enclosingLoops finds the loops that enclose n and whose aggregators lie ahead of it,
// outermost first: a continuation from n (an incomplete execution resumed there) must
// close exactly those. It is computed when an incomplete execution is stored or
// resumed, not for every module at compile time: it walks n's visible slots.
func (n *node) enclosingLoops() []loopRef {
	if len(n.ahead) == 0 {
		return nil
	}
	distance := map[int]int{} // slot → how far up n's path it is (0: nearest)
	i := 0
	for s := range n.visibleSlots() {
		if _, ok := distance[s]; !ok {
			distance[s] = i
		}
		i++
	}
	byFeeder := map[*node][]*node{}
	for _, a := range n.ahead {
		if a.feeder == nil || a.feeder == n {
			continue
		}
		if _, ok := distance[a.feeder.slot]; ok {
			byFeeder[a.feeder] = append(byFeeder[a.feeder], a)
		}
	}
	var loops []loopRef
	for f, as := range byFeeder {
		slices.SortFunc(as, func(x, y *node) int { return x.slot - y.slot })
		loops = append(loops, loopRef{feeder: f, aggs: as})
	}
	// Outermost first: the feeder furthest up the path.
	slices.SortFunc(loops, func(x, y loopRef) int { return distance[y.feeder.slot] - distance[x.feeder.slot] })
	return loops
}

// aggsAhead lists the aggregators reachable from n (n included) along the flow.
func aggsAhead(n *node, memo map[*node][]*node, busy map[*node]bool) []*node {
	if n == nil {
		return nil
	}
	if r, ok := memo[n]; ok {
		return r
	}
	if busy[n] {
		return nil
	}
	busy[n] = true
	var out []*node
	add := func(xs []*node) {
		for _, x := range xs {
			if !slices.Contains(out, x) {
				out = append(out, x)
			}
		}
	}
	if n.kind == app.KindAggregator {
		out = append(out, n)
	}
	add(aggsAhead(n.next, memo, busy))
	for _, r := range n.routes {
		add(aggsAhead(r, memo, busy))
	}
	for _, b := range n.branches {
		if b.head != nil {
			add(aggsAhead(b.head, memo, busy))
		} else if b.merge {
			add(aggsAhead(n.merge, memo, busy))
		}
	}
	memo[n] = out
	return out
}

// RepeatSafe reports whether running module id again with the same input is known to
// be safe (its spec declares it idempotent, or the module says so: app.Repeatable),
// and known whether the module says anything at all.
func (p *Plan) RepeatSafe(id int) (safe, known bool) {
	n := p.byID[id]
	if n == nil {
		return false, false
	}
	if n.spec != nil && n.spec.Idempotent {
		return true, true
	}
	if r, ok := n.mod.(app.Repeatable); ok {
		return r.Repeatable(), true
	}
	return false, false
}
