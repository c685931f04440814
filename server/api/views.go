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

// Scenario is a scenario.
type Scenario struct {
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

func (a *api) viewScenario(s *weft.Scenario, hook *weft.Hook) Scenario {
	v := Scenario{ID: s.ID, Name: s.Name, Version: s.Version, Active: s.Active, Instant: s.Instant,
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

// Version is a blueprint version (without the blueprint).
type Version struct {
	Version   int    `json:"version"`
	CreatedAt string `json:"createdAt"`
}

// Execution is an execution in a listing.
type Execution struct {
	ID           string               `json:"id"`
	ScenarioID   int64                `json:"scenarioId"`
	Version      int                  `json:"version"`
	Kind         weft.ExecutionKind   `json:"kind"`
	Status       weft.ExecutionStatus `json:"status"`
	Operations   int                  `json:"operations"`
	Error        *engine.RunError     `json:"error"`
	IncompleteID *string              `json:"incompleteId"`
	CalledBy     *CalledBy            `json:"calledBy"`
	Trigger      *string              `json:"trigger"`
	StartedAt    string               `json:"startedAt"`
	FinishedAt   *string              `json:"finishedAt"`
}

// CalledBy is the execution whose call started a sub-scenario run
// (docs/subscenarios.md).
type CalledBy struct {
	ExecutionID string `json:"executionId"`
	ModuleID    int    `json:"moduleId"`
}

func viewExecution(e *weft.Execution) Execution {
	v := Execution{ID: e.ID, ScenarioID: e.ScenarioID, Version: e.Version, Kind: e.Kind, Status: e.Status,
		Operations: e.Operations, IncompleteID: optString(e.IncompleteID), Trigger: optString(string(e.Trigger)),
		StartedAt:  weft.RFC3339(e.StartedAt),
		FinishedAt: weft.RFC3339Ptr(e.FinishedAt)}
	if e.ErrorType != "" {
		v.Error = &engine.RunError{Type: e.ErrorType, Message: e.ErrorMsg, ModuleID: e.ErrorModule}
	}
	if e.ParentID != "" {
		v.CalledBy = &CalledBy{ExecutionID: e.ParentID, ModuleID: e.ParentModule}
	}
	return v
}

// ExecutionDetail is one execution: the listing's fields, the webhook response it
// answered and the incomplete executions it stored.
type ExecutionDetail struct {
	Execution
	Response             json.RawMessage `json:"response"`
	IncompleteExecutions []string        `json:"incompleteExecutions"`
}

// Attempt is one retry attempt.
type Attempt struct {
	N            int                 `json:"n"`
	Manual       bool                `json:"manual"`
	StartedAt    string              `json:"startedAt"`
	FinishedAt   *string             `json:"finishedAt"`
	Outcome      weft.AttemptOutcome `json:"outcome"`
	ErrorType    *weft.ErrorType     `json:"errorType"`
	ErrorMessage *string             `json:"errorMessage"`
	ExecutionID  string              `json:"executionId"`
}

func viewAttempt(at weft.Attempt) Attempt {
	v := Attempt{N: at.N, Manual: at.Manual, StartedAt: weft.RFC3339(at.StartedAt), FinishedAt: weft.RFC3339Ptr(at.FinishedAt),
		Outcome: at.Outcome, ErrorMessage: optString(at.ErrorMessage), ExecutionID: at.ExecutionID}
	if at.ErrorType != "" {
		t := at.ErrorType
		v.ErrorType = &t
	}
	return v
}

// RunResult is the outcome of a run: the fields of `weft run --json`.
type RunResult struct {
	ExecutionID          string           `json:"executionId"`
	ScenarioID           int64            `json:"scenarioId"`
	Status               weft.Status      `json:"status"`
	Operations           int              `json:"operations"`
	Error                *engine.RunError `json:"error"`
	Response             *WebhookResponse `json:"response"`
	IncompleteExecutions []string         `json:"incompleteExecutions"`
	// Discarded counts incomplete executions dropped because their storage was full
	// and the scenario allows data loss (SPEC §5.6).
	Discarded int `json:"discarded"`
	// DurationNs is how long the run took, in nanoseconds.
	DurationNs int64 `json:"durationNs"`
}

type WebhookResponse struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

func viewRun(rr *service.RunResult) RunResult {
	res := rr.Result
	v := RunResult{ExecutionID: res.ExecutionID, ScenarioID: rr.Scenario.ID, Status: res.Status,
		Operations: res.Operations, Error: res.Error, IncompleteExecutions: []string{}, Discarded: rr.Discarded,
		DurationNs: int64(res.Duration)}
	for _, ie := range rr.Incomplete {
		v.IncompleteExecutions = append(v.IncompleteExecutions, ie.ID)
	}
	if r := res.Response; r != nil {
		v.Response = &WebhookResponse{Status: r.Status, Headers: r.Headers, Body: r.Body}
		if v.Response.Headers == nil {
			v.Response.Headers = map[string]string{}
		}
	}
	return v
}

// Hook is a webhook: its address, never its secret.
type Hook struct {
	ScenarioID int64  `json:"scenarioId"`
	URL        string `json:"url"`
	HasSecret  bool   `json:"hasSecret"`
	CreatedAt  string `json:"createdAt"`
}

func (a *api) viewHook(h *weft.Hook) Hook {
	return Hook{ScenarioID: h.ScenarioID, URL: a.hookURL(h), HasSecret: len(h.Secret) > 0, CreatedAt: weft.RFC3339(h.CreatedAt)}
}

// Connection is a connection without its credentials.
type Connection struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
	// KeyID names the key its credentials are encrypted with (docs/connections.md, key
	// rotation).
	KeyID     string `json:"keyId"`
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
}

func viewConnection(c *weft.Connection) Connection {
	return Connection{ID: c.ID, Name: c.Name, Type: c.Type, KeyID: c.KeyID, CreatedAt: weft.RFC3339(c.CreatedAt),
		UpdatedAt: weft.RFC3339(c.UpdatedAt)}
}
