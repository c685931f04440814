package service

import (
	"context"
	"fmt"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/engine"
)

// CheckOutcome runs the read-back call of the module an incomplete execution failed at
// (docs/incomplete-executions.md §9): for a call whose outcome is unknown it finds out
// whether the write took effect. Nothing is recorded and nothing else runs; the person
// then marks it done (MarkDone, with the read-back's output or their own) or retries it.
func (s *Service) CheckOutcome(ctx context.Context, id string, check app.Check) (*app.CheckResult, error) {
	ie, err := s.st.GetIncomplete(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("check %s: %w", id, err)
	}
	switch ie.Status {
	case weft.IncompleteResolved:
		return nil, fmt.Errorf("check %s: the incomplete execution is already resolved", id)
	case weft.IncompleteInProgress:
		return nil, fmt.Errorf("%w: check %s: it is being retried right now", ErrBusy, id)
	}
	sc, err := s.st.GetScenario(ctx, ie.ScenarioID)
	if err != nil {
		return nil, fmt.Errorf("check %s: %w", id, err)
	}
	plan, err := s.plan(ie.Blueprint)
	if err != nil {
		return nil, fmt.Errorf("check %s: the incomplete execution's blueprint cannot run: %w", id, err)
	}
	state, err := decodeState(ie)
	if err != nil {
		return nil, fmt.Errorf("check %s: %w", id, err)
	}
	res, err := s.eng.Check(ctx, plan, state, engine.ResumeInput{ExecutionID: s.cfg.NewID(),
		Scenario: engine.ScenarioInfo{ID: fmt.Sprint(sc.ID), Name: sc.Name}, Inputs: state.Inputs, Caller: state.Caller}, check)
	if err != nil {
		return nil, fmt.Errorf("incomplete execution %s: %w", id, err)
	}
	s.log.Info("outcome checked", "incomplete", id, "done", res.Done, "status", res.Status)
	return res, nil
}
