package service

import (
	"context"
	"fmt"
	"reflect"
	"slices"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
)

// Preview is what retrying or resolving an incomplete execution would do, before it is
// done (docs/incomplete-executions.md §11).
type Preview struct {
	FailedModuleID int `json:"failedModuleId"`
	// Modules are the blueprint's modules in order, each with what the continuation does
	// with it.
	Modules []PreviewModule `json:"modules"`
	// Changes are the fields of the failing module's mapped input that the edit changes
	// (values left out for a confidential scenario).
	Changes []InputChange `json:"changes"`
}

// PreviewModule is one module in a preview.
type PreviewModule struct {
	ID     int    `json:"id"`
	Module string `json:"module"`
	// Runs: it runs in the continuation (the failing module and what follows it).
	Runs bool `json:"runs"`
	// Stored: it already ran for this bundle; its stored output is used.
	Stored bool `json:"stored"`
	// Writes: it may have side effects (it does I/O and is not declared idempotent).
	Writes bool `json:"writes"`
	// Repeats: it may already have done its work for this bundle and runs again, so its
	// side effects would repeat (the failing module when its outcome is unknown).
	Repeats bool `json:"repeats"`
}

// InputChange is one field of the failing module's input before and after an edit.
type InputChange struct {
	Field  string `json:"field"`
	Before any    `json:"before"`
	After  any    `json:"after"`
}

// PreviewResolve previews a retry (no edits) or a resolve with edits (or raw in place
// of the blueprint) of an incomplete execution, from the failing module or (from ≠ 0)
// as RetryFrom would start. Nothing is stored or run.
func (s *Service) PreviewResolve(ctx context.Context, id string, from int, edits []Edit, raw []byte) (*Preview, error) {
	ie, err := s.st.GetIncomplete(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("preview %s: %w", id, err)
	}
	bpAfter := ie.Blueprint
	if len(edits) > 0 || raw != nil {
		if bpAfter, err = s.edited(ie, edits, raw); err != nil {
			return nil, fmt.Errorf("preview %s: %w", id, err)
		}
	}
	before, err := s.plan(ie.Blueprint)
	if err != nil {
		return nil, fmt.Errorf("preview %s: the incomplete execution's blueprint cannot run: %w", id, err)
	}
	after, err := s.plan(bpAfter)
	if err != nil {
		return nil, fmt.Errorf("preview %s: %w", id, err)
	}
	state, err := decodeState(ie)
	if err != nil {
		return nil, fmt.Errorf("preview %s: %w", id, err)
	}
	bp, err := blueprint.Parse(bpAfter)
	if err != nil {
		return nil, fmt.Errorf("preview %s: %w", id, err)
	}
	again, _ := bp.Continuation(ie.FailedModuleID)
	if from != 0 {
		rewound, err := after.Rewind(from, ie.FailedModuleID)
		if err != nil {
			return nil, fmt.Errorf("preview %s: %w", id, err)
		}
		for _, m := range rewound {
			again[m] = true
		}
	}
	p := &Preview{FailedModuleID: ie.FailedModuleID, Modules: []PreviewModule{}, Changes: []InputChange{}}
	bp.Walk(func(m *blueprint.Module, _ string) bool {
		if !m.HasID {
			return true
		}
		_, stored := state.Outputs[m.ID]
		pm := PreviewModule{ID: m.ID, Module: m.Type, Runs: again[m.ID], Stored: stored && !again[m.ID],
			Writes: after.Writes(m.ID)}
		// A module that ran for this bundle (its output is stored) and runs again repeats.
		pm.Repeats = pm.Runs && pm.Writes && (stored || (m.ID == ie.FailedModuleID && ie.OutcomeUnknown))
		p.Modules = append(p.Modules, pm)
		return true
	})
	in := engine.ResumeInput{ExecutionID: ie.ExecutionID, Inputs: state.Inputs, Caller: state.Caller}
	old, oerr := s.eng.Input(ctx, before, state, in)
	cur, cerr := s.eng.Input(ctx, after, state, in)
	if oerr == nil && cerr == nil {
		p.Changes = inputChanges(old, cur, ie.Confidential)
	}
	return p, nil
}

// inputChanges lists the fields whose values differ, sorted by name.
func inputChanges(before, after weft.Bundle, confidential bool) []InputChange {
	fields := map[string]bool{}
	for k := range before {
		fields[k] = true
	}
	for k := range after {
		fields[k] = true
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	slices.Sort(names)
	out := []InputChange{}
	for _, k := range names {
		b, okb := before[k]
		a, oka := after[k]
		if okb == oka && reflect.DeepEqual(b, a) {
			continue
		}
		c := InputChange{Field: k, Before: b, After: a}
		if confidential {
			c.Before, c.After = nil, nil
		}
		out = append(out, c)
	}
	return out
}
