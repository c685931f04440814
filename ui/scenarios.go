package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// openStatuses are the incomplete executions that still wait for something.
var openStatuses = []weft.IncompleteStatus{weft.IncompleteUnresolved, weft.IncompletePending, weft.IncompleteInProgress}

func hasScope(s *session, scope string) bool {
	return s != nil && s.token != nil && auth.Allows(s.token, scope)
}

// scenarioFlow is what the pages read from one blueprint version, parsed once.
type scenarioFlow struct {
	BP       *blueprint.Blueprint
	Labels   map[int]string
	Diagram  []diagramModule
	Settings blueprint.Settings
	// Modules are the module ids in document order (the module filter).
	Modules []int
}

type versionKey struct {
	scenario int64
	version  int
}

// flow returns the parsed current blueprint of a scenario version. Versions never
// change once stored, so each is parsed once per process.
func (u *UI) flow(ctx context.Context, scenarioID int64, version int) (*scenarioFlow, error) {
	key := versionKey{scenarioID, version}
	if f, ok := u.bpCache.Load(key); ok {
		return f.(*scenarioFlow), nil
	}
	v, err := u.st.GetVersion(ctx, scenarioID, version)
	if err != nil {
		return nil, fmt.Errorf("scenario %d version %d: %w", scenarioID, version, err)
	}
	f, err := u.parseFlow(v.Blueprint, 0)
	if err != nil {
		return nil, fmt.Errorf("scenario %d version %d: %w", scenarioID, version, err)
	}
	u.bpCache.Store(key, f)
	return f, nil
}

// parseFlow parses a blueprint for display; failed is the module to highlight.
func (u *UI) parseFlow(raw []byte, failed int) (*scenarioFlow, error) {
	bp, err := blueprint.Parse(raw)
	if err != nil {
		return nil, err
	}
	f := &scenarioFlow{BP: bp, Labels: moduleLabels(bp, u.cfg.Registry), Settings: bp.Metadata.Scenario,
		Diagram: buildDiagram(bp, u.cfg.Registry, failed)}
	bp.Walk(func(m *blueprint.Module, _ string) bool {
		if m.HasID {
			f.Modules = append(f.Modules, m.ID)
		}
		return true
	})
	return f, nil
}

type scenarioRow struct {
	*weft.Scenario
	LastRun *weft.Execution
	Open    int
}

type scenarioListData struct {
	pageBase
	Scenarios []scenarioRow
	CanWrite  bool
	Problems  []blueprint.Problem
	Error     string
	// Triggers are the first modules a new scenario can start with.
	Triggers []catalogueEntry
}

func (u *UI) scenarioList(w http.ResponseWriter, r *http.Request, s *session) error {
	return u.renderScenarioList(w, r, s, http.StatusOK, "", nil)
}

func (u *UI) renderScenarioList(w http.ResponseWriter, r *http.Request, s *session, status int, msg string, problems []blueprint.Problem) error {
	ctx := r.Context()
	scs, err := u.st.ListScenarios(ctx)
	if err != nil {
		return err
	}
	slices.SortFunc(scs, func(a, b *weft.Scenario) int { return int(a.ID - b.ID) })
	d := &scenarioListData{pageBase: u.base(s, "Scenarios", "scenarios"), CanWrite: hasScope(s, auth.ScenariosWrite),
		Error: msg, Problems: problems}
	if d.CanWrite {
		d.Triggers = triggers(u.cfg.Registry)
	}
	for _, sc := range scs {
		row := scenarioRow{Scenario: sc}
		if hasScope(s, auth.ExecutionsRead) {
			exs, err := u.st.ListExecutions(ctx, store.ExecutionFilter{ScenarioID: sc.ID, Limit: 1})
			if err != nil {
				return err
			}
			if len(exs) > 0 {
				row.LastRun = exs[0]
			}
		}
		if row.Open, err = u.st.CountIncomplete(ctx, store.IncompleteFilter{ScenarioID: sc.ID, Status: openStatuses}); err != nil {
			return err
		}
		d.Scenarios = append(d.Scenarios, row)
	}
	u.render(w, r, status, "scenarios", d)
	return nil
}

// uploadedBlueprint reads the "blueprint" file field (or the "blueprintText" text
// area) of a form.
func uploadedBlueprint(r *http.Request) ([]byte, error) {
	if f, _, err := r.FormFile("blueprint"); err == nil {
		defer f.Close()
		raw, err := io.ReadAll(f)
		if err != nil {
			return nil, fmt.Errorf("read the uploaded blueprint: %w", err)
		}
		if len(strings.TrimSpace(string(raw))) > 0 {
			return raw, nil
		}
	} else if !errors.Is(err, http.ErrMissingFile) && !errors.Is(err, http.ErrNotMultipart) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, badRequest("The upload could not be read: %v", err)
	}
	if t := strings.TrimSpace(r.FormValue("blueprintText")); t != "" {
		return []byte(t), nil
	}
	return nil, badRequest("Choose a blueprint file (JSON exported from Make) or paste one.")
}

// invalidBlueprint splits a refused blueprint into a message and its problems.
func invalidBlueprint(err error) (string, []blueprint.Problem, bool) {
	var ib *service.InvalidBlueprintError
	if errors.As(err, &ib) {
		return "The blueprint is not valid:", ib.Report.Errors(), true
	}
	if strings.Contains(err.Error(), "blueprint") && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrFull) {
		return err.Error(), nil, true
	}
	return "", nil, false
}

func (u *UI) importScenario(w http.ResponseWriter, r *http.Request, s *session) error {
	raw, err := uploadedBlueprint(r)
	if err != nil {
		var ue *userError
		if errors.As(err, &ue) {
			return u.renderScenarioList(w, r, s, http.StatusBadRequest, ue.msg, nil)
		}
		return err
	}
	sc, err := u.svc.CreateScenario(r.Context(), raw, "ui")
	if err != nil {
		if msg, problems, ok := invalidBlueprint(err); ok {
			return u.renderScenarioList(w, r, s, http.StatusUnprocessableEntity, msg, problems)
		}
		return err
	}
	if _, err := u.svc.EnsureHook(r.Context(), sc.ID); err != nil {
		return err
	}
	return u.flashRedirect(w, r, s, fmt.Sprintf("/scenarios/%d", sc.ID), fmt.Sprintf("Imported “%s” as scenario %d (inactive).", sc.Name, sc.ID))
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, &userError{status: http.StatusNotFound, msg: fmt.Sprintf("%q is not a scenario id.", r.PathValue("id"))}
	}
	return id, nil
}

type settingField struct {
	Name, Label, Help string
	Bool              bool
	Checked           bool
	Number            int
}

type scenarioData struct {
	pageBase
	Scenario *weft.Scenario
	HookURL  string
	Flow     *scenarioFlow
	Versions []weft.Version
	Settings []settingField
	Open     int
	CanWrite bool
	CanRun   bool
	Error    string
	Problems []blueprint.Problem
	Schedule weft.Schedule
	AtText   string
	Queue    *queueSection   // nil without the webhooks:read scope
	Trigger  *triggerSection // nil when the first module does not poll
}

// triggerSection is a polling trigger's position and its "Choose where to start" form.
type triggerSection struct {
	Module    string
	Position  string // "" when none was chosen yet
	Start     string
	UpdatedAt time.Time
}

func (u *UI) scenarioDetail(w http.ResponseWriter, r *http.Request, s *session) error {
	return u.renderScenario(w, r, s, http.StatusOK, "", nil)
}

func (u *UI) renderScenario(w http.ResponseWriter, r *http.Request, s *session, status int, msg string, problems []blueprint.Problem) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	sc, err := u.st.GetScenario(ctx, id)
	if err != nil {
		return err
	}
	f, err := u.flow(ctx, sc.ID, sc.Version)
	if err != nil {
		return err
	}
	vs, err := u.st.ListVersions(ctx, sc.ID)
	if err != nil {
		return err
	}
	slices.Reverse(vs)
	open, err := u.st.CountIncomplete(ctx, store.IncompleteFilter{ScenarioID: sc.ID, Status: openStatuses})
	if err != nil {
		return err
	}
	d := &scenarioData{pageBase: u.base(s, sc.Name, "scenarios"), Scenario: sc, Flow: f, Versions: vs, Open: open,
		CanWrite: hasScope(s, auth.ScenariosWrite), Error: msg, Problems: problems, Schedule: sc.Schedule,
		Settings: settingFields(f.Settings)}
	d.CanRun = d.CanWrite
	if sc.Schedule.At != nil {
		d.AtText = sc.Schedule.At.UTC().Format("2006-01-02T15:04")
	}
	if d.Queue, err = u.queueSection(r, s, sc.ID); err != nil {
		return err
	}
	if d.Trigger, err = u.triggerSection(r, sc.ID); err != nil {
		return err
	}
	if h, err := u.svc.Hook(ctx, sc.ID); err == nil {
		d.HookURL = u.baseURL(r) + "/hooks/" + h.Token
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	u.render(w, r, status, "scenario", d)
	return nil
}

func (u *UI) baseURL(r *http.Request) string {
	if u.cfg.BaseURL != "" {
		return u.cfg.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// settingFields are the settings form of metadata.scenario (SPEC §1.3).
func settingFields(st blueprint.Settings) []settingField {
	return []settingField{
		{Name: "sequential", Label: "Sequential processing", Bool: true, Checked: st.Sequential,
			Help: "hold new runs while incomplete executions are unresolved"},
		{Name: "dlq", Label: "Allow storing incomplete executions", Bool: true, Checked: st.DLQ},
		{Name: "dataloss", Label: "Allow data loss", Bool: true, Checked: st.DataLoss,
			Help: "when storage is full, drop the new incomplete execution instead of deactivating"},
		{Name: "confidential", Label: "Confidential", Bool: true, Checked: st.Confidential,
			Help: "keep no bundle data for inspection"},
		{Name: "autoCommit", Label: "Auto commit", Bool: true, Checked: st.AutoCommit},
		{Name: "autoCommitTriggerLast", Label: "Commit trigger last", Bool: true, Checked: st.AutoCommitTriggerLast},
		{Name: "freshVariables", Label: "Fresh variables", Bool: true, Checked: st.FreshVariables,
			Help: "kept for Make compatibility"},
		{Name: "maxErrors", Label: "Consecutive errors before deactivation", Number: st.MaxErrors},
		{Name: "roundtrips", Label: "Max number of cycles", Number: st.Roundtrips},
	}
}

func (u *UI) uploadVersion(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	raw, err := uploadedBlueprint(r)
	if err != nil {
		var ue *userError
		if errors.As(err, &ue) {
			return u.renderScenario(w, r, s, http.StatusBadRequest, ue.msg, nil)
		}
		return err
	}
	return u.newVersion(w, r, s, id, raw, "Stored version %d.")
}

// newVersion stores raw as the scenario's current version, or shows why not.
func (u *UI) newVersion(w http.ResponseWriter, r *http.Request, s *session, id int64, raw []byte, done string) error {
	if _, err := u.st.GetScenario(r.Context(), id); err != nil {
		return err
	}
	sc, err := u.svc.UpdateScenario(r.Context(), id, raw)
	if err != nil {
		if msg, problems, ok := invalidBlueprint(err); ok {
			return u.renderScenario(w, r, s, http.StatusUnprocessableEntity, msg, problems)
		}
		return err
	}
	if _, err := u.svc.EnsureHook(r.Context(), id); err != nil {
		return err
	}
	return u.flashRedirect(w, r, s, fmt.Sprintf("/scenarios/%d", id), fmt.Sprintf(done, sc.Version))
}

// attachment sends a blueprint as a download.
func attachment(w http.ResponseWriter, name string, raw []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(raw)
}

func (u *UI) exportScenario(w http.ResponseWriter, r *http.Request, _ *session) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	raw, err := u.svc.ExportScenario(r.Context(), id)
	if err != nil {
		return err
	}
	attachment(w, fmt.Sprintf("scenario-%d.blueprint.json", id), raw)
	return nil
}

func versionOf(r *http.Request) (int, error) {
	n, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || n < 1 {
		return 0, &userError{status: http.StatusNotFound, msg: fmt.Sprintf("%q is not a version number.", r.PathValue("version"))}
	}
	return n, nil
}

func (u *UI) versionBlueprint(w http.ResponseWriter, r *http.Request, _ *session) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	n, err := versionOf(r)
	if err != nil {
		return err
	}
	v, err := u.st.GetVersion(r.Context(), id, n)
	if err != nil {
		return err
	}
	attachment(w, fmt.Sprintf("scenario-%d-v%d.blueprint.json", id, n), v.Blueprint)
	return nil
}

func (u *UI) restoreVersion(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	n, err := versionOf(r)
	if err != nil {
		return err
	}
	v, err := u.st.GetVersion(r.Context(), id, n)
	if err != nil {
		return err
	}
	return u.newVersion(w, r, s, id, v.Blueprint, "Version "+strconv.Itoa(n)+" restored as version %d.")
}

func (u *UI) setActive(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	active := r.FormValue("active") == "true"
	sc, err := u.svc.SetActive(r.Context(), id, active)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return err
		}
		// The refusal says why (a module that cannot run, …): show it on the page.
		return u.renderScenario(w, r, s, http.StatusConflict, "Not activated: "+err.Error(), nil)
	}
	msg := "Deactivated."
	if sc.Active {
		msg = "Activated."
	}
	return u.flashRedirect(w, r, s, fmt.Sprintf("/scenarios/%d", id), msg)
}

func (u *UI) saveSettings(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	raw, err := u.svc.ExportScenario(r.Context(), id)
	if err != nil {
		return err
	}
	set := map[string]any{}
	for _, f := range settingFields(blueprint.DefaultSettings()) {
		if f.Bool {
			set[f.Name] = r.FormValue(f.Name) == "on" || r.FormValue(f.Name) == "true"
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(r.FormValue(f.Name)))
		if err != nil || n < 0 {
			return u.renderScenario(w, r, s, http.StatusBadRequest,
				fmt.Sprintf("%s: %q is not a whole number ≥ 0.", f.Label, r.FormValue(f.Name)), nil)
		}
		set[f.Name] = n
	}
	out, err := setScenarioSettings(raw, set)
	if err != nil {
		return u.renderScenario(w, r, s, http.StatusUnprocessableEntity, err.Error(), nil)
	}
	return u.newVersion(w, r, s, id, out, "Settings saved as version %d.")
}

func (u *UI) saveSchedule(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sch := weft.Schedule{Type: r.FormValue("type")}
	switch sch.Type {
	case "interval":
		n, err := strconv.Atoi(strings.TrimSpace(r.FormValue("interval")))
		if err != nil {
			return u.renderScenario(w, r, s, http.StatusBadRequest, fmt.Sprintf("Interval: %q is not a number of minutes.", r.FormValue("interval")), nil)
		}
		sch.Interval = n
	case "cron":
		sch.Cron, sch.Timezone = strings.TrimSpace(r.FormValue("cron")), strings.TrimSpace(r.FormValue("timezone"))
	case "once":
		at, err := time.Parse("2006-01-02T15:04", r.FormValue("at"))
		if err != nil {
			return u.renderScenario(w, r, s, http.StatusBadRequest, fmt.Sprintf("At: %q is not a date and time (UTC).", r.FormValue("at")), nil)
		}
		sch.At = &at
	}
	if _, err := u.svc.SetSchedule(r.Context(), id, sch); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return err
		}
		return u.renderScenario(w, r, s, http.StatusBadRequest, "Schedule not saved: "+err.Error(), nil)
	}
	return u.flashRedirect(w, r, s, fmt.Sprintf("/scenarios/%d", id), "Schedule saved.")
}

// runScenario runs the scenario once with the given input, as a job whose outcome
// the page shows live.
func (u *UI) runScenario(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sc, err := u.st.GetScenario(r.Context(), id)
	if err != nil {
		return err
	}
	trigger := weft.Bundle{}
	if in := strings.TrimSpace(r.FormValue("input")); in != "" {
		v, err := value.DecodeJSON([]byte(in))
		if err != nil {
			return u.runRefused(w, r, s, fmt.Sprintf("The trigger bundle is not valid JSON: %v", err))
		}
		if m, ok := v.(map[string]any); ok {
			trigger = m
		} else {
			trigger = weft.Bundle{"value": v}
		}
	}
	var labels map[int]string
	if f, err := u.flow(r.Context(), sc.ID, sc.Version); err == nil {
		labels = f.Labels
	} // else the run refuses it, and its progress names module types
	j := u.jobs.start(s.key, "Run of "+sc.Name, labels, func(ctx context.Context) *outcome {
		rr, err := u.svc.Run(ctx, id, []weft.Bundle{trigger})
		return runOutcome(rr, err)
	})
	return u.startedPanel(w, r, s, j, fmt.Sprintf("/scenarios/%d", id))
}

func (u *UI) deleteScenario(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	force := r.FormValue("force") == "true"
	if err := u.svc.DeleteScenario(r.Context(), id, force); err != nil {
		var inUse *service.ScenarioInUseError
		if errors.As(err, &inUse) {
			return u.renderScenario(w, r, s, http.StatusConflict, err.Error(), nil)
		}
		return err
	}
	return u.flashRedirect(w, r, s, "/scenarios", fmt.Sprintf("Scenario %d deleted.", id))
}

// triggerSection reads a polling trigger's position (nil when the scenario does not
// poll, or its version cannot run).
func (u *UI) triggerSection(r *http.Request, id int64) (*triggerSection, error) {
	polls, err := u.svc.Polls(r.Context(), id)
	if err != nil || !polls {
		return nil, err
	}
	p, err := u.svc.TriggerPosition(r.Context(), id)
	switch {
	case err == nil:
		return &triggerSection{Module: p.Module, Position: string(p.Position), Start: p.Start, UpdatedAt: p.UpdatedAt}, nil
	case errors.Is(err, store.ErrNotFound):
		raw, err := u.svc.ExportScenario(r.Context(), id)
		if err != nil {
			return nil, err
		}
		typ, err := service.TriggerType(raw)
		return &triggerSection{Module: typ}, err
	}
	return nil, err
}

// startTrigger chooses where the scenario's polling trigger starts (docs/triggers.md).
func (u *UI) startTrigger(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var from app.StartFrom
	switch mode := r.FormValue("mode"); mode {
	case "now", "all":
		from.Mode = app.StartMode(mode)
	case "since":
		at, err := time.Parse("2006-01-02T15:04", r.FormValue("since"))
		if err != nil {
			return u.renderScenario(w, r, s, http.StatusBadRequest, fmt.Sprintf("Since: %q is not a date and time (UTC).", r.FormValue("since")), nil)
		}
		from = app.StartFrom{Mode: app.StartSince, Since: at}
	case "last":
		n, err := strconv.Atoi(strings.TrimSpace(r.FormValue("last")))
		if err != nil {
			return u.renderScenario(w, r, s, http.StatusBadRequest, fmt.Sprintf("N: %q is not a number of items.", r.FormValue("last")), nil)
		}
		from = app.StartFrom{Mode: app.StartLast, Last: n}
	default:
		return badRequest("Choose where to start: %q is not a choice.", mode)
	}
	p, err := u.svc.StartTrigger(r.Context(), id, from)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) && !errors.Is(err, service.ErrNotPolling) {
			if _, gerr := u.st.GetScenario(r.Context(), id); gerr != nil {
				return gerr
			}
		}
		return u.renderScenario(w, r, s, http.StatusBadRequest, "Start not set: "+err.Error(), nil)
	}
	return u.flashRedirect(w, r, s, fmt.Sprintf("/scenarios/%d", id), "The trigger starts from "+p.Start+".")
}

// runRefused shows why "Run once" did not start: as the outcome fragment the form
// swaps in (htmx), or on the scenario page without script.
func (u *UI) runRefused(w http.ResponseWriter, r *http.Request, s *session, msg string) error {
	if r.Header.Get("HX-Request") == "" {
		return u.renderScenario(w, r, s, http.StatusBadRequest, "Not run: "+msg, nil)
	}
	html, err := u.renderPartial("outcome", &outcome{Status: "failed", Error: msg})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_, err = w.Write([]byte(html))
	return err
}
