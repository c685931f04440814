package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

func (a *api) listIncomplete(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := paging(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.IncompleteFilter{After: cursor, Limit: limit + 1}
	if f.ScenarioID, err = int64Query(r, "scenario"); err != nil {
		return err
	}
	for _, s := range q["status"] {
		for _, one := range strings.Split(s, ",") {
			st := weft.IncompleteStatus(strings.TrimSpace(one))
			if !st.Valid() {
				return invalid("status", "%q: want unresolved, pending, in_progress or resolved (several: comma-separated)", one)
			}
			f.Status = append(f.Status, st)
		}
	}
	if s := q.Get("errorType"); s != "" {
		if !weft.ErrorType(s).Valid() {
			return invalid("errorType", "%q is not an error type", s)
		}
		f.ErrorType = weft.ErrorType(s)
	}
	if s := q.Get("execution"); s != "" {
		if f.ExecutionID, err = a.svc.ExecutionIDOf(r.Context(), s); err != nil {
			return err
		}
	}
	if s := q.Get("module"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return invalid("module", "%q is not a module id", s)
		}
		f.ModuleID = n
	}
	ies, err := a.st.ListIncomplete(r.Context(), f)
	if errors.Is(err, store.ErrNotFound) && cursor != "" {
		return invalid("cursor", "points at a record that no longer exists; start again without a cursor")
	}
	if err != nil {
		return err
	}
	next := ""
	if len(ies) > limit {
		ies = ies[:limit]
		next = ies[limit-1].ID
	}
	items := make([]weft.IncompleteJSON, len(ies))
	for i, ie := range ies {
		items[i] = ie.JSON()
	}
	writeJSON(w, http.StatusOK, newPage(items, next))
	return nil
}

func (a *api) getIncomplete(w http.ResponseWriter, r *http.Request) error {
	id, err := a.incompleteID(r)
	if err != nil {
		return err
	}
	ie, err := a.st.GetIncomplete(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ie.JSON())
	return nil
}

func (a *api) incompleteBlueprint(w http.ResponseWriter, r *http.Request) error {
	id, err := a.incompleteID(r)
	if err != nil {
		return err
	}
	ie, err := a.st.GetIncomplete(r.Context(), id)
	if err != nil {
		return err
	}
	writeRaw(w, http.StatusOK, ie.Blueprint)
	return nil
}

// replaceIncompleteBlueprint stores an edited blueprint for the incomplete execution's
// next attempt (service.EditIncomplete): it must validate and still hold the failing
// module.
func (a *api) replaceIncompleteBlueprint(w http.ResponseWriter, r *http.Request) error {
	id, err := a.incompleteID(r)
	if err != nil {
		return err
	}
	raw, err := blueprintBody(r)
	if err != nil {
		return err
	}
	if _, err := a.st.GetIncomplete(r.Context(), id); err != nil {
		return err
	}
	ie, err := a.svc.EditIncomplete(r.Context(), id, nil, raw)
	if err != nil {
		return editError(err)
	}
	writeJSON(w, http.StatusOK, ie.JSON())
	return nil
}

// editError classifies EditIncomplete's refusals: busy or missing as usual; anything
// else it returns is about the blueprint given (it lacks the failing module, does not
// validate, cannot run), so a 422.
func editError(err error) error {
	var ib *service.InvalidBlueprintError
	var inv *engine.InvalidError
	switch {
	case errors.Is(err, service.ErrBusy), errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrFull),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.As(err, &ib):
		return err
	case errors.As(err, &inv):
		return &Error{Status: http.StatusUnprocessableEntity, Code: codeInvalidBlueprint, Message: err.Error(),
			Details: map[string]any{"problems": nonNilSlice(inv.Report.Problems), "unsupported": nonNilSlice(inv.Report.Unsupported)}}
	}
	return &Error{Status: http.StatusUnprocessableEntity, Code: codeInvalidBlueprint, Message: err.Error(),
		Details: map[string]any{"problems": []any{map[string]any{"pointer": "", "message": err.Error(), "severity": "error"}},
			"unsupported": []any{}}}
}

// IncompleteBundle is what an incomplete execution holds of the run: the failing module's
// input and the outputs upstream of it (null for a confidential scenario).
type IncompleteBundle struct {
	Confidential bool            `json:"confidential"`
	Input        json.RawMessage `json:"input"`
	Outputs      json.RawMessage `json:"outputs"`
}

func (a *api) incompleteBundle(w http.ResponseWriter, r *http.Request) error {
	id, err := a.incompleteID(r)
	if err != nil {
		return err
	}
	ie, err := a.st.GetIncomplete(r.Context(), id)
	if err != nil {
		return err
	}
	v := IncompleteBundle{Confidential: ie.Confidential, Input: json.RawMessage("null"), Outputs: json.RawMessage("null")}
	if !ie.Confidential {
		st, err := value.UnmarshalTagged(ie.State)
		if err != nil {
			return err
		}
		if m, ok := st.(map[string]any); ok {
			v.Input, v.Outputs = value.JSON(m["input"]), value.JSON(m["outputs"])
		}
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *api) incompleteAttempts(w http.ResponseWriter, r *http.Request) error {
	id, err := a.incompleteID(r)
	if err != nil {
		return err
	}
	ie, err := a.st.GetIncomplete(r.Context(), id)
	if err != nil {
		return err
	}
	atts, err := a.st.ListAttempts(r.Context(), ie.ID)
	if err != nil {
		return err
	}
	items := make([]Attempt, len(atts))
	for i, at := range atts {
		items[i] = viewAttempt(at)
	}
	writeJSON(w, http.StatusOK, newPage(items, ""))
	return nil
}

// RetryResult is the outcome of retrying one incomplete execution now.
type RetryResult struct {
	Run                 RunResult           `json:"run"`
	IncompleteExecution weft.IncompleteJSON `json:"incompleteExecution"`
}

func (a *api) retryIncomplete(w http.ResponseWriter, r *http.Request) error {
	from, err := retryFrom(r) // server/api/recovery.go
	if err != nil {
		return err
	}
	return a.runIncomplete(w, r, nil, nil, from)
}

// resolveBody is the body of POST /incomplete-executions/{id}/resolve: edits of the
// incomplete execution's own blueprint, or a whole edited blueprint, or both (the
// blueprint first).
type resolveBody struct {
	Edits     []editBody      `json:"edits"`
	Blueprint json.RawMessage `json:"blueprint"`
}

// editBody is one field of one module (service.Edit): `weft incomplete resolve
// --set MODULE.PART.PATH=VALUE`.
type editBody struct {
	ModuleID int             `json:"moduleId"`
	Part     string          `json:"part"`
	Path     string          `json:"path"`
	Value    json.RawMessage `json:"value"`
}

func (a *api) resolveIncomplete(w http.ResponseWriter, r *http.Request) error {
	var b resolveBody
	if err := decode(r, &b); err != nil {
		return err
	}
	var edits []service.Edit
	for i, e := range b.Edits {
		field := fmt.Sprintf("edits[%d]", i)
		switch {
		case e.ModuleID < 1:
			return invalid(field+".moduleId", "a module id is required")
		case e.Part != "mapper" && e.Part != "parameters":
			return invalid(field+".part", "%q: want mapper or parameters", e.Part)
		case strings.TrimSpace(e.Path) == "":
			return invalid(field+".path", "the field to change is required (dotted for nested collections)")
		case len(e.Value) == 0:
			return invalid(field+".value", "the new value is required (any JSON; null clears it)")
		}
		v, err := value.DecodeJSON(e.Value)
		if err != nil {
			return invalid(field+".value", "is not valid JSON: %v", err)
		}
		edits = append(edits, service.Edit{ModuleID: e.ModuleID, Part: e.Part, Path: e.Path, Value: v})
	}
	var raw []byte
	if t := bytes.TrimSpace(b.Blueprint); len(t) > 0 && string(t) != "null" {
		if t[0] != '{' {
			return invalid("blueprint", "must be a blueprint (a JSON object)")
		}
		raw = t
	}
	if len(edits) == 0 && raw == nil {
		return invalid("edits", "nothing to change: give edits or a blueprint (POST …/retry retries as stored)")
	}
	return a.runIncomplete(w, r, edits, raw, 0)
}

// runIncomplete applies edits (or the blueprint raw) to the {id} incomplete execution
// and retries it now, from the failing module or from (engine rewind: a module id, -1
// the trigger), answering the attempt's outcome.
func (a *api) runIncomplete(w http.ResponseWriter, r *http.Request, edits []service.Edit, raw []byte, from int) error {
	id, err := a.incompleteID(r)
	if err != nil {
		return err
	}
	before, err := a.st.GetIncomplete(r.Context(), id)
	if err != nil {
		return err
	}
	switch before.Status {
	case weft.IncompleteResolved:
		return conflict(map[string]any{"incompleteExecution": before.JSON()}, "incomplete execution %s is already resolved", id)
	case weft.IncompleteInProgress:
		return busy(map[string]any{"incompleteExecution": before.JSON()}, "incomplete execution %s is being retried right now", id)
	}
	if len(edits) > 0 || raw != nil {
		if _, err := a.svc.EditIncomplete(r.Context(), id, edits, raw); err != nil {
			return editError(err)
		}
	}
	// Like a run, a started attempt is carried to its end even if the client hangs up.
	ctx := context.WithoutCancel(r.Context())
	rr, after, err := a.svc.RetryFrom(ctx, id, from)
	if err != nil {
		if errors.Is(err, service.ErrBusy) || errors.Is(err, store.ErrNotFound) {
			return err
		}
		if errors.Is(err, engine.ErrRewind) {
			return invalid("from", "%v", err)
		}
		// An attempt that could not even run (its blueprint no longer compiles) is
		// recorded as failed: the incomplete execution shows it.
		if cur, gerr := a.st.GetIncomplete(ctx, id); gerr == nil && cur.Attempts > before.Attempts {
			return conflict(map[string]any{"incompleteExecution": cur.JSON()}, "the attempt could not run: %v", err)
		}
		return err
	}
	writeJSON(w, http.StatusOK, RetryResult{Run: viewRun(rr), IncompleteExecution: after.JSON()})
	return nil
}

func (a *api) deleteIncomplete(w http.ResponseWriter, r *http.Request) error {
	id, err := a.incompleteID(r)
	if err != nil {
		return err
	}
	ie, err := a.st.GetIncomplete(r.Context(), id)
	if err != nil {
		return err
	}
	if ie.Status == weft.IncompleteInProgress {
		return busy(nil, "incomplete execution %s is being retried right now; delete it after the attempt", id)
	}
	n, err := a.svc.Delete(r.Context(), store.Selection{IDs: []string{id}, ScenarioID: ie.ScenarioID}, false)
	if err != nil {
		return err
	}
	if n == 0 {
		return busy(nil, "incomplete execution %s is being retried right now; delete it after the attempt", id)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// bulkSelection reads the body of a bulk retry or delete; ids may be prefixes.
func (a *api) bulkSelection(r *http.Request, del bool) (store.Selection, bool, error) {
	var b selectionBody
	if err := decode(r, &b); err != nil {
		return store.Selection{}, false, err
	}
	if !del && b.Confirmed {
		return store.Selection{}, false, invalid("confirmed", "only applies to bulk delete")
	}
	if err := b.check(); err != nil {
		return store.Selection{}, false, err
	}
	if del && b.All && !b.Confirmed {
		return store.Selection{}, false, invalid("confirmed", "must be true to delete all incomplete executions of scenario %d", b.ScenarioID)
	}
	if err := a.scenarioExists(r, b.ScenarioID); err != nil {
		return store.Selection{}, false, err
	}
	if err := a.incompleteIDs(r, "ids", b.IDs); err != nil {
		return store.Selection{}, false, err
	}
	if err := a.incompleteIDs(r, "except", b.Except); err != nil {
		return store.Selection{}, false, err
	}
	return store.Selection{IDs: b.IDs, ScenarioID: b.ScenarioID, All: b.All, Except: b.Except}, b.Confirmed, nil
}

// bulkRetry queues the selection for a retry now and answers 202 with the job that
// follows the retries to their outcomes (GET /jobs/{id}).
func (a *api) bulkRetry(w http.ResponseWriter, r *http.Request) error {
	sel, _, err := a.bulkSelection(r, false)
	if err != nil {
		return err
	}
	j, err := a.Jobs.Retry(r.Context(), sel)
	if err != nil {
		return err
	}
	return a.accepted(w, j)
}

// bulkDelete answers 202 with the job that deletes the selection.
func (a *api) bulkDelete(w http.ResponseWriter, r *http.Request) error {
	sel, confirmed, err := a.bulkSelection(r, true)
	if err != nil {
		return err
	}
	j, err := a.Jobs.Delete(r.Context(), confirmed, sel)
	if err != nil {
		return err
	}
	return a.accepted(w, j)
}

func (a *api) scenarioExists(r *http.Request, id int64) error {
	if id == 0 {
		return nil
	}
	_, err := a.st.GetScenario(r.Context(), id)
	return err
}
