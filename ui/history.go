package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/store"
)

type executionRow struct {
	*weft.Execution
	Duration time.Duration
	Running  bool
	// Trigger says what started it: a retry of an incomplete execution, a queued
	// payload (webhook, schedule), or a direct run (a page, the API, the CLI).
	Trigger string
}

func viewExecutionRow(e *weft.Execution) executionRow {
	row := executionRow{Execution: e, Running: e.FinishedAt == nil, Duration: -1}
	if e.FinishedAt != nil {
		row.Duration = e.FinishedAt.Sub(e.StartedAt)
	}
	switch {
	case e.Kind == weft.KindRetry:
		row.Trigger = "retry"
	case e.ParentID != "":
		row.Trigger = "called by " + e.ParentID // a sub-scenario run (docs/subscenarios.md)
	case e.QueueItemID != 0:
		row.Trigger = "webhook / schedule"
	default:
		row.Trigger = "direct"
	}
	return row
}

type historyData struct {
	pageBase
	Scenario   *weft.Scenario
	Names      map[int64]string
	Executions []executionRow
	Status     string
	Kind       string
	Next       string
	Before     string
}

// history lists runs, newest first: of one scenario (/scenarios/{id}/history) or of
// all (/executions), paginated with the store's cursor.
func (u *UI) history(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	q := r.URL.Query()
	d := &historyData{pageBase: u.base(s, "History", "history"), Names: map[int64]string{},
		Status: q.Get("status"), Kind: q.Get("kind"), Before: q.Get("before")}
	f := store.ExecutionFilter{Before: d.Before}
	if r.PathValue("id") != "" {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		if d.Scenario, err = u.st.GetScenario(ctx, id); err != nil {
			return err
		}
		f.ScenarioID = id
		d.Title, d.Nav = "History of "+d.Scenario.Name, "scenarios"
	}
	switch st := weft.ExecutionStatus(d.Status); st {
	case "":
	case weft.ExecutionRunning, weft.ExecutionSuccess, weft.ExecutionWarning, weft.ExecutionError:
		f.Status = st
	default:
		return badRequest("Status %q: choose running, success, warning or error.", d.Status)
	}
	kind := weft.ExecutionKind(d.Kind)
	if kind != "" && kind != weft.KindRun && kind != weft.KindRetry {
		return badRequest("Kind %q: choose run or retry.", d.Kind)
	}
	limit := u.cfg.PageSize
	// The store filters by scenario and status; the kind is filtered here, reading on
	// until the page is full or the executions run out.
	batch := limit + 1
	if kind != "" {
		batch = max(batch, 200)
	}
	var rows []executionRow
	for len(rows) <= limit {
		f.Limit = batch
		exs, err := u.st.ListExecutions(ctx, f)
		if errors.Is(err, store.ErrNotFound) && d.Before != "" {
			return badRequest("That page no longer exists (the run it started from was deleted). Start again from the first page.")
		}
		if err != nil {
			return err
		}
		for _, e := range exs {
			if kind == "" || e.Kind == kind {
				rows = append(rows, viewExecutionRow(e))
			}
		}
		if len(exs) < batch {
			break
		}
		f.Before = exs[len(exs)-1].ID
	}
	if len(rows) > limit {
		rows = rows[:limit]
		d.Next = rows[limit-1].ID
	}
	d.Executions = rows
	if d.Scenario == nil {
		scs, err := u.st.ListScenarios(ctx)
		if err != nil {
			return err
		}
		for _, sc := range scs {
			d.Names[sc.ID] = sc.Name
		}
	}
	u.render(w, r, http.StatusOK, "history", d)
	return nil
}

// logEntry is one stored log entry; bundles stay raw JSON for display.
type logEntry struct {
	Seq      int              `json:"seq"`
	Cycle    int              `json:"cycle"`
	ModuleID int              `json:"moduleId"`
	Module   string           `json:"module"`
	Input    json.RawMessage  `json:"input"`
	Output   json.RawMessage  `json:"output"`
	Error    *engine.RunError `json:"error"`
	Outcome  string           `json:"outcome"`
	Start    time.Time        `json:"start"`
	Duration time.Duration    `json:"durationNs"`
	Note     string           `json:"note"`
	Label    string           `json:"-"`
}

type executionData struct {
	pageBase
	Execution    executionRow
	Scenario     *weft.Scenario
	Log          []logEntry
	Confidential bool
	Incomplete   []*weft.Incomplete
	Response     json.RawMessage
	CanSeeIE     bool
	Attempt      *weft.Incomplete
}

func (u *UI) executionDetail(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	ex, err := u.st.GetExecution(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	sc, err := u.st.GetScenario(ctx, ex.ScenarioID)
	if err != nil {
		return err
	}
	d := &executionData{pageBase: u.base(s, "Execution "+shortID(ex.ID), "history"), Execution: viewExecutionRow(ex),
		Scenario: sc, Response: ex.Response, CanSeeIE: hasScope(s, "incomplete:read")}
	// Bundles are shown only when the version that ran is not confidential; the log of
	// a confidential scenario holds only metadata anyway, this is the second lock.
	f, err := u.flow(ctx, ex.ScenarioID, ex.Version)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	d.Confidential = f == nil || f.Settings.Confidential
	if len(ex.Log) > 0 && string(ex.Log) != "null" {
		if err := json.Unmarshal(ex.Log, &d.Log); err != nil {
			return fmt.Errorf("execution %s: read its log: %w", ex.ID, err)
		}
	}
	for i := range d.Log {
		e := &d.Log[i]
		if f != nil {
			e.Label = f.Labels[e.ModuleID]
		}
		if d.Confidential {
			e.Input, e.Output = nil, nil
		}
	}
	if d.Confidential {
		d.Response = nil
	}
	if d.CanSeeIE {
		if d.Incomplete, err = u.st.ListIncomplete(ctx, store.IncompleteFilter{ExecutionID: ex.ID, Limit: 1000}); err != nil {
			return err
		}
		if ex.IncompleteID != "" {
			if d.Attempt, err = u.st.GetIncomplete(ctx, ex.IncompleteID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	u.render(w, r, http.StatusOK, "execution", d)
	return nil
}

// jsonPresent reports whether a raw value is worth a collapsible block.
func jsonPresent(raw json.RawMessage) bool {
	s := string(raw)
	return s != "" && s != "null" && s != "{}" && s != "[]"
}
