package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/weftworks/weft"
)

const positionColumns = `scenario_id, module_id, module, position, start, version, updated_at`

func scanPosition(row interface{ Scan(...any) error }) (*weft.TriggerPosition, error) {
	var p weft.TriggerPosition
	var pos string
	var at int64
	if err := row.Scan(&p.ScenarioID, &p.ModuleID, &p.Module, &pos, &p.Start, &p.Version, &at); err != nil {
		return nil, err
	}
	p.Position, p.UpdatedAt = json.RawMessage(pos), fromDB(at)
	return &p, nil
}

func (q *queries) GetTriggerPosition(ctx context.Context, scenarioID int64, moduleID int) (*weft.TriggerPosition, error) {
	p, err := scanPosition(q.db.QueryRowContext(ctx, `SELECT `+positionColumns+` FROM trigger_position
		WHERE scenario_id = ? AND module_id = ?`, scenarioID, moduleID))
	if isNoRows(err) {
		return nil, notFound("trigger position of scenario %d module %d", scenarioID, moduleID)
	}
	return p, wrap(err, "trigger position of scenario %d module %d", scenarioID, moduleID)
}

// SaveTriggerPosition is an insert or a version-checked update, in one statement each
// (the caller's transaction, or the writer's own).
func (q *queries) SaveTriggerPosition(ctx context.Context, p *weft.TriggerPosition, ifVersion int64) (bool, error) {
	if p == nil || p.Module == "" {
		return false, fmt.Errorf("save trigger position: no position or no module type")
	}
	pos := string(p.Position)
	if pos == "" {
		pos = "null"
	}
	if !json.Valid([]byte(pos)) {
		return false, fmt.Errorf("save trigger position of scenario %d module %d: the position is not JSON", p.ScenarioID, p.ModuleID)
	}
	what := fmt.Sprintf("save trigger position of scenario %d module %d", p.ScenarioID, p.ModuleID)
	var cur int64
	err := q.db.QueryRowContext(ctx, `SELECT version FROM trigger_position WHERE scenario_id = ? AND module_id = ?`,
		p.ScenarioID, p.ModuleID).Scan(&cur)
	switch {
	case isNoRows(err):
		if ifVersion > 0 {
			return false, nil
		}
		_, err := q.db.ExecContext(ctx, `INSERT INTO trigger_position (`+positionColumns+`) VALUES (?, ?, ?, ?, ?, 1, ?)`,
			p.ScenarioID, p.ModuleID, p.Module, pos, p.Start, toDB(p.UpdatedAt))
		if err != nil {
			return false, wrap(err, "%s", what)
		}
		p.Version = 1
		return true, nil
	case err != nil:
		return false, wrap(err, "%s", what)
	}
	if ifVersion >= 0 && cur != ifVersion {
		return false, nil
	}
	_, err = q.db.ExecContext(ctx, `UPDATE trigger_position SET module = ?, position = ?, start = ?, version = ?,
		updated_at = ? WHERE scenario_id = ? AND module_id = ?`,
		p.Module, pos, p.Start, cur+1, toDB(p.UpdatedAt), p.ScenarioID, p.ModuleID)
	if err != nil {
		return false, wrap(err, "%s", what)
	}
	p.Version = cur + 1
	return true, nil
}

func (q *queries) ListTriggerPositions(ctx context.Context, scenarioID int64) ([]*weft.TriggerPosition, error) {
	var out []*weft.TriggerPosition
	err := q.each(ctx, func(rows *sql.Rows) error {
		p, err := scanPosition(rows)
		if err != nil {
			return err
		}
		out = append(out, p)
		return nil
	}, `SELECT `+positionColumns+` FROM trigger_position WHERE scenario_id = ? ORDER BY module_id`, scenarioID)
	return out, wrap(err, "list trigger positions of scenario %d", scenarioID)
}

const appHookColumns = `scenario_id, module, params, url, state, key_id, registered, error, attempts, updated_at`

func scanAppHook(row interface{ Scan(...any) error }) (*weft.AppHook, error) {
	var h weft.AppHook
	var params string
	var state []byte
	var at int64
	if err := row.Scan(&h.ScenarioID, &h.Module, &params, &h.URL, &state, &h.KeyID, &h.Registered, &h.Error, &h.Attempts, &at); err != nil {
		return nil, err
	}
	h.Params, h.State, h.UpdatedAt = json.RawMessage(params), nilIfEmpty(state), fromDB(at)
	return &h, nil
}

func (q *queries) PutAppHook(ctx context.Context, h *weft.AppHook) error {
	if h == nil || h.Module == "" || h.ScenarioID <= 0 {
		return fmt.Errorf("put app hook: no hook, module type or scenario")
	}
	params := string(h.Params)
	if params == "" {
		params = "{}"
	}
	_, err := q.db.ExecContext(ctx, `INSERT OR REPLACE INTO app_hook (`+appHookColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		h.ScenarioID, h.Module, params, h.URL, blob(h.State), h.KeyID, h.Registered, h.Error, h.Attempts, toDB(h.UpdatedAt))
	return wrap(err, "put app hook of scenario %d", h.ScenarioID)
}

func (q *queries) GetAppHook(ctx context.Context, scenarioID int64) (*weft.AppHook, error) {
	h, err := scanAppHook(q.db.QueryRowContext(ctx, `SELECT `+appHookColumns+` FROM app_hook WHERE scenario_id = ?`, scenarioID))
	if isNoRows(err) {
		return nil, notFound("app hook of scenario %d", scenarioID)
	}
	return h, wrap(err, "app hook of scenario %d", scenarioID)
}

func (q *queries) ListAppHooks(ctx context.Context, owed bool) ([]*weft.AppHook, error) {
	var out []*weft.AppHook
	query := `SELECT ` + appHookColumns + ` FROM app_hook ORDER BY scenario_id`
	if owed {
		query = `SELECT ` + appHookColumns + ` FROM app_hook WHERE registered = 0 ORDER BY scenario_id`
	}
	err := q.each(ctx, func(rows *sql.Rows) error {
		h, err := scanAppHook(rows)
		if err != nil {
			return err
		}
		out = append(out, h)
		return nil
	}, query)
	return out, wrap(err, "list app hooks")
}

func (q *queries) DeleteAppHook(ctx context.Context, scenarioID int64) error {
	res, err := q.db.ExecContext(ctx, `DELETE FROM app_hook WHERE scenario_id = ?`, scenarioID)
	if err != nil {
		return wrap(err, "delete app hook of scenario %d", scenarioID)
	}
	return mustAffect(res, fmt.Sprintf("delete app hook of scenario %d", scenarioID))
}

// The Store's own calls, each one transaction.

func (s *Store) GetTriggerPosition(ctx context.Context, scenarioID int64, moduleID int) (*weft.TriggerPosition, error) {
	return readValue(s, ctx, func(q *queries) (*weft.TriggerPosition, error) {
		return q.GetTriggerPosition(ctx, scenarioID, moduleID)
	})
}

func (s *Store) SaveTriggerPosition(ctx context.Context, p *weft.TriggerPosition, ifVersion int64) (bool, error) {
	return writeValue(s, ctx, func(q *queries) (bool, error) { return q.SaveTriggerPosition(ctx, p, ifVersion) })
}

func (s *Store) ListTriggerPositions(ctx context.Context, scenarioID int64) ([]*weft.TriggerPosition, error) {
	return readValue(s, ctx, func(q *queries) ([]*weft.TriggerPosition, error) { return q.ListTriggerPositions(ctx, scenarioID) })
}

func (s *Store) PutAppHook(ctx context.Context, h *weft.AppHook) error {
	return s.write(ctx, func(q *queries) error { return q.PutAppHook(ctx, h) })
}

func (s *Store) GetAppHook(ctx context.Context, scenarioID int64) (*weft.AppHook, error) {
	return readValue(s, ctx, func(q *queries) (*weft.AppHook, error) { return q.GetAppHook(ctx, scenarioID) })
}

func (s *Store) ListAppHooks(ctx context.Context, owed bool) ([]*weft.AppHook, error) {
	return readValue(s, ctx, func(q *queries) ([]*weft.AppHook, error) { return q.ListAppHooks(ctx, owed) })
}

func (s *Store) DeleteAppHook(ctx context.Context, scenarioID int64) error {
	return s.write(ctx, func(q *queries) error { return q.DeleteAppHook(ctx, scenarioID) })
}
