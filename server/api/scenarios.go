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
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
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
	var items []Scenario
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
	source, err := sourceQuery(r)
	if err != nil {
		return err
	}
	sc, err := a.svc.CreateScenario(r.Context(), raw, source)
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
	var items []Version
	next := ""
	for _, v := range vs {
		if v.Version <= after {
			continue
		}
		if len(items) == limit {
			next = strconv.Itoa(items[len(items)-1].Version)
			break
		}
		items = append(items, Version{Version: v.Version, CreatedAt: weft.RFC3339(v.CreatedAt)})
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

// sourceQuery reads ?source=, where a blueprint came from (`weft scenarios create
// FILE` sends file:PATH); "api" when absent.
func sourceQuery(r *http.Request) (string, error) {
	s := strings.TrimSpace(r.URL.Query().Get("source"))
	switch {
	case s == "":
		return "api", nil
	case len(s) > 1000:
		return "", invalid("source", "%d characters: at most 1000", len(s))
	}
	return s, nil
}

// runBody is the body of POST /runs.
type runBody struct {
	// Blueprint is stored byte for byte.
	Blueprint json.RawMessage `json:"blueprint"`
	// Source names the blueprint's origin (file:PATH): the scenario stored from the same
	// source is reused.
	Source string `json:"source"`
	// Input is the trigger bundle (any JSON; not an object: {"value": …}).
	Input json.RawMessage `json:"input"`
}

// runBlueprint is `weft run FILE`: the scenario stored from the same source is reused
// (the blueprint becomes a new version when it changed) or created, then run once.
func (a *api) runBlueprint(w http.ResponseWriter, r *http.Request) error {
	var b runBody
	if err := decode(r, &b); err != nil {
		return err
	}
	raw := bytes.TrimSpace(b.Blueprint)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return invalid("blueprint", "a blueprint (JSON object) is required")
	case raw[0] != '{':
		return &Error{Status: http.StatusUnprocessableEntity, Code: codeInvalidBlueprint,
			Message: "a blueprint is a JSON object", Details: map[string]any{"problems": []any{
				map[string]any{"pointer": "", "message": "a blueprint is a JSON object", "severity": "error"}},
				"unsupported": []any{}}}
	}
	source := strings.TrimSpace(b.Source)
	switch {
	case source == "":
		return invalid("source", "required: where the blueprint comes from (file:PATH); the scenario stored from it is reused")
	case source == "api" || strings.HasPrefix(source, "clone:"):
		return invalid("source", "%q names scenarios made another way; use file:PATH or a name of your own", source)
	case len(source) > 1000:
		return invalid("source", "%d characters: at most 1000", len(source))
	}
	trigger := weft.Bundle{}
	if in := bytes.TrimSpace(b.Input); len(in) > 0 && string(in) != "null" {
		v, err := value.DecodeJSON(in)
		if err != nil {
			return invalid("input", "is not valid JSON: %v", err)
		}
		if m, ok := v.(map[string]any); ok {
			trigger = m
		} else {
			trigger = weft.Bundle{"value": v}
		}
	}
	sc, err := a.svc.ImportScenario(r.Context(), raw, source)
	if err != nil {
		return err
	}
	rr, err := a.svc.Run(context.WithoutCancel(r.Context()), sc.ID, []weft.Bundle{trigger})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewRun(rr))
	return nil
}
