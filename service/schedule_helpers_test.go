package service_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
)

// restart is a new Service on the same store and clock: weft started again.
func (e *env) restart() *service.Service {
	e.t.Helper()
	reg, err := all.Registry()
	if err != nil {
		e.t.Fatal(err)
	}
	svc, err := service.New(service.Config{Store: e.svc.Store(), Registry: reg, Clock: e.clock.Now,
		NewID:  func() string { return fmt.Sprintf("id%04d", e.ids.Add(1)) },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		e.t.Fatal(err)
	}
	return svc
}

func (e *env) activate(id int64) *weft.Scenario {
	e.t.Helper()
	sc, err := e.svc.SetActive(e.t.Context(), id, true)
	if err != nil {
		e.t.Fatal(err)
	}
	return sc
}

func (e *env) setSchedule(id int64, s weft.Schedule) *weft.Scenario {
	e.t.Helper()
	sc, err := e.svc.SetSchedule(e.t.Context(), id, s)
	if err != nil {
		e.t.Fatal(err)
	}
	return sc
}

// fire calls FireDue on svc (e.svc when nil) and fails the test on an error.
func (e *env) fire(svc *service.Service) int {
	e.t.Helper()
	if svc == nil {
		svc = e.svc
	}
	n, err := svc.FireDue(e.t.Context())
	if err != nil {
		e.t.Fatalf("FireDue: %v", err)
	}
	return n
}

// nextRun is the scenario's stored next due time ("" for none) in UTC.
func (e *env) nextRun(id int64) string {
	e.t.Helper()
	sc, err := e.st.GetScenario(e.t.Context(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	if sc.NextRunAt == nil {
		return ""
	}
	return sc.NextRunAt.UTC().Format(time.RFC3339)
}

// executions lists a scenario's executions, oldest first.
func (e *env) executions(id int64) []*weft.Execution {
	e.t.Helper()
	exs, err := e.st.ListExecutions(e.t.Context(), store.ExecutionFilter{ScenarioID: id, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	for i, j := 0, len(exs)-1; i < j; i, j = i+1, j-1 {
		exs[i], exs[j] = exs[j], exs[i]
	}
	return exs
}

// cyclesOf reads an execution's log and returns, per cycle, the trigger bundles' ids.
func (e *env) cyclesOf(execID string) [][]string {
	e.t.Helper()
	ex, err := e.st.GetExecution(e.t.Context(), execID)
	if err != nil {
		e.t.Fatal(err)
	}
	var log []struct {
		Cycle    int              `json:"cycle"`
		ModuleID int              `json:"moduleId"`
		Output   []map[string]any `json:"output"`
	}
	if err := json.Unmarshal(ex.Log, &log); err != nil {
		e.t.Fatalf("execution %s log: %v", execID, err)
	}
	var out [][]string
	for _, l := range log {
		if l.ModuleID != 1 {
			continue
		}
		for len(out) < l.Cycle {
			out = append(out, nil)
		}
		for _, b := range l.Output {
			out[l.Cycle-1] = append(out[l.Cycle-1], fmt.Sprint(b["id"]))
		}
	}
	return out
}

func (e *env) depth(id int64) int {
	e.t.Helper()
	n, err := e.st.QueueDepth(e.t.Context(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) enqueue(id int64, payloads ...string) {
	e.t.Helper()
	for _, p := range payloads {
		if _, err := e.svc.Enqueue(e.t.Context(), id, bundle(p)); err != nil {
			e.t.Fatal(err)
		}
	}
}

// at sets the fake clock to t.
func (e *env) at(t time.Time) {
	e.clock.mu.Lock()
	e.clock.t = t
	e.clock.mu.Unlock()
}
