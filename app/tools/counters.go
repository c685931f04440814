package tools

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// Options configure the Tools app.
type Options struct {
	// Counters keeps the counters of Increment modules that never reset (reset
	// "scenario"), in the data store CountersStore. Nil: such modules cannot be built
	// (validation without a data folder still accepts them).
	Counters store.Store
}

// CountersStore is the reserved data store holding Increment counters that never
// reset: one record {i: n} per scenario and module, keyed by CounterKey. Make's data
// store ids are numbers, so the "weft:" name cannot meet a blueprint's own store.
const CountersStore = "weft:counters"

// CounterKey is the CountersStore key of a scenario's Increment module: "12:6" for
// module 6 of scenario 12. Deleting the record resets the counter (the next use
// outputs 1); writing {i: n} makes the next use output n+1.
func CounterKey(scenarioID string, moduleID int) string {
	return scenarioID + ":" + strconv.Itoa(moduleID)
}

// ScenarioExecution is an app.Execution that knows which scenario it runs (the
// engine's run does). A counter kept across runs needs it: one compiled plan serves
// every scenario with the same blueprint, so the module cannot learn it when built.
type ScenarioExecution interface {
	app.Execution
	// ScenarioID is the scenario's id ({{var.scenario.id}}); "" when the run has none.
	ScenarioID() string
}

// counterTimeout bounds one increment: the engine's default module limit (SPEC §3.1).
// The Increment spec runs without a deadline because its other resets do no I/O.
const counterTimeout = 40 * time.Second

// scenarioCounter is an Increment module with reset "scenario" (Make's "Never").
type scenarioCounter struct {
	st     store.Store
	module int
}

func newScenarioCounter(o Options, moduleID int) (app.Module, error) {
	if o.Counters == nil {
		return nil, &weft.Error{Type: weft.InvalidConfigurationError, Err: app.ErrUnavailable,
			Message: `reset: "scenario" (never reset) is not yet supported here: its counter lives in weft's store ` +
				`across runs, and this registry has none (run weft with a data folder, or register the tools ` +
				`app with tools.Options.Counters); use "execution" or "run" instead`}
	}
	return &scenarioCounter{st: o.Counters, module: moduleID}, nil
}

func (m *scenarioCounter) Run(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	var scenario string
	if se, ok := c.Exec.(ScenarioExecution); ok {
		scenario = se.ScenarioID()
	}
	if scenario == "" {
		return nil, weft.Errorf(weft.InvalidConfigurationError,
			`reset: "scenario" counts across the runs of one scenario, and execution %s was started without `+
				`a scenario (run it as a stored scenario)`, c.Exec.ID())
	}
	ctx, cancel := context.WithTimeout(ctx, counterTimeout)
	defer cancel()
	n, err := increment(ctx, m.st, CounterKey(scenario, m.module))
	if err != nil {
		return nil, err
	}
	return one(weft.Bundle{"i": n}), nil
}

// increment adds one to the counter under key and returns the new value. The read and
// the write are one transaction, so concurrent runs never get the same number. It is
// committed at once and never undone: Make's counter is not transactional, and every
// operation that ran counts, even in a run that is later rolled back.
func increment(ctx context.Context, st store.Store, key string) (float64, error) {
	var n float64
	err := st.InTx(ctx, func(q store.Queries) error {
		rec, err := q.GetRecord(ctx, CountersStore, key)
		switch {
		case errors.Is(err, store.ErrNotFound):
			n = 0
		case err != nil:
			return err
		default:
			if n, err = counterValue(rec); err != nil {
				return &weft.Error{Type: weft.DataError, Err: err, Message: fmt.Sprintf(
					"data store %q record %q: %v (delete the record to start again at 1)", CountersStore, key, err)}
			}
		}
		n++
		return q.PutRecord(ctx, CountersStore, key, weft.Bundle{"i": n}, true)
	})
	if err == nil {
		return n, nil
	}
	var we *weft.Error
	if errors.As(err, &we) {
		return 0, err
	}
	msg := fmt.Sprintf("increment counter %q in data store %q", key, CountersStore)
	if errors.Is(err, store.ErrFull) {
		return 0, &weft.Error{Type: weft.OutOfSpaceError, Err: err, Message: msg + ": storage full"}
	}
	// A deadline passed through as the cause: the engine reports a ModuleTimeoutError.
	return 0, &weft.Error{Type: weft.RuntimeError, Err: err, Message: fmt.Sprintf("%s: %v", msg, err)}
}

// maxSafe is the largest count a float64 (Make's number) holds exactly, JavaScript's
// Number.MAX_SAFE_INTEGER; a stored counter must leave room for one more.
const maxSafe = 1<<53 - 1

// counterValue reads a stored counter: a whole number 0…2^53-2 in field i (a person
// may have edited the record through the API).
func counterValue(rec weft.Bundle) (float64, error) {
	raw, ok := rec["i"]
	if !ok {
		return 0, errors.New("no counter field i")
	}
	n, ok := value.Number(raw)
	if !ok {
		return 0, fmt.Errorf("counter field i: %s %s is not a number", value.Kind(raw), value.JSON(raw))
	}
	if n < 0 || n != math.Trunc(n) || n >= maxSafe {
		return 0, fmt.Errorf("counter field i: %s is not a whole number from 0 to %d", value.FormatNumber(n), maxSafe-1)
	}
	return n, nil
}
