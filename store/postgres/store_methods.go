package postgres

import (
	"context"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// The Store's own Queries: a write of several statements is one transaction; a write
// of one statement and every read run on the pool, each statement its own transaction
// (atomic all the same, without the BEGIN and COMMIT round trips).

func (s *Store) CreateScenario(ctx context.Context, sc *weft.Scenario, blueprint []byte) error {
	return s.write(ctx, func(q *queries) error { return q.CreateScenario(ctx, sc, blueprint) })
}

func (s *Store) AddVersion(ctx context.Context, scenarioID int64, blueprint []byte, at time.Time) (int, error) {
	return writeValue(s, ctx, func(q *queries) (int, error) { return q.AddVersion(ctx, scenarioID, blueprint, at) })
}

func (s *Store) GetScenario(ctx context.Context, id int64) (*weft.Scenario, error) {
	return readValue(s, ctx, func(q *queries) (*weft.Scenario, error) { return q.GetScenario(ctx, id) })
}

func (s *Store) FindScenarioBySource(ctx context.Context, source string) (*weft.Scenario, error) {
	return readValue(s, ctx, func(q *queries) (*weft.Scenario, error) { return q.FindScenarioBySource(ctx, source) })
}

func (s *Store) ListScenarios(ctx context.Context) ([]*weft.Scenario, error) {
	return readValue(s, ctx, func(q *queries) ([]*weft.Scenario, error) { return q.ListScenarios(ctx) })
}

func (s *Store) UpdateScenario(ctx context.Context, sc *weft.Scenario) error {
	return s.auto(ctx, func(q *queries) error { return q.UpdateScenario(ctx, sc) })
}

func (s *Store) GetVersion(ctx context.Context, scenarioID int64, version int) (*weft.Version, error) {
	return readValue(s, ctx, func(q *queries) (*weft.Version, error) { return q.GetVersion(ctx, scenarioID, version) })
}

func (s *Store) ListVersions(ctx context.Context, scenarioID int64) ([]weft.Version, error) {
	return readValue(s, ctx, func(q *queries) ([]weft.Version, error) { return q.ListVersions(ctx, scenarioID) })
}

func (s *Store) DeleteScenario(ctx context.Context, id int64) error {
	return s.auto(ctx, func(q *queries) error { return q.DeleteScenario(ctx, id) })
}

func (s *Store) CreateExecution(ctx context.Context, e *weft.Execution) error {
	if e != nil && e.ParentID == "" { // one statement
		return s.auto(ctx, func(q *queries) error { return q.CreateExecution(ctx, e) })
	}
	return s.write(ctx, func(q *queries) error { return q.CreateExecution(ctx, e) })
}

func (s *Store) UpdateExecution(ctx context.Context, e *weft.Execution) error {
	return s.auto(ctx, func(q *queries) error { return q.UpdateExecution(ctx, e) })
}

func (s *Store) GetExecution(ctx context.Context, id string) (*weft.Execution, error) {
	return readValue(s, ctx, func(q *queries) (*weft.Execution, error) { return q.GetExecution(ctx, id) })
}

func (s *Store) ListExecutions(ctx context.Context, f store.ExecutionFilter) ([]*weft.Execution, error) {
	return readValue(s, ctx, func(q *queries) ([]*weft.Execution, error) { return q.ListExecutions(ctx, f) })
}

func (s *Store) RunningExecutions(ctx context.Context) ([]*weft.Execution, error) {
	return readValue(s, ctx, func(q *queries) ([]*weft.Execution, error) { return q.RunningExecutions(ctx) })
}

func (s *Store) CreateIncomplete(ctx context.Context, ie *weft.Incomplete) error {
	return s.auto(ctx, func(q *queries) error { return q.CreateIncomplete(ctx, ie) })
}

func (s *Store) GetIncomplete(ctx context.Context, id string) (*weft.Incomplete, error) {
	return readValue(s, ctx, func(q *queries) (*weft.Incomplete, error) { return q.GetIncomplete(ctx, id) })
}

func (s *Store) UpdateIncomplete(ctx context.Context, ie *weft.Incomplete) error {
	return s.auto(ctx, func(q *queries) error { return q.UpdateIncomplete(ctx, ie) })
}

func (s *Store) ListIncomplete(ctx context.Context, f store.IncompleteFilter) ([]*weft.Incomplete, error) {
	return readValue(s, ctx, func(q *queries) ([]*weft.Incomplete, error) { return q.ListIncomplete(ctx, f) })
}

func (s *Store) CountIncomplete(ctx context.Context, f store.IncompleteFilter) (int, error) {
	return readValue(s, ctx, func(q *queries) (int, error) { return q.CountIncomplete(ctx, f) })
}

func (s *Store) IncompleteBytes(ctx context.Context, scenarioID int64) (scenario, total int64, err error) {
	err = s.read(ctx, func(q *queries) error {
		scenario, total, err = q.IncompleteBytes(ctx, scenarioID)
		return err
	})
	return scenario, total, err
}

func (s *Store) ClaimDue(ctx context.Context, now time.Time, limit, perScenario int, skip []int64) ([]*weft.Incomplete, error) {
	return writeValue(s, ctx, func(q *queries) ([]*weft.Incomplete, error) {
		return q.ClaimDue(ctx, now, limit, perScenario, skip)
	})
}

func (s *Store) NextDue(ctx context.Context) (*time.Time, error) {
	return readValue(s, ctx, func(q *queries) (*time.Time, error) { return q.NextDue(ctx) })
}

func (s *Store) Requeue(ctx context.Context, sel store.Selection, at time.Time) (int, error) {
	return autoValue(s, ctx, func(q *queries) (int, error) { return q.Requeue(ctx, sel, at) })
}

func (s *Store) DeleteIncomplete(ctx context.Context, sel store.Selection) (int, error) {
	return autoValue(s, ctx, func(q *queries) (int, error) { return q.DeleteIncomplete(ctx, sel) })
}

func (s *Store) DeleteResolvedBefore(ctx context.Context, t time.Time) (int, error) {
	return autoValue(s, ctx, func(q *queries) (int, error) { return q.DeleteResolvedBefore(ctx, t) })
}

func (s *Store) AddAttempt(ctx context.Context, a *weft.Attempt) error {
	return s.auto(ctx, func(q *queries) error { return q.AddAttempt(ctx, a) })
}

func (s *Store) UpdateAttempt(ctx context.Context, a *weft.Attempt) error {
	return s.auto(ctx, func(q *queries) error { return q.UpdateAttempt(ctx, a) })
}

func (s *Store) ListAttempts(ctx context.Context, incompleteID string) ([]weft.Attempt, error) {
	return readValue(s, ctx, func(q *queries) ([]weft.Attempt, error) { return q.ListAttempts(ctx, incompleteID) })
}

func (s *Store) Enqueue(ctx context.Context, item *weft.QueueItem) error {
	if item != nil && item.ExecutionID == "" {
		// A transaction: the queue's order lock is held to the commit (queue.go).
		return s.write(ctx, func(q *queries) error { return q.Enqueue(ctx, item) })
	}
	return s.auto(ctx, func(q *queries) error { return q.Enqueue(ctx, item) })
}

func (s *Store) ClaimQueued(ctx context.Context, limit int, skip []int64, newID func() string) ([]*weft.QueueItem, error) {
	return writeValue(s, ctx, func(q *queries) ([]*weft.QueueItem, error) { return q.ClaimQueued(ctx, limit, skip, newID) })
}

func (s *Store) ClaimQueuedBatch(ctx context.Context, scenarioID int64, limit int, executionID string) ([]*weft.QueueItem, error) {
	return writeValue(s, ctx, func(q *queries) ([]*weft.QueueItem, error) {
		return q.ClaimQueuedBatch(ctx, scenarioID, limit, executionID)
	})
}

func (s *Store) CountDue(ctx context.Context, now time.Time) (int, error) {
	return readValue(s, ctx, func(q *queries) (int, error) { return q.CountDue(ctx, now) })
}

func (s *Store) ReleaseQueued(ctx context.Context, id int64) error {
	return s.auto(ctx, func(q *queries) error { return q.ReleaseQueued(ctx, id) })
}

func (s *Store) ReleaseOrphanedQueued(ctx context.Context) (int, error) {
	return autoValue(s, ctx, func(q *queries) (int, error) { return q.ReleaseOrphanedQueued(ctx) })
}

func (s *Store) DeleteQueued(ctx context.Context, id int64) error {
	return s.auto(ctx, func(q *queries) error { return q.DeleteQueued(ctx, id) })
}

func (s *Store) QueueDepth(ctx context.Context, scenarioID int64) (int, error) {
	return readValue(s, ctx, func(q *queries) (int, error) { return q.QueueDepth(ctx, scenarioID) })
}

func (s *Store) GetRecord(ctx context.Context, store, key string) (weft.Bundle, error) {
	return readValue(s, ctx, func(q *queries) (weft.Bundle, error) { return q.GetRecord(ctx, store, key) })
}

func (s *Store) PutRecord(ctx context.Context, store, key string, data weft.Bundle, overwrite bool) error {
	return s.auto(ctx, func(q *queries) error { return q.PutRecord(ctx, store, key, data, overwrite) })
}

func (s *Store) DeleteRecord(ctx context.Context, store, key string) error {
	return s.auto(ctx, func(q *queries) error { return q.DeleteRecord(ctx, store, key) })
}

func (s *Store) ListRecords(ctx context.Context, store string, limit int) ([]weft.Record, error) {
	return readValue(s, ctx, func(q *queries) ([]weft.Record, error) { return q.ListRecords(ctx, store, limit) })
}

func (s *Store) CountRecords(ctx context.Context, store string) (int, error) {
	return readValue(s, ctx, func(q *queries) (int, error) { return q.CountRecords(ctx, store) })
}

func (s *Store) SetAsideQueued(ctx context.Context, id int64, f weft.QueueFailure) error {
	return s.auto(ctx, func(q *queries) error { return q.SetAsideQueued(ctx, id, f) })
}

func (s *Store) ListQueued(ctx context.Context, f store.QueueFilter) ([]*weft.QueueItem, error) {
	return readValue(s, ctx, func(q *queries) ([]*weft.QueueItem, error) { return q.ListQueued(ctx, f) })
}

func (s *Store) GetQueued(ctx context.Context, id int64) (*weft.QueueItem, error) {
	return readValue(s, ctx, func(q *queries) (*weft.QueueItem, error) { return q.GetQueued(ctx, id) })
}

func (s *Store) RequeueQueued(ctx context.Context, sel store.QueueSelection) (int, error) {
	return autoValue(s, ctx, func(q *queries) (int, error) { return q.RequeueQueued(ctx, sel) })
}

func (s *Store) DeleteQueuedItems(ctx context.Context, sel store.QueueSelection) (int, error) {
	return autoValue(s, ctx, func(q *queries) (int, error) { return q.DeleteQueuedItems(ctx, sel) })
}

func (s *Store) QueueUsage(ctx context.Context, scenarioID int64) (store.QueueUsage, error) {
	return readValue(s, ctx, func(q *queries) (store.QueueUsage, error) { return q.QueueUsage(ctx, scenarioID) })
}

func (s *Store) ClaimDueSchedules(ctx context.Context, now time.Time, limit int, next func(*weft.Scenario) *time.Time) ([]*weft.Scenario, error) {
	return writeValue(s, ctx, func(q *queries) ([]*weft.Scenario, error) {
		return q.ClaimDueSchedules(ctx, now, limit, next)
	})
}

func (s *Store) CreateToken(ctx context.Context, t *weft.Token) error {
	return s.auto(ctx, func(q *queries) error { return q.CreateToken(ctx, t) })
}

func (s *Store) TokenByHash(ctx context.Context, hash []byte) (*weft.Token, error) {
	return readValue(s, ctx, func(q *queries) (*weft.Token, error) { return q.TokenByHash(ctx, hash) })
}

func (s *Store) ListTokens(ctx context.Context) ([]*weft.Token, error) {
	return readValue(s, ctx, func(q *queries) ([]*weft.Token, error) { return q.ListTokens(ctx) })
}

func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) error {
	return s.auto(ctx, func(q *queries) error { return q.RevokeToken(ctx, id, at) })
}

func (s *Store) CreateHook(ctx context.Context, h *weft.Hook) error {
	return s.auto(ctx, func(q *queries) error { return q.CreateHook(ctx, h) })
}

func (s *Store) GetHook(ctx context.Context, token string) (*weft.Hook, error) {
	return readValue(s, ctx, func(q *queries) (*weft.Hook, error) { return q.GetHook(ctx, token) })
}

func (s *Store) HookOfScenario(ctx context.Context, scenarioID int64) (*weft.Hook, error) {
	return readValue(s, ctx, func(q *queries) (*weft.Hook, error) { return q.HookOfScenario(ctx, scenarioID) })
}

func (s *Store) UpdateHook(ctx context.Context, h *weft.Hook) error {
	return s.auto(ctx, func(q *queries) error { return q.UpdateHook(ctx, h) })
}

func (s *Store) DeleteHook(ctx context.Context, token string) error {
	return s.auto(ctx, func(q *queries) error { return q.DeleteHook(ctx, token) })
}

func (s *Store) ListHooks(ctx context.Context) ([]*weft.Hook, error) {
	return readValue(s, ctx, func(q *queries) ([]*weft.Hook, error) { return q.ListHooks(ctx) })
}

func (s *Store) CreateConnection(ctx context.Context, c *weft.Connection) error {
	return s.auto(ctx, func(q *queries) error { return q.CreateConnection(ctx, c) })
}

func (s *Store) GetConnection(ctx context.Context, id int64) (*weft.Connection, error) {
	return readValue(s, ctx, func(q *queries) (*weft.Connection, error) { return q.GetConnection(ctx, id) })
}

func (s *Store) ListConnections(ctx context.Context) ([]*weft.Connection, error) {
	return readValue(s, ctx, func(q *queries) ([]*weft.Connection, error) { return q.ListConnections(ctx) })
}

func (s *Store) UpdateConnection(ctx context.Context, c *weft.Connection) error {
	return s.auto(ctx, func(q *queries) error { return q.UpdateConnection(ctx, c) })
}

func (s *Store) DeleteConnection(ctx context.Context, id int64) error {
	return s.auto(ctx, func(q *queries) error { return q.DeleteConnection(ctx, id) })
}

func (s *Store) CreateSession(ctx context.Context, ss *store.Session) error {
	return s.auto(ctx, func(q *queries) error { return q.CreateSession(ctx, ss) })
}

func (s *Store) GetSession(ctx context.Context, hash []byte) (*store.Session, error) {
	return readValue(s, ctx, func(q *queries) (*store.Session, error) { return q.GetSession(ctx, hash) })
}

func (s *Store) TouchSession(ctx context.Context, hash []byte, lastSeen, expires time.Time) error {
	return s.auto(ctx, func(q *queries) error { return q.TouchSession(ctx, hash, lastSeen, expires) })
}

func (s *Store) DeleteSession(ctx context.Context, hash []byte) error {
	return s.auto(ctx, func(q *queries) error { return q.DeleteSession(ctx, hash) })
}

func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	return autoValue(s, ctx, func(q *queries) (int, error) { return q.DeleteExpiredSessions(ctx, now) })
}

func (s *Store) PutOAuthClient(ctx context.Context, c *store.OAuthClient) error {
	return s.auto(ctx, func(q *queries) error { return q.PutOAuthClient(ctx, c) })
}

func (s *Store) GetOAuthClient(ctx context.Context, provider string) (*store.OAuthClient, error) {
	return readValue(s, ctx, func(q *queries) (*store.OAuthClient, error) { return q.GetOAuthClient(ctx, provider) })
}

func (s *Store) ListOAuthClients(ctx context.Context) ([]*store.OAuthClient, error) {
	return readValue(s, ctx, func(q *queries) ([]*store.OAuthClient, error) { return q.ListOAuthClients(ctx) })
}

func (s *Store) DeleteOAuthClient(ctx context.Context, provider string) error {
	return s.auto(ctx, func(q *queries) error { return q.DeleteOAuthClient(ctx, provider) })
}

func (s *Store) CreateOAuthFlow(ctx context.Context, f *store.OAuthFlow) error {
	return s.auto(ctx, func(q *queries) error { return q.CreateOAuthFlow(ctx, f) })
}

func (s *Store) GetOAuthFlow(ctx context.Context, stateHash []byte) (*store.OAuthFlow, error) {
	return readValue(s, ctx, func(q *queries) (*store.OAuthFlow, error) { return q.GetOAuthFlow(ctx, stateHash) })
}

func (s *Store) UpdateOAuthFlow(ctx context.Context, f *store.OAuthFlow) error {
	return s.auto(ctx, func(q *queries) error { return q.UpdateOAuthFlow(ctx, f) })
}

func (s *Store) DeleteOAuthFlowsBefore(ctx context.Context, t time.Time) (int, error) {
	return autoValue(s, ctx, func(q *queries) (int, error) { return q.DeleteOAuthFlowsBefore(ctx, t) })
}

func (s *Store) GetTriggerPosition(ctx context.Context, scenarioID int64, moduleID int) (*weft.TriggerPosition, error) {
	return readValue(s, ctx, func(q *queries) (*weft.TriggerPosition, error) {
		return q.GetTriggerPosition(ctx, scenarioID, moduleID)
	})
}

func (s *Store) SaveTriggerPosition(ctx context.Context, p *weft.TriggerPosition, ifVersion int64) (bool, error) {
	return autoValue(s, ctx, func(q *queries) (bool, error) { return q.SaveTriggerPosition(ctx, p, ifVersion) })
}

func (s *Store) ListTriggerPositions(ctx context.Context, scenarioID int64) ([]*weft.TriggerPosition, error) {
	return readValue(s, ctx, func(q *queries) ([]*weft.TriggerPosition, error) { return q.ListTriggerPositions(ctx, scenarioID) })
}

func (s *Store) PutAppHook(ctx context.Context, h *weft.AppHook) error {
	return s.auto(ctx, func(q *queries) error { return q.PutAppHook(ctx, h) })
}

func (s *Store) GetAppHook(ctx context.Context, scenarioID int64) (*weft.AppHook, error) {
	return readValue(s, ctx, func(q *queries) (*weft.AppHook, error) { return q.GetAppHook(ctx, scenarioID) })
}

func (s *Store) ListAppHooks(ctx context.Context, owed bool) ([]*weft.AppHook, error) {
	return readValue(s, ctx, func(q *queries) ([]*weft.AppHook, error) { return q.ListAppHooks(ctx, owed) })
}

func (s *Store) DeleteAppHook(ctx context.Context, scenarioID int64) error {
	return s.auto(ctx, func(q *queries) error { return q.DeleteAppHook(ctx, scenarioID) })
}

// TouchToken is one statement on the pool: an update that finds a later use recorded
// writes nothing.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	return s.read(ctx, func(q *queries) error { return q.TouchToken(ctx, id, at) })
}
