package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// executionColumns leave out input and log (the bodies lists never show).
const executionColumns = `id, scenario_id, version, kind, status, operations, error_type,
	error_message, error_module, incomplete_id, queue_item_id, started_at, finished_at, response`

func scanExecution(row interface{ Scan(...any) error }, extra ...any) (*weft.Execution, error) {
	var e weft.Execution
	var started int64
	var finished sql.NullInt64
	var response []byte
	dest := []any{&e.ID, &e.ScenarioID, &e.Version, &e.Kind, &e.Status, &e.Operations,
		&e.ErrorType, &e.ErrorMsg, &e.ErrorModule, &e.IncompleteID, &e.QueueItemID,
		&started, &finished, &response}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	e.StartedAt, e.FinishedAt = fromDB(started), fromDBPtr(finished)
	e.Response = nilIfEmpty(response)
	return &e, nil
}

func (q *queries) CreateExecution(ctx context.Context, e *weft.Execution) error {
	if e == nil || e.ID == "" {
		return errors.New("create execution: no id")
	}
	_, err := q.db.ExecContext(ctx, `INSERT INTO execution (id, scenario_id, version, kind,
		status, operations, error_type, error_message, error_module, incomplete_id,
		queue_item_id, started_at, finished_at, response, input, log)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.ScenarioID, e.Version, string(e.Kind), string(e.Status), e.Operations,
		string(e.ErrorType), e.ErrorMsg, e.ErrorModule, e.IncompleteID, e.QueueItemID,
		toDB(e.StartedAt), toDBPtr(e.FinishedAt), blob(e.Response), blob(e.Input), blob(e.Log))
	return wrap(err, "create execution %s of scenario %d", e.ID, e.ScenarioID)
}

func (q *queries) UpdateExecution(ctx context.Context, e *weft.Execution) error {
	if e == nil {
		return errors.New("update execution: nil execution")
	}
	// A finished execution no longer needs its trigger input: the log holds what ran.
	res, err := q.db.ExecContext(ctx, `UPDATE execution SET status = ?, operations = ?,
		error_type = ?, error_message = ?, error_module = ?, log = ?, response = ?,
		finished_at = ?, input = CASE WHEN ? = 'running' THEN input ELSE NULL END
		WHERE id = ?`,
		string(e.Status), e.Operations, string(e.ErrorType), e.ErrorMsg, e.ErrorModule,
		blob(e.Log), blob(e.Response), toDBPtr(e.FinishedAt), string(e.Status), e.ID)
	if err != nil {
		return wrap(err, "update execution %s", e.ID)
	}
	return mustAffect(res, "update execution "+e.ID)
}

func (q *queries) GetExecution(ctx context.Context, id string) (*weft.Execution, error) {
	var input, log []byte
	e, err := scanExecution(q.db.QueryRowContext(ctx, `SELECT `+executionColumns+`, input, log
		FROM execution WHERE id = ?`, id), &input, &log)
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
	var args []any
	if f.ScenarioID != 0 {
		where, args = append(where, "scenario_id = ?"), append(args, f.ScenarioID)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	if f.IncompleteID != "" {
		// The literal condition lets the planner use the partial index.
		where, args = append(where, "incomplete_id = ? AND incomplete_id <> ''"), append(args, f.IncompleteID)
	}
	if f.Before != "" {
		var started int64
		err := q.db.QueryRowContext(ctx, `SELECT started_at FROM execution WHERE id = ?`, f.Before).Scan(&started)
		if isNoRows(err) {
			return nil, notFound("list executions: cursor execution %s", f.Before)
		}
		if err != nil {
			return nil, wrap(err, "list executions: cursor")
		}
		where = append(where, "(started_at, id) < (?, ?)")
		args = append(args, started, f.Before)
	}
	query := `SELECT ` + executionColumns + ` FROM execution`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY started_at DESC, id DESC LIMIT ?"
	args = append(args, limit)
	return q.executions(ctx, "list executions", false, query, args...)
}

func (q *queries) RunningExecutions(ctx context.Context) ([]*weft.Execution, error) {
	return q.executions(ctx, "running executions", true, `SELECT `+executionColumns+`, input
		FROM execution WHERE status = 'running' ORDER BY started_at, id`)
}

// executions runs a listing query; withInput: the query selects input after
// executionColumns (crash recovery needs the trigger input to resume).
func (q *queries) executions(ctx context.Context, what string, withInput bool, query string, args ...any) ([]*weft.Execution, error) {
	rows, err := q.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap(err, "%s", what)
	}
	defer rows.Close()
	var out []*weft.Execution
	for rows.Next() {
		var input []byte
		var extra []any
		if withInput {
			extra = append(extra, &input)
		}
		e, err := scanExecution(rows, extra...)
		if err != nil {
			return nil, wrap(err, "%s", what)
		}
		e.Input = nilIfEmpty(input)
		out = append(out, e)
	}
	return out, wrap(rows.Err(), "%s", what)
}
