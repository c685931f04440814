package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/store"
)

// Polling triggers (docs/triggers.md). A scenario whose first module polls (app.Poller)
// runs on its schedule like any other; before the run the service reads where its
// trigger stands, the engine polls from there, and the position after the items the
// run's committed cycles consumed is written in the transaction that records the run's
// end — only if no one chose a new start meanwhile (the position's version). A failed
// or killed run leaves the position where it was, so its items come again.

// pollGate lets one run of a polling scenario poll at a time: two runs reading the
// same position would emit the same items.
type pollGate struct {
	mu   sync.Mutex
	busy map[int64]bool
}

func (g *pollGate) enter(id int64) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.busy[id] {
		return false
	}
	if g.busy == nil {
		g.busy = map[int64]bool{}
	}
	g.busy[id] = true
	return true
}

func (g *pollGate) leave(id int64) {
	g.mu.Lock()
	delete(g.busy, id)
	g.mu.Unlock()
}

// pollRun is what a run of a polling scenario carries from its start to its end.
type pollRun struct {
	moduleID int
	module   string
	// read is the stored position as the run read it (its version guards the write).
	read *weft.TriggerPosition
}

// startPoll prepares a run of a polling plan: it takes the scenario's poll gate and
// reads the trigger's position (choosing "from now on" when none was chosen). The
// caller calls done when the run ends. nil, nil: the plan does not poll.
func (s *Service) startPoll(ctx context.Context, sc *weft.Scenario, plan *engine.Plan) (pr *pollRun, done func(), err error) {
	id, typ, ok := plan.Poller()
	if !ok {
		return nil, func() {}, nil
	}
	if !s.polls.enter(sc.ID) {
		return nil, nil, fmt.Errorf("%w: scenario %d is polling its trigger in another run", ErrBusy, sc.ID)
	}
	done = func() { s.polls.leave(sc.ID) }
	pos, err := s.position(ctx, sc, plan, id, typ)
	if err != nil {
		done()
		return nil, nil, err
	}
	return &pollRun{moduleID: id, module: typ, read: pos}, done, nil
}

// position returns the trigger's stored position, or makes and stores one from now on
// when none was chosen (or it belongs to another module type).
func (s *Service) position(ctx context.Context, sc *weft.Scenario, plan *engine.Plan, id int, typ string) (*weft.TriggerPosition, error) {
	p, err := s.st.GetTriggerPosition(ctx, sc.ID, id)
	if err == nil && p.Module == typ {
		return p, nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("scenario %d: trigger position: %w", sc.ID, err)
	}
	s.log.Info("no start chosen for the polling trigger: it starts from now on", "scenario", sc.ID, "module", id, "type", typ)
	return s.setStart(ctx, sc, plan, app.StartFrom{Mode: app.StartNow}, false)
}

// setStart asks the trigger for the position a start choice means and stores it,
// replacing whatever position there was (a run in flight then keeps its own position
// to itself: its version no longer matches).
func (s *Service) setStart(ctx context.Context, sc *weft.Scenario, plan *engine.Plan, from app.StartFrom, chosen bool) (*weft.TriggerPosition, error) {
	id, typ, ok := plan.Poller()
	if !ok {
		return nil, fmt.Errorf("scenario %d: %w", sc.ID, ErrNotPolling)
	}
	raw, err := s.eng.StartPosition(ctx, plan, from, engine.ScenarioInfo{ID: fmt.Sprint(sc.ID), Name: sc.Name})
	if err != nil {
		return nil, &TriggerError{ScenarioID: sc.ID, Err: fmt.Errorf("scenario %d: choose where %s starts (%s): %w", sc.ID, typ, from, err)}
	}
	if len(raw) == 0 {
		raw = json.RawMessage("null")
	}
	p := &weft.TriggerPosition{ScenarioID: sc.ID, ModuleID: id, Module: typ, Position: raw, UpdatedAt: s.now()}
	if chosen {
		p.Start = from.String()
	}
	if _, err := s.st.SaveTriggerPosition(ctx, p, -1); err != nil {
		return nil, fmt.Errorf("scenario %d: store the trigger's start: %w", sc.ID, err)
	}
	return p, nil
}

// refresh reads the trigger's position again once the run is recorded, on a store
// several processes share. The position was read before the run's start, and the
// in-process poll gate covers only this process: between that read and the start,
// another process may have run a whole poll and stored a newer position. Once this
// run is recorded as running no other poll can start (cluster.go, startExecution),
// and every one before it has committed its position with its end, so this read is
// the latest — and the run does not emit again what that other run emitted.
func (pr *pollRun) refresh(ctx context.Context, s *Service, sc *weft.Scenario) {
	if pr == nil || s.shared == nil {
		return
	}
	p, err := s.st.GetTriggerPosition(ctx, sc.ID, pr.moduleID)
	if err != nil || p.Module != pr.module {
		// The position read first stays; its version still guards the write at the end.
		s.log.Warn("read the trigger's position again", "scenario", sc.ID, "module", pr.moduleID, "err", err)
		return
	}
	pr.read = p
}

// input completes the engine input of a polling run.
func (pr *pollRun) input(in *engine.Input, sc *weft.Scenario) {
	if pr == nil {
		return
	}
	in.Position = pr.read.Position
	// The same in every run and every process that emits an item; the scenario's
	// creation time keeps keys apart across databases, as queueOrigins does.
	in.PollOrigin = fmt.Sprintf("poll/%d/%d/%d", sc.ID, sc.CreatedAt.UnixMicro(), pr.moduleID)
}

// commit writes the position after the items the run's committed cycles consumed, in
// the transaction recording the run's end. A start chosen while the run was going on
// (the version moved) wins: the run's position is dropped, and the items after the
// chosen start are emitted by the next run.
func (pr *pollRun) commit(ctx context.Context, s *Service, q store.Queries, sc *weft.Scenario, res *engine.Result) error {
	if pr == nil || res.Position == nil {
		return nil
	}
	p := &weft.TriggerPosition{ScenarioID: sc.ID, ModuleID: pr.moduleID, Module: pr.module, Position: res.Position, UpdatedAt: s.now()}
	ok, err := q.SaveTriggerPosition(ctx, p, pr.read.Version)
	if err != nil {
		return fmt.Errorf("store the trigger's position: %w", err)
	}
	if !ok {
		s.log.Info("the trigger's new position was not stored: a start was chosen while the run went on", "scenario", sc.ID, "module", pr.moduleID)
	}
	return nil
}

// StartTrigger chooses where a scenario's polling trigger starts (Make's "Choose where
// to start"): from now on, all items, items since a date, or the last N items. The next
// run emits items from there.
func (s *Service) StartTrigger(ctx context.Context, scenarioID int64, from app.StartFrom) (*weft.TriggerPosition, error) {
	if err := from.Validate(); err != nil {
		return nil, fmt.Errorf("scenario %d: %w", scenarioID, err)
	}
	sc, err := s.st.GetScenario(ctx, scenarioID)
	if err != nil {
		return nil, scenarioErr(scenarioID, err)
	}
	plan, _, err := s.versionPlan(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("scenario %d cannot run: %w", sc.ID, err)
	}
	return s.setStart(ctx, sc, plan, from, true)
}

// TriggerPosition returns where a scenario's polling trigger stands (store.ErrNotFound
// when no start was chosen and no run polled yet; ErrNotPolling when its first module
// does not poll).
func (s *Service) TriggerPosition(ctx context.Context, scenarioID int64) (*weft.TriggerPosition, error) {
	sc, err := s.st.GetScenario(ctx, scenarioID)
	if err != nil {
		return nil, scenarioErr(scenarioID, err)
	}
	plan, _, err := s.versionPlan(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("scenario %d cannot run: %w", sc.ID, err)
	}
	id, typ, ok := plan.Poller()
	if !ok {
		return nil, fmt.Errorf("scenario %d: %w", sc.ID, ErrNotPolling)
	}
	p, err := s.st.GetTriggerPosition(ctx, sc.ID, id)
	if err == nil && p.Module != typ {
		err = fmt.Errorf("the position stored is of %s: %w", p.Module, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("scenario %d: trigger position: %w", sc.ID, err)
	}
	return p, nil
}

// ErrNotPolling: the scenario's first module is not a polling trigger.
var ErrNotPolling = errors.New("its first module is not a polling trigger")

// Polls reports whether a scenario's current version starts with a polling trigger.
func (s *Service) Polls(ctx context.Context, scenarioID int64) (bool, error) {
	sc, err := s.st.GetScenario(ctx, scenarioID)
	if err != nil {
		return false, scenarioErr(scenarioID, err)
	}
	plan, _, err := s.versionPlan(ctx, sc)
	if err != nil {
		return false, nil // cannot run: nothing to poll
	}
	_, _, ok := plan.Poller()
	return ok, nil
}

// ensureStart gives an activated polling scenario its start "from now on" when none
// was chosen, at activation rather than at its first run (Make fixes "from now on"
// when the trigger is set up): items that appear before the first run are emitted.
func (s *Service) ensureStart(ctx context.Context, sc *weft.Scenario, plan *engine.Plan) error {
	id, typ, ok := plan.Poller()
	if !ok {
		return nil
	}
	p, err := s.st.GetTriggerPosition(ctx, sc.ID, id)
	if err == nil && p.Module == typ {
		return nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	_, err = s.setStart(ctx, sc, plan, app.StartFrom{Mode: app.StartNow}, false)
	return err
}

// isPollRun reports whether an execution ran a version whose trigger polls (crash
// recovery: its items come again, nothing is stored as incomplete).
func (s *Service) isPollRun(raw []byte) bool {
	p, err := s.plan(raw)
	if err != nil {
		return false
	}
	_, _, ok := p.Poller()
	return ok
}
