package postgres

import (
	"context"
	"fmt"

	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// incompleteColumns are everything but the bodies (blueprint, state), which only
// GetIncomplete and ClaimDue read.
const incompleteColumns = `i.id, i.scenario_id, i.execution_id, i.version, i.failed_module_id,
	i.error_type, i.error_message, i.status, i.auto_retry, i.attempts, i.max_attempts,
	i.retry_interval_ns, i.next_attempt_at, i.size_bytes, i.confidential, i.created_at,
	i.updated_at, i.resolved_at, i.error_details, i.manual_retry, i.auto_attempts,
	i.outcome_unknown, i.breaker_key`

func scanIncomplete(row interface{ Scan(...any) error }, extra ...any) (*weft.Incomplete, error) {
	var ie weft.Incomplete
	var interval int64
	var errType, status string
	var details *string
	dest := []any{&ie.ID, &ie.ScenarioID, &ie.ExecutionID, &ie.Version, &ie.FailedModuleID,
		&errType, &ie.ErrorMessage, &status, &ie.AutoRetry, &ie.Attempts, &ie.MaxAttempts,
		&interval, &ie.NextAttemptAt, &ie.SizeBytes, &ie.Confidential, &ie.CreatedAt, &ie.UpdatedAt,
		&ie.ResolvedAt, &details, &ie.ManualRetry, &ie.AutoAttempts, &ie.OutcomeUnknown, &ie.BreakerKey}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	ie.ErrorType, ie.Status = weft.ErrorType(errType), weft.IncompleteStatus(status)
	ie.RetryInterval = time.Duration(interval)
	ie.NextAttemptAt, ie.ResolvedAt = utcPtr(ie.NextAttemptAt), utcPtr(ie.ResolvedAt)
	ie.CreatedAt, ie.UpdatedAt = utc(ie.CreatedAt), utc(ie.UpdatedAt)
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

// ownerOf is the owner column of an incomplete execution written with status: this
// process while it is in progress, nobody otherwise.
func (q *queries) ownerOf(status weft.IncompleteStatus) *string {
	if status != weft.IncompleteInProgress {
		return nil
	}
	return &q.owner
}

func (q *queries) CreateIncomplete(ctx context.Context, ie *weft.Incomplete) error {
	if err := checkIncomplete("create incomplete execution", ie); err != nil {
		return err
	}
	_, err := q.db.Exec(ctx, `INSERT INTO incomplete (id, scenario_id, execution_id,
		version, failed_module_id, error_type, error_message, status, auto_retry, attempts,
		max_attempts, retry_interval_ns, next_attempt_at, size_bytes, confidential,
		created_at, updated_at, resolved_at, error_details, manual_retry, auto_attempts,
		owner, blueprint, state, outcome_unknown, breaker_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
		$18, $19, $20, $21, $22, $23, $24, $25, $26)`,
		ie.ID, ie.ScenarioID, ie.ExecutionID, ie.Version, ie.FailedModuleID,
		string(ie.ErrorType), ie.ErrorMessage, string(ie.Status), ie.AutoRetry, ie.Attempts,
		ie.MaxAttempts, int64(ie.RetryInterval), tsPtr(ie.NextAttemptAt), ie.SizeBytes,
		ie.Confidential, ts(ie.CreatedAt), ts(ie.UpdatedAt), tsPtr(ie.ResolvedAt),
		detailsJSON(ie.ErrorDetails), ie.ManualRetry, ie.AutoAttempts, q.ownerOf(ie.Status),
		bodyOf(ie.Blueprint), bodyOf(ie.State), ie.OutcomeUnknown, ie.BreakerKey)
	return wrap(err, "create incomplete execution %s of scenario %d", ie.ID, ie.ScenarioID)
}

func (q *queries) GetIncomplete(ctx context.Context, id string) (*weft.Incomplete, error) {
	var bp, state []byte
	ie, err := scanIncomplete(q.db.QueryRow(ctx, `SELECT `+incompleteColumns+`, i.blueprint, i.state
		FROM incomplete i WHERE i.id = $1`+q.locking(), id), &bp, &state)
	if isNoRows(err) {
		return nil, notFound("incomplete execution %s", id)
	}
	if err != nil {
		return nil, wrap(err, "get incomplete execution %s", id)
	}
	ie.Blueprint, ie.State = nilIfEmpty(bp), nilIfEmpty(state)
	return ie, nil
}

// UpdateIncomplete writes ie; one set in progress becomes this process's (a person's
// retry started here), one that leaves it belongs to nobody.
func (q *queries) UpdateIncomplete(ctx context.Context, ie *weft.Incomplete) error {
	if err := checkIncomplete("update incomplete execution", ie); err != nil {
		return err
	}
	tag, err := q.db.Exec(ctx, `UPDATE incomplete SET version = $1, failed_module_id = $2,
		error_type = $3, error_message = $4, status = $5, auto_retry = $6, attempts = $7,
		max_attempts = $8, retry_interval_ns = $9, next_attempt_at = $10, size_bytes = $11,
		confidential = $12, updated_at = $13, resolved_at = $14, error_details = $15, manual_retry = $16,
		auto_attempts = $17, owner = $18, blueprint = $19, state = $20, outcome_unknown = $21,
		breaker_key = $22
		WHERE id = $23`,
		ie.Version, ie.FailedModuleID, string(ie.ErrorType), ie.ErrorMessage, string(ie.Status),
		ie.AutoRetry, ie.Attempts, ie.MaxAttempts, int64(ie.RetryInterval),
		tsPtr(ie.NextAttemptAt), ie.SizeBytes, ie.Confidential, ts(ie.UpdatedAt),
		tsPtr(ie.ResolvedAt), detailsJSON(ie.ErrorDetails), ie.ManualRetry, ie.AutoAttempts,
		q.ownerOf(ie.Status), bodyOf(ie.Blueprint), bodyOf(ie.State), ie.OutcomeUnknown,
		ie.BreakerKey, ie.ID)
	if err != nil {
		return wrap(err, "update incomplete execution %s", ie.ID)
	}
	return mustAffect(tag, "update incomplete execution "+ie.ID)
}

// incompleteWhere turns a filter into conditions on incomplete AS i (no cursor).
func incompleteWhere(f store.IncompleteFilter, a *args) ([]string, error) {
	var where []string
	if f.ScenarioID != 0 {
		where = append(where, "i.scenario_id = "+a.add(f.ScenarioID))
	}
	if len(f.Status) > 0 {
		sts := make([]string, len(f.Status))
		for n, s := range f.Status {
			if !s.Valid() {
				return nil, fmt.Errorf("unknown status %q", s)
			}
			sts[n] = string(s)
		}
		if len(sts) == 1 {
			where = append(where, "i.status = "+a.add(sts[0]))
		} else {
			where = append(where, "i.status = ANY("+a.add(sts)+")")
		}
	}
	if f.ErrorType != "" {
		where = append(where, "i.error_type = "+a.add(string(f.ErrorType)))
	}
	if f.ModuleID != 0 {
		where = append(where, "i.failed_module_id = "+a.add(f.ModuleID))
	}
	if f.ExecutionID != "" {
		where = append(where, "i.execution_id = "+a.add(f.ExecutionID))
	}
	if f.BreakerKey != "" {
		where = append(where, "i.breaker_key = "+a.add(f.BreakerKey))
	}
	return where, nil
}

func (q *queries) ListIncomplete(ctx context.Context, f store.IncompleteFilter) ([]*weft.Incomplete, error) {
	limit, err := limitOf("list incomplete executions", f.Limit)
	if err != nil {
		return nil, err
	}
	var a args
	where, err := incompleteWhere(f, &a)
	if err != nil {
		return nil, fmt.Errorf("list incomplete executions: %w", err)
	}
	if f.After != "" {
		var created time.Time
		err := q.db.QueryRow(ctx, `SELECT created_at FROM incomplete WHERE id = $1`, f.After).Scan(&created)
		if isNoRows(err) {
			return nil, notFound("list incomplete executions: cursor incomplete execution %s", f.After)
		}
		if err != nil {
			return nil, wrap(err, "list incomplete executions: cursor")
		}
		where = append(where, "(i.created_at, i.id) > ("+a.add(created)+"::timestamptz, "+a.add(f.After)+")")
	}
	out := make([]*weft.Incomplete, 0, min(limit, 256))
	err = q.each(ctx, func(rows pgxRows) error {
		ie, err := scanIncomplete(rows)
		if err == nil {
			out = append(out, ie)
		}
		return err
	}, `SELECT `+incompleteColumns+` FROM incomplete i`+whereClause(where)+
		` ORDER BY i.created_at, i.id LIMIT `+a.add(limit), a...)
	return out, wrap(err, "list incomplete executions")
}

// CountIncomplete counts what the filter selects, ignoring its cursor and limit.
func (q *queries) CountIncomplete(ctx context.Context, f store.IncompleteFilter) (int, error) {
	var a args
	where, err := incompleteWhere(f, &a)
	if err != nil {
		return 0, fmt.Errorf("count incomplete executions: %w", err)
	}
	var n int
	err = q.db.QueryRow(ctx, `SELECT count(*) FROM incomplete i`+whereClause(where), a...).Scan(&n)
	return n, wrap(err, "count incomplete executions")
}

func (q *queries) IncompleteBytes(ctx context.Context, scenarioID int64) (scenario, total int64, err error) {
	// incomplete_size is kept by a trigger (see the schema): one row per scenario.
	err = q.db.QueryRow(ctx, `SELECT
		coalesce((SELECT bytes FROM incomplete_size WHERE scenario_id = $1), 0),
		coalesce((SELECT sum(bytes) FROM incomplete_size), 0)::bigint`, scenarioID).Scan(&scenario, &total)
	if err != nil {
		return 0, 0, wrap(err, "incomplete execution bytes of scenario %d", scenarioID)
	}
	return scenario, total, nil
}
