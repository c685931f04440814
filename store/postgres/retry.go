package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// ClaimDue claims due retries in the caller's transaction. Several processes claim at
// once, so what SQLite's single writer gave for free is explicit here:
//
//  1. One statement finds, for every scenario that may start a retry (below its
//     per-scenario limit, no live run, not skipped), its first due row, earliest
//     first (a few more than limit, for the scenarios another claimer holds).
//  2. Each scenario in turn is locked with its advisory lock (the one LockScenario
//     takes), skipping those another transaction holds — another process claiming its
//     retries or starting a run of it. Under the lock its free slots and its live runs
//     are read again and its first due rows locked (FOR UPDATE SKIP LOCKED), until
//     limit scenarios are kept.
//  3. The earliest limit rows are marked in progress, owned by this process.
//
// The per-scenario limit holds across processes: two claimers of one scenario take
// turns under its lock and the second counts the first's claims.
func (q *queries) ClaimDue(ctx context.Context, now time.Time, limit, perScenario int, skip []int64) ([]*weft.Incomplete, error) {
	if limit < 0 || perScenario < 0 {
		return nil, fmt.Errorf("claim due incomplete executions: limit %d and per-scenario limit %d must not be negative", limit, perScenario)
	}
	if limit == 0 || perScenario == 0 {
		return nil, nil
	}
	at := ts(now)
	var scens []int64
	err := q.each(ctx, func(rows pgxRows) error {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		scens = append(scens, id)
		return nil
	}, `SELECT s.id FROM scenario s
		CROSS JOIN LATERAL (SELECT p.seq, p.next_attempt_at FROM incomplete p
			WHERE p.scenario_id = s.id AND p.status = 'pending' AND p.next_attempt_at <= $1
			ORDER BY p.next_attempt_at, p.seq LIMIT 1) f
		WHERE NOT EXISTS (SELECT 1 FROM execution e WHERE e.scenario_id = s.id
				AND e.status = 'running' AND e.kind = 'run')
			AND s.id <> ALL($2)
			AND (SELECT count(*) FROM incomplete b WHERE b.scenario_id = s.id AND b.status = 'in_progress') < $3
		ORDER BY f.next_attempt_at, f.seq LIMIT $4`, at, nonNil(skip), perScenario, 2*limit+8)
	if err != nil {
		return nil, wrap(err, "claim due incomplete executions: scenarios")
	}

	type cand struct {
		seq  int64
		next time.Time
	}
	var cands []cand
	kept := 0
	for _, id := range scens {
		if kept == limit {
			break
		}
		ok, err := q.tryLock(ctx, lockScenario, id)
		if err != nil {
			return nil, wrap(err, "claim due incomplete executions of scenario %d: lock", id)
		}
		if !ok {
			continue // another process claims its retries or starts a run of it right now
		}
		var free int
		err = q.db.QueryRow(ctx, `SELECT CASE WHEN EXISTS (SELECT 1 FROM execution e WHERE e.scenario_id = $1
				AND e.status = 'running' AND e.kind = 'run') THEN 0
			ELSE $2 - (SELECT count(*) FROM incomplete WHERE scenario_id = $1 AND status = 'in_progress') END`,
			id, perScenario).Scan(&free)
		if err != nil {
			return nil, wrap(err, "claim due incomplete executions of scenario %d", id)
		}
		if free <= 0 {
			continue
		}
		n := len(cands)
		err = q.each(ctx, func(rows pgxRows) error {
			var c cand
			if err := rows.Scan(&c.seq, &c.next); err != nil {
				return err
			}
			cands = append(cands, c)
			return nil
		}, `SELECT seq, next_attempt_at FROM incomplete
			WHERE scenario_id = $1 AND status = 'pending' AND next_attempt_at <= $2
			ORDER BY next_attempt_at, seq LIMIT $3 FOR UPDATE SKIP LOCKED`, id, at, min(free, limit))
		if err != nil {
			return nil, wrap(err, "claim due incomplete executions of scenario %d", id)
		}
		if len(cands) > n {
			kept++
		}
	}
	if len(cands) == 0 {
		return nil, nil
	}
	// Earliest first across scenarios; ties in the order they were stored.
	slices.SortFunc(cands, func(a, b cand) int {
		return cmp.Or(a.next.Compare(b.next), cmp.Compare(a.seq, b.seq))
	})
	cands = cands[:min(len(cands), limit)]
	seqs := make([]int64, len(cands))
	for n, c := range cands {
		seqs[n] = c.seq
	}
	// The claimed rows go to be retried, which needs the blueprint and the state.
	var out []*weft.Incomplete
	order := map[string]int64{}
	err = q.each(ctx, func(rows pgxRows) error {
		var bp, state []byte
		var seq int64
		ie, err := scanIncomplete(rows, &bp, &state, &seq)
		if err != nil {
			return err
		}
		ie.Blueprint, ie.State = nilIfEmpty(bp), nilIfEmpty(state)
		order[ie.ID] = seq
		out = append(out, ie)
		return nil
	}, `UPDATE incomplete i SET status = 'in_progress', updated_at = $1, owner = $2
		WHERE i.seq = ANY($3)
		RETURNING `+incompleteColumns+`, i.blueprint, i.state, i.seq`, at, q.owner, seqs)
	if err != nil {
		return nil, wrap(err, "claim due incomplete executions")
	}
	slices.SortFunc(out, func(a, b *weft.Incomplete) int {
		return cmp.Or(a.NextAttemptAt.Compare(*b.NextAttemptAt), cmp.Compare(order[a.ID], order[b.ID]))
	})
	return out, nil
}

func (q *queries) NextDue(ctx context.Context) (*time.Time, error) {
	var next *time.Time
	err := q.db.QueryRow(ctx, `SELECT next_attempt_at FROM incomplete
		WHERE status = 'pending' AND next_attempt_at IS NOT NULL
		ORDER BY next_attempt_at LIMIT 1`).Scan(&next)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap(err, "next due incomplete execution")
	}
	return utcPtr(next), nil
}

func (q *queries) CountDue(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := q.db.QueryRow(ctx, `SELECT count(*) FROM incomplete
		WHERE status = 'pending' AND next_attempt_at IS NOT NULL AND next_attempt_at <= $1`, ts(now)).Scan(&n)
	return n, wrap(err, "count due incomplete executions")
}

// selectionWhere is the condition on incomplete for a Selection; none reports an
// empty selection (which affects nothing).
func selectionWhere(sel store.Selection, a *args) (cond string, none bool, err error) {
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
	return cond, false, nil
}

func (q *queries) Requeue(ctx context.Context, sel store.Selection, at time.Time) (int, error) {
	a := args{ts(at)}
	cond, none, err := selectionWhere(sel, &a)
	if err != nil {
		return 0, fmt.Errorf("requeue incomplete executions: %w", err)
	}
	if none {
		return 0, nil
	}
	// One set-based statement: a bulk retry of 100,000 is one pass.
	tag, err := q.db.Exec(ctx, `UPDATE incomplete SET status = 'pending', next_attempt_at = $1, manual_retry = true
		WHERE status IN ('unresolved', 'pending') AND `+cond, a...)
	if err != nil {
		return 0, wrap(err, "requeue incomplete executions")
	}
	return int(tag.RowsAffected()), nil
}

func (q *queries) DeleteIncomplete(ctx context.Context, sel store.Selection) (int, error) {
	var a args
	cond, none, err := selectionWhere(sel, &a)
	if err != nil {
		return 0, fmt.Errorf("delete incomplete executions: %w", err)
	}
	if none {
		return 0, nil
	}
	// Attempts go with them (ON DELETE CASCADE).
	tag, err := q.db.Exec(ctx, `DELETE FROM incomplete WHERE status <> 'in_progress' AND `+cond, a...)
	if err != nil {
		return 0, wrap(err, "delete incomplete executions")
	}
	return int(tag.RowsAffected()), nil
}

func (q *queries) DeleteResolvedBefore(ctx context.Context, t time.Time) (int, error) {
	tag, err := q.db.Exec(ctx, `DELETE FROM incomplete WHERE status = 'resolved' AND resolved_at < $1`, ts(t))
	if err != nil {
		return 0, wrap(err, "delete resolved incomplete executions")
	}
	return int(tag.RowsAffected()), nil
}

// AddAttempt stores an attempt; N zero numbers it after the last one (and sets a.N).
func (q *queries) AddAttempt(ctx context.Context, a *weft.Attempt) error {
	if a == nil || a.IncompleteID == "" {
		return errors.New("add attempt: no incomplete execution id")
	}
	var n int
	err := q.db.QueryRow(ctx, `INSERT INTO attempt (incomplete_id, n, manual, started_at,
		finished_at, outcome, error_type, error_message, execution_id)
		SELECT $1, CASE WHEN $2::integer > 0 THEN $2::integer ELSE coalesce(max(n), 0) + 1 END, $3, $4, $5, $6, $7, $8, $9
		FROM attempt WHERE incomplete_id = $1 RETURNING n`,
		a.IncompleteID, a.N, a.Manual, ts(a.StartedAt), tsPtr(a.FinishedAt), string(a.Outcome),
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
	tag, err := q.db.Exec(ctx, `UPDATE attempt SET manual = $1, started_at = $2, finished_at = $3,
		outcome = $4, error_type = $5, error_message = $6, execution_id = $7
		WHERE incomplete_id = $8 AND n = $9`,
		a.Manual, ts(a.StartedAt), tsPtr(a.FinishedAt), string(a.Outcome), string(a.ErrorType),
		a.ErrorMessage, a.ExecutionID, a.IncompleteID, a.N)
	if err != nil {
		return wrap(err, "update attempt %d of incomplete execution %s", a.N, a.IncompleteID)
	}
	return mustAffect(tag, fmt.Sprintf("update attempt %d of incomplete execution %s", a.N, a.IncompleteID))
}

func (q *queries) ListAttempts(ctx context.Context, incompleteID string) ([]weft.Attempt, error) {
	var exists bool
	err := q.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM incomplete WHERE id = $1)`, incompleteID).Scan(&exists)
	if err != nil {
		return nil, wrap(err, "list attempts of incomplete execution %s", incompleteID)
	}
	if !exists {
		return nil, notFound("list attempts of incomplete execution %s", incompleteID)
	}
	var out []weft.Attempt
	err = q.each(ctx, func(rows pgxRows) error {
		a := weft.Attempt{IncompleteID: incompleteID}
		var outcome, errType string
		if err := rows.Scan(&a.N, &a.Manual, &a.StartedAt, &a.FinishedAt, &outcome, &errType,
			&a.ErrorMessage, &a.ExecutionID); err != nil {
			return err
		}
		a.Outcome, a.ErrorType = weft.AttemptOutcome(outcome), weft.ErrorType(errType)
		a.StartedAt, a.FinishedAt = utc(a.StartedAt), utcPtr(a.FinishedAt)
		out = append(out, a)
		return nil
	}, `SELECT n, manual, started_at, finished_at, outcome, error_type, error_message, execution_id
		FROM attempt WHERE incomplete_id = $1 ORDER BY n`, incompleteID)
	return out, wrap(err, "list attempts of incomplete execution %s", incompleteID)
}
