package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// jsonList binds a list as one JSON array parameter, read in SQL with json_each: any
// number of ids in one statement, with no limit on bound variables.
func jsonList[T any](xs []T) (string, error) {
	if xs == nil {
		return "[]", nil
	}
	b, err := json.Marshal(xs)
	return string(b), err
}

// ClaimDue claims due retries in the caller's write transaction. Its cost follows the
// number of scenarios and of claims, never the number of pending rows:
//
//  1. One statement finds, for every scenario that may start a retry (below its
//     per-scenario limit, no live run, not skipped), its first due row from the
//     partial index incomplete_due_scenario, and keeps the `limit` scenarios whose
//     first row comes earliest. No other scenario can place a row in the answer:
//     those `limit` first rows all come before any of its rows.
//  2. Each kept scenario gives its first few due rows (as many as its free slots).
//  3. The earliest `limit` of those are marked in progress.
func (q *queries) ClaimDue(ctx context.Context, now time.Time, limit, perScenario int, skip []int64) ([]*weft.Incomplete, error) {
	if limit < 0 || perScenario < 0 {
		return nil, fmt.Errorf("claim due incomplete executions: limit %d and per-scenario limit %d must not be negative", limit, perScenario)
	}
	if limit == 0 || perScenario == 0 {
		return nil, nil
	}
	skipJSON, err := jsonList(skip)
	if err != nil {
		return nil, fmt.Errorf("claim due incomplete executions: skip list: %w", err)
	}
	at := toDB(now)
	type scen struct {
		id   int64
		free int
	}
	var scens []scen
	err = q.each(ctx, func(rows *sql.Rows) error {
		var s scen
		if err := rows.Scan(&s.id, &s.free); err != nil {
			return err
		}
		scens = append(scens, s)
		return nil
	}, `WITH first AS (
			SELECT s.id AS scenario_id,
				(SELECT p.seq FROM incomplete p WHERE p.scenario_id = s.id AND p.status = 'pending'
					AND p.next_attempt_at <= ?1 ORDER BY p.next_attempt_at, p.seq LIMIT 1) AS seq,
				?3 - (SELECT count(*) FROM incomplete b WHERE b.scenario_id = s.id
					AND b.status = 'in_progress') AS free
			FROM scenario s
			WHERE NOT EXISTS (SELECT 1 FROM execution e WHERE e.scenario_id = s.id
				AND e.status = 'running' AND e.kind = 'run')
			AND s.id NOT IN (SELECT value FROM json_each(?2))
		)
		SELECT f.scenario_id, f.free FROM first f JOIN incomplete i ON i.seq = f.seq
		WHERE f.free > 0
		ORDER BY i.next_attempt_at, i.seq LIMIT ?4`, at, skipJSON, perScenario, limit)
	if err != nil {
		return nil, wrap(err, "claim due incomplete executions: scenarios")
	}

	type cand struct {
		seq, next int64
	}
	var cands []cand
	for _, s := range scens {
		err := q.each(ctx, func(rows *sql.Rows) error {
			var c cand
			if err := rows.Scan(&c.seq, &c.next); err != nil {
				return err
			}
			cands = append(cands, c)
			return nil
		}, `SELECT seq, next_attempt_at FROM incomplete
			WHERE scenario_id = ? AND status = 'pending' AND next_attempt_at <= ?
			ORDER BY next_attempt_at, seq LIMIT ?`, s.id, at, min(s.free, limit))
		if err != nil {
			return nil, wrap(err, "claim due incomplete executions of scenario %d", s.id)
		}
	}
	if len(cands) == 0 {
		return nil, nil
	}
	// Earliest first across scenarios; ties in the order they were stored.
	slices.SortFunc(cands, func(a, b cand) int {
		return cmp.Or(cmp.Compare(a.next, b.next), cmp.Compare(a.seq, b.seq))
	})
	cands = cands[:min(len(cands), limit)]
	seqs := make([]int64, len(cands))
	for n, c := range cands {
		seqs[n] = c.seq
	}
	seqJSON, _ := jsonList(seqs) // integers always encode
	if _, err := q.db.ExecContext(ctx, `UPDATE incomplete SET status = 'in_progress', updated_at = ?
		WHERE seq IN (SELECT value FROM json_each(?))`, at, seqJSON); err != nil {
		return nil, wrap(err, "claim due incomplete executions")
	}
	// The claimed rows go to be retried, which needs the blueprint and the state.
	var out []*weft.Incomplete
	err = q.each(ctx, func(rows *sql.Rows) error {
		var bp, state []byte
		ie, err := scanIncomplete(rows, &bp, &state)
		if err != nil {
			return err
		}
		ie.Blueprint, ie.State = nilIfEmpty(bp), nilIfEmpty(state)
		out = append(out, ie)
		return nil
	}, `SELECT `+incompleteColumns+`, b.blueprint, b.state
		FROM incomplete i JOIN incomplete_body b ON b.seq = i.seq
		WHERE i.seq IN (SELECT value FROM json_each(?))
		ORDER BY i.next_attempt_at, i.seq`, seqJSON)
	if err != nil {
		return nil, wrap(err, "claim due incomplete executions: read claimed")
	}
	return out, nil
}

// each runs a query and calls fn for every row.
func (q *queries) each(ctx context.Context, fn func(*sql.Rows) error, query string, args ...any) error {
	rows, err := q.db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (q *queries) NextDue(ctx context.Context) (*time.Time, error) {
	var next sql.NullInt64
	// INDEXED BY: the first entry of the partial index is the answer; left to itself
	// the planner may sort every pending row.
	err := q.db.QueryRowContext(ctx, `SELECT next_attempt_at FROM incomplete INDEXED BY incomplete_due
		WHERE status = 'pending' AND next_attempt_at IS NOT NULL
		ORDER BY next_attempt_at LIMIT 1`).Scan(&next)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap(err, "next due incomplete execution")
	}
	return fromDBPtr(next), nil
}

// selectionWhere is the condition on incomplete for a Selection; none reports an
// empty selection (which affects nothing).
func selectionWhere(sel store.Selection) (cond string, args []any, none bool, err error) {
	except, err := jsonList(sel.Except)
	if err != nil {
		return "", nil, false, err
	}
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
		cond, args = cond+" AND id NOT IN (SELECT value FROM json_each(?))", append(args, except)
	}
	return cond, args, false, nil
}

func (q *queries) Requeue(ctx context.Context, sel store.Selection, at time.Time) (int, error) {
	cond, args, none, err := selectionWhere(sel)
	if err != nil {
		return 0, fmt.Errorf("requeue incomplete executions: %w", err)
	}
	if none {
		return 0, nil
	}
	// One set-based statement: a bulk retry of 100,000 is one pass over the index.
	// "+status" keeps the planner off the status index: the selection (ids, or one
	// scenario) is what narrows the rows.
	res, err := q.db.ExecContext(ctx, `UPDATE incomplete SET status = 'pending', next_attempt_at = ?, manual_retry = 1
		WHERE +status IN ('unresolved', 'pending') AND `+cond, append([]any{toDB(at)}, args...)...)
	if err != nil {
		return 0, wrap(err, "requeue incomplete executions")
	}
	return affected(res, "requeue incomplete executions")
}

func (q *queries) DeleteIncomplete(ctx context.Context, sel store.Selection) (int, error) {
	cond, args, none, err := selectionWhere(sel)
	if err != nil {
		return 0, fmt.Errorf("delete incomplete executions: %w", err)
	}
	if none {
		return 0, nil
	}
	// Bodies and attempts go with them (ON DELETE CASCADE).
	res, err := q.db.ExecContext(ctx, `DELETE FROM incomplete WHERE +status <> 'in_progress' AND `+cond, args...)
	if err != nil {
		return 0, wrap(err, "delete incomplete executions")
	}
	return affected(res, "delete incomplete executions")
}

func (q *queries) DeleteResolvedBefore(ctx context.Context, t time.Time) (int, error) {
	res, err := q.db.ExecContext(ctx, `DELETE FROM incomplete WHERE status = 'resolved' AND resolved_at < ?`, toDB(t))
	if err != nil {
		return 0, wrap(err, "delete resolved incomplete executions")
	}
	return affected(res, "delete resolved incomplete executions")
}

func affected(res sql.Result, what string) (int, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return int(n), nil
}

// AddAttempt stores an attempt; N zero numbers it after the last one (and sets a.N).
func (q *queries) AddAttempt(ctx context.Context, a *weft.Attempt) error {
	if a == nil || a.IncompleteID == "" {
		return errors.New("add attempt: no incomplete execution id")
	}
	var n int
	err := q.db.QueryRowContext(ctx, `INSERT INTO attempt (incomplete_id, n, manual, started_at,
		finished_at, outcome, error_type, error_message, execution_id)
		SELECT ?1, CASE WHEN ?2 > 0 THEN ?2 ELSE coalesce(max(n), 0) + 1 END, ?3, ?4, ?5, ?6, ?7, ?8, ?9
		FROM attempt WHERE incomplete_id = ?1 RETURNING n`,
		a.IncompleteID, a.N, a.Manual, toDB(a.StartedAt), toDBPtr(a.FinishedAt), string(a.Outcome),
		string(a.ErrorType), a.ErrorMessage, a.ExecutionID).Scan(&n)
	if err != nil {
		return wrap(err, "add attempt to incomplete execution %s", a.IncompleteID)
	}
	a.N = n
	return nil
}

func (q *queries) UpdateAttempt(ctx context.Context, a *weft.Attempt) error {
	if a == nil {
		return errors.New("update attempt: nil attempt")
	}
	res, err := q.db.ExecContext(ctx, `UPDATE attempt SET manual = ?, started_at = ?, finished_at = ?,
		outcome = ?, error_type = ?, error_message = ?, execution_id = ?
		WHERE incomplete_id = ? AND n = ?`,
		a.Manual, toDB(a.StartedAt), toDBPtr(a.FinishedAt), string(a.Outcome), string(a.ErrorType),
		a.ErrorMessage, a.ExecutionID, a.IncompleteID, a.N)
	if err != nil {
		return wrap(err, "update attempt %d of incomplete execution %s", a.N, a.IncompleteID)
	}
	return mustAffect(res, fmt.Sprintf("update attempt %d of incomplete execution %s", a.N, a.IncompleteID))
}

func (q *queries) ListAttempts(ctx context.Context, incompleteID string) ([]weft.Attempt, error) {
	var exists bool
	err := q.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM incomplete WHERE id = ?)`, incompleteID).Scan(&exists)
	if err != nil {
		return nil, wrap(err, "list attempts of incomplete execution %s", incompleteID)
	}
	if !exists {
		return nil, notFound("list attempts of incomplete execution %s", incompleteID)
	}
	var out []weft.Attempt
	err = q.each(ctx, func(rows *sql.Rows) error {
		a := weft.Attempt{IncompleteID: incompleteID}
		var started int64
		var finished sql.NullInt64
		if err := rows.Scan(&a.N, &a.Manual, &started, &finished, &a.Outcome, &a.ErrorType,
			&a.ErrorMessage, &a.ExecutionID); err != nil {
			return err
		}
		a.StartedAt, a.FinishedAt = fromDB(started), fromDBPtr(finished)
		out = append(out, a)
		return nil
	}, `SELECT n, manual, started_at, finished_at, outcome, error_type, error_message, execution_id
		FROM attempt WHERE incomplete_id = ? ORDER BY n`, incompleteID)
	return out, wrap(err, "list attempts of incomplete execution %s", incompleteID)
}

func (q *queries) CountDue(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := q.db.QueryRowContext(ctx, `SELECT count(*) FROM incomplete INDEXED BY incomplete_due
		WHERE status = 'pending' AND next_attempt_at IS NOT NULL AND next_attempt_at <= ?`, toDB(now)).Scan(&n)
	return n, wrap(err, "count due incomplete executions")
}
