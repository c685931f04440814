package engine

import (
	"encoding/json"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/builtin"
)

// Result is how a run ended.
type Result struct {
	ExecutionID string      `json:"executionId"`
	Status      weft.Status `json:"status"`
	Operations  int         `json:"operations"`
	// Error is the error that ended the run (status error), or for a warning the first
	// error stored as an incomplete execution; nil for a clean success.
	Error    *RunError     `json:"error"`
	Response *app.Response `json:"response"`
	// Incomplete lists the incomplete executions the run produced, in order.
	Incomplete []*Incomplete `json:"-"`
	// Failed is set when a continuation of an incomplete execution (Resume) failed for
	// good at a module after the one it resumed from (an error type that is not stored,
	// SPEC §3.2): the incomplete execution moves there, keeping the outputs of the
	// modules that succeeded on the way. Nil when those modules' writes were rolled back.
	Failed *Incomplete `json:"-"`
	// Log is the execution log: one entry per module per bundle.
	Log      []LogEntry    `json:"-"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"-"`
	// Committed reports whether the run ended in the commit phase (false: rollback).
	Committed bool `json:"-"`
	// Position is, for a polling trigger, the position after the items the run's
	// committed cycles consumed (nil: none): the caller stores it with the run's end.
	Position json.RawMessage `json:"-"`
	// Returned: a Return output module (scenario-service:ReturnData) ended the run;
	// Outputs are what it returned, checked against the declared outputs.
	Returned bool        `json:"-"`
	Outputs  weft.Bundle `json:"-"`
}

// RunError is an error as runs report it.
type RunError struct {
	Type     weft.ErrorType `json:"type"`
	Message  string         `json:"message"`
	ModuleID int            `json:"moduleId"`
}

// LogEntry records one module handling one bundle.
type LogEntry struct {
	Seq      int           `json:"seq"`
	Cycle    int           `json:"cycle"`
	ModuleID int           `json:"moduleId"`
	Module   string        `json:"module"`
	Input    any           `json:"input,omitempty"`
	Output   []weft.Bundle `json:"output,omitempty"`
	Error    *RunError     `json:"error,omitempty"`
	Outcome  string        `json:"outcome,omitempty"` // handled error: the directive applied
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"durationNs"`
	Note     string        `json:"note,omitempty"`
}

// Incomplete is everything needed to continue a run from the module that failed, for
// one bundle (SPEC §5.1). The store persists it; Resume continues it.
type Incomplete struct {
	ModuleID int         `json:"moduleId"`
	Error    *weft.Error `json:"-"`
	// Input is the failing module's evaluated input (for people to inspect); nil when
	// the mapping itself failed.
	Input weft.Bundle `json:"input"`
	// Outputs are the outputs of the modules the failing module and everything after
	// it may map, by module id.
	Outputs map[int]any `json:"outputs"`
	// Loops are the feeders whose loops enclose the module, outermost first.
	Loops []int `json:"loops,omitempty"`
	// Branches records which branch each if/else on the path took, by module id.
	Branches map[int]int `json:"branches,omitempty"`
	// Variables are the execution's variables at the failure.
	Variables map[string]Variable `json:"variables,omitempty"`
	// AutoRetry: the error type is retried automatically (SPEC §3.2), or Break asked
	// for retries.
	AutoRetry bool `json:"autoRetry"`
	// Break holds Break's retry settings when a Break directive stored this.
	Break *builtin.BreakSettings `json:"break,omitempty"`
	Cycle int                    `json:"cycle"`
	// Origin is the execution the bundle first ran in and Path its place among the
	// bundles (cycle, then the position at each module that emitted several): together
	// they keep idempotency keys the same across every attempt.
	Origin string  `json:"origin,omitempty"`
	Path   []int32 `json:"path,omitempty"`
	// Inputs are the run's scenario inputs ({{var.input.*}}), restored by a
	// continuation; nil when it had none.
	Inputs map[string]any `json:"inputs,omitempty"`
	// Caller is the run that called the run this came from (a sub-scenario run), so a
	// continuation's calls keep their chain; nil when nothing called it.
	Caller *weft.Caller `json:"caller,omitempty"`
	// Waits is set when the module is a call waiting for the called scenario's
	// incomplete execution (docs/subscenarios.md): such an incomplete execution is
	// never retried on its own; resolving the one it waits for continues it.
	Waits *Wait `json:"waits,omitempty"`
	// BreakerKey names the connection ("connection:ID", the module's __IMTCONN__) or
	// else the host ("host:HOST:PORT", weft.Error.Endpoint) the failing call went to:
	// the circuit breaker it shares (docs/incomplete-executions.md §10). Not part of the
	// resume state.
	BreakerKey string `json:"-"`
}

// Variable is a variable set by util:SetVariable*, with its scope.
type Variable struct {
	Value any       `json:"value"`
	Scope app.Scope `json:"scope"`
}
