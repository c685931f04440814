package sqlite

import (
	"context"
	"time"

	"github.com/weftworks/weft"
)

// The Store's own Queries for the server's records (see store_methods.go).

func (s *Store) ClaimDueSchedules(ctx context.Context, now time.Time, limit int, next func(*weft.Scenario) *time.Time) ([]*weft.Scenario, error) {
	return writeValue(s, ctx, func(q *queries) ([]*weft.Scenario, error) {
		return q.ClaimDueSchedules(ctx, now, limit, next)
	})
}

func (s *Store) CreateToken(ctx context.Context, t *weft.Token) error {
	return s.write(ctx, func(q *queries) error { return q.CreateToken(ctx, t) })
}

func (s *Store) TokenByHash(ctx context.Context, hash []byte) (*weft.Token, error) {
	return readValue(s, ctx, func(q *queries) (*weft.Token, error) { return q.TokenByHash(ctx, hash) })
}

func (s *Store) ListTokens(ctx context.Context) ([]*weft.Token, error) {
	return readValue(s, ctx, func(q *queries) ([]*weft.Token, error) { return q.ListTokens(ctx) })
}

func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) error {
	return s.write(ctx, func(q *queries) error { return q.RevokeToken(ctx, id, at) })
}

// TouchToken asks the read pool first and skips the write when a use at or after at
// is already recorded: every API request touches its token, and most of them, at the
// caller's precision, change nothing.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	needed, err := readValue(s, ctx, func(q *queries) (bool, error) { return q.touchNeeded(ctx, id, at) })
	if err != nil || !needed {
		return err
	}
	return s.write(ctx, func(q *queries) error { return q.TouchToken(ctx, id, at) })
}

func (s *Store) CreateHook(ctx context.Context, h *weft.Hook) error {
	return s.write(ctx, func(q *queries) error { return q.CreateHook(ctx, h) })
}

func (s *Store) GetHook(ctx context.Context, token string) (*weft.Hook, error) {
	return readValue(s, ctx, func(q *queries) (*weft.Hook, error) { return q.GetHook(ctx, token) })
}

func (s *Store) HookOfScenario(ctx context.Context, scenarioID int64) (*weft.Hook, error) {
	return readValue(s, ctx, func(q *queries) (*weft.Hook, error) { return q.HookOfScenario(ctx, scenarioID) })
}

func (s *Store) UpdateHook(ctx context.Context, h *weft.Hook) error {
	return s.write(ctx, func(q *queries) error { return q.UpdateHook(ctx, h) })
}

func (s *Store) DeleteHook(ctx context.Context, token string) error {
	return s.write(ctx, func(q *queries) error { return q.DeleteHook(ctx, token) })
}

func (s *Store) ListHooks(ctx context.Context) ([]*weft.Hook, error) {
	return readValue(s, ctx, func(q *queries) ([]*weft.Hook, error) { return q.ListHooks(ctx) })
}

func (s *Store) CreateConnection(ctx context.Context, c *weft.Connection) error {
	return s.write(ctx, func(q *queries) error { return q.CreateConnection(ctx, c) })
}

func (s *Store) GetConnection(ctx context.Context, id int64) (*weft.Connection, error) {
	return readValue(s, ctx, func(q *queries) (*weft.Connection, error) { return q.GetConnection(ctx, id) })
}

func (s *Store) ListConnections(ctx context.Context) ([]*weft.Connection, error) {
	return readValue(s, ctx, func(q *queries) ([]*weft.Connection, error) { return q.ListConnections(ctx) })
}

func (s *Store) UpdateConnection(ctx context.Context, c *weft.Connection) error {
	return s.write(ctx, func(q *queries) error { return q.UpdateConnection(ctx, c) })
}

func (s *Store) DeleteConnection(ctx context.Context, id int64) error {
	return s.write(ctx, func(q *queries) error { return q.DeleteConnection(ctx, id) })
}
