package sqlite

import (
	"context"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// The Store's own Queries: every call is one transaction, a write transaction on the
// writer connection or a read transaction on the read pool.

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
	return s.write(ctx, func(q *queries) error { return q.UpdateScenario(ctx, sc) })
}

func (s *Store) GetVersion(ctx context.Context, scenarioID int64, version int) (*weft.Version, error) {
	return readValue(s, ctx, func(q *queries) (*weft.Version, error) { return q.GetVersion(ctx, scenarioID, version) })
}

func (s *Store) ListVersions(ctx context.Context, scenarioID int64) ([]weft.Version, error) {
	return readValue(s, ctx, func(q *queries) ([]weft.Version, error) { return q.ListVersions(ctx, scenarioID) })
}

func (s *Store) DeleteScenario(ctx context.Context, id int64) error {
	return s.write(ctx, func(q *queries) error { return q.DeleteScenario(ctx, id) })
}

func (s *Store) CreateExecution(ctx context.Context, e *weft.Execution) error {
	return s.write(ctx, func(q *queries) error { return q.CreateExecution(ctx, e) })
}

func (s *Store) UpdateExecution(ctx context.Context, e *weft.Execution) error {
	return s.write(ctx, func(q *queries) error { return q.UpdateExecution(ctx, e) })
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
	return s.write(ctx, func(q *queries) error { return q.CreateIncomplete(ctx, ie) })
}

func (s *Store) GetIncomplete(ctx context.Context, id string) (*weft.Incomplete, error) {
	return readValue(s, ctx, func(q *queries) (*weft.Incomplete, error) { return q.GetIncomplete(ctx, id) })
}

func (s *Store) UpdateIncomplete(ctx context.Context, ie *weft.Incomplete) error {
	return s.write(ctx, func(q *queries) error { return q.UpdateIncomplete(ctx, ie) })
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
	return writeValue(s, ctx, func(q *queries) (int, error) { return q.Requeue(ctx, sel, at) })
}

func (s *Store) DeleteIncomplete(ctx context.Context, sel store.Selection) (int, error) {
	return writeValue(s, ctx, func(q *queries) (int, error) { return q.DeleteIncomplete(ctx, sel) })
}

func (s *Store) DeleteResolvedBefore(ctx context.Context, t time.Time) (int, error) {
	return writeValue(s, ctx, func(q *queries) (int, error) { return q.DeleteResolvedBefore(ctx, t) })
}

func (s *Store) AddAttempt(ctx context.Context, a *weft.Attempt) error {
	return s.write(ctx, func(q *queries) error { return q.AddAttempt(ctx, a) })
}

func (s *Store) UpdateAttempt(ctx context.Context, a *weft.Attempt) error {
	return s.write(ctx, func(q *queries) error { return q.UpdateAttempt(ctx, a) })
}

func (s *Store) ListAttempts(ctx context.Context, incompleteID string) ([]weft.Attempt, error) {
	return readValue(s, ctx, func(q *queries) ([]weft.Attempt, error) { return q.ListAttempts(ctx, incompleteID) })
}

func (s *Store) Enqueue(ctx context.Context, item *weft.QueueItem) error {
	return s.write(ctx, func(q *queries) error { return q.Enqueue(ctx, item) })
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
	return s.write(ctx, func(q *queries) error { return q.ReleaseQueued(ctx, id) })
}

func (s *Store) ReleaseOrphanedQueued(ctx context.Context) (int, error) {
	return writeValue(s, ctx, func(q *queries) (int, error) { return q.ReleaseOrphanedQueued(ctx) })
}

func (s *Store) DeleteQueued(ctx context.Context, id int64) error {
	return s.write(ctx, func(q *queries) error { return q.DeleteQueued(ctx, id) })
}

func (s *Store) QueueDepth(ctx context.Context, scenarioID int64) (int, error) {
	return readValue(s, ctx, func(q *queries) (int, error) { return q.QueueDepth(ctx, scenarioID) })
}

func (s *Store) GetRecord(ctx context.Context, store, key string) (weft.Bundle, error) {
	return readValue(s, ctx, func(q *queries) (weft.Bundle, error) { return q.GetRecord(ctx, store, key) })
}

func (s *Store) PutRecord(ctx context.Context, store, key string, data weft.Bundle, overwrite bool) error {
	return s.write(ctx, func(q *queries) error { return q.PutRecord(ctx, store, key, data, overwrite) })
}

func (s *Store) DeleteRecord(ctx context.Context, store, key string) error {
	return s.write(ctx, func(q *queries) error { return q.DeleteRecord(ctx, store, key) })
}

func (s *Store) ListRecords(ctx context.Context, store string, limit int) ([]weft.Record, error) {
	return readValue(s, ctx, func(q *queries) ([]weft.Record, error) { return q.ListRecords(ctx, store, limit) })
}

func (s *Store) CountRecords(ctx context.Context, store string) (int, error) {
	return readValue(s, ctx, func(q *queries) (int, error) { return q.CountRecords(ctx, store) })
}

func (s *Store) SetAsideQueued(ctx context.Context, id int64, f weft.QueueFailure) error {
	return s.write(ctx, func(q *queries) error { return q.SetAsideQueued(ctx, id, f) })
}

func (s *Store) ListQueued(ctx context.Context, f store.QueueFilter) ([]*weft.QueueItem, error) {
	return readValue(s, ctx, func(q *queries) ([]*weft.QueueItem, error) { return q.ListQueued(ctx, f) })
}

func (s *Store) GetQueued(ctx context.Context, id int64) (*weft.QueueItem, error) {
	return readValue(s, ctx, func(q *queries) (*weft.QueueItem, error) { return q.GetQueued(ctx, id) })
}

func (s *Store) RequeueQueued(ctx context.Context, sel store.QueueSelection) (int, error) {
	return writeValue(s, ctx, func(q *queries) (int, error) { return q.RequeueQueued(ctx, sel) })
}

func (s *Store) DeleteQueuedItems(ctx context.Context, sel store.QueueSelection) (int, error) {
	return writeValue(s, ctx, func(q *queries) (int, error) { return q.DeleteQueuedItems(ctx, sel) })
}

func (s *Store) QueueUsage(ctx context.Context, scenarioID int64) (store.QueueUsage, error) {
	return readValue(s, ctx, func(q *queries) (store.QueueUsage, error) { return q.QueueUsage(ctx, scenarioID) })
}

// LockScenario outside a transaction holds nothing (store.LockQueries).
func (s *Store) LockScenario(ctx context.Context, scenarioID int64) error { return nil }

// LockScenarioShared outside a transaction holds nothing (store.LockQueries).
func (s *Store) LockScenarioShared(ctx context.Context, scenarioID int64) error { return nil }
