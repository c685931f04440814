package postgres

import (
	"context"
	"errors"

	"github.com/weftworks/weft/store"
)

// The audit log (store.AuditQueries).

func (q *queries) AddAudit(ctx context.Context, e *store.AuditEntry) error {
	if e == nil || e.Actor == "" || e.Action == "" {
		return errors.New("add audit entry: an entry needs an actor and an action")
	}
	err := q.db.QueryRow(ctx, `INSERT INTO audit (at, actor, action, target) VALUES ($1, $2, $3, $4) RETURNING id`,
		ts(e.At), e.Actor, e.Action, e.Target).Scan(&e.ID)
	return wrap(err, "add audit entry %s by %s", e.Action, e.Actor)
}

func (q *queries) ListAudit(ctx context.Context, before int64, limit int) ([]*store.AuditEntry, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	var out []*store.AuditEntry
	err := q.each(ctx, func(rows pgxRows) error {
		var e store.AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Target); err != nil {
			return err
		}
		e.At = utc(e.At)
		out = append(out, &e)
		return nil
	}, `SELECT id, at, actor, action, target FROM audit WHERE id < $1 ORDER BY id DESC LIMIT $2`, before, limit)
	return out, wrap(err, "list audit log")
}

func (s *Store) AddAudit(ctx context.Context, e *store.AuditEntry) error {
	return s.auto(ctx, func(q *queries) error { return q.AddAudit(ctx, e) })
}

func (s *Store) ListAudit(ctx context.Context, before int64, limit int) ([]*store.AuditEntry, error) {
	return readValue(s, ctx, func(q *queries) ([]*store.AuditEntry, error) { return q.ListAudit(ctx, before, limit) })
}
