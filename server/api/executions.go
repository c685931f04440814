package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func (a *api) listExecutions(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := paging(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.ExecutionFilter{Before: cursor, ParentID: q.Get("parent")}
	if f.ScenarioID, err = int64Query(r, "scenario"); err != nil {
		return err
	}
	if s := q.Get("status"); s != "" {
		switch st := weft.ExecutionStatus(s); st {
		case weft.ExecutionRunning, weft.ExecutionSuccess, weft.ExecutionWarning, weft.ExecutionError:
			f.Status = st
		default:
			return invalid("status", "%q: want running, success, warning or error", s)
		}
	}
	kind := weft.ExecutionKind(q.Get("kind"))
	switch kind {
	case "", weft.KindRun, weft.KindRetry:
	default:
		return invalid("kind", "%q: want run or retry", kind)
	}
	// The store filters by scenario and status; the kind is filtered here, reading on
	// until the page is full or the executions run out.
	batch := limit + 1
	if kind != "" {
		batch = max(batch, 200)
	}
	var items []Execution
	for len(items) <= limit {
		f.Limit = batch
		exs, err := a.st.ListExecutions(r.Context(), f)
		if errors.Is(err, store.ErrNotFound) && cursor != "" {
			return invalid("cursor", "points at a record that no longer exists; start again without a cursor")
		}
		if err != nil {
			return err
		}
		for _, e := range exs {
			if kind == "" || e.Kind == kind {
				items = append(items, viewExecution(e))
			}
		}
		if len(exs) < batch {
			break
		}
		f.Before = exs[len(exs)-1].ID
	}
	next := ""
	if len(items) > limit {
		items = items[:limit]
		next = items[limit-1].ID
	}
	writeJSON(w, http.StatusOK, newPage(items, next))
	return nil
}

func (a *api) getExecution(w http.ResponseWriter, r *http.Request) error {
	id, err := a.executionID(r)
	if err != nil {
		return err
	}
	ex, err := a.st.GetExecution(r.Context(), id)
	if err != nil {
		return err
	}
	ies, err := a.st.ListIncomplete(r.Context(), store.IncompleteFilter{ExecutionID: ex.ID, Limit: 1000})
	if err != nil {
		return err
	}
	d := ExecutionDetail{Execution: viewExecution(ex), Response: orNull(ex.Response), IncompleteExecutions: []string{}}
	for _, ie := range ies {
		d.IncompleteExecutions = append(d.IncompleteExecutions, ie.ID)
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// executionLog returns the log as stored: one entry per module per bundle (only
// metadata for confidential scenarios; empty while the execution runs).
func (a *api) executionLog(w http.ResponseWriter, r *http.Request) error {
	id, err := a.executionID(r)
	if err != nil {
		return err
	}
	ex, err := a.st.GetExecution(r.Context(), id)
	if err != nil {
		return err
	}
	log := json.RawMessage(ex.Log)
	if len(log) == 0 || string(log) == "null" {
		log = json.RawMessage("[]")
	}
	writeJSON(w, http.StatusOK, map[string]any{"executionId": ex.ID, "log": log})
	return nil
}

func orNull(b []byte) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	return b
}
