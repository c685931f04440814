package app

import (
	"context"
	"errors"
	"time"

	"github.com/weftworks/weft"
)

// Kind tells the engine how a module type takes part in the flow. Only KindAction and
// KindTrigger modules have a Run; the other kinds are flow control the engine performs
// itself from the blueprint (routes, branches, feeder links, directives).
type Kind int

const (
	// KindAction runs once per incoming bundle and emits zero or more bundles.
	KindAction Kind = iota
	// KindTrigger is a first module: it emits the bundles the run was started with
	// (a webhook payload, a manual input). Its Run may be nil.
	KindTrigger
	// KindRouter sends each bundle down every route whose filter passes.
	KindRouter
	// KindIfElse sends each bundle down exactly one branch.
	KindIfElse
	// KindMerge rejoins the merging branches of the if/else just before it.
	KindMerge
	// KindAggregator collects the bundles of the loop opened by its feeder; the engine
	// evaluates the mapper per collected bundle and hands the items to Aggregate.
	KindAggregator
	// KindDirective ends an error handler route (Ignore, Resume, Break, Commit, Rollback).
	KindDirective
)

func (k Kind) String() string {
	switch k {
	case KindAction:
		return "action"
	case KindTrigger:
		return "trigger"
	case KindRouter:
		return "router"
	case KindIfElse:
		return "ifelse"
	case KindMerge:
		return "merge"
	case KindAggregator:
		return "aggregator"
	case KindDirective:
		return "directive"
	}
	return "unknown"
}

// Spec declares a module type once: its identity, its fields and how to build it.
// Validation, documentation, API descriptions and UI forms all read the Spec.
type Spec struct {
	// Name is the blueprint's "module" value, "app:Module" (e.g. "http:MakeRequest").
	Name string
	// Label is the human name ("Make a request"). Defaults to Name.
	Label string
	// Help is one or two sentences for docs and forms.
	Help string
	// Kind says how the engine treats the module. Defaults to KindAction.
	Kind Kind
	// Parameters are the static configuration fields (blueprint "parameters").
	Parameters []Field
	// Mapper are the per-bundle input fields (blueprint "mapper", may hold {{...}}).
	// When OpenMapper is true, keys not listed here are passed through unchecked
	// (aggregators, Create JSON, data store records).
	Mapper     []Field
	OpenMapper bool
	// Outputs declares the fields of the bundles the module emits, where they are
	// known ahead of a run (HTTP's statusCode, data…). The editor's mapping picker
	// offers them as {{N.field}}; a run's real bundles add what the module did emit.
	// Optional: nil for modules whose output depends on their input.
	Outputs []Field
	// NoOperation marks modules that do not count as an operation (routers, if/else,
	// merge, directives), as in Make.
	NoOperation bool
	// ACID marks transactional modules (SPEC §2.6); their Module also implements
	// Transactional.
	ACID bool
	// Timeout is the module's time limit per bundle. Defaults to the engine's
	// (40 s, SPEC §3.1). Modules that enforce their own limit (HTTP's timeout field,
	// Sleep's duration) set a longer one here; modules that do no I/O and cannot hang
	// set a negative value to run without a deadline (cheaper per bundle).
	Timeout time.Duration
	// New builds the module for one blueprint module. It is called once per compiled
	// blueprint version, when the blueprint is analysed (validation reports its error as
	// a warning: the module is not set up), so it must not do I/O; a configuration
	// problem is returned as an error naming the parameter. When the registry lacks
	// something the module needs from the process (a store), the error wraps
	// ErrUnavailable: the blueprint is not at fault. Nil for kinds without Run.
	New func(cfg Config) (Module, error)
	// Idempotent declares that calling the module again with the same input is safe
	// (a read, or a write the service deduplicates): an incomplete execution whose
	// outcome is unknown (weft.Error.OutcomeUnknown) is then still retried
	// automatically. Defaults to false: such a call waits for a person.
	Idempotent bool
	// Poll marks a polling trigger (Make's "Watch …" modules): Kind is KindTrigger and
	// the Module New builds also implements Poller (app/trigger.go).
	Poll bool
	// Hook marks an instant app trigger (telegram:WatchUpdates): Kind is KindTrigger,
	// the run starts with the payload the service sent to the scenario's hook, and
	// Hook says how weft registers, unregisters and verifies it (app/trigger.go).
	Hook *HookSpec
	// Aggregate builds the output bundle of a KindAggregator from the evaluated
	// mapper of every collected bundle (in arrival order) and the static parameters.
	Aggregate func(params weft.Bundle, items []weft.Bundle) (weft.Bundle, error)
}

// ErrUnavailable is wrapped by a module's New when the registry was made without
// something the module needs from the process, such as weft's store (a registry for
// validation only). Validation does not report it: the blueprint is not at fault.
var ErrUnavailable = errors.New("not available in this registry")

// Config is what a module gets when it is built: its id and static parameters.
type Config struct {
	ModuleID   int
	Version    int
	Parameters weft.Bundle
}

// Module is one configured module instance. One instance serves every run of a
// compiled blueprint version, concurrently: keep per-run state in the Call, not in the
// module.
type Module interface {
	// Run handles one incoming bundle. It returns the bundles it emits, in order
	// (none, one, or many: the engine carries each through the rest of the flow before
	// the next, depth first). Failures are returned as *weft.Error with the right type;
	// any other error counts as a RuntimeError. Run must honour ctx cancellation and
	// must not keep or modify c.Input after returning.
	Run(ctx context.Context, c *Call) ([]weft.Bundle, error)
}

// ModuleFunc adapts a function to the Module interface.
type ModuleFunc func(ctx context.Context, c *Call) ([]weft.Bundle, error)

// Run calls f.
func (f ModuleFunc) Run(ctx context.Context, c *Call) ([]weft.Bundle, error) { return f(ctx, c) }

// Transactional is implemented by ACID modules (SPEC §2.6). The engine calls Commit or
// Rollback once per cycle for every operation the module performed.
type Transactional interface {
	Commit(ctx context.Context, exec Execution) error
	Rollback(ctx context.Context, exec Execution) error
}

// Call is one invocation of a module for one bundle.
type Call struct {
	ModuleID int
	// Input is the module's mapper evaluated for this bundle and checked against the
	// Spec: declared fields are coerced to their type, defaults applied, required
	// fields present. Keys a mapping resolved to `ignore` are absent.
	Input weft.Bundle
	// Params are the static parameters (the same map Config had).
	Params weft.Bundle
	// Exec is the running execution.
	Exec Execution
}

// Scope is the lifetime of a variable set by util:SetVariable*.
type Scope string

// Variable scopes, as Make names them.
const (
	ScopeRoundtrip Scope = "roundtrip" // one cycle
	ScopeExecution Scope = "execution" // the whole run
)

// Execution is the running execution as modules see it.
type Execution interface {
	// ID is the execution id ({{executionId}}).
	ID() string
	// Now is the execution's clock (injected; tests use a fixed clock).
	Now() time.Time
	// Location is the scenario's time zone for date functions.
	Location() *time.Location
	// Variable reads an execution or cycle variable.
	Variable(name string) (any, bool)
	// SetVariable sets a variable for the given scope.
	SetVariable(name string, scope Scope, value any)
	// Respond records the webhook response of gateway:WebhookRespond. Only the first
	// response of a run reaches the caller; Respond reports whether this one did.
	Respond(r Response) bool
	// Confidential reports whether the scenario must not keep bundle data.
	Confidential() bool
	// Connection returns the stored credentials of a connection a module names in its
	// parameters (Make's __IMTCONN__, apiKeyKeychain, auth...). A missing connection is
	// an InvalidConfigurationError; missing or expired credentials an
	// InvalidAccessTokenError.
	Connection(ref any) (weft.Bundle, error)
	// State returns the run-scoped value stored under key, creating it with init on
	// first use. Modules keep per-run state here (a transaction's write set, a cookie
	// jar), never in the module instance, which concurrent runs share.
	State(key any, init func() any) any
	// IdempotencyKey is a key for the module call in progress that stays the same
	// across every retry of the same incomplete execution (and differs for every other
	// call): send it to services that deduplicate (HTTP's Idempotency-Key).
	IdempotencyKey() string
}

// Response is the HTTP answer a webhook caller receives.
type Response struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// Check asks a module whether a call whose outcome is unknown took effect (a read-back
// call). URL is where to look, given by a person (the HTTP app reads it back with a GET
// through the module's own authentication); an app whose service allows it may find
// the write itself and ignore it.
type Check struct {
	URL string
}

// CheckResult is what a read-back call found.
type CheckResult struct {
	// Done: the write took effect (the read-back found it); false: it did not.
	Done bool `json:"done"`
	// Status is the read-back call's HTTP status (0 when there was none).
	Status int `json:"status,omitempty"`
	// Output is what the read-back returned, in the module's own output shape: a person
	// may mark the incomplete execution done with it.
	Output weft.Bundle `json:"output,omitempty"`
	// Message says what was found, for people.
	Message string `json:"message"`
}

// Checker is implemented by modules that can find out whether a call whose outcome is
// unknown took effect. c is the call as it would run now (its input mapped from the
// stored bundle). An error is a read-back that could not tell (the service is still
// down, the URL answers something else).
type Checker interface {
	CheckOutcome(ctx context.Context, c *Call, check Check) (*CheckResult, error)
}

// Repeatable is implemented by modules that can tell whether calling them again with
// the same input is safe (the HTTP app: it sends an Idempotency-Key unless turned
// off). When weft stops in the middle of an attempt, an incomplete execution whose
// module reports false is kept for a person with its outcome unknown instead of being
// retried automatically (docs/incomplete-executions.md §9).
type Repeatable interface {
	Repeatable() bool
}
