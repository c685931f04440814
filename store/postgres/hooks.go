package postgres

import (
	"context"
	"fmt"

	"github.com/weftworks/weft"
)

const hookColumns = `token, scenario_id, secret_key_id, created_at, secret`

func scanHook(row interface{ Scan(...any) error }) (*weft.Hook, error) {
	var h weft.Hook
	var secret []byte
	if err := row.Scan(&h.Token, &h.ScenarioID, &h.SecretKeyID, &h.CreatedAt, &secret); err != nil {
		return nil, err
	}
	h.CreatedAt, h.Secret = utc(h.CreatedAt), nilIfEmpty(secret)
	return &h, nil
}

func checkHook(what string, h *weft.Hook) error {
	switch {
	case h == nil:
		return fmt.Errorf("%s: nil hook", what)
	case h.Token == "":
		return fmt.Errorf("%s: empty token", what)
	}
	return nil
}

// CreateHook stores h. A taken token, or a scenario that already has a hook, is
// store.ErrExists; a missing scenario is store.ErrNotFound.
func (q *queries) CreateHook(ctx context.Context, h *weft.Hook) error {
	if err := checkHook("create hook", h); err != nil {
		return err
	}
	_, err := q.db.Exec(ctx, `INSERT INTO hook (token, scenario_id, secret_key_id,
		created_at, secret) VALUES ($1, $2, $3, $4, $5)`,
		h.Token, h.ScenarioID, h.SecretKeyID, ts(h.CreatedAt), blob(h.Secret))
	// The token is a secret (it is the webhook's address): the message names the scenario.
	return wrap(err, "create hook of scenario %d", h.ScenarioID)
}

func (q *queries) GetHook(ctx context.Context, token string) (*weft.Hook, error) {
	h, err := scanHook(q.db.QueryRow(ctx, `SELECT `+hookColumns+` FROM hook WHERE token = $1`, token))
	if isNoRows(err) {
		return nil, notFound("hook")
	}
	return h, wrap(err, "get hook")
}

func (q *queries) HookOfScenario(ctx context.Context, scenarioID int64) (*weft.Hook, error) {
	h, err := scanHook(q.db.QueryRow(ctx, `SELECT `+hookColumns+` FROM hook WHERE scenario_id = $1`, scenarioID))
	if isNoRows(err) {
		return nil, notFound("hook of scenario %d", scenarioID)
	}
	return h, wrap(err, "hook of scenario %d", scenarioID)
}

// UpdateHook writes the scenario, secret and secret key id of the hook with h.Token.
func (q *queries) UpdateHook(ctx context.Context, h *weft.Hook) error {
	if err := checkHook("update hook", h); err != nil {
		return err
	}
	tag, err := q.db.Exec(ctx, `UPDATE hook SET scenario_id = $1, secret_key_id = $2, secret = $3
		WHERE token = $4`, h.ScenarioID, h.SecretKeyID, blob(h.Secret), h.Token)
	if err != nil {
		return wrap(err, "update hook of scenario %d", h.ScenarioID)
	}
	return mustAffect(tag, fmt.Sprintf("update hook of scenario %d", h.ScenarioID))
}

func (q *queries) DeleteHook(ctx context.Context, token string) error {
	tag, err := q.db.Exec(ctx, `DELETE FROM hook WHERE token = $1`, token)
	if err != nil {
		return wrap(err, "delete hook")
	}
	return mustAffect(tag, "delete hook")
}

// ListHooks returns every hook in scenario order.
func (q *queries) ListHooks(ctx context.Context) ([]*weft.Hook, error) {
	var out []*weft.Hook
	err := q.each(ctx, func(rows pgxRows) error {
		h, err := scanHook(rows)
		if err == nil {
			out = append(out, h)
		}
		return err
	}, `SELECT `+hookColumns+` FROM hook ORDER BY scenario_id`)
	return out, wrap(err, "list hooks")
}
