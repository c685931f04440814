package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// queueColumns are an item's columns but its payload, in the order scanQueued reads.
const queueColumns = `id, scenario_id, enqueued_at, execution_id, size,
	dead_at, dead_execution, error_type, error_message, error_module`

// scanQueued reads queueColumns, plus the payload and the caller (stored after it)
// when withPayload.
func scanQueued(rows interface{ Scan(...any) error }, withPayload bool) (*weft.QueueItem, error) {
	var it weft.QueueItem
	var at int64
	var exec, deadExec, errType, errMsg sql.NullString
	var deadAt, errModule sql.NullInt64
	var payload []byte
	var caller string
	dst := []any{&it.ID, &it.ScenarioID, &at, &exec, &it.SizeBytes, &deadAt, &deadExec, &errType, &errMsg, &errModule}
	if withPayload {
		dst = append(dst, &payload, &caller)
	}
	if err := rows.Scan(dst...); err != nil {
		return nil, err
	}
	if caller != "" {
		it.Caller = new(weft.Caller)
		if err := json.Unmarshal([]byte(caller), it.Caller); err != nil {
			return nil, fmt.Errorf("queued item %d: its caller: %w", it.ID, err)
		}
	}
	it.EnqueuedAt, it.ExecutionID, it.Payload = fromDB(at), exec.String, nilIfEmpty(payload)
	if deadAt.Valid {
		it.Dead = &weft.QueueFailure{At: fromDB(deadAt.Int64), ExecutionID: deadExec.String,
			ErrorType: weft.ErrorType(errType.String), ErrorMessage: errMsg.String, ModuleID: int(errModule.Int64)}
	}
	return &it, nil
}

func (q *queries) Enqueue(ctx context.Context, item *weft.QueueItem) error {
	if item == nil {
		return errors.New("enqueue: nil item")
	}
	if item.Dead != nil {
		return fmt.Errorf("enqueue for scenario %d: a new item cannot be set aside already", item.ScenarioID)
	}
	var exec sql.NullString
	if item.ExecutionID != "" {
		exec = sql.NullString{String: item.ExecutionID, Valid: true}
	}
	size := int64(len(item.Payload))
	caller := ""
	if item.Caller != nil {
		raw, err := json.Marshal(item.Caller)
		if err != nil {
			return fmt.Errorf("enqueue for scenario %d: its caller: %w", item.ScenarioID, err)
		}
		caller = string(raw)
	}
	err := q.db.QueryRowContext(ctx, `INSERT INTO queue_item (scenario_id, enqueued_at, execution_id, size, payload, caller)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		item.ScenarioID, toDB(item.EnqueuedAt), exec, size, blob(item.Payload), caller).Scan(&item.ID)
	if err == nil {
		item.SizeBytes = size
	}
	return wrap(err, "enqueue for scenario %d", item.ScenarioID)
}

// ClaimQueued takes the head item of each scenario: its oldest item that is not set
// aside. Items are only ever taken at the head and leave only when deleted or set
// aside, so a scenario whose head is taken has a run in flight and is passed over: its
// next item waits for that run.
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
		it, err := scanQueued(rows, true)
		if err == nil {
			out = append(out, it)
		}
		return err
	}, `SELECT `+prefixed("q.", queueColumns)+`, q.payload, q.caller
		FROM (SELECT min(id) AS id FROM queue_item WHERE dead_at IS NULL GROUP BY scenario_id) h
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
		it, err := scanQueued(rows, true)
		if err == nil {
			it.ExecutionID = executionID
			out = append(out, it)
		}
		return err
	}, `SELECT `+queueColumns+`, payload, caller FROM queue_item
		WHERE scenario_id = ? AND execution_id IS NULL AND dead_at IS NULL
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

// QueueDepth counts a scenario's items still in the queue, taken and set-aside ones
// included (taken ones leave when their run finishes); scenario 0 counts every
// scenario's.
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

func (q *queries) SetAsideQueued(ctx context.Context, id int64, f weft.QueueFailure) error {
	if f.ExecutionID == "" {
		return fmt.Errorf("set aside queued item %d: the failed run's execution id is empty", id)
	}
	var module sql.NullInt64
	if f.ModuleID != 0 {
		module = sql.NullInt64{Int64: int64(f.ModuleID), Valid: true}
	}
	// Only an item its run holds: a set-aside item is never taken, and an item nobody
	// runs was not the one that failed.
	res, err := q.db.ExecContext(ctx, `UPDATE queue_item SET execution_id = NULL, dead_at = ?, dead_execution = ?,
		error_type = ?, error_message = ?, error_module = ? WHERE id = ? AND execution_id = ?`,
		toDB(f.At), f.ExecutionID, string(f.ErrorType), f.ErrorMessage, module, id, f.ExecutionID)
	if err != nil {
		return wrap(err, "set aside queued item %d", id)
	}
	return mustAffect(res, "set aside queued item "+itoa(id)+" taken by execution "+f.ExecutionID)
}

func (q *queries) ListQueued(ctx context.Context, f store.QueueFilter) ([]*weft.QueueItem, error) {
	if f.Limit < 0 {
		return nil, fmt.Errorf("list queued items: limit %d must not be negative", f.Limit)
	}
	var conds []string
	var args []any
	if f.ScenarioID != 0 {
		conds, args = append(conds, "scenario_id = ?"), append(args, f.ScenarioID)
	}
	if f.AfterID != 0 {
		conds, args = append(conds, "id > ?"), append(args, f.AfterID)
	}
	if len(f.Status) > 0 {
		cond, err := queueStatusCond(f.Status)
		if err != nil {
			return nil, fmt.Errorf("list queued items: %w", err)
		}
		conds = append(conds, cond)
	}
	query := `SELECT ` + queueColumns + ` FROM queue_item`
	if len(conds) > 0 {
		query += ` WHERE ` + strings.Join(conds, " AND ")
	}
	query += ` ORDER BY id`
	if f.Limit > 0 {
		query, args = query+` LIMIT ?`, append(args, f.Limit)
	}
	var out []*weft.QueueItem
	err := q.each(ctx, func(rows *sql.Rows) error {
		it, err := scanQueued(rows, false)
		if err == nil {
			out = append(out, it)
		}
		return err
	}, query, args...)
	return out, wrap(err, "list queued items")
}

func (q *queries) GetQueued(ctx context.Context, id int64) (*weft.QueueItem, error) {
	it, err := scanQueued(q.db.QueryRowContext(ctx, `SELECT `+queueColumns+`, payload, caller FROM queue_item WHERE id = ?`, id), true)
	if isNoRows(err) {
		return nil, notFound("queued item %d", id)
	}
	return it, wrap(err, "get queued item %d", id)
}

func (q *queries) RequeueQueued(ctx context.Context, sel store.QueueSelection) (int, error) {
	cond, args, none, err := queueSelectionWhere(sel)
	if err != nil {
		return 0, fmt.Errorf("requeue queued items: %w", err)
	}
	if none {
		return 0, nil
	}
	res, err := q.db.ExecContext(ctx, `UPDATE queue_item SET dead_at = NULL, dead_execution = NULL,
		error_type = NULL, error_message = NULL, error_module = NULL
		WHERE dead_at IS NOT NULL AND `+cond, args...)
	if err != nil {
		return 0, wrap(err, "requeue queued items")
	}
	return affected(res, "requeue queued items")
}

func (q *queries) DeleteQueuedItems(ctx context.Context, sel store.QueueSelection) (int, error) {
	cond, args, none, err := queueSelectionWhere(sel)
	if err != nil {
		return 0, fmt.Errorf("delete queued items: %w", err)
	}
	if none {
		return 0, nil
	}
	// An item a run consumes stays: its run deletes or sets it aside when it ends.
	res, err := q.db.ExecContext(ctx, `DELETE FROM queue_item WHERE execution_id IS NULL AND `+cond, args...)
	if err != nil {
		return 0, wrap(err, "delete queued items")
	}
	return affected(res, "delete queued items")
}

func (q *queries) QueueUsage(ctx context.Context, scenarioID int64) (store.QueueUsage, error) {
	var u store.QueueUsage
	err := q.db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(size), 0), count(dead_at)
		FROM queue_item WHERE scenario_id = ?`, scenarioID).Scan(&u.Items, &u.Bytes, &u.Dead)
	return u, wrap(err, "queue usage of scenario %d", scenarioID)
}

// queueStatusCond is the SQL condition of a status filter (statuses are derived from
// the columns, as weft.QueueItem.Status does).
func queueStatusCond(statuses []weft.QueueStatus) (string, error) {
	var ors []string
	for _, st := range statuses {
		switch st {
		case weft.QueueWaiting:
			ors = append(ors, "(dead_at IS NULL AND execution_id IS NULL)")
		case weft.QueueRunning:
			ors = append(ors, "execution_id IS NOT NULL")
		case weft.QueueDead:
			ors = append(ors, "dead_at IS NOT NULL")
		default:
			return "", fmt.Errorf("unknown queue item status %q (want waiting, running or dead)", st)
		}
	}
	return "(" + strings.Join(ors, " OR ") + ")", nil
}

// queueSelectionWhere is the SQL condition of a selection; none when it selects
// nothing.
func queueSelectionWhere(sel store.QueueSelection) (cond string, args []any, none bool, err error) {
	switch {
	case len(sel.IDs) > 0 && sel.All:
		return "", nil, false, errors.New("selection names ids and all at once")
	case len(sel.IDs) > 0:
		ids, err := jsonList(sel.IDs)
		if err != nil {
			return "", nil, false, err
		}
		cond, args = "id IN (SELECT value FROM json_each(?))", []any{ids}
		if sel.ScenarioID != 0 {
			cond, args = cond+" AND scenario_id = ?", append(args, sel.ScenarioID)
		}
	case sel.All:
		if sel.ScenarioID == 0 {
			return "", nil, false, errors.New("selection of all needs a scenario id")
		}
		cond, args = "scenario_id = ?", []any{sel.ScenarioID}
	default:
		return "", nil, true, nil
	}
	if len(sel.Except) > 0 {
		except, err := jsonList(sel.Except)
		if err != nil {
			return "", nil, false, err
		}
		cond, args = cond+" AND id NOT IN (SELECT value FROM json_each(?))", append(args, except)
	}
	if len(sel.Status) > 0 {
		st, err := queueStatusCond(sel.Status)
		if err != nil {
			return "", nil, false, err
		}
		cond += " AND " + st
	}
	return cond, args, false, nil
}

// prefixed qualifies each of a comma-separated column list with prefix.
func prefixed(prefix, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}
