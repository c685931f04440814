package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/weftworks/weft"
)

const positionColumns = `scenario_id, module_id, module, position, start, version, updated_at`

func scanPosition(row interface{ Scan(...any) error }) (*weft.TriggerPosition, error) {
	var p weft.TriggerPosition
	var pos string
	if err := row.Scan(&p.ScenarioID, &p.ModuleID, &p.Module, &pos, &p.Start, &p.Version, &p.UpdatedAt); err != nil {
		return nil, err
	}
	p.Position, p.UpdatedAt = json.RawMessage(pos), utc(p.UpdatedAt)
	return &p, nil
}

func (q *queries) GetTriggerPosition(ctx context.Context, scenarioID int64, moduleID int) (*weft.TriggerPosition, error) {
	p, err := scanPosition(q.db.QueryRow(ctx, `SELECT `+positionColumns+` FROM trigger_position
		WHERE scenario_id = $1 AND module_id = $2`+q.locking(), scenarioID, moduleID))
	if isNoRows(err) {
		return nil, notFound("trigger position of scenario %d module %d", scenarioID, moduleID)
	}
	return p, wrap(err, "trigger position of scenario %d module %d", scenarioID, moduleID)
}

// SaveTriggerPosition is one statement whatever the case, so two processes saving at
// once never both win: an upsert (ifVersion negative), an insert that yields to an
// existing row (0), or an update guarded by the version (positive).
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
	var query string
	args := []any{p.ScenarioID, p.ModuleID, p.Module, pos, p.Start, ts(p.UpdatedAt)}
	switch {
	case ifVersion < 0:
		query = `INSERT INTO trigger_position (` + positionColumns + `) VALUES ($1, $2, $3, $4, $5, 1, $6)
			ON CONFLICT (scenario_id, module_id) DO UPDATE SET module = excluded.module, position = excluded.position,
			start = excluded.start, version = trigger_position.version + 1, updated_at = excluded.updated_at
			RETURNING version`
	case ifVersion == 0:
		query = `INSERT INTO trigger_position (` + positionColumns + `) VALUES ($1, $2, $3, $4, $5, 1, $6)
			ON CONFLICT (scenario_id, module_id) DO NOTHING RETURNING version`
	default:
		query = `UPDATE trigger_position SET module = $3, position = $4, start = $5, version = version + 1,
			updated_at = $6 WHERE scenario_id = $1 AND module_id = $2 AND version = $7 RETURNING version`
		args = append(args, ifVersion)
	}
	var v int64
	err := q.db.QueryRow(ctx, query, args...).Scan(&v)
	if isNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, wrap(err, "%s", what)
	}
	p.Version = v
	return true, nil
}

func (q *queries) ListTriggerPositions(ctx context.Context, scenarioID int64) ([]*weft.TriggerPosition, error) {
	var out []*weft.TriggerPosition
	err := q.each(ctx, func(rows pgxRows) error {
		p, err := scanPosition(rows)
		if err == nil {
			out = append(out, p)
		}
		return err
	}, `SELECT `+positionColumns+` FROM trigger_position WHERE scenario_id = $1 ORDER BY module_id`, scenarioID)
	return out, wrap(err, "list trigger positions of scenario %d", scenarioID)
}

const appHookColumns = `scenario_id, module, params, url, state, key_id, registered, error, attempts, updated_at`

func scanAppHook(row interface{ Scan(...any) error }) (*weft.AppHook, error) {
	var h weft.AppHook
	var params string
	var state []byte
	if err := row.Scan(&h.ScenarioID, &h.Module, &params, &h.URL, &state, &h.KeyID, &h.Registered, &h.Error, &h.Attempts, &h.UpdatedAt); err != nil {
		return nil, err
	}
	h.Params, h.State, h.UpdatedAt = json.RawMessage(params), nilIfEmpty(state), utc(h.UpdatedAt)
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
	_, err := q.db.Exec(ctx, `INSERT INTO app_hook (`+appHookColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (scenario_id) DO UPDATE SET module = excluded.module, params = excluded.params, url = excluded.url,
		state = excluded.state, key_id = excluded.key_id, registered = excluded.registered, error = excluded.error,
		attempts = excluded.attempts, updated_at = excluded.updated_at`,
		h.ScenarioID, h.Module, params, h.URL, blob(h.State), h.KeyID, h.Registered, h.Error, h.Attempts, ts(h.UpdatedAt))
	return wrap(err, "put app hook of scenario %d", h.ScenarioID)
}

func (q *queries) GetAppHook(ctx context.Context, scenarioID int64) (*weft.AppHook, error) {
	h, err := scanAppHook(q.db.QueryRow(ctx, `SELECT `+appHookColumns+` FROM app_hook WHERE scenario_id = $1`+q.locking(), scenarioID))
	if isNoRows(err) {
		return nil, notFound("app hook of scenario %d", scenarioID)
	}
	return h, wrap(err, "app hook of scenario %d", scenarioID)
}

func (q *queries) ListAppHooks(ctx context.Context, owed bool) ([]*weft.AppHook, error) {
	var out []*weft.AppHook
	query := `SELECT ` + appHookColumns + ` FROM app_hook ORDER BY scenario_id`
	if owed {
		query = `SELECT ` + appHookColumns + ` FROM app_hook WHERE NOT registered ORDER BY scenario_id`
	}
	err := q.each(ctx, func(rows pgxRows) error {
		h, err := scanAppHook(rows)
		if err == nil {
			out = append(out, h)
		}
		return err
	}, query)
	return out, wrap(err, "list app hooks")
}

func (q *queries) DeleteAppHook(ctx context.Context, scenarioID int64) error {
	tag, err := q.db.Exec(ctx, `DELETE FROM app_hook WHERE scenario_id = $1`, scenarioID)
	if err != nil {
		return wrap(err, "delete app hook of scenario %d", scenarioID)
	}
	return mustAffect(tag, fmt.Sprintf("delete app hook of scenario %d", scenarioID))
}
