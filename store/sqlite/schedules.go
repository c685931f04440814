package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/weftworks/weft"
)

// ClaimDueSchedules claims due scheduled scenarios in the caller's write transaction.
// The scenarios come back as they were when claimed, NextRunAt being the due time that
// fired (the caller may log or pass it on); the store already holds next(scenario).
// SQLite has one writer, so two claims never interleave: the second sees the first's
// new due times and cannot fire the same tick again.
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
	err := q.each(ctx, func(rows *sql.Rows) error {
		s, err := scanScenario(rows)
		if err != nil {
			return err
		}
		due = append(due, s)
		return nil
	}, `SELECT `+scenarioColumns+` FROM scenario
		WHERE active = 1 AND next_run_at IS NOT NULL AND next_run_at <= ?
		ORDER BY next_run_at, id LIMIT ?`, toDB(now), limit)
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
		if _, err := q.db.ExecContext(ctx, `UPDATE scenario SET next_run_at = ? WHERE id = ?`,
			toDBPtr(n), s.ID); err != nil {
			return nil, wrap(err, "claim due schedules: move scenario %d to its next run", s.ID)
		}
	}
	return due, nil
}
