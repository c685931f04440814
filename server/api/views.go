package api

import (
	"encoding/json"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/service"
)

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// scenarioView is a scenario.
type scenarioView struct {
	ID                int64         `json:"id"`
	Name              string        `json:"name"`
	Version           int           `json:"version"`
	Active            bool          `json:"active"`
	Instant           bool          `json:"instant"`
	ConsecutiveErrors int           `json:"consecutiveErrors"`
	Paused            *string       `json:"paused"`
	Deactivated       *string       `json:"deactivated"`
	Source            string        `json:"source"`
	Schedule          weft.Schedule `json:"schedule"`
	NextRunAt         *string       `json:"nextRunAt"`
	HookURL           *string       `json:"hookUrl"`
	CreatedAt         string        `json:"createdAt"`
	UpdatedAt         string        `json:"updatedAt"`
}

func (a *api) viewScenario(s *weft.Scenario, hook *weft.Hook) scenarioView {
	v := scenarioView{ID: s.ID, Name: s.Name, Version: s.Version, Active: s.Active, Instant: s.Instant,
		ConsecutiveErrors: s.ConsecutiveErrors, Paused: optString(s.Paused), Deactivated: optString(s.Deactivated),
		Source: s.Source, Schedule: s.Schedule, NextRunAt: weft.RFC3339Ptr(s.NextRunAt),
		CreatedAt: weft.RFC3339(s.CreatedAt), UpdatedAt: weft.RFC3339(s.UpdatedAt)}
	if hook != nil {
		u := a.hookURL(hook)
		v.HookURL = &u
	}
	return v
}

func (a *api) hookURL(h *weft.Hook) string { return a.BaseURL + "/hooks/" + h.Token }

// versionView is a blueprint version (without the blueprint).
type versionView struct {
	Version   int    `json:"version"`
	CreatedAt string `json:"createdAt"`
}

// executionView is an execution in a listing.
type executionView struct {
	ID           string               `json:"id"`
	ScenarioID   int64                `json:"scenarioId"`
	Version      int                  `json:"version"`
	Kind         weft.ExecutionKind   `json:"kind"`
	Status       weft.ExecutionStatus `json:"status"`
	Operations   int                  `json:"operations"`
	Error        *engine.RunError     `json:"error"`
	IncompleteID *string              `json:"incompleteId"`
	CalledBy     *calledByView        `json:"calledBy"`
	Trigger      *string              `json:"trigger"`
	StartedAt    string               `json:"startedAt"`
	FinishedAt   *string              `json:"finishedAt"`
}

// calledByView is the execution whose call started a sub-scenario run
// (docs/subscenarios.md).
type calledByView struct {
	ExecutionID string `json:"executionId"`
	ModuleID    int    `json:"moduleId"`
}

func viewExecution(e *weft.Execution) executionView {
	v := executionView{ID: e.ID, ScenarioID: e.ScenarioID, Version: e.Version, Kind: e.Kind, Status: e.Status,
		Operations: e.Operations, IncompleteID: optString(e.IncompleteID), Trigger: optString(string(e.Trigger)),
		StartedAt:  weft.RFC3339(e.StartedAt),
		FinishedAt: weft.RFC3339Ptr(e.FinishedAt)}
	if e.ErrorType != "" {
		v.Error = &engine.RunError{Type: e.ErrorType, Message: e.ErrorMsg, ModuleID: e.ErrorModule}
	}
	if e.ParentID != "" {
		v.CalledBy = &calledByView{ExecutionID: e.ParentID, ModuleID: e.ParentModule}
	}
	return v
}

// executionDetail is one execution: the listing's fields, the webhook response it
// answered and the incomplete executions it stored.
type executionDetail struct {
	executionView
	Response             json.RawMessage `json:"response"`
	IncompleteExecutions []string        `json:"incompleteExecutions"`
}

// attemptView is one retry attempt.
type attemptView struct {
	N            int                 `json:"n"`
	Manual       bool                `json:"manual"`
	StartedAt    string              `json:"startedAt"`
	FinishedAt   *string             `json:"finishedAt"`
	Outcome      weft.AttemptOutcome `json:"outcome"`
	ErrorType    *weft.ErrorType     `json:"errorType"`
	ErrorMessage *string             `json:"errorMessage"`
	ExecutionID  string              `json:"executionId"`
}

func viewAttempt(at weft.Attempt) attemptView {
	v := attemptView{N: at.N, Manual: at.Manual, StartedAt: weft.RFC3339(at.StartedAt), FinishedAt: weft.RFC3339Ptr(at.FinishedAt),
		Outcome: at.Outcome, ErrorMessage: optString(at.ErrorMessage), ExecutionID: at.ExecutionID}
	if at.ErrorType != "" {
		t := at.ErrorType
		v.ErrorType = &t
	}
	return v
}

// runView is the outcome of a run: the fields of `weft run --json`.
type runView struct {
	ExecutionID          string           `json:"executionId"`
	ScenarioID           int64            `json:"scenarioId"`
	Status               weft.Status      `json:"status"`
	Operations           int              `json:"operations"`
	Error                *engine.RunError `json:"error"`
	Response             *responseView    `json:"response"`
	IncompleteExecutions []string         `json:"incompleteExecutions"`
}

type responseView struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

func viewRun(rr *service.RunResult) runView {
	res := rr.Result
	v := runView{ExecutionID: res.ExecutionID, ScenarioID: rr.Scenario.ID, Status: res.Status,
		Operations: res.Operations, Error: res.Error, IncompleteExecutions: []string{}}
	for _, ie := range rr.Incomplete {
		v.IncompleteExecutions = append(v.IncompleteExecutions, ie.ID)
	}
	if r := res.Response; r != nil {
		v.Response = &responseView{Status: r.Status, Headers: r.Headers, Body: r.Body}
		if v.Response.Headers == nil {
			v.Response.Headers = map[string]string{}
		}
	}
	return v
}

// hookView is a webhook: its address, never its secret.
type hookView struct {
	ScenarioID int64  `json:"scenarioId"`
	URL        string `json:"url"`
	HasSecret  bool   `json:"hasSecret"`
	CreatedAt  string `json:"createdAt"`
}

func (a *api) viewHook(h *weft.Hook) hookView {
	return hookView{ScenarioID: h.ScenarioID, URL: a.hookURL(h), HasSecret: len(h.Secret) > 0, CreatedAt: weft.RFC3339(h.CreatedAt)}
}

// connectionView is a connection without its credentials.
type connectionView struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
}

func viewConnection(c *weft.Connection) connectionView {
	return connectionView{ID: c.ID, Name: c.Name, Type: c.Type, CreatedAt: weft.RFC3339(c.CreatedAt), UpdatedAt: weft.RFC3339(c.UpdatedAt)}
}
