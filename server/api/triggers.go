package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
)

// Polling triggers: where a scenario's trigger stands, and choosing where it starts
// (docs/triggers.md).

type TriggerPosition struct {
	ScenarioID int64           `json:"scenarioId"`
	ModuleID   int             `json:"moduleId"`
	Module     string          `json:"module"`
	Position   json.RawMessage `json:"position"`
	Start      *string         `json:"start"`
	Version    int64           `json:"version"`
	UpdatedAt  string          `json:"updatedAt"`
}

func viewTrigger(p *weft.TriggerPosition) TriggerPosition {
	v := TriggerPosition{ScenarioID: p.ScenarioID, ModuleID: p.ModuleID, Module: p.Module, Position: p.Position,
		Version: p.Version, UpdatedAt: weft.RFC3339(p.UpdatedAt)}
	if len(v.Position) == 0 {
		v.Position = json.RawMessage("null")
	}
	if p.Start != "" {
		v.Start = &p.Start
	}
	return v
}

func (a *api) getTrigger(w http.ResponseWriter, r *http.Request) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	p, err := a.svc.TriggerPosition(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewTrigger(p))
	return nil
}

type triggerStartRequest struct {
	From string `json:"from"`
}

func (a *api) startTrigger(w http.ResponseWriter, r *http.Request) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	var req triggerStartRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.From) == "" {
		return invalid("from", "required: now, all, last:N or a date")
	}
	from, err := app.ParseStartFrom(req.From, time.UTC)
	if err != nil {
		return invalid("from", "%s", err.Error())
	}
	p, err := a.svc.StartTrigger(r.Context(), id, from)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewTrigger(p))
	return nil
}
