package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// incompleteColumns are everything but the bodies (blueprint, state), which live in
// incomplete_body and are read only by GetIncomplete and ClaimDue.
const incompleteColumns = `i.id, i.scenario_id, i.execution_id, i.version, i.failed_module_id,
	i.error_type, i.error_message, i.status, i.auto_retry, i.attempts, i.max_attempts,
	i.retry_interval_ns, i.next_attempt_at, i.size_bytes, i.confidential, i.created_at,
	i.updated_at, i.resolved_at, i.error_details, i.manual_retry, i.auto_attempts,
	i.outcome_unknown, i.breaker_key`

func scanIncomplete(row interface{ Scan(...any) error }, extra ...any) (*weft.Incomplete, error) {
	var ie weft.Incomplete
	var interval, created, updated int64
	var next, resolved sql.NullInt64
	var details sql.NullString
	dest := []any{&ie.ID, &ie.ScenarioID, &ie.ExecutionID, &ie.Version, &ie.FailedModuleID,
		&ie.ErrorType, &ie.ErrorMessage, &ie.Status, &ie.AutoRetry, &ie.Attempts, &ie.MaxAttempts,
		&interval, &next, &ie.SizeBytes, &ie.Confidential, &created, &updated, &resolved, &details,
		&ie.ManualRetry, &ie.AutoAttempts, &ie.OutcomeUnknown, &ie.BreakerKey}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	ie.RetryInterval = time.Duration(interval)
	ie.NextAttemptAt, ie.ResolvedAt = fromDBPtr(next), fromDBPtr(resolved)
	ie.CreatedAt, ie.UpdatedAt = fromDB(created), fromDB(updated)
	var err error
	if ie.ErrorDetails, err = detailsFrom("incomplete execution "+ie.ID, details); err != nil {
		return nil, err
	}
	return &ie, nil
}

func checkIncomplete(what string, ie *weft.Incomplete) error {
	if ie == nil {
		return fmt.Errorf("%s: nil incomplete execution", what)
	}
	if ie.ID == "" {
		return fmt.Errorf("%s: no id", what)
	}
	if !ie.Status.Valid() {
		return fmt.Errorf("%s %s: unknown status %q", what, ie.ID, ie.Status)
	}
	return nil
}

func (q *queries) CreateIncomplete(ctx context.Context, ie *weft.Incomplete) error {
	if err := checkIncomplete("create incomplete execution", ie); err != nil {
		return err
	}
	var seq int64
	err := q.db.QueryRowContext(ctx, `INSERT INTO incomplete (id, scenario_id, execution_id,
		version, failed_module_id, error_type, error_message, status, auto_retry, attempts,
		max_attempts, retry_interval_ns, next_attempt_at, size_bytes, confidential,
		created_at, updated_at, resolved_at, error_details, manual_retry, auto_attempts,
		outcome_unknown, breaker_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
		ie.ID, ie.ScenarioID, ie.ExecutionID, ie.Version, ie.FailedModuleID,
		string(ie.ErrorType), ie.ErrorMessage, string(ie.Status), ie.AutoRetry, ie.Attempts,
		ie.MaxAttempts, int64(ie.RetryInterval), toDBPtr(ie.NextAttemptAt), ie.SizeBytes,
		ie.Confidential, toDB(ie.CreatedAt), toDB(ie.UpdatedAt), toDBPtr(ie.ResolvedAt),
		detailsJSON(ie.ErrorDetails), ie.ManualRetry, ie.AutoAttempts, ie.OutcomeUnknown, ie.BreakerKey).Scan(&seq)
	if err != nil {
		return wrap(err, "create incomplete execution %s of scenario %d", ie.ID, ie.ScenarioID)
	}
	_, err = q.db.ExecContext(ctx, `INSERT INTO incomplete_body (seq, blueprint, state) VALUES (?, ?, ?)`,
		seq, bodyOf(ie.Blueprint), bodyOf(ie.State))
	return wrap(err, "create incomplete execution %s: store blueprint and state", ie.ID)
}

func (q *queries) GetIncomplete(ctx context.Context, id string) (*weft.Incomplete, error) {
	var bp, state []byte
	ie, err := scanIncomplete(q.db.QueryRowContext(ctx, `SELECT `+incompleteColumns+`,
		b.blueprint, b.state FROM incomplete i JOIN incomplete_body b ON b.seq = i.seq
		WHERE i.id = ?`, id), &bp, &state)
	if isNoRows(err) {
		return nil, notFound("incomplete execution %s", id)
	}
	if err != nil {
		return nil, wrap(err, "get incomplete execution %s", id)
	}
	ie.Blueprint, ie.State = nilIfEmpty(bp), nilIfEmpty(state)
	return ie, nil
}

func (q *queries) UpdateIncomplete(ctx context.Context, ie *weft.Incomplete) error {
	if err := checkIncomplete("update incomplete execution", ie); err != nil {
		return err
	}
	var seq int64
	err := q.db.QueryRowContext(ctx, `UPDATE incomplete SET version = ?, failed_module_id = ?,
		error_type = ?, error_message = ?, status = ?, auto_retry = ?, attempts = ?,
		max_attempts = ?, retry_interval_ns = ?, next_attempt_at = ?, size_bytes = ?,
		confidential = ?, updated_at = ?, resolved_at = ?, error_details = ?, manual_retry = ?,
		auto_attempts = ?, outcome_unknown = ?, breaker_key = ?
		WHERE id = ? RETURNING seq`,
		ie.Version, ie.FailedModuleID, string(ie.ErrorType), ie.ErrorMessage, string(ie.Status),
		ie.AutoRetry, ie.Attempts, ie.MaxAttempts, int64(ie.RetryInterval),
		toDBPtr(ie.NextAttemptAt), ie.SizeBytes, ie.Confidential, toDB(ie.UpdatedAt),
		toDBPtr(ie.ResolvedAt), detailsJSON(ie.ErrorDetails), ie.ManualRetry, ie.AutoAttempts,
		ie.OutcomeUnknown, ie.BreakerKey, ie.ID).Scan(&seq)
	if isNoRows(err) {
		return notFound("update incomplete execution %s", ie.ID)
	}
	if err != nil {
		return wrap(err, "update incomplete execution %s", ie.ID)
	}
	_, err = q.db.ExecContext(ctx, `UPDATE incomplete_body SET blueprint = ?, state = ? WHERE seq = ?`,
		bodyOf(ie.Blueprint), bodyOf(ie.State), seq)
	return wrap(err, "update incomplete execution %s: blueprint and state", ie.ID)
}

// incompleteWhere turns a filter into conditions on incomplete AS i (no cursor).
func incompleteWhere(f store.IncompleteFilter) ([]string, []any, error) {
	var where []string
	var args []any
	if f.ScenarioID != 0 {
		where, args = append(where, "i.scenario_id = ?"), append(args, f.ScenarioID)
	}
	if len(f.Status) > 0 {
		marks := make([]string, len(f.Status))
		for n, s := range f.Status {
			if !s.Valid() {
				return nil, nil, fmt.Errorf("unknown status %q", s)
			}
			marks[n] = "?"
			args = append(args, string(s))
		}
		// One status: the (…, status, created_at, id) indexes give the page in order.
		// Several: "+" keeps the planner on the (…, created_at, id) order and filters
		// while scanning, instead of sorting every matching row for one page.
		col := "i.status"
		if len(f.Status) > 1 {
			col = "+i.status"
		}
		where = append(where, col+" IN ("+strings.Join(marks, ", ")+")")
	}
	if f.ErrorType != "" {
		where, args = append(where, "i.error_type = ?"), append(args, string(f.ErrorType))
	}
	if f.ModuleID != 0 {
		where, args = append(where, "i.failed_module_id = ?"), append(args, f.ModuleID)
	}
	if f.ExecutionID != "" {
		where, args = append(where, "i.execution_id = ?"), append(args, f.ExecutionID)
	}
	if f.BreakerKey != "" {
		where, args = append(where, "i.breaker_key = ?"), append(args, f.BreakerKey)
	}
	return where, args, nil
}

func whereClause(where []string) string {
	if len(where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(where, " AND ")
}

func (q *queries) ListIncomplete(ctx context.Context, f store.IncompleteFilter) ([]*weft.Incomplete, error) {
	limit, err := limitOf("list incomplete executions", f.Limit)
	if err != nil {
		return nil, err
	}
	where, args, err := incompleteWhere(f)
	if err != nil {
		return nil, fmt.Errorf("list incomplete executions: %w", err)
	}
	if f.After != "" {
		var created int64
		err := q.db.QueryRowContext(ctx, `SELECT created_at FROM incomplete WHERE id = ?`, f.After).Scan(&created)
		if isNoRows(err) {
			return nil, notFound("list incomplete executions: cursor incomplete execution %s", f.After)
		}
		if err != nil {
			return nil, wrap(err, "list incomplete executions: cursor")
		}
		where = append(where, "(i.created_at, i.id) > (?, ?)")
		args = append(args, created, f.After)
	}
	rows, err := q.db.QueryContext(ctx, `SELECT `+incompleteColumns+` FROM incomplete i`+
		whereClause(where)+` ORDER BY i.created_at, i.id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, wrap(err, "list incomplete executions")
	}
	defer rows.Close()
	out := make([]*weft.Incomplete, 0, min(limit, 256))
	for rows.Next() {
		ie, err := scanIncomplete(rows)
		if err != nil {
			return nil, wrap(err, "list incomplete executions")
		}
		out = append(out, ie)
	}
	return out, wrap(rows.Err(), "list incomplete executions")
}

// CountIncomplete counts what the filter selects, ignoring its cursor and limit.
func (q *queries) CountIncomplete(ctx context.Context, f store.IncompleteFilter) (int, error) {
	where, args, err := incompleteWhere(f)
	if err != nil {
		return 0, fmt.Errorf("count incomplete executions: %w", err)
	}
	var n int
	err = q.db.QueryRowContext(ctx, `SELECT count(*) FROM incomplete i`+whereClause(where), args...).Scan(&n)
	return n, wrap(err, "count incomplete executions")
}

func (q *queries) IncompleteBytes(ctx context.Context, scenarioID int64) (scenario, total int64, err error) {
	// incomplete_size is kept by triggers (see the schema): one row per scenario.
	err = q.db.QueryRowContext(ctx, `SELECT
		coalesce((SELECT bytes FROM incomplete_size WHERE scenario_id = ?), 0),
		coalesce((SELECT sum(bytes) FROM incomplete_size), 0)`, scenarioID).Scan(&scenario, &total)
	if err != nil {
		return 0, 0, wrap(err, "incomplete execution bytes of scenario %d", scenarioID)
	}
	return scenario, total, nil
}
