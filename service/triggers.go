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
	if err := s.registerAppHook(ctx, sc, plan); err != nil {
		if errors.Is(err, ErrNoBaseURL) {
			return err
		}
		return &TriggerError{ScenarioID: id, Err: err}
	}
	return nil
}

// TriggerError is a trigger's service refusing, or failing, what weft asked of it:
// where a polling trigger starts, the registration of an instant trigger's hook. A
// person checks the service, the connection or the module's parameters (the API
// answers 502).
type TriggerError struct {
	ScenarioID int64
	Err        error
}

func (e *TriggerError) Error() string { return e.Err.Error() }
func (e *TriggerError) Unwrap() error { return e.Err }

// deactivateTrigger undoes what activation registered with a service (hooks.go). A
// service that cannot be reached is logged, and the unregistration is owed: the worker
// tries it again.
func (s *Service) deactivateTrigger(ctx context.Context, id int64) {
	if err := s.unregisterAppHook(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Warn("instant trigger: unregistration failed; weft tries again", "scenario", id, "err", err)
	}
}
