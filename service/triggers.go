package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/store"
)

// activateTrigger does what a scenario's trigger needs before the scenario is active:
// a polling trigger gets its start "from now on" when none was chosen; an instant app
// trigger registers its hook with its service (hooks.go). A failure refuses the
// activation with its reason.
func (s *Service) activateTrigger(ctx context.Context, id int64) error {
	sc, err := s.st.GetScenario(ctx, id)
	if err != nil {
		return err
	}
	plan, _, err := s.versionPlan(ctx, sc)
	if err != nil {
		var inv *engine.InvalidError
		if errors.As(err, &inv) {
			return nil // SetActive refuses it with the plan's reasons
		}
		return err
	}
	if err := s.ensureStart(ctx, sc, plan); err != nil {
		return fmt.Errorf("choose where the trigger starts: %w", err)
	}
	return s.registerAppHook(ctx, sc, plan)
}

// deactivateTrigger undoes what activation registered with a service (hooks.go). A
// service that cannot be reached is logged, and the unregistration is owed: the worker
// tries it again.
func (s *Service) deactivateTrigger(ctx context.Context, id int64) {
	if err := s.unregisterAppHook(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Warn("instant trigger: unregistration failed; weft tries again", "scenario", id, "err", err)
	}
}
