package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// executionColumns leave out input and log (the bodies lists never show). The caller
// of a sub-scenario run (execution_parent) comes last, from the left join in
// executionFrom.
const executionColumns = `e.id, e.scenario_id, e.version, e.kind, e.status, e.operations, e.error_type,
	e.error_message, e.error_module, e.incomplete_id, e.queue_item_id, e.started_at, e.finished_at, e.response,
	coalesce(p.parent_id, ''), coalesce(p.parent_module, 0), coalesce(t.started_by, '')`

// executionFrom joins each execution to the execution that called it, if any.
const executionFrom = ` FROM execution e LEFT JOIN execution_parent p ON p.execution_id = e.id
	LEFT JOIN execution_trigger t ON t.execution_id = e.id`

func scanExecution(row interface{ Scan(...any) error }, extra ...any) (*weft.Execution, error) {
	var e weft.Execution
	var kind, status, errType, trigger string
	var response []byte
	dest := []any{&e.ID, &e.ScenarioID, &e.Version, &kind, &status, &e.Operations,
		&errType, &e.ErrorMsg, &e.ErrorModule, &e.IncompleteID, &e.QueueItemID,
		&e.StartedAt, &e.FinishedAt, &response, &e.ParentID, &e.ParentModule, &trigger}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	e.Kind, e.Status, e.ErrorType = weft.ExecutionKind(kind), weft.ExecutionStatus(status), weft.ErrorType(errType)
	e.Trigger = weft.Trigger(trigger)
	e.StartedAt, e.FinishedAt = utc(e.StartedAt), utcPtr(e.FinishedAt)
	e.Response = nilIfEmpty(response)
	return &e, nil
}

// CreateExecution stores e; a running execution belongs to this process (its owner)
// until it finishes.
func (q *queries) CreateExecution(ctx context.Context, e *weft.Execution) error {
	if e == nil || e.ID == "" {
		return errors.New("create execution: no id")
	}
	owner := ""
	if e.Status == weft.ExecutionRunning {
		owner = q.owner
	}
	_, err := q.db.Exec(ctx, `INSERT INTO execution (id, scenario_id, version, kind,
		status, operations, error_type, error_message, error_module, incomplete_id,
		queue_item_id, started_at, finished_at, owner, response, input, log)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
		e.ID, e.ScenarioID, e.Version, string(e.Kind), string(e.Status), e.Operations,
		string(e.ErrorType), e.ErrorMsg, e.ErrorModule, e.IncompleteID, e.QueueItemID,
		ts(e.StartedAt), tsPtr(e.FinishedAt), owner, blob(e.Response), blob(e.Input), blob(e.Log))
	if err == nil && e.Trigger != "" {
		_, err = q.db.Exec(ctx, `INSERT INTO execution_trigger (execution_id, started_by) VALUES ($1, $2)`,
			e.ID, string(e.Trigger))
	}
	if err != nil || e.ParentID == "" {
		return wrap(err, "create execution %s of scenario %d", e.ID, e.ScenarioID)
	}
	_, err = q.db.Exec(ctx, `INSERT INTO execution_parent (execution_id, parent_id, parent_module)
		VALUES ($1, $2, $3)`, e.ID, e.ParentID, e.ParentModule)
	return wrap(err, "create execution %s of scenario %d: its caller", e.ID, e.ScenarioID)
}

// UpdateExecution writes e's end (or progress). A running execution another process
// owns is not this process's to write: that happens when this process's lease expired
// and the other took its work over, and the write fails with store.ErrLeaseLost, so a
// run's end is never recorded twice.
func (q *queries) UpdateExecution(ctx context.Context, e *weft.Execution) error {
	if e == nil {
		return errors.New("update execution: nil execution")
	}
	// A finished execution no longer needs its trigger input (the log holds what ran)
	// nor an owner.
	tag, err := q.db.Exec(ctx, `UPDATE execution SET status = $1, operations = $2,
		error_type = $3, error_message = $4, error_module = $5, log = $6, response = $7,
		finished_at = $8,
		input = CASE WHEN $1 = 'running' THEN input ELSE NULL END,
		owner = CASE WHEN $1 = 'running' THEN owner ELSE '' END
		WHERE id = $9 AND (status <> 'running' OR owner IN ('', $10))`,
		string(e.Status), e.Operations, string(e.ErrorType), e.ErrorMsg, e.ErrorModule,
		blob(e.Log), blob(e.Response), tsPtr(e.FinishedAt), e.ID, q.owner)
	if err != nil {
		return wrap(err, "update execution %s", e.ID)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	var owner string
	err = q.db.QueryRow(ctx, `SELECT owner FROM execution WHERE id = $1`, e.ID).Scan(&owner)
	if isNoRows(err) {
		return notFound("update execution %s", e.ID)
	}
	if err != nil {
		return wrap(err, "update execution %s", e.ID)
	}
	return fmt.Errorf("update execution %s: process %s runs it now (this process %s lost its lease and the work was taken over): %w",
		e.ID, owner, q.owner, store.ErrLeaseLost)
}

func (q *queries) GetExecution(ctx context.Context, id string) (*weft.Execution, error) {
	var input, log []byte
	e, err := scanExecution(q.db.QueryRow(ctx, `SELECT `+executionColumns+`, e.input, e.log
		`+executionFrom+` WHERE e.id = $1`+q.lockingOf("e"), id), &input, &log)
	if isNoRows(err) {
		return nil, notFound("execution %s", id)
	}
	if err != nil {
		return nil, wrap(err, "get execution %s", id)
	}
	e.Input, e.Log = nilIfEmpty(input), nilIfEmpty(log)
	return e, nil
}

func (q *queries) ListExecutions(ctx context.Context, f store.ExecutionFilter) ([]*weft.Execution, error) {
	limit, err := limitOf("list executions", f.Limit)
	if err != nil {
		return nil, err
	}
	var where []string
	var a args
	if f.ScenarioID != 0 {
		where = append(where, "e.scenario_id = "+a.add(f.ScenarioID))
	}
	if f.Status != "" {
		where = append(where, "e.status = "+a.add(string(f.Status)))
	}
	if f.IncompleteID != "" {
		// The literal condition lets the planner use the partial index.
		where = append(where, "e.incomplete_id = "+a.add(f.IncompleteID)+" AND e.incomplete_id <> ''")
	}
	if f.ParentID != "" {
		where = append(where, "p.parent_id = "+a.add(f.ParentID))
	}
	if !f.From.IsZero() {
		where = append(where, "e.started_at >= "+a.add(ts(f.From)))
	}
	if !f.To.IsZero() {
		where = append(where, "e.started_at < "+a.add(ts(f.To)))
	}
	if f.Search != "" {
		prefix := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f.Search) + "%"
		where = append(where, "(e.id LIKE "+a.add(prefix)+` ESCAPE '\' OR position(`+a.add([]byte(f.Search))+"::bytea in e.log) > 0)")
	}
	if f.Before != "" {
		var started time.Time
		err := q.db.QueryRow(ctx, `SELECT started_at FROM execution WHERE id = $1`, f.Before).Scan(&started)
		if isNoRows(err) {
			return nil, notFound("list executions: cursor execution %s", f.Before)
		}
		if err != nil {
			return nil, wrap(err, "list executions: cursor")
		}
		where = append(where, "(e.started_at, e.id) < ("+a.add(started)+"::timestamptz, "+a.add(f.Before)+")")
	}
	query := `SELECT ` + executionColumns + executionFrom + whereClause(where) +
		" ORDER BY e.started_at DESC, e.id DESC LIMIT " + a.add(limit)
	return q.executions(ctx, "list executions", false, query, a...)
}

func (q *queries) RunningExecutions(ctx context.Context) ([]*weft.Execution, error) {
	return q.executions(ctx, "running executions", true, `SELECT `+executionColumns+`, e.input
		`+executionFrom+` WHERE e.status = 'running' ORDER BY e.started_at, e.id`)
}

// executions runs a listing query; withInput: the query selects input after
// executionColumns (crash recovery needs the trigger input to resume).
func (q *queries) executions(ctx context.Context, what string, withInput bool, query string, args ...any) ([]*weft.Execution, error) {
	var out []*weft.Execution
	err := q.each(ctx, func(rows pgxRows) error {
		var input []byte
		var extra []any
		if withInput {
			extra = append(extra, &input)
		}
		e, err := scanExecution(rows, extra...)
		if err != nil {
			return err
		}
		e.Input = nilIfEmpty(input)
		out = append(out, e)
		return nil
	}, query, args...)
	return out, wrap(err, "%s", what)
}
