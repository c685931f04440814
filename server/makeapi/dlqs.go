package makeapi

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// Make calls incomplete executions "dlqs" (dead letter queue items).

// dlqView is an incomplete execution in Make's shape. reason is the error: its type
// and message ("DataError: …"); retry says whether weft retries it on its own; index is
// its place among its scenario's incomplete executions, oldest first (1-based).
type dlqView struct {
	ID           string `json:"id"`
	ScenarioID   int64  `json:"scenarioId"`
	ScenarioName string `json:"scenarioName"`
	CompanyID    int64  `json:"companyId"`
	CompanyName  string `json:"companyName"`
	Reason       string `json:"reason"`
	Resolved     bool   `json:"resolved"`
	Deleted      bool   `json:"deleted"`
	Index        int    `json:"index"`
	Created      string `json:"created"`
	ExecutionID  string `json:"executionId"`
	Retry        bool   `json:"retry"`
	Attempts     int    `json:"attempts"`
	Size         int64  `json:"size"`
}

var dlqColumns = []string{"id", "scenarioId", "scenarioName", "companyId", "companyName", "reason", "resolved", "deleted",
	"index", "created", "executionId", "retry", "attempts", "size"}

func (a *api) viewDLQ(ie *weft.Incomplete, sc *weft.Scenario, index int) dlqView {
	v := dlqView{ID: ie.ID, ScenarioID: ie.ScenarioID, CompanyID: a.TeamID, CompanyName: "weft",
		Reason: string(ie.ErrorType) + ": " + ie.ErrorMessage, Resolved: ie.Status == weft.IncompleteResolved,
		Index: index, Created: makeTime(ie.CreatedAt), ExecutionID: ie.ExecutionID, Retry: ie.AutoRetry,
		Attempts: ie.Attempts, Size: ie.SizeBytes}
	if sc != nil {
		v.ScenarioName = sc.Name
	}
	return v
}

// scenarioDLQs lists every incomplete execution of a scenario, oldest first (without
// blueprints and state).
func (a *api) scenarioDLQs(ctx context.Context, scenarioID int64, status ...weft.IncompleteStatus) ([]*weft.Incomplete, error) {
	var all []*weft.Incomplete
	f := store.IncompleteFilter{ScenarioID: scenarioID, Status: status, Limit: 1000}
	for {
		ies, err := a.st.ListIncomplete(ctx, f)
		if err != nil {
			return nil, err
		}
		all = append(all, ies...)
		if len(ies) < f.Limit {
			return all, nil
		}
		f.After = ies[len(ies)-1].ID
	}
}

// dlq reads the incomplete execution the route names.
func (a *api) dlq(r *http.Request) (*weft.Incomplete, error) {
	id := r.PathValue("dlqId")
	ie, err := a.st.GetIncomplete(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("incomplete execution %s does not exist", id)
	}
	return ie, err
}

func (a *api) listDLQs(w http.ResponseWriter, r *http.Request) error {
	scID, err := requiredInt64Query(r, "scenarioId")
	if err != nil {
		return err
	}
	p, err := paging{sortBy: "created", sortDir: "asc", sorts: []string{"created", "index", "size", "attempts"}, limit: maxLimit}.read(r)
	if err != nil {
		return err
	}
	cols, err := columns(r, dlqColumns)
	if err != nil {
		return err
	}
	sc, err := a.scenarioByID(r.Context(), scID)
	if err != nil {
		return err
	}
	ies, err := a.scenarioDLQs(r.Context(), sc.ID)
	if err != nil {
		return err
	}
	views := make([]dlqView, len(ies))
	for i, ie := range ies {
		views[i] = a.viewDLQ(ie, sc, i+1)
	}
	byIndex := func(x, y dlqView) int { return cmp.Compare(x.Index, y.Index) }
	sortItems(views, p, map[string]func(x, y dlqView) int{
		"created": byIndex, "index": byIndex,
		"size":     func(x, y dlqView) int { return cmp.Compare(x.Size, y.Size) },
		"attempts": func(x, y dlqView) int { return cmp.Compare(x.Attempts, y.Attempts) },
	})
	items, err := pickAll(page(views, p), cols)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"dlqs": items, "pg": p})
	return nil
}

func (a *api) getDLQ(w http.ResponseWriter, r *http.Request) error {
	cols, err := columns(r, dlqColumns)
	if err != nil {
		return err
	}
	ie, err := a.dlq(r)
	if err != nil {
		return err
	}
	v, err := a.dlqWithIndex(r.Context(), ie)
	if err != nil {
		return err
	}
	out, err := pick(v, cols)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"dlq": out})
	return nil
}

// dlqWithIndex shows one incomplete execution with its place in its scenario's list.
func (a *api) dlqWithIndex(ctx context.Context, ie *weft.Incomplete) (dlqView, error) {
	sc, err := a.st.GetScenario(ctx, ie.ScenarioID)
	if err != nil {
		return dlqView{}, err
	}
	all, err := a.scenarioDLQs(ctx, ie.ScenarioID)
	if err != nil {
		return dlqView{}, err
	}
	index := slices.IndexFunc(all, func(x *weft.Incomplete) bool { return x.ID == ie.ID }) + 1
	return a.viewDLQ(ie, sc, index), nil
}

// updateDLQ replaces the incomplete execution's blueprint for its next attempt
// (Make's PATCH /dlqs/{id} with blueprint and failer). weft continues from the module
// that failed: failer, when given, must name it.
func (a *api) updateDLQ(w http.ResponseWriter, r *http.Request) error {
	ie, err := a.dlq(r)
	if err != nil {
		return err
	}
	o, err := readObject(r, false)
	if err != nil {
		return err
	}
	if err := o.only("blueprint", "failer"); err != nil {
		return err
	}
	if o.has("failer") {
		var failer int
		if err := o.get("failer", &failer); err != nil {
			return err
		}
		if failer != ie.FailedModuleID {
			return invalid("failer", "%d: incomplete execution %s continues from module %d, the one that failed; weft cannot move it",
				failer, ie.ID, ie.FailedModuleID)
		}
	}
	raw, err := o.jsonDoc("blueprint")
	if err != nil {
		return err
	}
	if raw != nil {
		if ie, err = a.svc.EditIncomplete(r.Context(), ie.ID, nil, raw); err != nil {
			return editError(err)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"dlq": map[string]any{"failer": ie.FailedModuleID, "blueprint": json.RawMessage(ie.Blueprint)}})
	return nil
}

// editError makes EditIncomplete's refusals about the blueprint given a 400 (busy and
// missing ones keep their own answers).
func editError(err error) error {
	var (
		me *Error
		ib *service.InvalidBlueprintError
	)
	if errors.As(err, &me) || errors.As(err, &ib) || errors.Is(err, service.ErrBusy) || errors.Is(err, store.ErrNotFound) ||
		errors.Is(err, store.ErrFull) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err // fail answers these by their kind
	}
	return &Error{Status: http.StatusBadRequest, Message: "Invalid blueprint", Detail: err.Error()}
}

// retryDLQ retries one incomplete execution now and answers when the attempt has ended
// (Make queues it; weft's answer carries the outcome in the incomplete execution).
func (a *api) retryDLQ(w http.ResponseWriter, r *http.Request) error {
	ie, err := a.dlq(r)
	if err != nil {
		return err
	}
	switch ie.Status {
	case weft.IncompleteResolved:
		return refused("incomplete execution %s is already resolved", ie.ID)
	case weft.IncompleteInProgress:
		return refused("incomplete execution %s is being retried right now", ie.ID)
	}
	ctx := context.WithoutCancel(r.Context())
	_, after, err := a.svc.RetryNow(ctx, ie.ID)
	if err != nil {
		cur, gerr := a.st.GetIncomplete(ctx, ie.ID)
		if gerr != nil || cur.Attempts == ie.Attempts {
			return err
		}
		// An attempt that could not even run is recorded as failed.
		after = cur
	}
	v, err := a.dlqWithIndex(ctx, after)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"dlq": v})
	return nil
}

// selected picks a scenario's incomplete executions by Make's selection among those in
// the statuses given; explicit ids must all be the scenario's.
func (a *api) selected(ctx context.Context, scenarioID int64, sel selection, status ...weft.IncompleteStatus) (picked, other []string, err error) {
	all, err := a.scenarioDLQs(ctx, scenarioID)
	if err != nil {
		return nil, nil, err
	}
	for _, id := range sel.IDs {
		if !slices.ContainsFunc(all, func(ie *weft.Incomplete) bool { return ie.ID == id }) {
			return nil, nil, notFound("scenario %d has no incomplete execution %s", scenarioID, id)
		}
	}
	for _, ie := range all {
		if !sel.includes(ie.ID) {
			continue
		}
		if slices.Contains(status, ie.Status) {
			picked = append(picked, ie.ID)
		} else {
			other = append(other, ie.ID)
		}
	}
	return picked, other, nil
}

// retryDLQs schedules incomplete executions of a scenario for a retry now; the worker
// runs them (at most 3 of a scenario at once). Answer: the ids scheduled.
func (a *api) retryDLQs(w http.ResponseWriter, r *http.Request) error {
	scID, err := requiredInt64Query(r, "scenarioId")
	if err != nil {
		return err
	}
	o, err := readObject(r, false)
	if err != nil {
		return err
	}
	sel, err := readSelection(o, "ids", "exceptIds")
	if err != nil {
		return err
	}
	if _, err := a.scenarioByID(r.Context(), scID); err != nil {
		return err
	}
	picked, _, err := a.selected(r.Context(), scID, sel, weft.IncompleteUnresolved, weft.IncompletePending)
	if err != nil {
		return err
	}
	if len(picked) > 0 {
		if _, err := a.svc.Retry(r.Context(), store.Selection{IDs: picked, ScenarioID: scID}); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"dlqs": nonNil(picked)})
	return nil
}

// deleteDLQs deletes incomplete executions of a scenario; all needs confirmed=true.
// Those being retried right now are kept and named in an error after the rest are
// deleted, as Make does.
func (a *api) deleteDLQs(w http.ResponseWriter, r *http.Request) error {
	scID, err := requiredInt64Query(r, "scenarioId")
	if err != nil {
		return err
	}
	confirmed, err := boolQuery(r, "confirmed")
	if err != nil {
		return err
	}
	o, err := readObject(r, false)
	if err != nil {
		return err
	}
	sel, err := readSelection(o, "ids", "exceptIds")
	if err != nil {
		return err
	}
	if sel.All && !confirmed {
		return needConfirmation("deleting all incomplete executions of a scenario")
	}
	if _, err := a.scenarioByID(r.Context(), scID); err != nil {
		return err
	}
	picked, busy, err := a.selected(r.Context(), scID, sel, weft.IncompleteUnresolved, weft.IncompletePending, weft.IncompleteResolved)
	if err != nil {
		return err
	}
	var deleted []string
	if len(picked) > 0 {
		n, err := a.svc.Delete(r.Context(), store.Selection{IDs: picked, ScenarioID: scID}, confirmed)
		if err != nil {
			return err
		}
		if n == len(picked) {
			deleted = picked
		} else {
			// One started an attempt meanwhile: say which are left.
			left, err := a.scenarioDLQs(r.Context(), scID)
			if err != nil {
				return err
			}
			for _, id := range picked {
				if slices.ContainsFunc(left, func(ie *weft.Incomplete) bool { return ie.ID == id }) {
					busy = append(busy, id)
				} else {
					deleted = append(deleted, id)
				}
			}
		}
	}
	if len(busy) > 0 {
		return refused("some of the incomplete executions could not be deleted because they are being processed right now: %s (the other %d were deleted)",
			strings.Join(busy, ", "), len(deleted))
	}
	writeJSON(w, http.StatusOK, map[string]any{"dlqs": nonNil(deleted)})
	return nil
}

func (a *api) dlqBlueprint(w http.ResponseWriter, r *http.Request) error {
	ie, err := a.dlq(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"code": "OK", "response": map[string]any{"blueprint": json.RawMessage(ie.Blueprint)}})
	return nil
}

// dlqBundle answers the bundles the failing module could map: the output of each
// module upstream of it, keyed by module id ({} for a confidential scenario, whose
// bundles weft does not keep for inspection).
func (a *api) dlqBundle(w http.ResponseWriter, r *http.Request) error {
	ie, err := a.dlq(r)
	if err != nil {
		return err
	}
	out := json.RawMessage("{}")
	if !ie.Confidential {
		st, err := value.UnmarshalTagged(ie.State)
		if err != nil {
			return err
		}
		if m, ok := st.(map[string]any); ok {
			if outputs, ok := m["outputs"].(map[string]any); ok {
				out = value.JSON(outputs)
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"code": "OK", "response": out})
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
