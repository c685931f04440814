package makeapi

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/schedule"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// Sources of the scenarios this API creates (weft.Scenario.Source): a scenario, and the
// scenario that holds a hook made with POST /hooks until a scenario takes it over.
const (
	scenarioSource = "make-api"
	hookSource     = "make-api:hook"
)

// isHookOnly reports a scenario that stands for a hook made with POST /hooks and not
// taken over by a scenario yet (hooks.go): /api/v2 shows it as a hook, not a scenario.
func isHookOnly(sc *weft.Scenario) bool { return sc.Source == hookSource && sc.Version == 1 }

// userRef is who created or changed a scenario: weft has no user accounts, so its
// one user (users/me).
type userRef struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

var weftUser = userRef{ID: 1, Name: "weft", Email: ""}

// scenarioView is a scenario in Make's shape.
type scenarioView struct {
	ID              int64      `json:"id"`
	Name            string     `json:"name"`
	TeamID          int64      `json:"teamId"`
	HookID          *int64     `json:"hookId"`
	DeviceID        *int64     `json:"deviceId"`
	DeviceScope     *string    `json:"deviceScope"`
	Description     string     `json:"description"`
	FolderID        *int64     `json:"folderId"`
	IsInvalid       bool       `json:"isinvalid"`
	IsActive        bool       `json:"isActive"`
	IsLinked        bool       `json:"islinked"`
	IsLocked        bool       `json:"islocked"`
	IsPaused        bool       `json:"isPaused"`
	UsedPackages    []string   `json:"usedPackages"`
	LastEdit        string     `json:"lastEdit"`
	Scheduling      scheduling `json:"scheduling"`
	IsWaiting       bool       `json:"iswaiting"`
	DlqCount        int        `json:"dlqCount"`
	CreatedByUser   userRef    `json:"createdByUser"`
	UpdatedByUser   userRef    `json:"updatedByUser"`
	NextExec        *string    `json:"nextExec"`
	Created         string     `json:"created"`
	ScenarioVersion int        `json:"scenarioVersion"`
}

var scenarioColumns = []string{"id", "name", "teamId", "hookId", "deviceId", "deviceScope", "description", "folderId",
	"isinvalid", "isActive", "islinked", "islocked", "isPaused", "usedPackages", "lastEdit", "scheduling", "iswaiting",
	"dlqCount", "createdByUser", "updatedByUser", "nextExec", "created", "scenarioVersion"}

// openStatuses are the incomplete executions Make counts in dlqCount.
var openStatuses = []weft.IncompleteStatus{weft.IncompleteUnresolved, weft.IncompletePending, weft.IncompleteInProgress}

// viewScenario shows sc; hook is its webhook (nil when it has none).
func (a *api) viewScenario(ctx context.Context, sc *weft.Scenario, hook *weft.Hook) (scenarioView, error) {
	v := scenarioView{ID: sc.ID, Name: sc.Name, TeamID: a.TeamID, IsInvalid: sc.Deactivated != "", IsActive: sc.Active,
		IsLinked: sc.Active, IsPaused: sc.Paused != "", LastEdit: makeTime(sc.UpdatedAt),
		Scheduling: fromWeft(sc.Schedule, sc.Instant), CreatedByUser: weftUser, UpdatedByUser: weftUser,
		NextExec: makeTimePtr(sc.NextRunAt), Created: makeTime(sc.CreatedAt), ScenarioVersion: sc.Version,
		UsedPackages: []string{}}
	if hook != nil {
		id := hook.ScenarioID
		v.HookID = &id
	}
	ver, err := a.st.GetVersion(ctx, sc.ID, sc.Version)
	if err != nil {
		return v, fmt.Errorf("scenario %d version %d: %w", sc.ID, sc.Version, err)
	}
	sequential := false
	if bp, err := blueprint.Parse(ver.Blueprint); err == nil {
		v.Description, v.UsedPackages = bp.Description, usedPackages(bp)
		sequential = bp.Metadata.Scenario.Sequential
	}
	if v.DlqCount, err = a.st.CountIncomplete(ctx, store.IncompleteFilter{ScenarioID: sc.ID, Status: openStatuses}); err != nil {
		return v, err
	}
	// Make's iswaiting: a sequential scenario holds its runs until its incomplete
	// executions are resolved (SPEC §5.5).
	v.IsWaiting = sequential && v.DlqCount > 0
	return v, nil
}

// scenario reads scenario id for a /scenarios/{scenarioId} route: a hook-only scenario
// (POST /hooks) is a hook here, not a scenario.
func (a *api) scenario(r *http.Request) (*weft.Scenario, error) {
	id, err := int64Path(r, "scenarioId")
	if err != nil {
		return nil, err
	}
	return a.scenarioByID(r.Context(), id)
}

func (a *api) scenarioByID(ctx context.Context, id int64) (*weft.Scenario, error) {
	sc, err := a.st.GetScenario(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && isHookOnly(sc)) {
		return nil, notFound("scenario %d does not exist", id)
	}
	return sc, err
}

// hookOf returns a scenario's webhook, or nil when it has none.
func (a *api) hookOf(ctx context.Context, id int64) (*weft.Hook, error) {
	h, err := a.svc.Hook(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return h, err
}

func (a *api) writeScenario(w http.ResponseWriter, r *http.Request, sc *weft.Scenario, cols []string) error {
	hook, err := a.hookOf(r.Context(), sc.ID)
	if err != nil {
		return err
	}
	v, err := a.viewScenario(r.Context(), sc, hook)
	if err != nil {
		return err
	}
	out, err := pick(v, cols)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"scenario": out})
	return nil
}

var scenarioPaging = paging{sortBy: "id", sortDir: "asc", sorts: []string{"id", "name", "lastEdit", "created"}, limit: maxLimit}

func (a *api) listScenarios(w http.ResponseWriter, r *http.Request) error {
	if err := teamOrOrganization(r); err != nil {
		return err
	}
	p, err := scenarioPaging.read(r)
	if err != nil {
		return err
	}
	cols, err := columns(r, scenarioColumns)
	if err != nil {
		return err
	}
	var folder int64
	if folder, err = int64Query(r, "folderId"); err != nil {
		return err
	}
	scs, err := a.st.ListScenarios(r.Context())
	if err != nil {
		return err
	}
	var shown []*weft.Scenario
	for _, sc := range scs {
		if !isHookOnly(sc) && folder == 0 { // weft has no folders: a folder holds nothing
			shown = append(shown, sc)
		}
	}
	sortItems(shown, p, map[string]func(x, y *weft.Scenario) int{
		"id":       func(x, y *weft.Scenario) int { return cmp.Compare(x.ID, y.ID) },
		"name":     func(x, y *weft.Scenario) int { return cmp.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name)) },
		"lastEdit": func(x, y *weft.Scenario) int { return x.UpdatedAt.Compare(y.UpdatedAt) },
		"created":  func(x, y *weft.Scenario) int { return x.CreatedAt.Compare(y.CreatedAt) },
	})
	hooks, err := a.svc.Hooks(r.Context())
	if err != nil {
		return err
	}
	byScenario := make(map[int64]*weft.Hook, len(hooks))
	for _, h := range hooks {
		byScenario[h.ScenarioID] = h
	}
	var views []scenarioView
	for _, sc := range page(shown, p) {
		v, err := a.viewScenario(r.Context(), sc, byScenario[sc.ID])
		if err != nil {
			return err
		}
		views = append(views, v)
	}
	items, err := pickAll(views, cols)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"scenarios": items, "pg": p})
	return nil
}

func (a *api) getScenario(w http.ResponseWriter, r *http.Request) error {
	cols, err := columns(r, scenarioColumns)
	if err != nil {
		return err
	}
	sc, err := a.scenario(r)
	if err != nil {
		return err
	}
	return a.writeScenario(w, r, sc, cols)
}

// scenarioBody is what POST and PATCH /scenarios read: the blueprint (a JSON string or
// object) with Make's name, description, scheduling and interface (metadata's
// input_spec and output_spec) folded into it, and the schedule.
type scenarioBody struct {
	blueprint []byte         // nil: unchanged
	schedule  *weft.Schedule // nil: unchanged
	name      *string        // nil: unchanged
	desc      *string        // nil: unchanged
	iface     *iface         // nil: unchanged
	obj       object         // the body as sent
	now       func() time.Time
}

func readScenarioBody(r *http.Request, create bool, now func() time.Time) (*scenarioBody, error) {
	o, err := readObject(r, false)
	if err != nil {
		return nil, err
	}
	known := []string{"blueprint", "scheduling", "folderId", "metadata", "name", "description"}
	if create {
		known = []string{"blueprint", "scheduling", "folderId", "metadata", "teamId", "basedon"}
	}
	if err := o.only(known...); err != nil {
		return nil, err
	}
	b := &scenarioBody{obj: o, now: now}
	if create {
		var team int64
		if err := o.get("teamId", &team); err != nil {
			return nil, err
		}
		if team < 1 {
			return nil, invalid("teamId", "is required (any team id names weft's one team)")
		}
		if o.has("basedon") {
			return nil, invalid("basedon", "weft has no templates: send the blueprint itself")
		}
	}
	// folderId is accepted and not kept: weft has no folders (docs/api.md).
	var folder any
	if err := o.get("folderId", &folder); err != nil {
		return nil, err
	}
	if b.blueprint, err = o.jsonDoc("blueprint"); err != nil {
		return nil, err
	}
	if create && b.blueprint == nil {
		return nil, invalid("blueprint", "is required")
	}
	if o.has("name") {
		var s string
		if err := o.get("name", &s); err != nil {
			return nil, err
		}
		if strings.TrimSpace(s) == "" {
			return nil, invalid("name", "is empty")
		}
		b.name = &s
	}
	if o.has("description") {
		var s string
		if err := o.get("description", &s); err != nil {
			return nil, err
		}
		b.desc = &s
	}
	if o.has("metadata") {
		var md struct {
			InputSpec  []any `json:"input_spec"`
			OutputSpec []any `json:"output_spec"`
		}
		mo := object{}
		if err := o.get("metadata", &mo); err != nil {
			return nil, err
		}
		if err := mo.only("input_spec", "output_spec"); err != nil {
			return nil, invalid("metadata", "%s", err.Error())
		}
		if err := o.get("metadata", &md); err != nil {
			return nil, err
		}
		// The SDK always sends both lists; empty ones declare nothing (a blueprint
		// keeps the interface it declares itself).
		if len(md.InputSpec) > 0 || len(md.OutputSpec) > 0 {
			b.iface = &iface{Input: md.InputSpec, Output: md.OutputSpec}
		}
	}
	if raw, err := o.jsonDoc("scheduling"); err != nil {
		return nil, err
	} else if raw != nil {
		sch, err := toWeft(raw)
		if err != nil {
			return nil, err
		}
		if err := schedule.Validate(sch); err != nil {
			return nil, invalid("scheduling", "%s", err.Error())
		}
		if sch.Type == schedule.Once && !sch.At.After(now()) {
			return nil, invalid("scheduling.date", "%s is not in the future", makeTime(*sch.At))
		}
		b.schedule = &sch
	}
	return b, nil
}

// apply folds name, description and interface into raw.
func (b *scenarioBody) apply(raw []byte) ([]byte, error) {
	var err error
	if b.name != nil {
		if raw, err = service.RenameBlueprint(raw, *b.name); err != nil {
			return nil, invalid("blueprint", "%v", err)
		}
	}
	if b.desc != nil {
		val, _ := json.Marshal(*b.desc)
		if raw, err = setKey(raw, []string{"description"}, val); err != nil {
			return nil, invalid("blueprint", "%v", err)
		}
	}
	if b.iface != nil {
		if raw, err = withInterface(raw, b.iface.Input, b.iface.Output); err != nil {
			return nil, invalid("blueprint", "%v", err)
		}
	}
	return raw, nil
}

func (a *api) createScenario(w http.ResponseWriter, r *http.Request) error {
	if _, err := boolQuery(r, "confirmed"); err != nil {
		return err
	}
	cols, err := columns(r, scenarioColumns)
	if err != nil {
		return err
	}
	b, err := readScenarioBody(r, true, a.Now)
	if err != nil {
		return err
	}
	raw, err := b.apply(b.blueprint)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var sc *weft.Scenario
	holder, err := a.hookHolder(ctx, raw)
	if err != nil {
		return err
	}
	if holder != 0 {
		// The blueprint's trigger names a hook made with POST /hooks: the scenario takes
		// it over (weft's hooks belong to one scenario), address and queue included.
		sc, err = a.svc.UpdateScenario(ctx, holder, raw)
	} else {
		sc, err = a.svc.CreateScenario(ctx, raw, scenarioSource)
	}
	if err != nil {
		return err
	}
	if b.schedule != nil {
		if sc, err = a.svc.SetSchedule(ctx, sc.ID, *b.schedule); err != nil {
			return err
		}
	}
	if _, err := a.svc.EnsureHook(ctx, sc.ID); err != nil {
		return err
	}
	return a.writeScenario(w, r, sc, cols)
}

// hookHolder returns the hook-only scenario a blueprint's webhook or mailhook trigger
// names in parameters.hook (0 when it names none: weft then gives the scenario a hook
// of its own, as /api/v1 does).
func (a *api) hookHolder(ctx context.Context, raw []byte) (int64, error) {
	bp, err := blueprint.Parse(raw)
	if err != nil || len(bp.Flow) == 0 {
		return 0, nil // the service reports what is wrong with the blueprint
	}
	first := bp.Flow[0]
	if first.Type != service.WebhookTrigger && first.Type != service.MailhookTrigger {
		return 0, nil
	}
	n, ok := hookParam(first.Parameters["hook"])
	if !ok {
		return 0, nil
	}
	sc, err := a.st.GetScenario(ctx, n)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil || !isHookOnly(sc) {
		return 0, err
	}
	hraw, err := a.svc.ExportScenario(ctx, n)
	if err != nil {
		return 0, err
	}
	if trig, _ := service.TriggerType(hraw); trig != first.Type {
		return 0, invalid("blueprint", "flow[0] is %s but hook %d is a %s", first.Type, n, hookTypeName(trig))
	}
	return n, nil
}

// hookParam reads a hook id from a trigger's parameters.hook.
func hookParam(v any) (int64, bool) {
	s := value.Text(v)
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

func (a *api) updateScenario(w http.ResponseWriter, r *http.Request) error {
	if _, err := boolQuery(r, "confirmed"); err != nil {
		return err
	}
	cols, err := columns(r, scenarioColumns)
	if err != nil {
		return err
	}
	sc, err := a.scenario(r)
	if err != nil {
		return err
	}
	b, err := readScenarioBody(r, false, a.Now)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if b.blueprint != nil || b.name != nil || b.desc != nil || b.iface != nil {
		raw := b.blueprint
		if raw == nil {
			if raw, err = a.svc.ExportScenario(ctx, sc.ID); err != nil {
				return err
			}
		}
		if raw, err = b.apply(raw); err != nil {
			return err
		}
		if sc, err = a.svc.UpdateScenario(ctx, sc.ID, raw); err != nil {
			return err
		}
		if _, err := a.svc.EnsureHook(ctx, sc.ID); err != nil {
			return err
		}
	}
	if b.schedule != nil {
		if sc, err = a.svc.SetSchedule(ctx, sc.ID, *b.schedule); err != nil {
			return err
		}
	}
	return a.writeScenario(w, r, sc, cols)
}

// deleteScenario deletes a scenario. Make deletes one whatever it holds; weft keeps
// failed runs, so a scenario with incomplete executions not resolved yet is refused
// unless confirmed=true says to delete them too (docs/api.md).
func (a *api) deleteScenario(w http.ResponseWriter, r *http.Request) error {
	confirmed, err := boolQuery(r, "confirmed")
	if err != nil {
		return err
	}
	sc, err := a.scenario(r)
	if err != nil {
		return err
	}
	if err := a.svc.DeleteScenario(r.Context(), sc.ID, confirmed); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"scenario": sc.ID})
	return nil
}

func (a *api) startScenario(w http.ResponseWriter, r *http.Request) error {
	return a.setActive(w, r, true)
}
func (a *api) stopScenario(w http.ResponseWriter, r *http.Request) error {
	return a.setActive(w, r, false)
}

func (a *api) setActive(w http.ResponseWriter, r *http.Request, active bool) error {
	sc, err := a.scenario(r)
	if err != nil {
		return err
	}
	if sc, err = a.svc.SetActive(r.Context(), sc.ID, active); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"scenario": map[string]any{"id": sc.ID, "isActive": sc.Active, "islinked": sc.Active}})
	return nil
}

// Make's execution statuses: 1 success, 2 warning, 3 error (0 still running).
func makeStatus(s weft.Status) int {
	switch s {
	case weft.StatusSuccess:
		return 1
	case weft.StatusWarning:
		return 2
	case weft.StatusError:
		return 3
	}
	return 0
}

// runScenario runs a scenario once with data as its trigger bundle and answers when
// the run has ended and is recorded (responsive or not: weft does not hand runs to a
// queue that would answer sooner). Like Make, an inactive scenario is refused.
func (a *api) runScenario(w http.ResponseWriter, r *http.Request) error {
	sc, err := a.scenario(r)
	if err != nil {
		return err
	}
	o, err := readObject(r, true)
	if err != nil {
		return err
	}
	if err := o.only("data", "responsive", "callbackUrl"); err != nil {
		return err
	}
	data, err := o.bundle("data")
	if err != nil {
		return err
	}
	responsive := false
	if err := o.get("responsive", &responsive); err != nil {
		return err
	}
	if o.has("callbackUrl") {
		return invalid("callbackUrl", "weft does not call back: with responsive: true the answer carries the outcome")
	}
	if !sc.Active {
		return refused("Scenario is not activated: start scenario %d first (POST /scenarios/%d/start)", sc.ID, sc.ID)
	}
	if data == nil {
		data = map[string]any{}
	}
	// A run that started is carried to its end and recorded even if the client hangs
	// up: cutting it short would only leave it for crash recovery.
	rr, err := a.svc.Run(context.WithoutCancel(r.Context()), sc.ID, []weft.Bundle{data})
	if err != nil {
		return err
	}
	out := map[string]any{"executionId": rr.Result.ExecutionID}
	if responsive {
		out["status"] = makeStatus(rr.Result.Status)
		if rr.Result.Returned {
			out["outputs"] = json.RawMessage(value.JSON(rr.Result.Outputs))
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *api) getInterface(w http.ResponseWriter, r *http.Request) error {
	sc, err := a.scenario(r)
	if err != nil {
		return err
	}
	raw, err := a.svc.ExportScenario(r.Context(), sc.ID)
	if err != nil {
		return err
	}
	in, err := interfaceOf(raw)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"interface": in})
	return nil
}

// setInterface stores Make's scenario interface in the blueprint's metadata.interface:
// a new blueprint version (weft keeps the declaration with the blueprint).
func (a *api) setInterface(w http.ResponseWriter, r *http.Request) error {
	sc, err := a.scenario(r)
	if err != nil {
		return err
	}
	o, err := readObject(r, false)
	if err != nil {
		return err
	}
	if err := o.only("interface"); err != nil {
		return err
	}
	io := object{}
	if err := o.get("interface", &io); err != nil {
		return err
	}
	if !o.has("interface") {
		return invalid("interface", "is required")
	}
	if err := io.only("input", "output"); err != nil {
		return invalid("interface", "%s", err.Error())
	}
	var in iface
	if err := o.get("interface", &in); err != nil {
		return err
	}
	raw, err := a.svc.ExportScenario(r.Context(), sc.ID)
	if err != nil {
		return err
	}
	if raw, err = withInterface(raw, in.Input, in.Output); err != nil {
		return err
	}
	if _, err := a.svc.UpdateScenario(r.Context(), sc.ID, raw); err != nil {
		return err
	}
	got, err := interfaceOf(raw)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"interface": got})
	return nil
}

// getBlueprint answers Make's {"code": "OK", "response": {"blueprint", "scheduling",
// "metadata"}}; blueprintId picks a version (weft's version number). weft has no
// drafts: draft=true shows the current blueprint too.
func (a *api) getBlueprint(w http.ResponseWriter, r *http.Request) error {
	sc, err := a.scenario(r)
	if err != nil {
		return err
	}
	if _, err := boolQuery(r, "draft"); err != nil {
		return err
	}
	n := sc.Version
	if s := r.URL.Query().Get("blueprintId"); s != "" {
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			return invalid("blueprintId", "%q is not a blueprint version (GET /scenarios/%d/blueprints)", s, sc.ID)
		}
	}
	v, err := a.st.GetVersion(r.Context(), sc.ID, n)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("scenario %d has no blueprint version %d", sc.ID, n)
	}
	if err != nil {
		return err
	}
	in, err := interfaceOf(v.Blueprint)
	if err != nil {
		return err
	}
	idSeq := 1
	if bp, err := blueprint.Parse(v.Blueprint); err == nil {
		idSeq = maxModuleID(bp) + 1
	}
	writeJSON(w, http.StatusOK, map[string]any{"code": "OK", "response": map[string]any{
		"blueprint":  json.RawMessage(v.Blueprint),
		"scheduling": fromWeft(sc.Schedule, sc.Instant),
		"idSequence": idSeq,
		"created":    makeTime(v.CreatedAt),
		"metadata":   map[string]any{"input_spec": in.Input, "output_spec": in.Output},
	}})
	return nil
}

type blueprintVersionView struct {
	Version    int    `json:"version"`
	Created    string `json:"created"`
	ScenarioID int64  `json:"scenarioId"`
	Draft      bool   `json:"draft"`
}

func (a *api) listBlueprints(w http.ResponseWriter, r *http.Request) error {
	sc, err := a.scenario(r)
	if err != nil {
		return err
	}
	p, err := paging{sortBy: "version", sortDir: "desc", sorts: []string{"version", "created"}, limit: maxLimit}.read(r)
	if err != nil {
		return err
	}
	vs, err := a.st.ListVersions(r.Context(), sc.ID)
	if err != nil {
		return err
	}
	views := make([]blueprintVersionView, len(vs))
	for i, v := range vs {
		views[i] = blueprintVersionView{Version: v.Version, Created: makeTime(v.CreatedAt), ScenarioID: sc.ID}
	}
	byVersion := func(x, y blueprintVersionView) int { return cmp.Compare(x.Version, y.Version) }
	sortItems(views, p, map[string]func(x, y blueprintVersionView) int{"version": byVersion, "created": byVersion})
	writeJSON(w, http.StatusOK, map[string]any{"scenariosBlueprints": page(views, p), "pg": p})
	return nil
}
