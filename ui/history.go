package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/store"
)

type executionRow struct {
	*weft.Execution
	Duration time.Duration
	Running  bool
	// Trigger says what started it: as recorded (webhook, schedule, manual, call,
	// retry), or for runs recorded before weft kept it, told by what they consumed.
	Trigger string
}

func viewExecutionRow(e *weft.Execution) executionRow {
	row := executionRow{Execution: e, Running: e.FinishedAt == nil, Duration: -1}
	if e.FinishedAt != nil {
		row.Duration = e.FinishedAt.Sub(e.StartedAt)
	}
	switch {
	case e.Trigger == weft.TriggerCall && e.ParentID != "":
		row.Trigger = "called by " + e.ParentID
	case e.Trigger != "":
		row.Trigger = string(e.Trigger) // recorded when the run started
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
	// From, To (dates, inclusive), TZ (the browser's offset, minutes) and Search are
	// the date range and the search; Keep is every filter as a query, for the pager.
	From, To, TZ, Search string
	Keep                 template.URL
}

// dateRange reads the history's from/to dates (YYYY-MM-DD, both days included) in the
// viewer's time zone: tz is the browser's getTimezoneOffset() in minutes (UTC minus
// local), which app.js fills in; without script the dates are UTC days.
func dateRange(from, to, tz string) (time.Time, time.Time, error) {
	off := 0
	if tz != "" {
		n, err := strconv.Atoi(tz)
		if err != nil || n < -14*60 || n > 14*60 {
			return time.Time{}, time.Time{}, badRequest("Time zone offset %q is not a number of minutes.", tz)
		}
		off = n
	}
	var f, t time.Time
	if from != "" {
		d, err := time.Parse(time.DateOnly, from)
		if err != nil {
			return f, t, badRequest("From: %q is not a date (YYYY-MM-DD).", from)
		}
		f = d.Add(time.Duration(off) * time.Minute)
	}
	if to != "" {
		d, err := time.Parse(time.DateOnly, to)
		if err != nil {
			return f, t, badRequest("To: %q is not a date (YYYY-MM-DD).", to)
		}
		t = d.AddDate(0, 0, 1).Add(time.Duration(off) * time.Minute)
	}
	if !f.IsZero() && !t.IsZero() && !t.After(f) {
		return f, t, badRequest("The date range ends (%s) before it starts (%s).", to, from)
	}
	return f, t, nil
}

// history lists runs, newest first: of one scenario (/scenarios/{id}/history) or of
// all (/executions), paginated with the store's cursor.
func (u *UI) history(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	q := r.URL.Query()
	d := &historyData{pageBase: u.base(s, "History", "history"), Names: map[int64]string{},
		Status: q.Get("status"), Kind: q.Get("kind"), Before: q.Get("before"),
		From: q.Get("from"), To: q.Get("to"), TZ: q.Get("tz"), Search: strings.TrimSpace(q.Get("q"))}
	f := store.ExecutionFilter{Before: d.Before, Search: d.Search}
	var err error
	if f.From, f.To, err = dateRange(d.From, d.To, d.TZ); err != nil {
		return err
	}
	keep := url.Values{}
	for k, v := range map[string]string{"status": d.Status, "kind": d.Kind, "from": d.From, "to": d.To, "tz": d.TZ, "q": d.Search} {
		if v != "" {
			keep.Set(k, v)
		}
	}
	// Encoded by url.Values: safe as the start of an href.
	d.Keep = template.URL("?" + keep.Encode())
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
	// Op is the entry's operation number at its module (1-based).
	Op int `json:"-"`
	// Outputs counts the output bundles; Output holds those from OutFrom (1-based)
	// on, a page of them (an iterator emits thousands in one operation).
	Outputs int `json:"-"`
	OutFrom int `json:"-"`
	OutTo   int `json:"-"`
}

type executionData struct {
	pageBase
	Execution    executionRow
	Scenario     *weft.Scenario
	Confidential bool
	Incomplete   []*weft.Incomplete
	Response     json.RawMessage
	CanSeeIE     bool
	Attempt      *weft.Incomplete
	// Diagram is the flow of the version that ran, a bubble on every module that ran
	// (its operations and how they ended), each a link to its operations.
	Diagram []diagramModule
	// Entries counts the log's entries; Log is one page of them (no module open),
	// Errors the entries that failed (at most maxErrorRows).
	Entries     int
	Log         []logEntry
	Errors      []logEntry
	MoreErrors  int
	Page, Pages int
	// Module is the open module's operations, paged one operation at a time.
	Module *inspectedModule
}

// inspectedModule is one module's operations in a run: the one shown with its
// bundles, and a window of the others around it.
type inspectedModule struct {
	ID     int
	Label  string
	Type   string
	Ops    int
	Op     int // 1-based
	Entry  logEntry
	Window []logEntry
	// WindowFrom is the operation number of Window[0].
	WindowFrom int
}

// Log paging: a 5,000-item iterator run logs 10,001 entries; one page shows
// logPageSize of them, a module's operations are shown one at a time with a window
// of opWindow around it.
const (
	logPageSize  = 50
	opWindow     = 50
	maxErrorRows = 20
)

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
	q := r.URL.Query()
	d := &executionData{pageBase: u.base(s, "Execution "+shortID(ex.ID), "history"), Execution: viewExecutionRow(ex),
		Scenario: sc, Response: ex.Response, CanSeeIE: hasScope(s, "incomplete:read")}
	// Bundles are shown only when the version that ran is not confidential; the log of
	// a confidential scenario holds only metadata anyway, this is the second lock.
	f, err := u.flow(ctx, ex.ScenarioID, ex.Version)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	d.Confidential = f == nil || f.Settings.Confidential
	shared, err := u.logs.decode(ex)
	if err != nil {
		return err
	}
	// The cache's entries are shared; this page labels and trims its own copy.
	log := slices.Clone(shared)
	d.Entries = len(log)
	// Per module: its entries (operation n is byModule[id][n-1]) and its bubble.
	byModule := map[int][]int{}
	bubbles := map[int]*bubble{}
	for i := range log {
		e := &log[i]
		if f != nil {
			e.Label = f.Labels[e.ModuleID]
		}
		if d.Confidential {
			e.Input, e.Output = nil, nil
		}
		byModule[e.ModuleID] = append(byModule[e.ModuleID], i)
		e.Op = len(byModule[e.ModuleID])
		b := bubbles[e.ModuleID]
		if b == nil {
			b = &bubble{Status: "success"}
			bubbles[e.ModuleID] = b
		}
		b.Ops++
		switch {
		case e.Error != nil && e.Outcome == "":
			b.Status = "error"
		case e.Error != nil && b.Status != "error":
			b.Status = "warning"
		}
		if e.Error != nil {
			if len(d.Errors) < maxErrorRows {
				d.Errors = append(d.Errors, *e)
			} else {
				d.MoreErrors++
			}
		}
	}
	if d.Confidential {
		d.Response = nil
	}
	if f != nil {
		d.Diagram = buildDiagram(f.BP, u.cfg.Registry, 0)
		base := "/executions/" + ex.ID + "?module="
		decorate(d.Diagram, func(m *diagramModule) {
			if b := bubbles[m.ID]; m.HasID && b != nil {
				m.Bubble, m.Link = b, base+strconv.Itoa(m.ID)
			}
			m.Failed = m.HasID && m.ID == ex.ErrorModule && ex.ErrorModule != 0
		})
	}
	if mid := q.Get("module"); mid != "" {
		id, err := strconv.Atoi(mid)
		if err != nil || len(byModule[id]) == 0 {
			return &userError{status: http.StatusNotFound, msg: fmt.Sprintf("Module %q did not run in execution %s.", mid, shortID(ex.ID))}
		}
		idx := byModule[id]
		op := 1
		if v := q.Get("op"); v != "" {
			if op, err = strconv.Atoi(v); err != nil || op < 1 || op > len(idx) {
				return badRequest("Operation %q: module %d ran %d operation(s).", v, id, len(idx))
			}
		}
		im := &inspectedModule{ID: id, Ops: len(idx), Op: op, Entry: log[idx[op-1]]}
		im.Label, im.Type = im.Entry.Label, im.Entry.Module
		from := max(0, min(op-1-opWindow/2, len(idx)-opWindow))
		for k := from; k < len(idx) && k < from+opWindow; k++ {
			e := log[idx[k]]
			e.Input, e.Output = nil, nil // the window lists; only the open operation shows bundles
			im.Window = append(im.Window, e)
		}
		im.WindowFrom = from + 1
		page := 1
		if v := q.Get("out"); v != "" {
			if page, err = strconv.Atoi(v); err != nil || page < 1 {
				return badRequest("Output page %q is not a page number.", v)
			}
		}
		if err := im.Entry.pageOutputs(page, outPageSize); err != nil {
			return err
		}
		d.Module = im
		d.Selected(id)
	} else {
		d.Pages = max(1, (len(log)+logPageSize-1)/logPageSize)
		d.Page = 1
		if v := q.Get("page"); v != "" {
			if d.Page, err = strconv.Atoi(v); err != nil || d.Page < 1 || d.Page > d.Pages {
				return badRequest("Page %q: the log has %d page(s).", v, d.Pages)
			}
		}
		lo := (d.Page - 1) * logPageSize
		d.Log = log[lo:min(lo+logPageSize, len(log))]
		for i := range d.Log {
			if err := d.Log[i].pageOutputs(1, 3); err != nil {
				return err
			}
		}
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

// outPageSize is how many output bundles of one operation a page shows.
const outPageSize = 10

// pageOutputs keeps page (1-based) of size output bundles of the entry and counts
// them all; a page past the end keeps the last one.
func (e *logEntry) pageOutputs(page, size int) error {
	if !jsonPresent(e.Output) {
		return nil
	}
	var all []json.RawMessage
	if err := json.Unmarshal(e.Output, &all); err != nil {
		e.Outputs, e.OutFrom, e.OutTo = 1, 1, 1 // a single bundle, shown as is
		return nil
	}
	e.Outputs = len(all)
	if len(all) <= size && page == 1 {
		e.OutFrom, e.OutTo = 1, len(all)
		return nil
	}
	lo := min((page-1)*size, max(0, (len(all)-1)/size*size))
	hi := min(lo+size, len(all))
	out, err := json.Marshal(all[lo:hi])
	if err != nil {
		return fmt.Errorf("output bundles: %w", err)
	}
	e.Output, e.OutFrom, e.OutTo = out, lo+1, hi
	return nil
}

// OutPage is the page the entry's outputs are on (for links to the next page).
func (e logEntry) OutPage() int { return (e.OutFrom-1)/outPageSize + 1 }

// Selected marks the open module's box.
func (d *executionData) Selected(id int) {
	decorate(d.Diagram, func(m *diagramModule) { m.Selected = m.HasID && m.ID == id })
}

// jsonPresent reports whether a raw value is worth a collapsible block.
func jsonPresent(raw json.RawMessage) bool {
	s := string(raw)
	return s != "" && s != "null" && s != "{}" && s != "[]"
}
