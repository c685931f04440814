// Package store is weft's storage contract: scenarios with every blueprint version,
// executions with their log, incomplete executions with their attempts, the trigger
// queue and data stores. Backends live in sub-packages (store/sqlite, store/postgres)
// and all pass the one conformance suite in store/storetest.
//
// Every method of Queries runs in its own transaction when called on a Store, or in
// the caller's when called on the Queries given to InTx: the service layer writes an
// execution's end, its incomplete executions and the scenario's counters atomically.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/weftworks/weft"
)

// Errors backends return (wrapped with context; test with errors.Is).
var (
	// ErrNotFound: no row with that id.
	ErrNotFound = errors.New("not found")
	// ErrExists: the key is taken (data store records added without overwrite).
	ErrExists = errors.New("already exists")
	// ErrFull: the disk or the database refused a write for lack of space.
	ErrFull = errors.New("storage full")
	// ErrLeaseLost: a store shared by several processes (Shared) refused to write work
	// this process no longer owns: its lease expired and another process took the work
	// over. Nothing of the write is kept.
	ErrLeaseLost = errors.New("lease lost")
)

// Store is a storage backend.
type Store interface {
	Queries
	// InTx runs fn in one transaction: committed when fn returns nil, rolled back
	// otherwise. fn must use only the Queries it is given.
	InTx(ctx context.Context, fn func(q Queries) error) error
	Close() error
}

// Queries is everything a backend stores.
type Queries interface {
	ScenarioQueries
	ExecutionQueries
	IncompleteQueries
	QueueQueries
	DataStoreQueries
	ScheduleQueries
	TokenQueries
	HookQueries
	ConnectionQueries
	BreakerQueries
	SessionQueries
	UserQueries
	AuditQueries
	OAuthQueries
	TriggerQueries
	LockQueries
}

// LockQueries serialise transactions that must not interleave.
type LockQueries interface {
	// LockScenario makes the rest of the caller's transaction wait for, and then hold
	// off until it ends, every other transaction that locks the same scenario — in any
	// process sharing the store. The service takes it where a check and a write must
	// be one step across processes (a run starting only while no retry of its scenario
	// is in progress). Outside InTx it holds nothing. A store with one writer at a time
	// (SQLite) serialises every write transaction anyway.
	LockScenario(ctx context.Context, scenarioID int64) error
	// LockScenarioShared is LockScenario's shared form: transactions holding it do not
	// wait for each other, only for (and hold off) those holding LockScenario. Runs
	// starting take it, so they start side by side but never beside a retry's claim.
	LockScenarioShared(ctx context.Context, scenarioID int64) error
}

// Shared is implemented by a store several weft processes use at once (store/postgres).
// Each open store stands for one process: it holds a lease in the database while it is
// open, renewed in the background, and the work it claims or starts — running
// executions, claimed queue items, incomplete executions in progress — is marked as
// its own. When a process dies (SIGKILL, a lost machine) its lease expires and another
// process takes its work over (TakeOver); a process that stops cleanly ends its lease
// at once. A store without Shared belongs to one process (SQLite: the data folder's
// lock), which recovers everything at its start.
type Shared interface {
	// ProcessID names this process in the store.
	ProcessID() string
	// Fenced is closed once this process can no longer be sure it holds its lease
	// (renewals failed for two thirds of its length, or it expired and another process
	// took its work over). A fenced process must stop its runs: the others take them
	// over once the lease has expired. It stays closed.
	Fenced() <-chan struct{}
	// TakeOver adopts the work of one process whose lease expired, or that is gone
	// with work left behind: its queue claims whose run was never recorded go back to
	// the queue, its incomplete executions claimed for a retry that never started are
	// pending and due at now, and its running executions become this process's and
	// come back, with their input, for the caller to recover. Concurrent callers never
	// take one process over twice. nil, nil: nothing to take over.
	TakeOver(ctx context.Context, now time.Time) (*Takeover, error)
}

// Takeover is the work of a dead process that TakeOver adopted.
type Takeover struct {
	// Process is the dead process's id.
	Process string
	// Running are its executions still marked running, now owned by the caller.
	Running []*weft.Execution
	// Released counts its queue claims put back in the queue.
	Released int
	// Due counts its incomplete executions handed back for a retry.
	Due int
}

// IDPrefixes finds executions and incomplete executions by the beginning of their id:
// people copy the ten characters the web UI and the docs show. It is optional — a
// store without it takes whole ids only (service.IncompleteIDOf says so) — so a
// backend can add it without the others changing.
type IDPrefixes interface {
	// IncompleteIDsWithPrefix returns the ids of up to limit incomplete executions
	// whose id starts with prefix (a non-empty string), in id order.
	IncompleteIDsWithPrefix(ctx context.Context, prefix string, limit int) ([]string, error)
	// ExecutionIDsWithPrefix is the same for executions.
	ExecutionIDsWithPrefix(ctx context.Context, prefix string, limit int) ([]string, error)
}

// TriggerQueries store polling triggers' positions and instant triggers' registrations.
type TriggerQueries interface {
	// GetTriggerPosition returns the position of a scenario's polling trigger module
	// (ErrNotFound when none was stored).
	GetTriggerPosition(ctx context.Context, scenarioID int64, moduleID int) (*weft.TriggerPosition, error)
	// SaveTriggerPosition writes p when the stored version is ifVersion (0: no position
	// stored yet) or when ifVersion is negative, and sets p.Version to the new version.
	// It reports false, writing nothing, when the stored version differs. A missing
	// scenario is ErrNotFound.
	SaveTriggerPosition(ctx context.Context, p *weft.TriggerPosition, ifVersion int64) (bool, error)
	// ListTriggerPositions returns a scenario's positions by module id.
	ListTriggerPositions(ctx context.Context, scenarioID int64) ([]*weft.TriggerPosition, error)
	// PutAppHook adds or replaces the registration of a scenario's instant trigger.
	PutAppHook(ctx context.Context, h *weft.AppHook) error
	// GetAppHook returns a scenario's registration (ErrNotFound when none).
	GetAppHook(ctx context.Context, scenarioID int64) (*weft.AppHook, error)
	// ListAppHooks returns registrations by scenario id; owed: only those whose
	// unregistration is owed.
	ListAppHooks(ctx context.Context, owed bool) ([]*weft.AppHook, error)
	// DeleteAppHook forgets a registration (ErrNotFound when none).
	DeleteAppHook(ctx context.Context, scenarioID int64) error
}

// ScenarioQueries store scenarios and their blueprint versions.
type ScenarioQueries interface {
	// CreateScenario stores s with blueprint as version 1; it sets s.ID and s.Version.
	CreateScenario(ctx context.Context, s *weft.Scenario, blueprint []byte) error
	// AddVersion stores a new blueprint version and makes it current.
	AddVersion(ctx context.Context, scenarioID int64, blueprint []byte, at time.Time) (int, error)
	GetScenario(ctx context.Context, id int64) (*weft.Scenario, error)
	// FindScenarioBySource returns the scenario created from source (ErrNotFound if none).
	FindScenarioBySource(ctx context.Context, source string) (*weft.Scenario, error)
	ListScenarios(ctx context.Context) ([]*weft.Scenario, error)
	// UpdateScenario writes name, active, instant, consecutive errors, paused,
	// deactivated, schedule, next run and updated-at.
	UpdateScenario(ctx context.Context, s *weft.Scenario) error
	GetVersion(ctx context.Context, scenarioID int64, version int) (*weft.Version, error)
	// ListVersions returns every version, oldest first, without blueprint bodies.
	ListVersions(ctx context.Context, scenarioID int64) ([]weft.Version, error)
	DeleteScenario(ctx context.Context, id int64) error
}

// ScheduleQueries fire scheduled scenarios.
type ScheduleQueries interface {
	// ClaimDueSchedules returns up to limit active scenarios whose NextRunAt is due at
	// now, earliest first, and moves each one's NextRunAt to next(scenario) (nil: no
	// further run) in the same transaction, so a restart never fires a tick twice and
	// concurrent calls never return a scenario twice for one due time. The scenarios
	// come back with NextRunAt at the due time being fired; next must return a time
	// after it (or nil), else the claim fails naming the scenario.
	ClaimDueSchedules(ctx context.Context, now time.Time, limit int, next func(*weft.Scenario) *time.Time) ([]*weft.Scenario, error)
}

// TokenQueries store API tokens.
type TokenQueries interface {
	CreateToken(ctx context.Context, t *weft.Token) error
	// TokenByHash returns the token with that hash, revoked or not (ErrNotFound if none).
	TokenByHash(ctx context.Context, hash []byte) (*weft.Token, error)
	ListTokens(ctx context.Context) ([]*weft.Token, error)
	RevokeToken(ctx context.Context, id string, at time.Time) error
	// TouchToken records a use (at most the caller's precision; it may skip writes).
	TouchToken(ctx context.Context, id string, at time.Time) error
}

// Session is a web UI sign-in (package ui). The browser holds a random session id in a
// cookie; only the id's SHA-256 is stored, so the table alone cannot sign anyone in.
type Session struct {
	// Hash is the SHA-256 of the session id (the primary key).
	Hash []byte
	// TokenID is the API token the person signed in with: the session ends with it.
	// Exactly one of TokenID and UserID is set.
	TokenID string
	// UserID is the account that signed in with email and password: the session ends
	// when the account is removed.
	UserID string
	// CSRF is the token every form of the session carries.
	CSRF       string
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is when the session ends unless it is used again: the earlier of the
	// idle timeout after LastSeenAt and the absolute limit after CreatedAt.
	ExpiresAt time.Time
	// Token is the session's token as GetSession read it, revoked or not (CreateSession
	// ignores it); nil for a user's session.
	Token *weft.Token
	// User is the session's account as GetSession read it (CreateSession ignores it);
	// nil for a token's session.
	User *User
}

// User is a person's account in the web UI (docs/security.md, "Accounts"). The
// password is stored only as an argon2id hash in its PHC string form (package auth).
type User struct {
	ID    string `json:"id"`
	Email string `json:"email"` // unique, compared lower-cased
	Name  string `json:"name"`
	// Role is owner, admin, editor or viewer (auth.RoleScopes maps it to scopes).
	Role         string    `json:"role"`
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"createdAt"`
}

// UserQueries store accounts.
type UserQueries interface {
	// CreateUser stores an account (ErrExists if the id or the email is taken).
	CreateUser(ctx context.Context, u *User) error
	// GetUser returns the account with that id (ErrNotFound if none).
	GetUser(ctx context.Context, id string) (*User, error)
	// UserByEmail returns the account with that email, any case (ErrNotFound if none).
	UserByEmail(ctx context.Context, email string) (*User, error)
	// ListUsers returns every account, oldest first.
	ListUsers(ctx context.Context) ([]*User, error)
	// CountUsers returns how many accounts exist (0: a fresh weft, the first visitor
	// creates the owner).
	CountUsers(ctx context.Context) (int, error)
	// SetUserRole changes an account's role (ErrNotFound if none).
	SetUserRole(ctx context.Context, id, role string) error
	// DeleteUser removes an account and its sessions (ErrNotFound if none).
	DeleteUser(ctx context.Context, id string) error

	// CreateInvite stores an invite (ErrExists if its id or hash is taken).
	CreateInvite(ctx context.Context, in *Invite) error
	// InviteByHash returns the invite with that code hash, expired or not (ErrNotFound
	// if none): the caller decides with its own clock.
	InviteByHash(ctx context.Context, hash []byte) (*Invite, error)
	// ListInvites returns every invite not yet used, oldest first.
	ListInvites(ctx context.Context) ([]*Invite, error)
	// DeleteInvite removes an invite (ErrNotFound if none): using an invite deletes it
	// in the transaction that creates the account, so it is used once.
	DeleteInvite(ctx context.Context, id string) error
}

// AuditEntry is one change a person (or a token) made: who, when, what, to what.
type AuditEntry struct {
	ID int64     `json:"id"` // assigned by AddAudit, increasing
	At time.Time `json:"at"`
	// Actor is the account's email, or "token NAME".
	Actor string `json:"actor"`
	// Action is what was done, e.g. "scenarios/{id}/delete".
	Action string `json:"action"`
	// Target is what it was done to, e.g. "scenarios/7/delete".
	Target string `json:"target"`
}

// AuditQueries keep the audit log (docs/security.md, "Audit log").
type AuditQueries interface {
	// AddAudit appends an entry and sets its ID.
	AddAudit(ctx context.Context, e *AuditEntry) error
	// ListAudit returns up to limit entries with an ID below before (0: from the
	// newest), newest first.
	ListAudit(ctx context.Context, before int64, limit int) ([]*AuditEntry, error)
}

// Invite is a one-time, expiring link to create an account with a role. The link's
// code is shown once; only its SHA-256 is stored.
type Invite struct {
	ID   string `json:"id"`
	Hash []byte `json:"-"`
	// Email, when set, is the only email the account may have.
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	CreatedBy string    `json:"createdBy"` // the inviting account's email
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// SessionQueries store the web UI's sessions.
type SessionQueries interface {
	// CreateSession stores a session (ErrExists if the hash is taken, ErrNotFound if
	// the token is not).
	CreateSession(ctx context.Context, s *Session) error
	// GetSession returns the session with that hash and its token, expired or not
	// (ErrNotFound if none): the caller decides, with its own clock.
	GetSession(ctx context.Context, hash []byte) (*Session, error)
	// TouchSession records a use: last seen and expiry move forward only.
	TouchSession(ctx context.Context, hash []byte, lastSeen, expires time.Time) error
	// DeleteSession ends a session (ErrNotFound if none).
	DeleteSession(ctx context.Context, hash []byte) error
	// DeleteExpiredSessions deletes the sessions whose expiry is before now and
	// returns how many.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)
}

// OAuthClient is the operator's own OAuth client at a provider (weft oauth-clients
// set): the id as given, the secret encrypted by the caller (like connections).
type OAuthClient struct {
	Provider  string
	ClientID  string
	Secret    []byte // sealed; nil: a public client
	KeyID     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// OAuthFlow is one authorization of a connection in progress: what the callback needs
// to finish it. It is found by the SHA-256 of its state (the state itself is never
// stored) and used once.
type OAuthFlow struct {
	StateHash    []byte
	ConnectionID int64
	RedirectURI  string
	// Binding is the SHA-256 of the secret the browser that started the flow holds in
	// a cookie; empty for flows started from the command line or the API.
	Binding  []byte
	Verifier []byte // the PKCE verifier, sealed
	KeyID    string
	// Status is pending (waiting for the callback), exchanging (the callback came),
	// done or failed (Message says why).
	Status     string
	Message    string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	FinishedAt *time.Time
}

// OAuthQueries store OAuth clients and authorizations in progress.
type OAuthQueries interface {
	// PutOAuthClient creates or replaces the provider's client.
	PutOAuthClient(ctx context.Context, c *OAuthClient) error
	GetOAuthClient(ctx context.Context, provider string) (*OAuthClient, error)
	// ListOAuthClients returns every client by provider name, secrets included (key
	// rotation reads them).
	ListOAuthClients(ctx context.Context) ([]*OAuthClient, error)
	DeleteOAuthClient(ctx context.Context, provider string) error
	CreateOAuthFlow(ctx context.Context, f *OAuthFlow) error
	GetOAuthFlow(ctx context.Context, stateHash []byte) (*OAuthFlow, error)
	// UpdateOAuthFlow writes status, message and finished-at.
	UpdateOAuthFlow(ctx context.Context, f *OAuthFlow) error
	// DeleteOAuthFlowsBefore deletes the flows that expired before t.
	DeleteOAuthFlowsBefore(ctx context.Context, t time.Time) (int, error)
}

// HookQueries store webhook addresses.
type HookQueries interface {
	CreateHook(ctx context.Context, h *weft.Hook) error
	GetHook(ctx context.Context, token string) (*weft.Hook, error)
	// HookOfScenario returns the scenario's hook (ErrNotFound if it has none).
	HookOfScenario(ctx context.Context, scenarioID int64) (*weft.Hook, error)
	UpdateHook(ctx context.Context, h *weft.Hook) error
	DeleteHook(ctx context.Context, token string) error
	ListHooks(ctx context.Context) ([]*weft.Hook, error)
}

// ConnectionQueries store app credentials (already encrypted by the caller).
type ConnectionQueries interface {
	CreateConnection(ctx context.Context, c *weft.Connection) error
	GetConnection(ctx context.Context, id int64) (*weft.Connection, error)
	ListConnections(ctx context.Context) ([]*weft.Connection, error)
	// UpdateConnection writes name, type, data, key id and updated-at (key rotation
	// rewrites data and key id).
	UpdateConnection(ctx context.Context, c *weft.Connection) error
	DeleteConnection(ctx context.Context, id int64) error
}

// ExecutionFilter selects executions, newest first.
type ExecutionFilter struct {
	ScenarioID int64 // 0: every scenario
	Status     weft.ExecutionStatus
	// IncompleteID selects the attempts of one incomplete execution.
	IncompleteID string
	// ParentID selects the sub-scenario runs one execution called.
	ParentID string
	// Before is a cursor: only executions started before this one (its id).
	Before string
	// From and To bound the start time: From inclusive, To exclusive; zero values
	// leave that side open.
	From, To time.Time
	// Search selects executions whose id starts with it or whose log (the bundles it
	// recorded, as JSON) contains it byte for byte. The log match reads the log of every
	// execution the other conditions leave: narrow it with a scenario or a date range
	// on a large store.
	Search string
	Limit  int // 0: 50
}

// ExecutionQueries store executions.
type ExecutionQueries interface {
	CreateExecution(ctx context.Context, e *weft.Execution) error
	// UpdateExecution writes status, operations, error, log, response and finished-at;
	// Input is cleared once the execution is finished.
	UpdateExecution(ctx context.Context, e *weft.Execution) error
	GetExecution(ctx context.Context, id string) (*weft.Execution, error)
	// ListExecutions returns executions without their log and input.
	ListExecutions(ctx context.Context, f ExecutionFilter) ([]*weft.Execution, error)
	// RunningExecutions lists every execution still marked running (crash recovery).
	RunningExecutions(ctx context.Context) ([]*weft.Execution, error)
}

// IncompleteFilter selects incomplete executions, oldest first.
type IncompleteFilter struct {
	ScenarioID int64 // 0: every scenario
	Status     []weft.IncompleteStatus
	ErrorType  weft.ErrorType
	ModuleID   int
	// ExecutionID selects those stored by one execution (a run or an attempt).
	ExecutionID string
	// BreakerKey selects those of one circuit breaker's connection or host.
	BreakerKey string
	// After is a cursor: only incomplete executions after this one (its id) in order.
	After string
	Limit int // 0: 50
}

// Selection names incomplete executions for bulk retry and delete: explicit ids, or
// every one of a scenario except some.
type Selection struct {
	IDs        []string
	ScenarioID int64
	All        bool
	Except     []string
}

// IncompleteQueries store incomplete executions and their attempts.
type IncompleteQueries interface {
	CreateIncomplete(ctx context.Context, ie *weft.Incomplete) error
	GetIncomplete(ctx context.Context, id string) (*weft.Incomplete, error)
	// UpdateIncomplete writes everything but id, scenario, origin execution and created-at.
	UpdateIncomplete(ctx context.Context, ie *weft.Incomplete) error
	// ListIncomplete returns incomplete executions without blueprint and state.
	ListIncomplete(ctx context.Context, f IncompleteFilter) ([]*weft.Incomplete, error)
	CountIncomplete(ctx context.Context, f IncompleteFilter) (int, error)
	// IncompleteBytes is the size of the stored incomplete executions that are not
	// resolved: of one scenario, and in total (SPEC §5.6).
	IncompleteBytes(ctx context.Context, scenarioID int64) (scenario, total int64, err error)
	// ClaimDue moves up to limit pending incomplete executions whose next attempt is due
	// at now to in_progress and returns them, earliest first, never more than
	// perScenario in progress for one scenario, none for a scenario with a running
	// execution of kind run, and none for the scenarios in skip (the caller's own live
	// runs, which may not have their execution row yet).
	ClaimDue(ctx context.Context, now time.Time, limit, perScenario int, skip []int64) ([]*weft.Incomplete, error)
	// CountDue counts pending incomplete executions whose next attempt is due at now
	// (the retry queue's depth).
	CountDue(ctx context.Context, now time.Time) (int, error)
	// NextDue is the earliest next attempt time of a pending incomplete execution.
	NextDue(ctx context.Context) (*time.Time, error)
	// Requeue schedules the selected unresolved or pending incomplete executions for a
	// retry at at (status pending), marked as a person's (ManualRetry); in-progress and
	// resolved ones are left alone.
	Requeue(ctx context.Context, sel Selection, at time.Time) (int, error)
	// DeleteIncomplete deletes the selected incomplete executions that are not in
	// progress, with their attempts.
	DeleteIncomplete(ctx context.Context, sel Selection) (int, error)
	// DeleteResolvedBefore deletes resolved incomplete executions resolved before t.
	DeleteResolvedBefore(ctx context.Context, t time.Time) (int, error)
	AddAttempt(ctx context.Context, a *weft.Attempt) error
	UpdateAttempt(ctx context.Context, a *weft.Attempt) error
	ListAttempts(ctx context.Context, incompleteID string) ([]weft.Attempt, error)
}

// BreakerQueries store open circuit breakers (docs/incomplete-executions.md §10).
type BreakerQueries interface {
	// PutBreaker stores b, replacing the breaker of its key.
	PutBreaker(ctx context.Context, b *weft.Breaker) error
	// GetBreaker returns the open breaker of key (ErrNotFound when it is closed).
	GetBreaker(ctx context.Context, key string) (*weft.Breaker, error)
	// ListBreakers returns every open breaker by key.
	ListBreakers(ctx context.Context) ([]*weft.Breaker, error)
	// DeleteBreaker closes a breaker (ErrNotFound when none is open).
	DeleteBreaker(ctx context.Context, key string) error
	// ReleaseBreaker makes the pending incomplete executions of key due at at (those
	// due later) and returns how many.
	ReleaseBreaker(ctx context.Context, key string, at time.Time) (int, error)
}

// QueueQueries store trigger payloads waiting for a run.
type QueueQueries interface {
	Enqueue(ctx context.Context, item *weft.QueueItem) error
	// ClaimQueued takes the oldest waiting item of up to limit scenarios (at most one
	// item per scenario, so each scenario's items run in arrival order), skipping
	// scenarios in skip, and marks each taken by a new execution id from newID.
	ClaimQueued(ctx context.Context, limit int, skip []int64, newID func() string) ([]*weft.QueueItem, error)
	// ClaimQueuedBatch takes up to limit of one scenario's oldest waiting items, in
	// arrival order, for one run (the cycles of a scheduled run), all marked taken by
	// executionID — none when the scenario's oldest item is already taken.
	ClaimQueuedBatch(ctx context.Context, scenarioID int64, limit int, executionID string) ([]*weft.QueueItem, error)
	// ReleaseQueued puts a taken item back (its run was rolled back or interrupted).
	ReleaseQueued(ctx context.Context, id int64) error
	// ReleaseOrphanedQueued puts back every taken item whose execution is not running:
	// a claim that outlived a crash before its run was recorded. Returns how many.
	ReleaseOrphanedQueued(ctx context.Context) (int, error)
	// DeleteQueued removes an item whose run finished.
	DeleteQueued(ctx context.Context, id int64) error
	// QueueDepth counts a scenario's stored items, taken and set-aside ones included;
	// scenario 0 counts every scenario's.
	QueueDepth(ctx context.Context, scenarioID int64) (int, error)

	// SetAsideQueued marks a taken item dead with the failure of the run that consumed
	// it and frees it from that run: it no longer holds the head of its scenario's
	// queue, so the items behind it can run, and it waits for a person.
	SetAsideQueued(ctx context.Context, id int64, f weft.QueueFailure) error
	// ListQueued returns items in arrival order, without payloads (SizeBytes tells how
	// big each is).
	ListQueued(ctx context.Context, f QueueFilter) ([]*weft.QueueItem, error)
	// GetQueued returns one item with its payload (ErrNotFound when there is none).
	GetQueued(ctx context.Context, id int64) (*weft.QueueItem, error)
	// RequeueQueued puts the selected dead items back to waiting, in their arrival
	// place, and returns how many.
	RequeueQueued(ctx context.Context, sel QueueSelection) (int, error)
	// DeleteQueuedItems deletes the selected items that no run is consuming (waiting
	// and dead ones) and returns how many.
	DeleteQueuedItems(ctx context.Context, sel QueueSelection) (int, error)
	// QueueUsage is a scenario's stored items and their payload bytes, every status
	// included (the webhook intake's per-scenario bounds).
	QueueUsage(ctx context.Context, scenarioID int64) (QueueUsage, error)
}

// QueueFilter selects queue items for ListQueued.
type QueueFilter struct {
	ScenarioID int64 // 0: every scenario
	// Status keeps items in one of these statuses (none: every status).
	Status []weft.QueueStatus
	// AfterID continues a listing after this item id (a cursor).
	AfterID int64
	Limit   int // 0: no limit
}

// QueueSelection names queue items for bulk requeue and delete: IDs, or All items of
// ScenarioID but Except; Status, when set, keeps only items in those statuses. IDs
// with a ScenarioID only select that scenario's items.
type QueueSelection struct {
	ScenarioID int64
	IDs        []int64
	All        bool
	Except     []int64
	Status     []weft.QueueStatus
}

// QueueUsage counts what a scenario's queue holds.
type QueueUsage struct {
	Items int
	Bytes int64
	Dead  int
}

// DataStoreQueries store data store records (the datastore:* modules).
type DataStoreQueries interface {
	GetRecord(ctx context.Context, store, key string) (weft.Bundle, error) // ErrNotFound
	// PutRecord adds or replaces a record; without overwrite an existing key is ErrExists.
	PutRecord(ctx context.Context, store, key string, data weft.Bundle, overwrite bool) error
	DeleteRecord(ctx context.Context, store, key string) error // ErrNotFound
	// ListRecords returns a store's records in key order.
	ListRecords(ctx context.Context, store string, limit int) ([]weft.Record, error)
	CountRecords(ctx context.Context, store string) (int, error)
}
