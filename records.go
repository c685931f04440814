package weft

import (
	"encoding/json"
	"time"
)

// Scenario is a stored scenario: a name, its current blueprint version and the state
// that decides whether it runs on its own.
type Scenario struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Version is the current blueprint version (every version is kept).
	Version int `json:"version"`
	// Active scenarios run on their triggers; inactive ones only when asked to.
	Active bool `json:"active"`
	// Instant: the trigger is a webhook (SPEC §3.4: an erroring instant run deactivates).
	Instant bool `json:"instant"`
	// ConsecutiveErrors counts runs ending in error since the last one that did not.
	ConsecutiveErrors int `json:"consecutiveErrors"`
	// Paused holds why automatic runs are held (an InvalidConfigurationError or
	// InvalidAccessTokenError incomplete execution waits for a person, SPEC §3.4), or "".
	Paused string `json:"paused,omitempty"`
	// Deactivated holds why the scenario was deactivated by weft, or "".
	Deactivated string `json:"deactivated,omitempty"`
	// Source identifies where the blueprint came from (a file path for `weft run`).
	Source    string    `json:"source,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Version is one stored blueprint version of a scenario.
type Version struct {
	ScenarioID int64     `json:"scenarioId"`
	Version    int       `json:"version"`
	Blueprint  []byte    `json:"-"`
	CreatedAt  time.Time `json:"createdAt"`
}

// ExecutionStatus is where an execution stands.
type ExecutionStatus string

// Execution statuses: running, then how it ended (SPEC §3.3).
const (
	ExecutionRunning ExecutionStatus = "running"
	ExecutionSuccess ExecutionStatus = "success"
	ExecutionWarning ExecutionStatus = "warning"
	ExecutionError   ExecutionStatus = "error"
)

// ExecutionKind says what started an execution.
type ExecutionKind string

// Execution kinds.
const (
	KindRun   ExecutionKind = "run"   // a trigger (webhook, schedule, manual run)
	KindRetry ExecutionKind = "retry" // an attempt of an incomplete execution
)

// Execution is one run of a scenario, stored from its start (status running, with its
// trigger input) so that a crash leaves it visible and recoverable.
type Execution struct {
	ID          string          `json:"id"`
	ScenarioID  int64           `json:"scenarioId"`
	Version     int             `json:"version"`
	Kind        ExecutionKind   `json:"kind"`
	Status      ExecutionStatus `json:"status"`
	Operations  int             `json:"operations"`
	ErrorType   ErrorType       `json:"errorType,omitempty"`
	ErrorMsg    string          `json:"errorMessage,omitempty"`
	ErrorModule int             `json:"errorModuleId,omitempty"`
	// Input is the trigger's bundles (JSON array), kept until the run is finished.
	Input json.RawMessage `json:"-"`
	// Log is the execution log (JSON), written when the run finishes.
	Log json.RawMessage `json:"-"`
	// Response is the webhook response (JSON) when the run answered one.
	Response json.RawMessage `json:"-"`
	// IncompleteID is the incomplete execution this execution is an attempt of.
	IncompleteID string `json:"incompleteId,omitempty"`
	// QueueItemID is the queued trigger payload this execution consumes.
	QueueItemID int64      `json:"queueItemId,omitempty"`
	StartedAt   time.Time  `json:"startedAt"`
	FinishedAt  *time.Time `json:"finishedAt"`
}

// IncompleteStatus is an incomplete execution's status (SPEC §5.2).
type IncompleteStatus string

// Incomplete execution statuses.
const (
	IncompleteUnresolved IncompleteStatus = "unresolved"  // waits for a person
	IncompletePending    IncompleteStatus = "pending"     // an automatic retry is scheduled
	IncompleteInProgress IncompleteStatus = "in_progress" // being retried now
	IncompleteResolved   IncompleteStatus = "resolved"    // continued to the end
)

// Valid reports whether s is a known status.
func (s IncompleteStatus) Valid() bool {
	switch s {
	case IncompleteUnresolved, IncompletePending, IncompleteInProgress, IncompleteResolved:
		return true
	}
	return false
}

// Incomplete is a stored incomplete execution (SPEC §5.1): everything needed to
// continue a run from the module that failed, for one bundle.
type Incomplete struct {
	ID          string `json:"id"`
	ScenarioID  int64  `json:"scenarioId"`
	ExecutionID string `json:"executionId"` // the execution it came from
	// Version is the blueprint version it was created from; Blueprint is its own copy
	// (a snapshot a person may edit before retrying).
	Version        int              `json:"version"`
	Blueprint      []byte           `json:"-"`
	FailedModuleID int              `json:"failedModuleId"`
	ErrorType      ErrorType        `json:"errorType"`
	ErrorMessage   string           `json:"errorMessage"`
	ErrorDetails   map[string]any   `json:"-"`
	Status         IncompleteStatus `json:"status"`
	AutoRetry      bool             `json:"autoRetry"`
	// Attempts made so far, the most allowed automatically, and the fixed interval
	// between them (Break; zero means the default schedule of SPEC §5.3).
	Attempts      int           `json:"attempts"`
	MaxAttempts   int           `json:"-"`
	RetryInterval time.Duration `json:"-"`
	NextAttemptAt *time.Time    `json:"nextAttemptAt"`
	// State is the engine's resume state (tagged JSON): input, outputs, loops, branches,
	// variables.
	State        []byte     `json:"-"`
	SizeBytes    int64      `json:"sizeBytes"`
	Confidential bool       `json:"-"`
	CreatedAt    time.Time  `json:"createdAt"`
	UpdatedAt    time.Time  `json:"-"`
	ResolvedAt   *time.Time `json:"resolvedAt"`
}

// AttemptOutcome is how a retry attempt ended.
type AttemptOutcome string

// Attempt outcomes.
const (
	AttemptResolved    AttemptOutcome = "resolved"    // the run continued to the end
	AttemptFailed      AttemptOutcome = "failed"      // it failed again
	AttemptInterrupted AttemptOutcome = "interrupted" // weft stopped during it
)

// Attempt is one retry of an incomplete execution.
type Attempt struct {
	IncompleteID string         `json:"incompleteId"`
	N            int            `json:"n"`
	Manual       bool           `json:"manual"`
	StartedAt    time.Time      `json:"startedAt"`
	FinishedAt   *time.Time     `json:"finishedAt"`
	Outcome      AttemptOutcome `json:"outcome,omitempty"`
	ErrorType    ErrorType      `json:"errorType,omitempty"`
	ErrorMessage string         `json:"errorMessage,omitempty"`
	ExecutionID  string         `json:"executionId"`
}

// QueueItem is a trigger payload waiting for a run (a webhook request, a queued
// manual run). Items of one scenario run in arrival order.
type QueueItem struct {
	ID         int64           `json:"id"`
	ScenarioID int64           `json:"scenarioId"`
	Payload    json.RawMessage `json:"payload"`
	EnqueuedAt time.Time       `json:"enqueuedAt"`
	// ExecutionID is set while a run consumes the item.
	ExecutionID string `json:"executionId,omitempty"`
}

// Record is one data store record.
type Record struct {
	Key  string `json:"key"`
	Data Bundle `json:"data"`
}
