package weft

import "time"

// IncompleteJSON is an incomplete execution as weft shows it to people and programs
// (the CLI's --json and the REST API): exactly these 13 fields, documented in
// docs/incomplete-executions.md. Times are RFC 3339 in UTC.
type IncompleteJSON struct {
	ID             string           `json:"id"`
	ScenarioID     int64            `json:"scenarioId"`
	ExecutionID    string           `json:"executionId"`
	FailedModuleID int              `json:"failedModuleId"`
	ErrorType      ErrorType        `json:"errorType"`
	ErrorMessage   string           `json:"errorMessage"`
	Status         IncompleteStatus `json:"status"`
	AutoRetry      bool             `json:"autoRetry"`
	Attempts       int              `json:"attempts"`
	NextAttemptAt  *string          `json:"nextAttemptAt"`
	SizeBytes      int64            `json:"sizeBytes"`
	CreatedAt      string           `json:"createdAt"`
	ResolvedAt     *string          `json:"resolvedAt"`
}

// JSON returns the public view of the incomplete execution.
func (ie *Incomplete) JSON() IncompleteJSON {
	return IncompleteJSON{ID: ie.ID, ScenarioID: ie.ScenarioID, ExecutionID: ie.ExecutionID,
		FailedModuleID: ie.FailedModuleID, ErrorType: ie.ErrorType, ErrorMessage: ie.ErrorMessage,
		Status: ie.Status, AutoRetry: ie.AutoRetry, Attempts: ie.Attempts, NextAttemptAt: RFC3339Ptr(ie.NextAttemptAt),
		SizeBytes: ie.SizeBytes, CreatedAt: RFC3339(ie.CreatedAt), ResolvedAt: RFC3339Ptr(ie.ResolvedAt)}
}

// RFC3339 formats t in UTC to the second, as weft's JSON shows times.
func RFC3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// RFC3339Ptr is RFC3339 for an optional time (nil stays nil).
func RFC3339Ptr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := RFC3339(*t)
	return &s
}
