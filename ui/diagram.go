package ui

import (
	"fmt"
	"strings"

	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/value"
)

// The diagram is the blueprint's flow as nested boxes (rendered by the "flow"
// template): a flow is a row of modules; a router's routes and an if/else's branches
// are rows stacked under it; an error handler route hangs below its module, dashed;
// the filter on the link into a module sits on the arrow before it. Read-only, like
// Make's canvas when a scenario is not being edited.

// diagramModule is one box.
type diagramModule struct {
	ID    int
	HasID bool
	Type  string
	Label string
	// Kind is the spec's kind ("action", "router", "directive"…); "unknown" for a
	// module type weft does not have.
	Kind    string
	Filter  *diagramFilter
	Routes  []diagramRow
	OnError []diagramModule
	// Failed marks the module an incomplete execution failed at.
	Failed bool
	// Note is a one-line hint (a directive's effect, Break's retries).
	Note string
	// Link makes the box a link (the editor opens the module, the inspector its
	// operations); Selected marks the open one; Problems counts the validator's
	// problems at the module; Bubble is the inspector's operations count and status.
	Link     string
	Selected bool
	Problems int
	Bubble   *bubble
}

// bubble is what a run did at one module (the execution inspector).
type bubble struct {
	Ops    int
	Status string // "success", "error" or "warning" (an error a handler took)
}

// decorate calls fn for every box of a diagram, nested ones included.
func decorate(ms []diagramModule, fn func(*diagramModule)) {
	for i := range ms {
		fn(&ms[i])
		for j := range ms[i].Routes {
			decorate(ms[i].Routes[j].Flow, fn)
		}
		decorate(ms[i].OnError, fn)
	}
}

// diagramRow is a route or a branch: a label and its flow.
type diagramRow struct {
	Label    string
	Disabled bool
	Flow     []diagramModule
}

// diagramFilter is the filter on the link into a module.
type diagramFilter struct {
	Name string
	// Text is the conditions as one line ("{{1.status}} text:equal 200 OR …").
	Text string
}

// buildDiagram turns a blueprint's flow into boxes; failed is the module to highlight
// (0: none).
func buildDiagram(bp *blueprint.Blueprint, reg *app.Registry, failed int) []diagramModule {
	return diagramFlow(bp.Flow, reg, failed)
}

func diagramFlow(mods []*blueprint.Module, reg *app.Registry, failed int) []diagramModule {
	out := make([]diagramModule, 0, len(mods))
	for _, m := range mods {
		d := diagramModule{ID: m.ID, HasID: m.HasID, Type: m.Type, Label: m.Type, Kind: "unknown",
			Failed: failed != 0 && m.HasID && m.ID == failed}
		if spec, ok := reg.Lookup(m.Type); ok {
			d.Label, d.Kind = spec.Label, spec.Kind.String()
		}
		if m.Type == "placeholder:Placeholder" {
			d.Label, d.Kind = "(empty)", "placeholder"
		}
		if m.Filter != nil {
			d.Filter = &diagramFilter{Name: m.Filter.Name, Text: conditionsText(m.Filter.Conditions)}
			if d.Filter.Name == "" {
				d.Filter.Name = "filter"
			}
		}
		if d.Kind == "directive" {
			d.Note = directiveNote(m)
		}
		for i, r := range m.Routes {
			d.Routes = append(d.Routes, diagramRow{Label: fmt.Sprintf("route %d", i+1), Disabled: r.Disabled,
				Flow: diagramFlow(r.Flow, reg, failed)})
		}
		for i, b := range m.Branches {
			label := b.Label
			if label == "" {
				label = fmt.Sprintf("branch %d", i+1)
			}
			switch {
			case b.Type == "else":
				label += " (else)"
			case len(b.Conditions) > 0:
				label += ": " + conditionsText(b.Conditions)
			}
			if b.Merge {
				label += " → merge"
			}
			d.Routes = append(d.Routes, diagramRow{Label: label, Disabled: b.Disabled, Flow: diagramFlow(b.Flow, reg, failed)})
		}
		d.OnError = diagramFlow(m.OnError, reg, failed)
		out = append(out, d)
	}
	return out
}

// directiveNote says what an error handler directive does with the failed bundle.
func directiveNote(m *blueprint.Module) string {
	switch m.Type {
	case "builtin:Ignore":
		return "drops the bundle, the run goes on"
	case "builtin:Resume":
		return "continues with substitute output"
	case "builtin:Commit":
		return "commits and stops the run"
	case "builtin:Rollback":
		return "rolls back and stops the run"
	case "builtin:Break":
		n, iv := "3", "15"
		if v, ok := m.Mapper.(map[string]any); ok {
			if c, ok := v["count"]; ok {
				n = value.Text(c)
			}
			if i, ok := v["interval"]; ok {
				iv = value.Text(i)
			}
		}
		return "stores an incomplete execution, retried " + n + "× every " + iv + " min"
	}
	return ""
}

// conditionsText writes filter conditions on one line: groups joined by OR,
// conditions in a group by AND.
func conditionsText(groups [][]blueprint.Condition) string {
	var ors []string
	for _, g := range groups {
		var ands []string
		for _, c := range g {
			s := value.Text(c.A) + " " + c.O
			if c.B != nil {
				s += " " + value.Text(c.B)
			}
			ands = append(ands, s)
		}
		if len(ands) > 0 {
			ors = append(ors, strings.Join(ands, " AND "))
		}
	}
	return strings.Join(ors, " OR ")
}

// moduleLabels maps every module id of a blueprint to "id · label".
func moduleLabels(bp *blueprint.Blueprint, reg *app.Registry) map[int]string {
	out := map[int]string{}
	bp.Walk(func(m *blueprint.Module, _ string) bool {
		if !m.HasID {
			return true
		}
		label := m.Type
		if spec, ok := reg.Lookup(m.Type); ok {
			label = spec.Label
		}
		out[m.ID] = label
		return true
	})
	return out
}
