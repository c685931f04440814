package service

import (
	"context"
	"fmt"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
)

// Accepted is a trigger payload stored durably by Accept.
type Accepted struct {
	Item *weft.QueueItem
	// Inline: the payload is claimed for a run the caller carries out now with
	// RunAccepted (the scenario is active and may run it at once). Otherwise it waits in
	// the queue for the worker (inactive, paused or sequential scenarios, scheduled
	// webhooks).
	Inline bool
	// Responds: the scenario answers webhook callers (it has gateway:WebhookRespond).
	Responds bool
	payload  weft.Bundle
	stored   []byte // the payload as stored: the run's input is written from it
	scenario *weft.Scenario
}

// Accept stores a trigger payload for a scenario (fsync'd before it returns: a caller
// told "accepted" never loses it) and says whether the caller should run it now.
// inline is the caller's wish (false: always queue).
func (s *Service) Accept(ctx context.Context, scenarioID int64, payload weft.Bundle, inline bool) (*Accepted, error) {
	return s.AcceptPayload(ctx, scenarioID, Payload{Bundle: payload}, inline)
}

// AcceptPayload is Accept for a payload whose stored form the caller may have already
// (Payload.Stored).
func (s *Service) AcceptPayload(ctx context.Context, scenarioID int64, p Payload, inline bool) (*Accepted, error) {
	sc, err := s.st.GetScenario(ctx, scenarioID)
	if err != nil {
		return nil, scenarioErr(scenarioID, err)
	}
	raw, err := storedPayload(p)
	if err != nil {
		return nil, err
	}
	a := &Accepted{payload: p.Bundle, stored: raw, scenario: sc}
	plan, bp, perr := s.versionPlan(ctx, sc)
	if perr != nil && bp == nil {
		return nil, perr
	}
	if perr == nil {
		a.Responds = s.responds(plan)
		a.Inline = inline && sc.Active && sc.Paused == "" && !plan.Settings.Sequential && sc.Schedule.Type == ""
	}
	item := &weft.QueueItem{ScenarioID: sc.ID, Payload: raw, EnqueuedAt: s.now()}
	if a.Inline {
		// Stored already taken by its run's execution id: the worker leaves it alone, and
		// if weft dies before the run is recorded, Recover puts it back in the queue.
		item.ExecutionID = s.cfg.NewID()
	}
	if err := s.st.Enqueue(ctx, item); err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	a.Item = item
	if !a.Inline {
		s.notify()
	}
	return a, nil
}

// RunAccepted runs a payload Accept claimed for an inline run.
func (s *Service) RunAccepted(ctx context.Context, a *Accepted) (*RunResult, error) {
	if !a.Inline {
		return nil, fmt.Errorf("payload %d is queued for the worker, not for an inline run", a.Item.ID)
	}
	return s.runCycles(ctx, a.Item.ScenarioID, a.scenario, [][]weft.Bundle{{a.payload}}, [][]byte{a.stored}, []int64{a.Item.ID}, a.Item.ExecutionID)
}

// responds reports whether a plan has a webhook response module (computed once per
// compiled plan).
func (s *Service) responds(p *engine.Plan) bool {
	if v, ok := s.responders.Load(p); ok {
		return v.(bool)
	}
	found := false
	p.Blueprint.Walk(func(m *blueprint.Module, _ string) bool {
		if m.Type == "gateway:WebhookRespond" {
			found = true
			return false
		}
		return true
	})
	s.responders.Store(p, found)
	return found
}
