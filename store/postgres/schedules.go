package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/weftworks/weft"
)

// ClaimDueSchedules claims due scheduled scenarios in the caller's transaction. The
// due rows are locked (FOR NO KEY UPDATE SKIP LOCKED: a concurrent claimer skips them,
// and the foreign keys of runs being recorded are not blocked) and moved to their next
// run before the transaction commits, so no two claimers, in any process, fire one
// tick: the second either skips the locked row or, once the first committed, reads the
// moved due time. The scenarios come back as they were, NextRunAt being the tick fired.
func (q *queries) ClaimDueSchedules(ctx context.Context, now time.Time, limit int, next func(*weft.Scenario) *time.Time) ([]*weft.Scenario, error) {
	if limit < 0 {
		return nil, fmt.Errorf("claim due schedules: limit %d must not be negative", limit)
	}
	if limit == 0 {
		return nil, nil
	}
	if next == nil {
		return nil, errors.New("claim due schedules: no next-run function")
	}
	var due []*weft.Scenario
	err := q.each(ctx, func(rows pgxRows) error {
		s, err := scanScenario(rows)
		if err != nil {
			return err
		}
		due = append(due, s)
		return nil
	}, `SELECT `+scenarioColumns+` FROM scenario
		WHERE active AND next_run_at IS NOT NULL AND next_run_at <= $1
		ORDER BY next_run_at, id LIMIT $2 FOR NO KEY UPDATE SKIP LOCKED`, ts(now), limit)
	if err != nil {
		return nil, wrap(err, "claim due schedules")
	}
	for _, s := range due {
		fired := *s.NextRunAt
		// next gets a copy: the caller's function must not change what is returned.
		cp := *s
		n := next(&cp)
		// A next run not after the one fired would fire the same tick again (or an
		// earlier one) on the next claim: a broken schedule, refused by name.
		if n != nil && !n.After(fired) {
			return nil, fmt.Errorf("claim due schedules: scenario %d: next run %s is not after the run being fired (%s)",
				s.ID, n.UTC().Format(time.RFC3339Nano), fired.Format(time.RFC3339Nano))
		}
		if _, err := q.db.Exec(ctx, `UPDATE scenario SET next_run_at = $1 WHERE id = $2`, tsPtr(n), s.ID); err != nil {
			return nil, wrap(err, "claim due schedules: move scenario %d to its next run", s.ID)
		}
	}
	return due, nil
}
