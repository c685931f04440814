package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// queueColumns are an item's columns but its payload, in the order scanQueued reads.
const queueColumns = `id, scenario_id, enqueued_at, execution_id, size,
	dead_at, dead_execution, error_type, error_message, error_module`

// scanQueued reads queueColumns, plus the payload and the caller when withPayload.
func scanQueued(rows interface{ Scan(...any) error }, withPayload bool) (*weft.QueueItem, error) {
	var it weft.QueueItem
	var exec, deadExec, errType, errMsg *string
	var deadAt *time.Time
	var errModule *int32
	var payload []byte
	var caller string
	dst := []any{&it.ID, &it.ScenarioID, &it.EnqueuedAt, &exec, &it.SizeBytes, &deadAt, &deadExec, &errType, &errMsg, &errModule}
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
	it.EnqueuedAt, it.Payload = utc(it.EnqueuedAt), nilIfEmpty(payload)
	if exec != nil {
		it.ExecutionID = *exec
	}
	if deadAt != nil {
		f := &weft.QueueFailure{At: utc(*deadAt)}
		if deadExec != nil {
			f.ExecutionID = *deadExec
		}
		if errType != nil {
			f.ErrorType = weft.ErrorType(*errType)
		}
		if errMsg != nil {
			f.ErrorMessage = *errMsg
		}
		if errModule != nil {
			f.ModuleID = int(*errModule)
		}
		it.Dead = f
	}
	return &it, nil
}

// Enqueue stores an item; one stored already taken by its run (a webhook's inline
// run) belongs to this process.
func (q *queries) Enqueue(ctx context.Context, item *weft.QueueItem) error {
	if item == nil {
		return errors.New("enqueue: nil item")
	}
	if item.Dead != nil {
		return fmt.Errorf("enqueue for scenario %d: a new item cannot be set aside already", item.ScenarioID)
	}
	var exec, owner *string
	if item.ExecutionID != "" {
		exec, owner = &item.ExecutionID, &q.owner
	} else if q.inTx {
		// The worker takes a scenario's items in id order (a sequential scenario's
		// arrival order), and ids come from a sequence when the row is inserted, not
		// when it commits: two payloads enqueued at once in two processes could commit
		// in the other order, and a claimer seeing only the later id would run it
		// first. Under this lock, held to the commit, the next item of the scenario gets
		// its id only once this one is visible, so id order is commit order. Items
		// stored already claimed (an inline run) are never claimed at the head, and
		// do not wait.
		if _, err := q.db.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, lockEnqueue, fold(item.ScenarioID)); err != nil {
			return wrap(err, "enqueue for scenario %d: lock its queue's order", item.ScenarioID)
		}
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
	err := q.db.QueryRow(ctx, `INSERT INTO queue_item (scenario_id, enqueued_at, execution_id, owner, size, payload, caller)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		item.ScenarioID, ts(item.EnqueuedAt), exec, owner, size, blob(item.Payload), caller).Scan(&item.ID)
	if err == nil {
		item.SizeBytes = size
	}
	return wrap(err, "enqueue for scenario %d", item.ScenarioID)
}

// ClaimQueued takes the head item of up to limit scenarios: each one's oldest item that
// is not set aside, if no run holds it. Items are only ever taken at the head and leave
// only when deleted or set aside, so a scenario whose head is taken has a run in
// flight, in some process, and is passed over.
//
// Processes claim at once: the heads are read without locks, then each candidate's
// scenario is taken with its queue lock (skipped when another claimer holds it) and
// its head read again and claimed under it.
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
	// The oldest head first, so scenarios take turns in the order their payloads came.
	var scens []int64
	err := q.each(ctx, func(rows pgxRows) error {
		var id int64
		err := rows.Scan(&id)
		if err == nil {
			scens = append(scens, id)
		}
		return err
	}, `SELECT s.id FROM scenario s
		CROSS JOIN LATERAL (SELECT h.id, h.execution_id FROM queue_item h
			WHERE h.scenario_id = s.id AND h.dead_at IS NULL ORDER BY h.id LIMIT 1) h
		WHERE h.execution_id IS NULL AND s.id <> ALL($1)
		ORDER BY h.id LIMIT $2`, nonNil(skip), 2*limit+8)
	if err != nil {
		return nil, wrap(err, "claim queued items")
	}
	var out []*weft.QueueItem
	for _, sc := range scens {
		if len(out) == limit {
			break
		}
		ok, err := q.tryLock(ctx, lockQueue, sc)
		if err != nil {
			return nil, wrap(err, "claim queued items of scenario %d: lock", sc)
		}
		if !ok {
			continue
		}
		it, err := scanQueued(q.db.QueryRow(ctx, `SELECT `+queueColumns+`, payload, caller FROM queue_item
			WHERE scenario_id = $1 AND dead_at IS NULL ORDER BY id LIMIT 1 FOR UPDATE`, sc), true)
		if isNoRows(err) {
			continue
		}
		if err != nil {
			return nil, wrap(err, "claim queued items of scenario %d", sc)
		}
		if it.ExecutionID != "" {
			continue // taken meanwhile
		}
		it.ExecutionID = newID()
		if it.ExecutionID == "" {
			return nil, fmt.Errorf("claim queued item %d: the id generator returned an empty id", it.ID)
		}
		if _, err := q.db.Exec(ctx, `UPDATE queue_item SET execution_id = $1, owner = $2 WHERE id = $3`,
			it.ExecutionID, q.owner, it.ID); err != nil {
			return nil, wrap(err, "claim queued item %d", it.ID)
		}
		out = append(out, it)
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
	// The queue lock: a second batch claim of the scenario (another process) waits and
	// then finds the head taken.
	if _, err := q.db.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, lockQueue, fold(scenarioID)); err != nil {
		return nil, wrap(err, "claim queued items of scenario %d: lock", scenarioID)
	}
	var out []*weft.QueueItem
	err := q.each(ctx, func(rows pgxRows) error {
		it, err := scanQueued(rows, true)
		if err == nil {
			it.ExecutionID = executionID
			out = append(out, it)
		}
		return err
	}, `SELECT `+queueColumns+`, payload, caller FROM queue_item
		WHERE scenario_id = $1 AND execution_id IS NULL AND dead_at IS NULL
		  AND NOT EXISTS (SELECT 1 FROM queue_item t WHERE t.scenario_id = $1 AND t.execution_id IS NOT NULL)
		ORDER BY id LIMIT $2 FOR UPDATE`, scenarioID, limit)
	if err != nil {
		return nil, wrap(err, "claim queued items of scenario %d", scenarioID)
	}
	ids := make([]int64, len(out))
	for i, it := range out {
		ids[i] = it.ID
	}
	if len(ids) > 0 {
		if _, err := q.db.Exec(ctx, `UPDATE queue_item SET execution_id = $1, owner = $2 WHERE id = ANY($3)`,
			executionID, q.owner, ids); err != nil {
			return nil, wrap(err, "claim queued items of scenario %d", scenarioID)
		}
	}
	return out, nil
}

func (q *queries) ReleaseQueued(ctx context.Context, id int64) error {
	tag, err := q.db.Exec(ctx, `UPDATE queue_item SET execution_id = NULL, owner = NULL WHERE id = $1`, id)
	if err != nil {
		return wrap(err, "release queued item %d", id)
	}
	return mustAffect(tag, "release queued item "+itoa(id))
}

// ReleaseOrphanedQueued puts back the taken items whose execution is not running and
// whose claim is this process's or a process's that is gone (no live lease): a claim
// another live process just made, before its run is recorded, is not an orphan.
func (q *queries) ReleaseOrphanedQueued(ctx context.Context) (int, error) {
	tag, err := q.db.Exec(ctx, `UPDATE queue_item SET execution_id = NULL, owner = NULL
		WHERE execution_id IS NOT NULL
		  AND NOT EXISTS (SELECT 1 FROM execution e WHERE e.id = queue_item.execution_id AND e.status = 'running')
		  AND (owner IS NULL OR owner = $1 OR NOT EXISTS (SELECT 1 FROM process p
				WHERE p.id = queue_item.owner AND p.expires_at > now()))`, q.owner)
	if err != nil {
		return 0, wrap(err, "release orphaned queue claims")
	}
	return int(tag.RowsAffected()), nil
}

func (q *queries) DeleteQueued(ctx context.Context, id int64) error {
	tag, err := q.db.Exec(ctx, `DELETE FROM queue_item WHERE id = $1`, id)
	if err != nil {
		return wrap(err, "delete queued item %d", id)
	}
	return mustAffect(tag, "delete queued item "+itoa(id))
}

// QueueDepth counts a scenario's items still in the queue, taken and set-aside ones
// included; scenario 0 counts every scenario's.
func (q *queries) QueueDepth(ctx context.Context, scenarioID int64) (int, error) {
	var n int
	var err error
	if scenarioID == 0 {
		err = q.db.QueryRow(ctx, `SELECT count(*) FROM queue_item`).Scan(&n)
	} else {
		err = q.db.QueryRow(ctx, `SELECT count(*) FROM queue_item WHERE scenario_id = $1`, scenarioID).Scan(&n)
	}
	return n, wrap(err, "queue depth of scenario %d", scenarioID)
}

func (q *queries) SetAsideQueued(ctx context.Context, id int64, f weft.QueueFailure) error {
	if f.ExecutionID == "" {
		return fmt.Errorf("set aside queued item %d: the failed run's execution id is empty", id)
	}
	var module *int
	if f.ModuleID != 0 {
		module = &f.ModuleID
	}
	// Only an item its run holds: a set-aside item is never taken, and an item nobody
	// runs was not the one that failed.
	tag, err := q.db.Exec(ctx, `UPDATE queue_item SET execution_id = NULL, owner = NULL, dead_at = $1,
		dead_execution = $2, error_type = $3, error_message = $4, error_module = $5
		WHERE id = $6 AND execution_id = $2`,
		ts(f.At), f.ExecutionID, string(f.ErrorType), f.ErrorMessage, module, id)
	if err != nil {
		return wrap(err, "set aside queued item %d", id)
	}
	return mustAffect(tag, "set aside queued item "+itoa(id)+" taken by execution "+f.ExecutionID)
}

func (q *queries) ListQueued(ctx context.Context, f store.QueueFilter) ([]*weft.QueueItem, error) {
	if f.Limit < 0 {
		return nil, fmt.Errorf("list queued items: limit %d must not be negative", f.Limit)
	}
	var conds []string
	var a args
	if f.ScenarioID != 0 {
		conds = append(conds, "scenario_id = "+a.add(f.ScenarioID))
	}
	if f.AfterID != 0 {
		conds = append(conds, "id > "+a.add(f.AfterID))
	}
	if len(f.Status) > 0 {
		cond, err := queueStatusCond(f.Status)
		if err != nil {
			return nil, fmt.Errorf("list queued items: %w", err)
		}
		conds = append(conds, cond)
	}
	query := `SELECT ` + queueColumns + ` FROM queue_item` + whereClause(conds) + ` ORDER BY id`
	if f.Limit > 0 {
		query += ` LIMIT ` + a.add(f.Limit)
	}
	var out []*weft.QueueItem
	err := q.each(ctx, func(rows pgxRows) error {
		it, err := scanQueued(rows, false)
		if err == nil {
			out = append(out, it)
		}
		return err
	}, query, a...)
	return out, wrap(err, "list queued items")
}

func (q *queries) GetQueued(ctx context.Context, id int64) (*weft.QueueItem, error) {
	it, err := scanQueued(q.db.QueryRow(ctx, `SELECT `+queueColumns+`, payload, caller FROM queue_item WHERE id = $1`+q.locking(), id), true)
	if isNoRows(err) {
		return nil, notFound("queued item %d", id)
	}
	return it, wrap(err, "get queued item %d", id)
}

func (q *queries) RequeueQueued(ctx context.Context, sel store.QueueSelection) (int, error) {
	var a args
	cond, none, err := queueSelectionWhere(sel, &a)
	if err != nil {
		return 0, fmt.Errorf("requeue queued items: %w", err)
	}
	if none {
		return 0, nil
	}
	tag, err := q.db.Exec(ctx, `UPDATE queue_item SET dead_at = NULL, dead_execution = NULL,
		error_type = NULL, error_message = NULL, error_module = NULL
		WHERE dead_at IS NOT NULL AND `+cond, a...)
	if err != nil {
		return 0, wrap(err, "requeue queued items")
	}
	return int(tag.RowsAffected()), nil
}

func (q *queries) DeleteQueuedItems(ctx context.Context, sel store.QueueSelection) (int, error) {
	var a args
	cond, none, err := queueSelectionWhere(sel, &a)
	if err != nil {
		return 0, fmt.Errorf("delete queued items: %w", err)
	}
	if none {
		return 0, nil
	}
	// An item a run consumes stays: its run deletes or sets it aside when it ends.
	tag, err := q.db.Exec(ctx, `DELETE FROM queue_item WHERE execution_id IS NULL AND `+cond, a...)
	if err != nil {
		return 0, wrap(err, "delete queued items")
	}
	return int(tag.RowsAffected()), nil
}

func (q *queries) QueueUsage(ctx context.Context, scenarioID int64) (store.QueueUsage, error) {
	var u store.QueueUsage
	err := q.db.QueryRow(ctx, `SELECT count(*), coalesce(sum(size), 0)::bigint, count(dead_at)
		FROM queue_item WHERE scenario_id = $1`, scenarioID).Scan(&u.Items, &u.Bytes, &u.Dead)
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
func queueSelectionWhere(sel store.QueueSelection, a *args) (cond string, none bool, err error) {
	switch {
	case len(sel.IDs) > 0 && sel.All:
		return "", false, errors.New("selection names ids and all at once")
	case len(sel.IDs) > 0:
		cond = "id = ANY(" + a.add(sel.IDs) + ")"
		if sel.ScenarioID != 0 {
			cond += " AND scenario_id = " + a.add(sel.ScenarioID)
		}
	case sel.All:
		if sel.ScenarioID == 0 {
			return "", false, errors.New("selection of all needs a scenario id")
		}
		cond = "scenario_id = " + a.add(sel.ScenarioID)
	default:
		return "", true, nil
	}
	if len(sel.Except) > 0 {
		cond += " AND id <> ALL(" + a.add(sel.Except) + ")"
	}
	if len(sel.Status) > 0 {
		st, err := queueStatusCond(sel.Status)
		if err != nil {
			return "", false, err
		}
		cond += " AND " + st
	}
	return cond, false, nil
}
