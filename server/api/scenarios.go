package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// blueprintBody reads a body that must be a blueprint: not JSON at all is a 400, JSON
// that is not an object a 422 (the service's validation names every other problem).
func blueprintBody(r *http.Request) ([]byte, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	if len(trimmed) == 0 {
		return nil, invalid("body", "a blueprint (JSON object) is required")
	}
	if !json.Valid(trimmed) {
		return nil, invalid("body", "is not valid JSON")
	}
	if trimmed[0] != '{' {
		return nil, &Error{Status: http.StatusUnprocessableEntity, Code: codeInvalidBlueprint,
			Message: "a blueprint is a JSON object", Details: map[string]any{"problems": []any{
				map[string]any{"pointer": "", "message": "a blueprint is a JSON object", "severity": "error"}},
				"unsupported": []any{}}}
	}
	return body, nil
}

// hookOf returns a scenario's webhook, or nil when it has none.
func (a *api) hookOf(r *http.Request, id int64) (*weft.Hook, error) {
	h, err := a.svc.Hook(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return h, err
}

func (a *api) listScenarios(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := paging(r)
	if err != nil {
		return err
	}
	after := int64(0)
	if cursor != "" {
		if after, err = strconv.ParseInt(cursor, 10, 64); err != nil {
			return invalid("cursor", "is not a cursor this API returned")
		}
	}
	var active *bool
	if s := r.URL.Query().Get("active"); s != "" {
		b, err := boolQuery(r, "active")
		if err != nil {
			return err
		}
		active = &b
	}
	scs, err := a.st.ListScenarios(r.Context())
	if err != nil {
		return err
	}
	slices.SortFunc(scs, func(x, y *weft.Scenario) int { return int(x.ID - y.ID) })
	hooks, err := a.svc.Hooks(r.Context())
	if err != nil {
		return err
	}
	byScenario := make(map[int64]*weft.Hook, len(hooks))
	for _, h := range hooks {
		byScenario[h.ScenarioID] = h
	}
	var items []scenarioView
	next := ""
	for _, sc := range scs {
		if sc.ID <= after || (active != nil && sc.Active != *active) {
			continue
		}
		if len(items) == limit {
			next = strconv.FormatInt(items[len(items)-1].ID, 10)
			break
		}
		items = append(items, a.viewScenario(sc, byScenario[sc.ID]))
	}
	writeJSON(w, http.StatusOK, newPage(items, next))
	return nil
}

func (a *api) createScenario(w http.ResponseWriter, r *http.Request) error {
	raw, err := blueprintBody(r)
	if err != nil {
		return err
	}
	sc, err := a.svc.CreateScenario(r.Context(), raw, "api")
	if err != nil {
		return err
	}
	hook, err := a.svc.EnsureHook(r.Context(), sc.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("%s/scenarios/%d", Prefix, sc.ID))
	writeJSON(w, http.StatusCreated, a.viewScenario(sc, hook))
	return nil
}

func (a *api) getScenario(w http.ResponseWriter, r *http.Request) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	sc, err := a.st.GetScenario(r.Context(), id)
	if err != nil {
		return err
	}
	hook, err := a.hookOf(r, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.viewScenario(sc, hook))
	return nil
}

func (a *api) updateScenario(w http.ResponseWriter, r *http.Request) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	raw, err := blueprintBody(r)
	if err != nil {
		return err
	}
	if _, err := a.st.GetScenario(r.Context(), id); err != nil {
		return err
	}
	sc, err := a.svc.UpdateScenario(r.Context(), id, raw)
	if err != nil {
		return err
	}
	// A blueprint that now starts with a webhook gets its address; one that no longer
	// does keeps it (Make keeps hooks apart from scenarios, and a revert finds it again).
	hook, err := a.svc.EnsureHook(r.Context(), id)
	if err != nil {
		return err
	}
	if hook == nil {
		if hook, err = a.hookOf(r, id); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, a.viewScenario(sc, hook))
	return nil
}

func (a *api) deleteScenario(w http.ResponseWriter, r *http.Request) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	force, err := boolQuery(r, "force")
	if err != nil {
		return err
	}
	if err := a.svc.DeleteScenario(r.Context(), id, force); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *api) exportScenario(w http.ResponseWriter, r *http.Request) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	raw, err := a.svc.ExportScenario(r.Context(), id)
	if err != nil {
		return err
	}
	writeRaw(w, http.StatusOK, raw)
	return nil
}

func (a *api) listVersions(w http.ResponseWriter, r *http.Request) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	limit, cursor, err := paging(r)
	if err != nil {
		return err
	}
	after := 0
	if cursor != "" {
		if after, err = strconv.Atoi(cursor); err != nil {
			return invalid("cursor", "is not a cursor this API returned")
		}
	}
	if _, err := a.st.GetScenario(r.Context(), id); err != nil {
		return err
	}
	vs, err := a.st.ListVersions(r.Context(), id)
	if err != nil {
		return err
	}
	var items []versionView
	next := ""
	for _, v := range vs {
		if v.Version <= after {
			continue
		}
		if len(items) == limit {
			next = strconv.Itoa(items[len(items)-1].Version)
			break
		}
		items = append(items, versionView{Version: v.Version, CreatedAt: weft.RFC3339(v.CreatedAt)})
	}
	writeJSON(w, http.StatusOK, newPage(items, next))
	return nil
}

func (a *api) versionBlueprint(w http.ResponseWriter, r *http.Request) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || n < 1 {
		return invalid("version", "%q is not a version number", r.PathValue("version"))
	}
	if _, err := a.st.GetScenario(r.Context(), id); err != nil {
		return err
	}
	v, err := a.st.GetVersion(r.Context(), id, n)
	if err != nil {
		return err
	}
	writeRaw(w, http.StatusOK, v.Blueprint)
	return nil
}

func (a *api) activate(w http.ResponseWriter, r *http.Request) error { return a.setActive(w, r, true) }
func (a *api) deactivate(w http.ResponseWriter, r *http.Request) error {
	return a.setActive(w, r, false)
}

func (a *api) setActive(w http.ResponseWriter, r *http.Request, active bool) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	sc, err := a.svc.SetActive(r.Context(), id, active)
	if err != nil {
		return err
	}
	hook, err := a.hookOf(r, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.viewScenario(sc, hook))
	return nil
}

func (a *api) runScenario(w http.ResponseWriter, r *http.Request) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	trigger, err := bundleBody(r, "body")
	if err != nil {
		return err
	}
	// A run that started is carried to its end and recorded even if the client hangs
	// up: cutting it short would only leave it for crash recovery.
	rr, err := a.svc.Run(context.WithoutCancel(r.Context()), id, []weft.Bundle{trigger})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewRun(rr))
	return nil
}

type cloneBody struct {
	Name string `json:"name"`
}

func (a *api) cloneScenario(w http.ResponseWriter, r *http.Request) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	var body cloneBody
	if err := decodeOptional(r, &body); err != nil {
		return err
	}
	sc, err := a.svc.CloneScenario(r.Context(), id, body.Name)
	if err != nil {
		return err
	}
	hook, err := a.hookOf(r, sc.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("%s/scenarios/%d", Prefix, sc.ID))
	writeJSON(w, http.StatusCreated, a.viewScenario(sc, hook))
	return nil
}
