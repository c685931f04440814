package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/weftworks/weft"
)

func (q *queries) Enqueue(ctx context.Context, item *weft.QueueItem) error {
	if item == nil {
		return errors.New("enqueue: nil item")
	}
	var exec sql.NullString
	if item.ExecutionID != "" {
		exec = sql.NullString{String: item.ExecutionID, Valid: true}
	}
	err := q.db.QueryRowContext(ctx, `INSERT INTO queue_item (scenario_id, enqueued_at, execution_id, payload)
		VALUES (?, ?, ?, ?) RETURNING id`,
		item.ScenarioID, toDB(item.EnqueuedAt), exec, blob(item.Payload)).Scan(&item.ID)
	return wrap(err, "enqueue for scenario %d", item.ScenarioID)
}

// ClaimQueued takes the head item of each scenario. Items are only ever taken at the
// head and leave only when deleted, so a scenario whose head is taken has a run in
// flight and is passed over: its next item waits for that run.
func (q *queries) ClaimQueued(ctx context.Context, limit int, skip []int64, newID func() string) ([]*weft.QueueItem, error) {
	if limit < 0 {
		return nil, fmt.Errorf("claim queued items: limit %d must not be negative", limit)
	}
	if limit == 0 {
		return nil, nil
	}
	if newID == nil {
		return nil, errors.New("claim queued items: no id generator")
	}
	skipJSON, err := jsonList(skip)
	if err != nil {
		return nil, fmt.Errorf("claim queued items: skip list: %w", err)
	}
	var out []*weft.QueueItem
	// The oldest head first, so scenarios take turns in the order their payloads came.
	err = q.each(ctx, func(rows *sql.Rows) error {
		var it weft.QueueItem
		var at int64
		var payload []byte
		if err := rows.Scan(&it.ID, &it.ScenarioID, &at, &payload); err != nil {
			return err
		}
		it.EnqueuedAt, it.Payload = fromDB(at), nilIfEmpty(payload)
		out = append(out, &it)
		return nil
	}, `SELECT q.id, q.scenario_id, q.enqueued_at, q.payload
		FROM (SELECT min(id) AS id FROM queue_item GROUP BY scenario_id) h
		JOIN queue_item q ON q.id = h.id
		WHERE q.execution_id IS NULL AND q.scenario_id NOT IN (SELECT value FROM json_each(?))
		ORDER BY q.id LIMIT ?`, skipJSON, limit)
	if err != nil {
		return nil, wrap(err, "claim queued items")
	}
	for _, it := range out {
		it.ExecutionID = newID()
		if it.ExecutionID == "" {
			return nil, fmt.Errorf("claim queued item %d: the id generator returned an empty id", it.ID)
		}
		if _, err := q.db.ExecContext(ctx, `UPDATE queue_item SET execution_id = ? WHERE id = ?`,
			it.ExecutionID, it.ID); err != nil {
			return nil, wrap(err, "claim queued item %d", it.ID)
		}
	}
	return out, nil
}

func (q *queries) ClaimQueuedBatch(ctx context.Context, scenarioID int64, limit int, executionID string) ([]*weft.QueueItem, error) {
	if limit < 0 {
		return nil, fmt.Errorf("claim queued items of scenario %d: limit %d must not be negative", scenarioID, limit)
	}
	if executionID == "" {
		return nil, fmt.Errorf("claim queued items of scenario %d: empty execution id", scenarioID)
	}
	if limit == 0 {
		return nil, nil
	}
	var out []*weft.QueueItem
	err := q.each(ctx, func(rows *sql.Rows) error {
		var it weft.QueueItem
		var at int64
		var payload []byte
		if err := rows.Scan(&it.ID, &it.ScenarioID, &at, &payload); err != nil {
			return err
		}
		it.EnqueuedAt, it.Payload, it.ExecutionID = fromDB(at), nilIfEmpty(payload), executionID
		out = append(out, &it)
		return nil
	}, `SELECT id, scenario_id, enqueued_at, payload FROM queue_item
		WHERE scenario_id = ? AND execution_id IS NULL
		  AND NOT EXISTS (SELECT 1 FROM queue_item t WHERE t.scenario_id = ? AND t.execution_id IS NOT NULL)
		ORDER BY id LIMIT ?`, scenarioID, scenarioID, limit)
	if err != nil {
		return nil, wrap(err, "claim queued items of scenario %d", scenarioID)
	}
	for _, it := range out {
		if _, err := q.db.ExecContext(ctx, `UPDATE queue_item SET execution_id = ? WHERE id = ?`, executionID, it.ID); err != nil {
			return nil, wrap(err, "claim queued item %d", it.ID)
		}
	}
	return out, nil
}

func (q *queries) ReleaseQueued(ctx context.Context, id int64) error {
	res, err := q.db.ExecContext(ctx, `UPDATE queue_item SET execution_id = NULL WHERE id = ?`, id)
	if err != nil {
		return wrap(err, "release queued item %d", id)
	}
	return mustAffect(res, "release queued item "+itoa(id))
}

func (q *queries) ReleaseOrphanedQueued(ctx context.Context) (int, error) {
	res, err := q.db.ExecContext(ctx, `UPDATE queue_item SET execution_id = NULL
		WHERE execution_id IS NOT NULL
		  AND execution_id NOT IN (SELECT id FROM execution WHERE status = 'running')`)
	if err != nil {
		return 0, wrap(err, "release orphaned queue claims")
	}
	n, err := res.RowsAffected()
	return int(n), wrap(err, "release orphaned queue claims")
}

func (q *queries) DeleteQueued(ctx context.Context, id int64) error {
	res, err := q.db.ExecContext(ctx, `DELETE FROM queue_item WHERE id = ?`, id)
	if err != nil {
		return wrap(err, "delete queued item %d", id)
	}
	return mustAffect(res, "delete queued item "+itoa(id))
}

// QueueDepth counts a scenario's items still in the queue, taken ones included (they
// leave when their run finishes); scenario 0 counts every scenario's.
func (q *queries) QueueDepth(ctx context.Context, scenarioID int64) (int, error) {
	var n int
	var err error
	if scenarioID == 0 {
		err = q.db.QueryRowContext(ctx, `SELECT count(*) FROM queue_item`).Scan(&n)
	} else {
		err = q.db.QueryRowContext(ctx, `SELECT count(*) FROM queue_item WHERE scenario_id = ?`, scenarioID).Scan(&n)
	}
	return n, wrap(err, "queue depth of scenario %d", scenarioID)
}
