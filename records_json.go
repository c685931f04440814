package weft

import "time"

// IncompleteJSON is an incomplete execution as weft shows it to people and programs
// (the CLI's --json and the REST API): exactly these 16 fields, documented in
// docs/incomplete-executions.md. Times are RFC 3339 in UTC.
type IncompleteJSON struct {
	ID             string    `json:"id"`
	ScenarioID     int64     `json:"scenarioId"`
	ExecutionID    string    `json:"executionId"`
	FailedModuleID int       `json:"failedModuleId"`
	ErrorType      ErrorType `json:"errorType"`
	ErrorMessage   string    `json:"errorMessage"`
	// ErrorDetails are the error's details (an HTTP status, the incomplete execution a
	// waiting call waits for…), null when it has none.
	ErrorDetails  map[string]any   `json:"errorDetails"`
	Status        IncompleteStatus `json:"status"`
	AutoRetry     bool             `json:"autoRetry"`
	Attempts      int              `json:"attempts"`
	NextAttemptAt *string          `json:"nextAttemptAt"`
	SizeBytes     int64            `json:"sizeBytes"`
	CreatedAt     string           `json:"createdAt"`
	ResolvedAt    *string          `json:"resolvedAt"`
	// OutcomeUnknown: the failing call was sent but never answered.
	OutcomeUnknown bool `json:"outcomeUnknown"`
	// BreakerKey is the connection or host of the failing call (its circuit breaker),
	// null when the module does not say.
	BreakerKey *string `json:"breakerKey"`
}

// JSON returns the public view of the incomplete execution.
func (ie *Incomplete) JSON() IncompleteJSON {
	j := IncompleteJSON{ID: ie.ID, ScenarioID: ie.ScenarioID, ExecutionID: ie.ExecutionID,
		FailedModuleID: ie.FailedModuleID, ErrorType: ie.ErrorType, ErrorMessage: ie.ErrorMessage,
		ErrorDetails: ie.ErrorDetails, Status: ie.Status, AutoRetry: ie.AutoRetry, Attempts: ie.Attempts, NextAttemptAt: RFC3339Ptr(ie.NextAttemptAt),
		SizeBytes: ie.SizeBytes, CreatedAt: RFC3339(ie.CreatedAt), ResolvedAt: RFC3339Ptr(ie.ResolvedAt),
		OutcomeUnknown: ie.OutcomeUnknown}
	if ie.BreakerKey != "" {
		k := ie.BreakerKey
		j.BreakerKey = &k
	}
	return j
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

// QueueItemJSON is a queued trigger payload as weft shows it to people and programs
// (the CLI's --json and the REST API), documented in docs/incomplete-executions.md.
// The payload itself is shown apart (one item at a time), never in listings.
type QueueItemJSON struct {
	ID         int64       `json:"id"`
	ScenarioID int64       `json:"scenarioId"`
	Status     QueueStatus `json:"status"`
	SizeBytes  int64       `json:"sizeBytes"`
	EnqueuedAt string      `json:"enqueuedAt"`
	// ExecutionID is the run consuming a running item, or the run whose error set a
	// dead item aside; null for a waiting one.
	ExecutionID *string `json:"executionId"`
	// Error is why a dead item was set aside (null otherwise), DeadAt when.
	Error  *QueueErrorJSON `json:"error"`
	DeadAt *string         `json:"deadAt"`
}

// QueueErrorJSON is the error of the run that set a queued payload aside.
type QueueErrorJSON struct {
	Type     ErrorType `json:"type"`
	Message  string    `json:"message"`
	ModuleID int       `json:"moduleId"`
}

// JSON returns the public view of the queue item.
func (it *QueueItem) JSON() QueueItemJSON {
	v := QueueItemJSON{ID: it.ID, ScenarioID: it.ScenarioID, Status: it.Status(), SizeBytes: it.SizeBytes,
		EnqueuedAt: RFC3339(it.EnqueuedAt)}
	if it.ExecutionID != "" {
		v.ExecutionID = &it.ExecutionID
	}
	if d := it.Dead; d != nil {
		v.ExecutionID = &d.ExecutionID
		v.Error = &QueueErrorJSON{Type: d.ErrorType, Message: d.ErrorMessage, ModuleID: d.ModuleID}
		v.DeadAt = RFC3339Ptr(&d.At)
	}
	return v
}
