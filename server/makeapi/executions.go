package makeapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/store"
)

// logView is an execution as Make's scenario logs show it. weft counts neither data
// transfer nor credits: transfer and centicredits are 0.
type logView struct {
	ID             string `json:"id"`
	ImtID          string `json:"imtId"`
	Status         int    `json:"status"`
	Duration       int64  `json:"duration"`
	Operations     int    `json:"operations"`
	Transfer       int    `json:"transfer"`
	Centicredits   int    `json:"centicredits"`
	OrganizationID int64  `json:"organizationId"`
	TeamID         int64  `json:"teamId"`
	Type           string `json:"type"`
	AuthorID       *int64 `json:"authorId"`
	Instant        bool   `json:"instant"`
	Timestamp      string `json:"timestamp"`
}

func executionStatus(s weft.ExecutionStatus) int {
	switch s {
	case weft.ExecutionSuccess:
		return 1
	case weft.ExecutionWarning:
		return 2
	case weft.ExecutionError:
		return 3
	}
	return 0 // running
}

// executionType is Make's type of an execution: "retry" for an attempt of an
// incomplete execution, "auto" for every other run.
func executionType(e *weft.Execution) string {
	if e.Kind == weft.KindRetry {
		return "retry"
	}
	return "auto"
}

func (a *api) viewLog(e *weft.Execution) logView {
	v := logView{ID: e.ID, Status: executionStatus(e.Status), Operations: e.Operations, OrganizationID: a.OrganizationID,
		TeamID: a.TeamID, Type: executionType(e), Instant: e.QueueItemID != 0, Timestamp: makeTime(e.StartedAt)}
	v.ImtID = fmt.Sprintf("%d_scenario.%d.%s.%s", e.StartedAt.UnixMilli(), e.ScenarioID, v.Type, e.ID)
	if e.FinishedAt != nil {
		v.Duration = e.FinishedAt.Sub(e.StartedAt).Milliseconds()
		v.Timestamp = makeTime(*e.FinishedAt)
	}
	return v
}

// maxScan bounds how many executions one listing reads to fill a page after pg[offset]
// and the filters (a listing that would read more asks for pg[last] paging instead).
const maxScan = 100_000

// listLogs lists a scenario's executions, newest first (Make sorts by imtId, which
// starts with the start time). Filters: from and to (milliseconds since the epoch, on
// the start time) and status (1, 2, 3); pg[last] continues after an execution id.
func (a *api) listLogs(w http.ResponseWriter, r *http.Request) error {
	sc, err := a.scenario(r)
	if err != nil {
		return err
	}
	p, err := paging{sortBy: "imtId", sortDir: "desc", sorts: []string{"imtId"}, limit: 50, last: true}.read(r)
	if err != nil {
		return err
	}
	if p.SortDir != "desc" {
		return invalid("pg[sortDir]", "scenario logs are listed newest first (desc) only")
	}
	q := r.URL.Query()
	var from, to time.Time
	for name, dst := range map[string]*time.Time{"from": &from, "to": &to} {
		if s := q.Get(name); s != "" {
			ms, err := strconv.ParseInt(s, 10, 64)
			if err != nil || ms < 0 {
				return invalid(name, "%q is not a time in milliseconds since 1970", s)
			}
			*dst = time.UnixMilli(ms)
		}
	}
	f := store.ExecutionFilter{ScenarioID: sc.ID, Before: p.Last}
	if s := q.Get("status"); s != "" {
		switch s {
		case "1":
			f.Status = weft.ExecutionSuccess
		case "2":
			f.Status = weft.ExecutionWarning
		case "3":
			f.Status = weft.ExecutionError
		default:
			return invalid("status", "%q: want 1 (success), 2 (warning) or 3 (error)", s)
		}
	}
	if _, err := boolQuery(r, "showCheckRuns"); err != nil {
		return err
	}
	want := p.Offset + p.Limit
	var views []logView
	scanned := 0
	for len(views) < want {
		f.Limit = min(want-len(views)+1, 1000)
		exs, err := a.st.ListExecutions(r.Context(), f)
		if errors.Is(err, store.ErrNotFound) && p.Last != "" {
			return invalid("pg[last]", "%q is not an execution of scenario %d", p.Last, sc.ID)
		}
		if err != nil {
			return err
		}
		for _, e := range exs {
			if (!from.IsZero() && e.StartedAt.Before(from)) || (!to.IsZero() && e.StartedAt.After(to)) {
				continue
			}
			views = append(views, a.viewLog(e))
		}
		scanned += len(exs)
		if len(exs) < f.Limit || (!from.IsZero() && exs[len(exs)-1].StartedAt.Before(from)) {
			break
		}
		if scanned >= maxScan {
			return invalid("pg[offset]", "the page lies more than %d executions back: page with pg[last] (the id of the last execution seen)", maxScan)
		}
		f.Before = exs[len(exs)-1].ID
	}
	writeJSON(w, http.StatusOK, map[string]any{"scenarioLogs": page(views, p), "pg": p})
	return nil
}

// execution reads an execution of the scenario the route names.
func (a *api) execution(r *http.Request) (*weft.Scenario, *weft.Execution, error) {
	sc, err := a.scenario(r)
	if err != nil {
		return nil, nil, err
	}
	id := r.PathValue("executionId")
	ex, err := a.st.GetExecution(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && ex.ScenarioID != sc.ID) {
		return nil, nil, notFound("scenario %d has no execution %s", sc.ID, id)
	}
	return sc, ex, err
}

func (a *api) getLog(w http.ResponseWriter, r *http.Request) error {
	_, ex, err := a.execution(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"scenarioLog": a.viewLog(ex)})
	return nil
}

// executionDetail is Make's execution result: RUNNING, SUCCESS, WARNING or ERROR, and
// for the last two the error with the module it came from.
type executionDetail struct {
	Status string       `json:"status"`
	Error  *detailError `json:"error,omitempty"`
}

type detailError struct {
	Name        string       `json:"name"`
	Message     string       `json:"message"`
	CauseModule *causeModule `json:"causeModule,omitempty"`
}

type causeModule struct {
	Name    string `json:"name"`
	AppName string `json:"appName"`
}

func (a *api) getExecutionDetail(w http.ResponseWriter, r *http.Request) error {
	sc, ex, err := a.execution(r)
	if err != nil {
		return err
	}
	if s := r.URL.Query().Get("maxBytes"); s != "" {
		if n, err := strconv.Atoi(s); err != nil || n < 0 {
			return invalid("maxBytes", "%q is not a whole number of bytes", s)
		}
	}
	d := executionDetail{Status: map[weft.ExecutionStatus]string{weft.ExecutionRunning: "RUNNING",
		weft.ExecutionSuccess: "SUCCESS", weft.ExecutionWarning: "WARNING", weft.ExecutionError: "ERROR"}[ex.Status]}
	if ex.ErrorType != "" {
		d.Error = &detailError{Name: string(ex.ErrorType), Message: ex.ErrorMsg}
		if ex.ErrorModule != 0 {
			if typ := a.moduleType(r.Context(), sc.ID, ex.Version, ex.ErrorModule); typ != "" {
				d.Error.CauseModule = &causeModule{Name: typ, AppName: appOf(typ)}
			}
		}
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// moduleType is the type of module id in a blueprint version ("" when unknown).
func (a *api) moduleType(ctx context.Context, scenarioID int64, version, id int) string {
	v, err := a.st.GetVersion(ctx, scenarioID, version)
	if err != nil {
		return ""
	}
	bp, err := blueprint.Parse(v.Blueprint)
	if err != nil {
		return ""
	}
	typ := ""
	walk(bp.Flow, func(m *blueprint.Module) {
		if m.ID == id {
			typ = m.Type
		}
	})
	return typ
}

// dlqExecutions are the executions of an incomplete execution: the attempts that
// retried it, newest first, then the run that stored it.
func (a *api) dlqExecutions(ctx context.Context, ie *weft.Incomplete) ([]*weft.Execution, error) {
	exs, err := a.st.ListExecutions(ctx, store.ExecutionFilter{IncompleteID: ie.ID, Limit: maxLimit})
	if err != nil {
		return nil, err
	}
	origin, err := a.st.GetExecution(ctx, ie.ExecutionID)
	switch {
	case err == nil:
		exs = append(exs, origin)
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	return exs, nil
}

func (a *api) dlqLogs(w http.ResponseWriter, r *http.Request) error {
	ie, err := a.dlq(r)
	if err != nil {
		return err
	}
	p, err := paging{sortBy: "imtId", sortDir: "desc", sorts: []string{"imtId"}, limit: maxLimit}.read(r)
	if err != nil {
		return err
	}
	exs, err := a.dlqExecutions(r.Context(), ie)
	if err != nil {
		return err
	}
	views := make([]logView, len(exs))
	for i, e := range exs {
		views[i] = a.viewLog(e)
	}
	if p.SortDir == "asc" {
		for i, j := 0, len(views)-1; i < j; i, j = i+1, j-1 {
			views[i], views[j] = views[j], views[i]
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"dlqLogs": page(views, p), "pg": p})
	return nil
}

func (a *api) dlqLog(w http.ResponseWriter, r *http.Request) error {
	ie, err := a.dlq(r)
	if err != nil {
		return err
	}
	exs, err := a.dlqExecutions(r.Context(), ie)
	if err != nil {
		return err
	}
	id := r.PathValue("executionId")
	for _, e := range exs {
		if e.ID == id {
			writeJSON(w, http.StatusOK, map[string]any{"dlqLog": a.viewLog(e)})
			return nil
		}
	}
	return notFound("incomplete execution %s has no execution %s", ie.ID, id)
}
