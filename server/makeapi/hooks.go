package makeapi

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// Hooks. Make keeps hooks apart from scenarios; weft gives a scenario whose trigger is
// a webhook, a mailhook or an instant app trigger one hook of its own. So here a
// hook's id is its scenario's id. POST /hooks makes a hook before its scenario exists
// (Make's order): weft stores it as an inactive scenario holding only the trigger, shown
// only as a hook (hook-only); the first scenario created with a blueprint whose trigger
// names the hook (parameters.hook) takes it over — its address and queued payloads
// too — and gets its id.

// Make's type names of weft's own hooks.
const (
	typeWebhook  = "gateway-webhook"
	typeMailhook = "gateway-mailhook"
)

// hookTypeName is Make's typeName of a trigger's hook.
func hookTypeName(trigger string) string {
	switch trigger {
	case service.WebhookTrigger:
		return typeWebhook
	case service.MailhookTrigger:
		return typeMailhook
	}
	return appOf(trigger) // an instant app trigger: the app's hook
}

type hookView struct {
	ID               int64          `json:"id"`
	Name             string         `json:"name"`
	TeamID           int64          `json:"teamId"`
	Udid             string         `json:"udid"`
	Type             string         `json:"type"`
	PackageName      *string        `json:"packageName"`
	Theme            string         `json:"theme"`
	Editable         bool           `json:"editable"`
	QueueCount       int            `json:"queueCount"`
	QueueLimit       int            `json:"queueLimit"`
	Enabled          bool           `json:"enabled"`
	Gone             bool           `json:"gone"`
	TypeName         string         `json:"typeName"`
	Data             map[string]any `json:"data"`
	ScenarioID       *int64         `json:"scenarioId,omitempty"`
	ScenarioName     *string        `json:"scenarioName,omitempty"`
	ScenarioIsActive *bool          `json:"scenarioIsActive,omitempty"`
	URL              string         `json:"url"`
}

// hookData is what Make's gateway hooks hold in data, with the values weft's hooks
// behave by: the payload alone (no headers, no method), parsed, from any address.
func hookData() map[string]any {
	return map[string]any{"headers": false, "method": false, "stringify": false}
}

func (a *api) viewHook(ctx context.Context, h *weft.Hook, sc *weft.Scenario) (hookView, error) {
	raw, err := a.svc.ExportScenario(ctx, sc.ID)
	if err != nil {
		return hookView{}, err
	}
	trig, _ := service.TriggerType(raw)
	n, err := a.st.QueueDepth(ctx, sc.ID)
	if err != nil {
		return hookView{}, err
	}
	v := hookView{ID: sc.ID, Name: sc.Name, TeamID: a.TeamID, Udid: h.Token, Type: "web", Theme: "#ffffff", Editable: true,
		QueueCount: n, QueueLimit: a.QueueLimit, Enabled: true, TypeName: hookTypeName(trig), Data: map[string]any{},
		URL: a.BaseURL + "/hooks/" + h.Token}
	switch trig {
	case service.WebhookTrigger:
		v.Data = hookData()
	case service.MailhookTrigger:
		v.Type, v.Data = "mail", hookData()
	default:
		app := appOf(trig)
		v.PackageName = &app
		v.Editable = false
	}
	if !isHookOnly(sc) {
		id, name, active := sc.ID, sc.Name, sc.Active
		v.ScenarioID, v.ScenarioName, v.ScenarioIsActive = &id, &name, &active
	}
	return v, nil
}

// hook reads the hook the route names, with its scenario.
func (a *api) hook(r *http.Request) (*weft.Hook, *weft.Scenario, error) {
	id, err := int64Path(r, "hookId")
	if err != nil {
		return nil, nil, err
	}
	sc, err := a.st.GetScenario(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, notFound("hook %d does not exist", id)
	}
	if err != nil {
		return nil, nil, err
	}
	h, err := a.svc.Hook(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, notFound("hook %d does not exist", id)
	}
	return h, sc, err
}

var hookColumns = []string{"id", "name", "teamId", "udid", "type", "packageName", "theme", "editable", "queueCount",
	"queueLimit", "enabled", "gone", "typeName", "data", "scenarioId", "scenarioName", "scenarioIsActive", "url"}

func (a *api) listHooks(w http.ResponseWriter, r *http.Request) error {
	if err := requireTeam(r); err != nil {
		return err
	}
	p, err := paging{sortBy: "id", sortDir: "asc", sorts: []string{"id", "name"}, limit: maxLimit}.read(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	typeName := q.Get("typeName")
	var assigned *bool
	if q.Get("assigned") != "" {
		b, err := boolQuery(r, "assigned")
		if err != nil {
			return err
		}
		assigned = &b
	}
	if _, err := int64Query(r, "viewForScenarioId"); err != nil {
		return err
	}
	hooks, err := a.svc.Hooks(r.Context())
	if err != nil {
		return err
	}
	var views []hookView
	for _, h := range hooks {
		sc, err := a.st.GetScenario(r.Context(), h.ScenarioID)
		if err != nil {
			return err
		}
		v, err := a.viewHook(r.Context(), h, sc)
		if err != nil {
			return err
		}
		if (typeName != "" && v.TypeName != typeName) || (assigned != nil && (v.ScenarioID != nil) != *assigned) {
			continue
		}
		views = append(views, v)
	}
	sortItems(views, p, map[string]func(x, y hookView) int{
		"id":   func(x, y hookView) int { return cmp.Compare(x.ID, y.ID) },
		"name": func(x, y hookView) int { return cmp.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name)) },
	})
	writeJSON(w, http.StatusOK, map[string]any{"hooks": nonNil(page(views, p)), "pg": p})
	return nil
}

func (a *api) getHook(w http.ResponseWriter, r *http.Request) error {
	h, sc, err := a.hook(r)
	if err != nil {
		return err
	}
	v, err := a.viewHook(r.Context(), h, sc)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"hook": v})
	return nil
}

// checkHookData refuses hook settings weft's hooks do not have (they pass the payload
// alone, parsed, from any address) rather than storing what nothing would honour.
func checkHookData(o object, skip ...string) error {
	for k, raw := range o {
		if slices.Contains(skip, k) {
			continue
		}
		switch k {
		case "headers", "method", "stringify":
			var b bool
			if err := json.Unmarshal(raw, &b); err != nil {
				return invalid(k, "must be true or false")
			}
			if b {
				return invalid(k, "weft's webhooks pass the payload alone, parsed: %s cannot be true", k)
			}
		case "ip":
			var s string
			_ = json.Unmarshal(raw, &s)
			if strings.TrimSpace(s) != "" && string(raw) != "null" {
				return invalid(k, "weft's webhooks take calls from any address; restrict them in front of weft, or sign payloads (docs/api.md)")
			}
		case "udt":
			if string(raw) != "null" {
				return invalid(k, "weft's webhooks do not check payloads against a data structure")
			}
		default:
			return invalid(k, "is not a hook setting weft knows (headers, method, stringify, ip, udt)")
		}
	}
	return nil
}

// createHook makes a hook before its scenario: a hook-only scenario (see above).
func (a *api) createHook(w http.ResponseWriter, r *http.Request) error {
	if s := r.URL.Query().Get("useDefaults"); s != "" && s != "requiredOnly" && s != "all" {
		if _, err := boolQuery(r, "useDefaults"); err != nil {
			return invalid("useDefaults", "%q: want requiredOnly, all, true or false", s)
		}
	}
	o, err := readObject(r, false)
	if err != nil {
		return err
	}
	var name, typeName string
	var team int64
	if err := o.get("name", &name); err != nil {
		return err
	}
	if err := o.get("typeName", &typeName); err != nil {
		return err
	}
	if err := o.get("teamId", &team); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(name) == "":
		return invalid("name", "is required")
	case len(name) > 128:
		return invalid("name", "is longer than 128 characters")
	case team < 1:
		return invalid("teamId", "is required (any team id names weft's one team)")
	}
	module := ""
	switch typeName {
	case typeWebhook:
		module = service.WebhookTrigger
	case typeMailhook:
		module = service.MailhookTrigger
	case "":
		return invalid("typeName", "is required (%s or %s)", typeWebhook, typeMailhook)
	default:
		return invalid("typeName", "%q: weft makes an app's hook itself when a scenario with its instant trigger is activated; here it makes %s and %s",
			typeName, typeWebhook, typeMailhook)
	}
	if err := checkHookData(o, "name", "typeName", "teamId"); err != nil {
		return err
	}
	qname, _ := json.Marshal(name)
	raw := fmt.Sprintf(`{"name":%s,"flow":[{"id":1,"module":%q,"version":1,"parameters":{},"mapper":{},"metadata":{}}],"metadata":{"version":1,"instant":true,"scenario":{}}}`,
		qname, module)
	sc, err := a.svc.CreateScenario(r.Context(), []byte(raw), hookSource)
	if err != nil {
		return err
	}
	h, err := a.svc.EnsureHook(r.Context(), sc.ID)
	if err != nil {
		return err
	}
	v, err := a.viewHook(r.Context(), h, sc)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"hook": v})
	return nil
}

// deleteHook deletes a hook no scenario has taken over (with its queued payloads). A
// scenario's own hook goes with the scenario.
func (a *api) deleteHook(w http.ResponseWriter, r *http.Request) error {
	if _, err := boolQuery(r, "confirmed"); err != nil {
		return err
	}
	_, sc, err := a.hook(r)
	if err != nil {
		return err
	}
	if !isHookOnly(sc) {
		return refused("hook %d is scenario %d's trigger: delete the scenario (DELETE /scenarios/%d), its hook goes with it", sc.ID, sc.ID, sc.ID)
	}
	if err := a.svc.DeleteScenario(r.Context(), sc.ID, true); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"hook": sc.ID})
	return nil
}

func (a *api) pingHook(w http.ResponseWriter, r *http.Request) error {
	h, sc, err := a.hook(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"address": a.BaseURL + "/hooks/" + h.Token, "attached": !isHookOnly(sc),
		"learning": false, "gone": false})
	return nil
}

// setHookData takes Make's gateway hook settings: weft's own values are accepted
// (nothing changes), others refused.
func (a *api) setHookData(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := a.hook(r); err != nil {
		return err
	}
	o, err := readObject(r, true)
	if err != nil {
		return err
	}
	if err := checkHookData(o); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"changed": false})
	return nil
}

// enableHook: weft's hooks are always enabled (a scenario's payloads queue while it is
// inactive and run once it is active).
func (a *api) enableHook(w http.ResponseWriter, r *http.Request) error {
	_, sc, err := a.hook(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"hook": map[string]any{"id": sc.ID, "enabled": true}})
	return nil
}

// disableHook is refused: weft's hooks cannot stop taking payloads while their address
// stands (nothing sent to weft is dropped). Rotating the address (/api/v1) stops the
// old one at once.
func (a *api) disableHook(w http.ResponseWriter, r *http.Request) error {
	_, sc, err := a.hook(r)
	if err != nil {
		return err
	}
	return refused("weft's hooks are always enabled: stop scenario %d to let payloads wait in its queue, or give the hook a new address (POST /api/v1/scenarios/%d/hook/rotate) to stop the old one",
		sc.ID, sc.ID)
}

// incomingView is a queued payload of a hook (weft's trigger queue). Make lists those
// waiting for processing; weft lists every queued payload, those being run and those
// set aside after an error included (docs/incomplete-executions.md §7).
type incomingView struct {
	ID      string          `json:"id"`
	Scope   string          `json:"scope"`
	Size    int64           `json:"size"`
	Created string          `json:"created"`
	Data    json.RawMessage `json:"data,omitempty"`
}

func viewIncoming(it *weft.QueueItem) incomingView {
	return incomingView{ID: strconv.FormatInt(it.ID, 10), Scope: "hook", Size: it.SizeBytes, Created: makeTime(it.EnqueuedAt)}
}

func (a *api) queued(ctx context.Context, scenarioID int64) ([]*weft.QueueItem, error) {
	return a.svc.ListQueue(ctx, store.QueueFilter{ScenarioID: scenarioID})
}

func (a *api) listIncomings(w http.ResponseWriter, r *http.Request) error {
	_, sc, err := a.hook(r)
	if err != nil {
		return err
	}
	p, err := paging{sortBy: "created", sortDir: "asc", sorts: []string{"created", "size"}, limit: maxLimit}.read(r)
	if err != nil {
		return err
	}
	items, err := a.queued(r.Context(), sc.ID)
	if err != nil {
		return err
	}
	views := make([]incomingView, len(items))
	for i, it := range items {
		views[i] = viewIncoming(it)
	}
	sortItems(views, p, map[string]func(x, y incomingView) int{
		"created": func(x, y incomingView) int { return 0 }, // the queue's own order is arrival order
		"size":    func(x, y incomingView) int { return cmp.Compare(x.Size, y.Size) },
	})
	if p.SortBy == "created" && p.SortDir == "desc" {
		slices.Reverse(views)
	}
	writeJSON(w, http.StatusOK, map[string]any{"incomings": page(views, p), "pg": p})
	return nil
}

func (a *api) getIncoming(w http.ResponseWriter, r *http.Request) error {
	_, sc, err := a.hook(r)
	if err != nil {
		return err
	}
	s := r.PathValue("incomingId")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return notFound("hook %d has no queued payload %s", sc.ID, s)
	}
	it, confidential, err := a.svc.GetQueued(r.Context(), sc.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("hook %d has no queued payload %s", sc.ID, s)
	}
	if err != nil {
		return err
	}
	v := viewIncoming(it)
	v.Data = json.RawMessage("null")
	if !confidential {
		p, err := value.UnmarshalTagged(it.Payload)
		if err != nil {
			return fmt.Errorf("queued payload %d: %w", it.ID, err)
		}
		v.Data = value.JSON(p)
	}
	writeJSON(w, http.StatusOK, map[string]any{"incoming": v})
	return nil
}

// deleteIncomings deletes queued payloads of a hook; all needs confirmed=true. A payload
// a run consumes right now is kept (its run settles it) and named in an error after the
// rest are deleted, as Make does.
func (a *api) deleteIncomings(w http.ResponseWriter, r *http.Request) error {
	_, sc, err := a.hook(r)
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
		return needConfirmation("deleting every queued payload of a hook")
	}
	items, err := a.queued(r.Context(), sc.ID)
	if err != nil {
		return err
	}
	for _, id := range sel.IDs {
		if !slices.ContainsFunc(items, func(it *weft.QueueItem) bool { return strconv.FormatInt(it.ID, 10) == id }) {
			return notFound("hook %d has no queued payload %s", sc.ID, id)
		}
	}
	var picked []int64
	var busy []string
	for _, it := range items {
		id := strconv.FormatInt(it.ID, 10)
		switch {
		case !sel.includes(id):
		case it.Status() == weft.QueueRunning:
			busy = append(busy, id)
		default:
			picked = append(picked, it.ID)
		}
	}
	deleted := []string{}
	if len(picked) > 0 {
		if _, err := a.svc.DeleteQueued(r.Context(), store.QueueSelection{ScenarioID: sc.ID, IDs: picked}); err != nil {
			return err
		}
		left, err := a.queued(r.Context(), sc.ID)
		if err != nil {
			return err
		}
		for _, id := range picked {
			s := strconv.FormatInt(id, 10)
			if slices.ContainsFunc(left, func(it *weft.QueueItem) bool { return it.ID == id }) {
				busy = append(busy, s)
			} else {
				deleted = append(deleted, s)
			}
		}
	}
	if len(busy) > 0 {
		return refused("some of the incoming messages could not be deleted because they are being processed right now: %s (the other %d were deleted)",
			strings.Join(busy, ", "), len(deleted))
	}
	writeJSON(w, http.StatusOK, map[string]any{"incomings": deleted})
	return nil
}
