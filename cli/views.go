package cli

import (
	"time"

	"github.com/weftworks/weft"
)

// incompleteView is an incomplete execution in JSON: exactly these fields.
type incompleteView struct {
	ID             string                `json:"id"`
	ScenarioID     int64                 `json:"scenarioId"`
	ExecutionID    string                `json:"executionId"`
	FailedModuleID int                   `json:"failedModuleId"`
	ErrorType      weft.ErrorType        `json:"errorType"`
	ErrorMessage   string                `json:"errorMessage"`
	Status         weft.IncompleteStatus `json:"status"`
	AutoRetry      bool                  `json:"autoRetry"`
	Attempts       int                   `json:"attempts"`
	NextAttemptAt  *string               `json:"nextAttemptAt"`
	SizeBytes      int64                 `json:"sizeBytes"`
	CreatedAt      string                `json:"createdAt"`
	ResolvedAt     *string               `json:"resolvedAt"`
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func optTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := rfc3339(*t)
	return &s
}

func viewIncomplete(ie *weft.Incomplete) incompleteView {
	return incompleteView{ID: ie.ID, ScenarioID: ie.ScenarioID, ExecutionID: ie.ExecutionID,
		FailedModuleID: ie.FailedModuleID, ErrorType: ie.ErrorType, ErrorMessage: ie.ErrorMessage,
		Status: ie.Status, AutoRetry: ie.AutoRetry, Attempts: ie.Attempts, NextAttemptAt: optTime(ie.NextAttemptAt),
		SizeBytes: ie.SizeBytes, CreatedAt: rfc3339(ie.CreatedAt), ResolvedAt: optTime(ie.ResolvedAt)}
}

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
	StartedAt    string               `json:"startedAt"`
	FinishedAt   *string              `json:"finishedAt"`
}

type errorView struct {
	Type     weft.ErrorType `json:"type"`
	Message  string         `json:"message"`
	ModuleID int            `json:"moduleId"`
}

func viewExecution(e *weft.Execution) executionView {
	v := executionView{ID: e.ID, ScenarioID: e.ScenarioID, Version: e.Version, Kind: e.Kind, Status: e.Status,
		Operations: e.Operations, StartedAt: rfc3339(e.StartedAt), FinishedAt: optTime(e.FinishedAt)}
	if e.ErrorType != "" {
		v.Error = &errorView{Type: e.ErrorType, Message: e.ErrorMsg, ModuleID: e.ErrorModule}
	}
	if e.IncompleteID != "" {
		v.IncompleteID = &e.IncompleteID
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
		CreatedAt: rfc3339(s.CreatedAt)}
}
