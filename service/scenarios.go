package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/store"
)

// InvalidBlueprintError is a blueprint that does not validate (problems with pointers).
type InvalidBlueprintError struct {
	Report blueprint.Report
}

func (e *InvalidBlueprintError) Error() string {
	errs := e.Report.Errors()
	if len(errs) == 0 {
		return "blueprint is invalid"
	}
	return fmt.Sprintf("blueprint is invalid: %s (and %d more)", errs[0], len(errs)-1)
}

// checkBlueprint parses and validates raw; unsupported modules are allowed (the
// scenario is stored but cannot run, SPEC §1.2).
func (s *Service) checkBlueprint(raw []byte) (*blueprint.Blueprint, error) {
	bp, err := blueprint.Parse(raw)
	if err != nil {
		return nil, err
	}
	if rep := blueprint.ValidateWith(bp, s.cfg.Registry, s.validation()); !rep.OK() {
		return nil, &InvalidBlueprintError{Report: rep}
	}
	return bp, nil
}

// validation is how blueprints are validated: under the server's limits.
func (s *Service) validation() blueprint.Options {
	return blueprint.Options{Limits: s.eng.Limits()}
}

// CreateScenario stores a new scenario from a blueprint (version 1, inactive).
func (s *Service) CreateScenario(ctx context.Context, raw []byte, source string) (*weft.Scenario, error) {
	bp, err := s.checkBlueprint(raw)
	if err != nil {
		return nil, err
	}
	if err := s.checkCalls(ctx, 0, bp); err != nil { // sub-scenario calls (subscenario.go)
		return nil, err
	}
	now := s.now()
	sc := &weft.Scenario{Name: bp.Name, Instant: isInstant(bp, s.cfg.Registry), Source: source,
		CreatedAt: now, UpdatedAt: now}
	if err := s.st.CreateScenario(ctx, sc, raw); err != nil {
		return nil, fmt.Errorf("create scenario: %w", err)
	}
	return sc, nil
}

// ImportScenario returns the scenario created from source, adding raw as a new
// version when it differs from the current one, or creates it (`weft run FILE`).
func (s *Service) ImportScenario(ctx context.Context, raw []byte, source string) (*weft.Scenario, error) {
	sc, err := s.st.FindScenarioBySource(ctx, source)
	if errors.Is(err, store.ErrNotFound) {
		return s.CreateScenario(ctx, raw, source)
	}
	if err != nil {
		return nil, fmt.Errorf("find scenario %s: %w", source, err)
	}
	cur, err := s.st.GetVersion(ctx, sc.ID, sc.Version)
	if err != nil {
		return nil, fmt.Errorf("scenario %d version %d: %w", sc.ID, sc.Version, err)
	}
	if bytes.Equal(cur.Blueprint, raw) {
		return sc, nil
	}
	return s.UpdateScenario(ctx, sc.ID, raw)
}

// UpdateScenario stores raw as the scenario's new current version (old ones are kept).
func (s *Service) UpdateScenario(ctx context.Context, id int64, raw []byte) (*weft.Scenario, error) {
	bp, err := s.checkBlueprint(raw)
	if err != nil {
		return nil, err
	}
	if err := s.checkCalls(ctx, id, bp); err != nil { // sub-scenario calls (subscenario.go)
		return nil, err
	}
	var sc *weft.Scenario
	err = s.st.InTx(ctx, func(q store.Queries) error {
		if _, err := q.AddVersion(ctx, id, raw, s.now()); err != nil {
			return err
		}
		if sc, err = q.GetScenario(ctx, id); err != nil {
			return err
		}
		sc.Name, sc.Instant, sc.UpdatedAt = bp.Name, isInstant(bp, s.cfg.Registry), s.now()
		return q.UpdateScenario(ctx, sc)
	})
	if err != nil {
		return nil, opErr(fmt.Sprintf("update scenario %d", id), fmt.Sprintf("scenario %d", id), err)
	}
	s.dropVerifier(id) // the new version may verify its hook's calls otherwise (hooks.go)
	return sc, nil
}

// SetActive activates or deactivates a scenario. Activation clears the reasons weft
// deactivated or paused it, and is refused while its modules cannot run.
func (s *Service) SetActive(ctx context.Context, id int64, active bool) (*weft.Scenario, error) {
	if active {
		// Triggers that need the service first (service/triggers.go): a polling
		// trigger's start, an instant trigger's registration.
		if err := s.activateTrigger(ctx, id); err != nil {
			return nil, fmt.Errorf("scenario %d: cannot activate: %w", id, err)
		}
	}
	var sc *weft.Scenario
	err := s.st.InTx(ctx, func(q store.Queries) error {
		var err error
		if sc, err = q.GetScenario(ctx, id); err != nil {
			return err
		}
		if active {
			v, err := q.GetVersion(ctx, id, sc.Version)
			if err != nil {
				return err
			}
			p, err := s.plan(v.Blueprint)
			if err != nil {
				return fmt.Errorf("cannot activate: %w", err)
			}
			if err := s.checkCalls(ctx, id, p.Blueprint); err != nil { // subscenario.go
				return fmt.Errorf("cannot activate: %w", err)
			}
			sc.Deactivated, sc.Paused, sc.ConsecutiveErrors = "", "", 0
		}
		wasActive := sc.Active
		sc.Active, sc.UpdatedAt = active, s.now()
		sc.NextRunAt = activationNextRun(sc, wasActive, s.now()) // see service/schedule.go
		return q.UpdateScenario(ctx, sc)
	})
	if err != nil {
		return nil, scenarioErr(id, err)
	}
	if !active {
		s.deactivateTrigger(ctx, id) // service/triggers.go
	}
	s.notify()
	return sc, nil
}

// isInstant: the scenario starts on a webhook (SPEC §3.4 deactivates it at once when
// such a run ends in error).
func isInstant(bp *blueprint.Blueprint, reg *app.Registry) bool {
	if len(bp.Flow) > 0 {
		// A polling trigger runs on its schedule whatever metadata.instant says: an
		// instant scenario's ticks only drain its queue, and nothing would poll.
		if spec, ok := reg.Lookup(bp.Flow[0].Type); ok && spec.Poll {
			return false
		}
	}
	if bp.Metadata.Instant {
		return true
	}
	if len(bp.Flow) == 0 {
		return false
	}
	if bp.Flow[0].Type == "gateway:CustomWebHook" || bp.Flow[0].Type == "gateway:CustomMailHook" {
		return true
	}
	// An instant app trigger (telegram:WatchUpdates) is a webhook too (hooks.go).
	spec, ok := reg.Lookup(bp.Flow[0].Type)
	return ok && spec.Hook != nil
}
