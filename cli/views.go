package cli

import (
	"github.com/weftworks/weft"
)

// executionView is an execution in JSON.
type executionView struct {
	ID           string               `json:"id"`
	ScenarioID   int64                `json:"scenarioId"`
	Version      int                  `json:"version"`
	Kind         weft.ExecutionKind   `json:"kind"`
	Status       weft.ExecutionStatus `json:"status"`
	Operations   int                  `json:"operations"`
	Error        *errorView           `json:"error"`
	IncompleteID *string              `json:"incompleteId"`
	CalledBy     *calledByView        `json:"calledBy"`
	StartedAt    string               `json:"startedAt"`
	FinishedAt   *string              `json:"finishedAt"`
}

// calledByView is the execution whose call started a sub-scenario run.
type calledByView struct {
	ExecutionID string `json:"executionId"`
	ModuleID    int    `json:"moduleId"`
}

type errorView struct {
	Type     weft.ErrorType `json:"type"`
	Message  string         `json:"message"`
	ModuleID int            `json:"moduleId"`
}

func viewExecution(e *weft.Execution) executionView {
	v := executionView{ID: e.ID, ScenarioID: e.ScenarioID, Version: e.Version, Kind: e.Kind, Status: e.Status,
		Operations: e.Operations, StartedAt: weft.RFC3339(e.StartedAt), FinishedAt: weft.RFC3339Ptr(e.FinishedAt)}
	if e.ErrorType != "" {
		v.Error = &errorView{Type: e.ErrorType, Message: e.ErrorMsg, ModuleID: e.ErrorModule}
	}
	if e.IncompleteID != "" {
		v.IncompleteID = &e.IncompleteID
	}
	if e.ParentID != "" {
		v.CalledBy = &calledByView{ExecutionID: e.ParentID, ModuleID: e.ParentModule}
	}
	return v
}

// scenarioView is a scenario in JSON.
type scenarioView struct {
	ID                int64  `json:"id"`
	Name              string `json:"name"`
	Version           int    `json:"version"`
	Active            bool   `json:"active"`
	Instant           bool   `json:"instant"`
	ConsecutiveErrors int    `json:"consecutiveErrors"`
	Paused            string `json:"paused"`
	Deactivated       string `json:"deactivated"`
	Source            string `json:"source"`
	CreatedAt         string `json:"createdAt"`
}

func viewScenario(s *weft.Scenario) scenarioView {
	return scenarioView{ID: s.ID, Name: s.Name, Version: s.Version, Active: s.Active, Instant: s.Instant,
		ConsecutiveErrors: s.ConsecutiveErrors, Paused: s.Paused, Deactivated: s.Deactivated, Source: s.Source,
		CreatedAt: weft.RFC3339(s.CreatedAt)}
}
