package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
)

// ieFilter is the filter of an incomplete-execution listing, as the page's query
// string carries it (and the bulk forms repeat it).
type ieFilter struct {
	Scenario  int64
	Status    string // "open" (default), "all", or one status
	ErrorType string
	Module    int
}

func (f ieFilter) store() store.IncompleteFilter {
	sf := store.IncompleteFilter{ScenarioID: f.Scenario, ErrorType: weft.ErrorType(f.ErrorType), ModuleID: f.Module}
	switch f.Status {
	case "", "open":
		sf.Status = openStatuses
	case "all":
	default:
		sf.Status = []weft.IncompleteStatus{weft.IncompleteStatus(f.Status)}
	}
	return sf
}

// query is the filter as query parameters (links, paging).
func (f ieFilter) query() url.Values {
	v := url.Values{}
	if f.Status != "" && f.Status != "open" {
		v.Set("status", f.Status)
	}
	if f.ErrorType != "" {
		v.Set("errorType", f.ErrorType)
	}
	if f.Module != 0 {
		v.Set("module", strconv.Itoa(f.Module))
	}
	return v
}

// Describe says in words what the filter selects (confirmations).
func (f ieFilter) Describe() string {
	parts := []string{}
	switch f.Status {
	case "", "open":
		parts = append(parts, "not resolved")
	case "all":
	default:
		parts = append(parts, "status "+f.Status)
	}
	if f.ErrorType != "" {
		parts = append(parts, "error type "+f.ErrorType)
	}
	if f.Module != 0 {
		parts = append(parts, "failing at module "+strconv.Itoa(f.Module))
	}
	if len(parts) == 0 {
		return "every status"
	}
	return strings.Join(parts, ", ")
}

// readFilter reads the filter from a request (query or form); the path's scenario id
// wins over a "scenario" parameter.
func readFilter(r *http.Request) (ieFilter, error) {
	var f ieFilter
	if r.PathValue("id") != "" && strings.HasPrefix(r.URL.Path, "/scenarios/") {
		id, err := pathID(r)
		if err != nil {
			return f, err
		}
		f.Scenario = id
	} else if s := r.FormValue("scenario"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id < 1 {
			return f, badRequest("Scenario %q is not a scenario id.", s)
		}
		f.Scenario = id
	}
	f.Status = r.FormValue("status")
	switch f.Status {
	case "", "open", "all":
	default:
		if !weft.IncompleteStatus(f.Status).Valid() {
			return f, badRequest("Status %q: choose unresolved, pending, in_progress or resolved.", f.Status)
		}
	}
	f.ErrorType = r.FormValue("errorType")
	if f.ErrorType != "" && !weft.ErrorType(f.ErrorType).Valid() {
		return f, badRequest("%q is not an error type.", f.ErrorType)
	}
	if s := r.FormValue("module"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return f, badRequest("Module %q is not a module id.", s)
		}
		f.Module = n
	}
	return f, nil
}

type ieRow struct {
	*weft.Incomplete
	Scenario string
	Module   string
}

type ieListData struct {
	pageBase
	Scenario   *weft.Scenario
	Filter     ieFilter
	Rows       []ieRow
	Total      int
	Next       string
	After      string
	BaseURL    string
	FilterQS   string
	Modules    []moduleOption
	ErrorTypes []string
	Statuses   []string
	CanWrite   bool
	// Breakers are the open circuit breakers (ui/recovery.go).
	Breakers []service.BreakerState
}

type moduleOption struct {
	ID    int
	Label string
}

// errorTypes are the types an incomplete execution can have (the filter's choices).
var errorTypes = []string{"ConnectionError", "DataError", "DuplicateDataError", "IncompleteDataError",
	"InvalidAccessTokenError", "InvalidConfigurationError", "MaxFileSizeExceededError", "MaxResultsExceededError",
	"ModuleTimeoutError", "OutOfSpaceError", "RateLimitError", "RuntimeError", "UnexpectedError"}

// incompleteList is the incomplete executions of one scenario
// (/scenarios/{id}/incomplete) or of all (/incomplete), oldest first, one page at a
// time from the store's cursor: the page costs the same with 10 or 10,000 stored.
func (u *UI) incompleteList(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	f, err := readFilter(r)
	if err != nil {
		return err
	}
	d := &ieListData{pageBase: u.base(s, "Incomplete executions", "incomplete"), Filter: f, After: r.FormValue("after"),
		ErrorTypes: errorTypes, Statuses: []string{"open", "unresolved", "pending", "in_progress", "resolved", "all"},
		CanWrite: hasScope(s, auth.IncompleteWrite), BaseURL: "/incomplete"}
	names := map[int64]*weft.Scenario{}
	if f.Scenario != 0 {
		sc, err := u.st.GetScenario(ctx, f.Scenario)
		if err != nil {
			return err
		}
		d.Scenario, names[sc.ID] = sc, sc
		d.Title, d.Nav = "Incomplete executions of "+sc.Name, "incomplete"
		d.BaseURL = fmt.Sprintf("/scenarios/%d/incomplete", sc.ID)
		fl, err := u.flow(ctx, sc.ID, sc.Version)
		if err != nil {
			return err
		}
		for _, id := range fl.Modules {
			d.Modules = append(d.Modules, moduleOption{ID: id, Label: fl.Labels[id]})
		}
	} else {
		scs, err := u.st.ListScenarios(ctx)
		if err != nil {
			return err
		}
		for _, sc := range scs {
			names[sc.ID] = sc
		}
	}
	if d.Breakers, err = u.svc.Breakers(ctx); err != nil {
		return err
	}
	sf := f.store()
	if d.Total, err = u.st.CountIncomplete(ctx, sf); err != nil {
		return err
	}
	sf.After, sf.Limit = d.After, u.cfg.PageSize+1
	ies, err := u.st.ListIncomplete(ctx, sf)
	if errors.Is(err, store.ErrNotFound) && d.After != "" {
		return badRequest("That page no longer exists (the incomplete execution it started after was deleted). Start again from the first page.")
	}
	if err != nil {
		return err
	}
	if len(ies) > u.cfg.PageSize {
		ies = ies[:u.cfg.PageSize]
		d.Next = ies[len(ies)-1].ID
	}
	d.Rows = make([]ieRow, len(ies))
	for i, ie := range ies {
		row := ieRow{Incomplete: ie, Module: strconv.Itoa(ie.FailedModuleID)}
		if sc := names[ie.ScenarioID]; sc != nil {
			row.Scenario = sc.Name
		}
		// Labels come from the version the incomplete execution was created from
		// (parsed once per version; a page of one scenario reads one or two).
		if fl, err := u.flow(ctx, ie.ScenarioID, ie.Version); err == nil {
			if l := fl.Labels[ie.FailedModuleID]; l != "" {
				row.Module += " · " + l
			}
		}
		d.Rows[i] = row
	}
	d.FilterQS = f.query().Encode()
	u.render(w, r, http.StatusOK, "incomplete", d)
	return nil
}

// selectionIDs lists every incomplete execution the filter selects (bulk actions on
// "all matching"): the store is read page by page, so the selection is exactly what
// the person saw counted, filters included.
func (u *UI) selectionIDs(ctx context.Context, f ieFilter) (map[int64][]string, int, error) {
	sf := f.store()
	sf.Limit = 1000
	out := map[int64][]string{}
	n := 0
	for {
		ies, err := u.st.ListIncomplete(ctx, sf)
		if err != nil {
			return nil, 0, err
		}
		for _, ie := range ies {
			out[ie.ScenarioID] = append(out[ie.ScenarioID], ie.ID)
			n++
		}
		if len(ies) < sf.Limit {
			return out, n, nil
		}
		sf.After = ies[len(ies)-1].ID
	}
}

type confirmData struct {
	pageBase
	Action  string
	Count   int
	Filter  ieFilter
	IDs     []string
	All     bool
	Back    string
	Warning string
}

// bulk handles the list's buttons: retry or delete the ticked incomplete executions,
// or all that match the filter. Deleting, and anything on "all matching", asks for a
// confirmation first (a page of its own, so it works without JavaScript).
func (u *UI) bulk(w http.ResponseWriter, r *http.Request, s *session) error {
	f, err := readFilter(r)
	if err != nil {
		return err
	}
	action := r.FormValue("action")
	if action != "retry" && action != "delete" {
		return badRequest("Choose retry or delete.")
	}
	all := r.FormValue("all") == "1"
	ids := r.Form["id"]
	back := r.FormValue("back")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") {
		back = "/incomplete"
	}
	if !all && len(ids) == 0 {
		return u.flashRedirect(w, r, s, back, "Nothing selected: tick incomplete executions first.")
	}
	if all || action == "delete" {
		n := len(ids)
		if all {
			if n, err = u.st.CountIncomplete(r.Context(), f.store()); err != nil {
				return err
			}
		}
		d := &confirmData{pageBase: u.base(s, "Confirm", "incomplete"), Action: action, Count: n, Filter: f, All: all, Back: back}
		if !all {
			d.IDs = ids
		}
		if action == "delete" {
			d.Warning = "Deleting an incomplete execution deletes the data of its failed run; it cannot be undone."
		}
		u.render(w, r, http.StatusOK, "confirm", d)
		return nil
	}
	sel, err := u.byScenario(r.Context(), ids)
	if err != nil {
		return err
	}
	return u.startBulk(w, r, s, false, sel, back, "")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// bulkConfirmed carries out a confirmed bulk action.
func (u *UI) bulkConfirmed(w http.ResponseWriter, r *http.Request, s *session) error {
	f, err := readFilter(r)
	if err != nil {
		return err
	}
	back := r.FormValue("back")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") {
		back = "/incomplete"
	}
	action := r.FormValue("action")
	if action != "retry" && action != "delete" {
		return badRequest("Choose retry or delete.")
	}
	var sel map[int64][]string
	if r.FormValue("all") == "1" {
		sel, _, err = u.selectionIDs(r.Context(), f)
	} else {
		sel, err = u.byScenario(r.Context(), r.Form["id"])
	}
	if err != nil {
		return err
	}
	return u.startBulk(w, r, s, action == "delete", sel, back, "")
}

// byScenario groups ticked ids by their scenario (a bulk job's selections are per
// scenario); ids that no longer exist are left out (deleted meanwhile).
func (u *UI) byScenario(ctx context.Context, ids []string) (map[int64][]string, error) {
	out := map[int64][]string{}
	for _, id := range ids {
		ie, err := u.st.GetIncomplete(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[ie.ScenarioID] = append(out[ie.ScenarioID], ie.ID)
	}
	return out, nil
}
