package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

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
	var started int64
	var finished sql.NullInt64
	var response []byte
	dest := []any{&e.ID, &e.ScenarioID, &e.Version, &e.Kind, &e.Status, &e.Operations,
		&e.ErrorType, &e.ErrorMsg, &e.ErrorModule, &e.IncompleteID, &e.QueueItemID,
		&started, &finished, &response, &e.ParentID, &e.ParentModule, &e.Trigger}
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
	if err == nil && e.Trigger != "" {
		_, err = q.db.ExecContext(ctx, `INSERT INTO execution_trigger (execution_id, started_by) VALUES (?, ?)`,
			e.ID, string(e.Trigger))
	}
	if err != nil || e.ParentID == "" {
		return wrap(err, "create execution %s of scenario %d", e.ID, e.ScenarioID)
	}
	_, err = q.db.ExecContext(ctx, `INSERT INTO execution_parent (execution_id, parent_id, parent_module)
		VALUES (?, ?, ?)`, e.ID, e.ParentID, e.ParentModule)
	return wrap(err, "create execution %s of scenario %d: its caller", e.ID, e.ScenarioID)
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
	e, err := scanExecution(q.db.QueryRowContext(ctx, `SELECT `+executionColumns+`, e.input, e.log
		`+executionFrom+` WHERE e.id = ?`, id), &input, &log)
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
		where, args = append(where, "e.scenario_id = ?"), append(args, f.ScenarioID)
	}
	if f.Status != "" {
		where, args = append(where, "e.status = ?"), append(args, string(f.Status))
	}
	if f.IncompleteID != "" {
		// The literal condition lets the planner use the partial index.
		where, args = append(where, "e.incomplete_id = ? AND e.incomplete_id <> ''"), append(args, f.IncompleteID)
	}
	if f.ParentID != "" {
		where, args = append(where, "p.parent_id = ?"), append(args, f.ParentID)
	}
	if !f.From.IsZero() {
		where, args = append(where, "e.started_at >= ?"), append(args, toDB(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, "e.started_at < ?"), append(args, toDB(f.To))
	}
	if f.Search != "" {
		// instr over the log's bytes: a blob needle keeps SQLite from converting either.
		prefix := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f.Search) + "%"
		where = append(where, `(e.id LIKE ? ESCAPE '\' OR instr(e.log, ?) > 0)`)
		args = append(args, prefix, []byte(f.Search))
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
		where = append(where, "(e.started_at, e.id) < (?, ?)")
		args = append(args, started, f.Before)
	}
	query := `SELECT ` + executionColumns + executionFrom
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY e.started_at DESC, e.id DESC LIMIT ?"
	args = append(args, limit)
	return q.executions(ctx, "list executions", false, query, args...)
}

func (q *queries) RunningExecutions(ctx context.Context) ([]*weft.Execution, error) {
	return q.executions(ctx, "running executions", true, `SELECT `+executionColumns+`, e.input
		`+executionFrom+` WHERE e.status = 'running' ORDER BY e.started_at, e.id`)
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
