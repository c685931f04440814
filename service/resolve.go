package service

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"strconv"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// Edit changes one field of one module in an incomplete execution's blueprint.
type Edit struct {
	ModuleID int
	// Part is "mapper" or "parameters".
	Part string
	// Path is the field, dot-separated for nested collections ("headers", "data.email").
	Path  string
	Value any
}

// ParseEdit reads MODULE.mapper.FIELD=VALUE or MODULE.parameters.FIELD=VALUE. VALUE is
// JSON when it parses as JSON (numbers, true, objects…), else text — so
// 4.mapper.url=https://x and 4.mapper.body={{1.text}} both work.
func ParseEdit(s string) (Edit, error) {
	lhs, val, ok := strings.Cut(s, "=")
	if !ok {
		return Edit{}, fmt.Errorf("%q: want MODULE.mapper.FIELD=VALUE or MODULE.parameters.FIELD=VALUE", s)
	}
	parts := strings.SplitN(lhs, ".", 3)
	if len(parts) != 3 || parts[2] == "" {
		return Edit{}, fmt.Errorf("%q: want MODULE.mapper.FIELD=VALUE or MODULE.parameters.FIELD=VALUE", s)
	}
	id, err := strconv.Atoi(parts[0])
	if err != nil || id <= 0 {
		return Edit{}, fmt.Errorf("%q: %q is not a module id", s, parts[0])
	}
	if parts[1] != "mapper" && parts[1] != "parameters" {
		return Edit{}, fmt.Errorf("%q: %q must be mapper or parameters", s, parts[1])
	}
	var v any = val
	if j, err := value.DecodeJSON([]byte(val)); err == nil && !strings.HasPrefix(strings.TrimSpace(val), "{{") {
		v = j
	}
	return Edit{ModuleID: id, Part: parts[1], Path: parts[2], Value: v}, nil
}

// EditIncomplete applies edits (or replaces the blueprint with raw, when given) to an
// incomplete execution's own blueprint and stores it. Only the failing module and the
// modules after it may change: the ones before it already ran and their outputs are
// stored. The edited blueprint must validate.
func (s *Service) EditIncomplete(ctx context.Context, id string, edits []Edit, raw []byte) (*weft.Incomplete, error) {
	var ie *weft.Incomplete
	err := s.st.InTx(ctx, func(q store.Queries) error {
		var err error
		if ie, err = q.GetIncomplete(ctx, id); err != nil {
			return err
		}
		if ie.Status == weft.IncompleteInProgress || ie.Status == weft.IncompleteResolved {
			return fmt.Errorf("%w: incomplete execution %s is %s", ErrBusy, id, ie.Status)
		}
		out, err := s.edited(ie, edits, raw)
		if err != nil {
			return err
		}
		ie.Blueprint = out
		ie.SizeBytes = int64(len(ie.State) + len(out))
		ie.UpdatedAt = s.now()
		return q.UpdateIncomplete(ctx, ie)
	})
	if err != nil {
		return nil, fmt.Errorf("edit incomplete execution %s: %w", id, err)
	}
	return ie, nil
}

// edited is ie's blueprint with edits applied (or raw in its place), checked: only the
// failing module and the modules after it may change, and it must validate and compile.
func (s *Service) edited(ie *weft.Incomplete, edits []Edit, raw []byte) ([]byte, error) {
	out, err := func() ([]byte, error) {
		src := ie.Blueprint
		if raw != nil {
			src = raw
		}
		bp, err := blueprint.Parse(src)
		if err != nil {
			return nil, err
		}
		an := blueprint.AnalyzeWith(bp, s.cfg.Registry, s.validation())
		if _, ok := an.ByID[ie.FailedModuleID]; !ok {
			return nil, fmt.Errorf("the blueprint has no module %d, where the incomplete execution failed", ie.FailedModuleID)
		}
		if raw != nil {
			// The same rule as for single edits: a module that does not run again in the
			// continuation must stay as it was, or the change would be silently ignored.
			old, err := blueprint.Parse(ie.Blueprint)
			if err != nil {
				return nil, fmt.Errorf("the incomplete execution's own blueprint: %w", err)
			}
			if err := unchangedBefore(old, bp, blueprint.AnalyzeWith(old, s.cfg.Registry, s.validation()), an, ie.FailedModuleID); err != nil {
				return nil, err
			}
		}
		again, _ := bp.Continuation(ie.FailedModuleID)
		for _, e := range edits {
			n, ok := an.ByID[e.ModuleID]
			if !ok {
				return nil, fmt.Errorf("edit %d.%s.%s: no module %d in the blueprint", e.ModuleID, e.Part, e.Path, e.ModuleID)
			}
			if !again[e.ModuleID] {
				return nil, fmt.Errorf("edit %d.%s.%s: module %d is not after the failing module %d; it does not run again, so changing it has no effect",
					e.ModuleID, e.Part, e.Path, e.ModuleID, ie.FailedModuleID)
			}
			if err := applyEdit(n.Module, e); err != nil {
				return nil, err
			}
		}
		return bp.Export()
	}()
	if err != nil {
		return nil, err
	}
	if _, err := s.checkBlueprint(out); err != nil {
		return nil, fmt.Errorf("the edited blueprint is not valid: %w", err)
	}
	if _, err := s.plan(out); err != nil {
		return nil, fmt.Errorf("the edited blueprint cannot run: %w", err)
	}
	return out, nil
}

// unchangedBefore checks that an edited blueprint changes only modules that run again
// in the continuation (SPEC §5.4): the others already ran — their outputs are stored —
// or do not run for this bundle, so editing them would have no effect.
func unchangedBefore(oldBP, editedBP *blueprint.Blueprint, old, edited *blueprint.Analysis, failing int) error {
	oldAgain, _ := oldBP.Continuation(failing)
	editedAgain, _ := editedBP.Continuation(failing)
	var changed []string
	for _, on := range old.Nodes {
		m := on.Module
		if !m.HasID || oldAgain[m.ID] {
			continue
		}
		en, ok := edited.ByID[m.ID]
		switch {
		case !ok:
			changed = append(changed, fmt.Sprintf("module %d was removed", m.ID))
		case editedAgain[m.ID]:
			changed = append(changed, fmt.Sprintf("module %d was moved after the failing module", m.ID))
		case !sameModule(m, en.Module):
			changed = append(changed, fmt.Sprintf("module %d was changed", m.ID))
		}
	}
	for _, en := range edited.Nodes {
		m := en.Module
		if !m.HasID {
			continue
		}
		if _, ok := old.ByID[m.ID]; !ok && !editedAgain[m.ID] {
			changed = append(changed, fmt.Sprintf("module %d was added where it does not run again", m.ID))
		}
	}
	if len(changed) == 0 {
		return nil
	}
	return fmt.Errorf("%s: only the failing module %d and the modules after it may change; the others already ran (their outputs are stored) or do not run again for this bundle, so a change would have no effect",
		strings.Join(changed, ", "), failing)
}

// sameModule compares what decides how a module runs (not its designer metadata).
func sameModule(a, b *blueprint.Module) bool {
	if a.Type != b.Type || a.Version != b.Version || len(a.Routes) != len(b.Routes) || len(a.Branches) != len(b.Branches) {
		return false
	}
	for i := range a.Routes {
		if a.Routes[i].Disabled != b.Routes[i].Disabled {
			return false
		}
	}
	for i := range a.Branches {
		x, y := a.Branches[i], b.Branches[i]
		if x.Type != y.Type || x.Merge != y.Merge || x.Disabled != y.Disabled || !reflect.DeepEqual(x.Conditions, y.Conditions) {
			return false
		}
	}
	return reflect.DeepEqual(a.Parameters, b.Parameters) && reflect.DeepEqual(a.Mapper, b.Mapper) &&
		reflect.DeepEqual(a.Filter, b.Filter) && reflect.DeepEqual(a.Flags, b.Flags) && reflect.DeepEqual(a.Outputs, b.Outputs)
}

func applyEdit(m *blueprint.Module, e Edit) error {
	var root map[string]any
	switch e.Part {
	case "mapper":
		cur, _ := m.Mapper.(map[string]any)
		root = maps.Clone(cur)
	case "parameters":
		root = maps.Clone(m.Parameters)
	}
	if root == nil {
		root = map[string]any{}
	}
	keys := strings.Split(e.Path, ".")
	node := root
	for i, k := range keys[:len(keys)-1] {
		next, ok := node[k].(map[string]any)
		if !ok {
			if _, exists := node[k]; exists {
				return fmt.Errorf("edit %d.%s.%s: %s is not a collection", e.ModuleID, e.Part, e.Path, strings.Join(keys[:i+1], "."))
			}
			next = map[string]any{}
		} else {
			next = maps.Clone(next)
		}
		node[k] = next
		node = next
	}
	node[keys[len(keys)-1]] = e.Value
	if e.Part == "mapper" {
		m.SetMapper(root)
	} else {
		m.SetParameters(root)
	}
	return nil
}

// Resolve applies a person's edits to an incomplete execution and runs it now.
func (s *Service) Resolve(ctx context.Context, id string, edits []Edit, raw []byte) (*RunResult, *weft.Incomplete, error) {
	if len(edits) > 0 || raw != nil {
		if _, err := s.EditIncomplete(ctx, id, edits, raw); err != nil {
			return nil, nil, err
		}
	}
	return s.RetryNow(ctx, id)
}
