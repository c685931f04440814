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
	Source string `json:"source,omitempty"`
	// Schedule is when the scenario runs on its own; NextRunAt its next due time
	// (nil when it has none or is inactive).
	Schedule  Schedule   `json:"schedule"`
	NextRunAt *time.Time `json:"nextRunAt,omitempty"`
	CreatedAt time.Time  `json:"createdAt"`
	UpdatedAt time.Time  `json:"updatedAt"`
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

// Trigger is what started a run.
type Trigger string

// Triggers of a run.
const (
	TriggerWebhook  Trigger = "webhook"  // a payload that arrived at the scenario's hook
	TriggerSchedule Trigger = "schedule" // the scenario's schedule (polls, queued payloads)
	TriggerManual   Trigger = "manual"   // a person or a script: "Run once", the API, the CLI
	TriggerCall     Trigger = "call"     // another scenario's Call a subscenario
	TriggerRetry    Trigger = "retry"    // an attempt of an incomplete execution
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
	QueueItemID int64 `json:"queueItemId,omitempty"`
	// ParentID is the execution whose scenario-service:CallSubscenario module started
	// this one (a sub-scenario run, docs/subscenarios.md), ParentModule that module;
	// empty and 0 for a run nothing called.
	ParentID     string     `json:"parentId,omitempty"`
	ParentModule int        `json:"parentModuleId,omitempty"`
	StartedAt    time.Time  `json:"startedAt"`
	FinishedAt   *time.Time `json:"finishedAt"`
	// Trigger is what started the run ("" for runs recorded before weft kept it).
	Trigger Trigger `json:"trigger,omitempty"`
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
	Attempts    int `json:"attempts"`
	MaxAttempts int `json:"-"`
	// AutoAttempts counts the automatic attempts among Attempts: the schedule and
	// MaxAttempts follow them, so a person's retries do not use up the automatic ones.
	AutoAttempts int `json:"-"`
	// ManualRetry: a person asked for the next attempt (a bulk retry the worker carries
	// out); it is logged as manual.
	ManualRetry   bool          `json:"-"`
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
	// OutcomeUnknown: the failing call was sent but never answered; whether the service
	// acted on it is unknown (docs/incomplete-executions.md §9).
	OutcomeUnknown bool `json:"outcomeUnknown,omitempty"`
	// BreakerKey is the connection or host the failing call went to
	// ("connection:ID", "host:HOST:PORT"), the circuit breaker it shares with others;
	// empty when the module does not say.
	BreakerKey string `json:"breakerKey,omitempty"`
}

// Breaker is an open circuit breaker: the automatic retries of the incomplete
// executions that failed with a ConnectionError or RateLimitError on one connection or
// host wait until one of them, the probe, gets through (docs/incomplete-executions.md
// §10). A closed breaker is not stored.
type Breaker struct {
	Key         string    `json:"key"`
	OpenedAt    time.Time `json:"openedAt"`
	NextProbeAt time.Time `json:"nextProbeAt"`
	// ProbeID is the incomplete execution chosen as the next probe ("" until one is).
	ProbeID string `json:"probeId,omitempty"`
	// Failures counts the failed probes since it opened.
	Failures     int       `json:"failures"`
	ErrorType    ErrorType `json:"errorType"`
	ErrorMessage string    `json:"errorMessage"`
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

// QueueItem is a trigger payload stored for a run (a webhook request, a queued manual
// run, a mail). Items of one scenario run in arrival order.
type QueueItem struct {
	ID         int64           `json:"id"`
	ScenarioID int64           `json:"scenarioId"`
	Payload    json.RawMessage `json:"payload"`
	EnqueuedAt time.Time       `json:"enqueuedAt"`
	// ExecutionID is set while a run consumes the item.
	ExecutionID string `json:"executionId,omitempty"`
	// SizeBytes is the stored payload's size (set by the store).
	SizeBytes int64 `json:"sizeBytes"`
	// Caller is the run that queued the item to start a sub-scenario without waiting
	// for it (scenario-service:CallSubscenario, docs/subscenarios.md); nil otherwise.
	Caller *Caller `json:"caller,omitempty"`
	// Dead is set when the item was set aside: its run ended in an error that
	// deactivated its instant scenario. It then no longer holds its scenario's queue and
	// waits for a person to retry (re-queue) or delete it.
	Dead *QueueFailure `json:"dead,omitempty"`
}

// QueueStatus is where a queued payload stands.
type QueueStatus string

// Queue item statuses.
const (
	QueueWaiting QueueStatus = "waiting" // waits for a run
	QueueRunning QueueStatus = "running" // a run consumes it now
	QueueDead    QueueStatus = "dead"    // set aside after an error run; waits for a person
)

// Valid reports whether s is one of the queue item statuses.
func (s QueueStatus) Valid() bool { return s == QueueWaiting || s == QueueRunning || s == QueueDead }

// Status is derived from the item's fields: dead when set aside, running while a run
// consumes it, waiting otherwise.
func (it *QueueItem) Status() QueueStatus {
	switch {
	case it.Dead != nil:
		return QueueDead
	case it.ExecutionID != "":
		return QueueRunning
	}
	return QueueWaiting
}

// QueueFailure is why and when a queued payload was set aside.
type QueueFailure struct {
	At time.Time `json:"at"`
	// ExecutionID is the run that ended in error.
	ExecutionID  string    `json:"executionId"`
	ErrorType    ErrorType `json:"errorType,omitempty"`
	ErrorMessage string    `json:"errorMessage,omitempty"`
	ModuleID     int       `json:"moduleId,omitempty"`
}

// Record is one data store record.
type Record struct {
	Key  string `json:"key"`
	Data Bundle `json:"data"`
}

// Token is an API token. The token itself is shown once at creation; only its SHA-256
// hash is stored.
type Token struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	Hash       []byte     `json:"-"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
	RevokedAt  *time.Time `json:"revokedAt"`
	// OwnerID is the account that created the token ("" for tokens made on the
	// command line or by another token): tokens belong to a person, and go with them.
	OwnerID string `json:"ownerId,omitempty"`
}

// Hook is a scenario's webhook address: POST|GET|PUT /hooks/{Token}.
type Hook struct {
	// Token is the unguessable part of the URL (32 random bytes, base32).
	Token      string `json:"token"`
	ScenarioID int64  `json:"scenarioId"`
	// Secret, when set, is the HMAC-SHA256 key a caller signs payloads with; stored
	// encrypted like connections (SecretKeyID names the key).
	Secret      []byte    `json:"-"`
	SecretKeyID string    `json:"-"`
	CreatedAt   time.Time `json:"createdAt"`
}

// Connection holds an app's credentials (Make's __IMTCONN__, keychains). Data is the
// credentials as JSON, encrypted at rest with the key KeyID names; the API never
// returns it.
type Connection struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Type      string    `json:"type"`
	Data      []byte    `json:"-"`
	KeyID     string    `json:"-"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Schedule says when a scenario runs on its own: every N minutes, on a cron expression
// in a time zone, or once at a time. The zero value means "on demand" (only triggers
// and manual runs).
type Schedule struct {
	Type     string     `json:"type"`               // "", "interval", "cron", "once"
	Interval int        `json:"interval,omitempty"` // minutes, for interval
	Cron     string     `json:"cron,omitempty"`     // five-field cron expression
	Timezone string     `json:"timezone,omitempty"` // IANA name for cron (default UTC)
	At       *time.Time `json:"at,omitempty"`       // for once
}

// Caller names the run that called a scenario (docs/subscenarios.md): its execution,
// scenario and calling module, and the chain of scenarios above the call, outermost
// first and ending with the caller's own. The chain refuses calls that would go round
// in a cycle or nest too deep.
type Caller struct {
	ExecutionID string  `json:"executionId"`
	ScenarioID  int64   `json:"scenarioId"`
	ModuleID    int     `json:"moduleId"`
	Chain       []int64 `json:"chain"`
}
