package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/weftworks/weft/store"
)

// The audit log (store.AuditQueries).

func (q *queries) AddAudit(ctx context.Context, e *store.AuditEntry) error {
	if e == nil || e.Actor == "" || e.Action == "" {
		return errors.New("add audit entry: an entry needs an actor and an action")
	}
	res, err := q.db.ExecContext(ctx, `INSERT INTO audit (at, actor, action, target) VALUES (?, ?, ?, ?)`,
		toDB(e.At), e.Actor, e.Action, e.Target)
	if err != nil {
		return wrap(err, "add audit entry %s by %s", e.Action, e.Actor)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return wrap(err, "add audit entry %s by %s", e.Action, e.Actor)
	}
	e.ID = id
	return nil
}

func (q *queries) ListAudit(ctx context.Context, before int64, limit int) ([]*store.AuditEntry, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	var out []*store.AuditEntry
	err := q.each(ctx, func(rows *sql.Rows) error {
		var e store.AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target); err != nil {
			return err
		}
		e.At = fromDB(at)
		out = append(out, &e)
		return nil
	}, `SELECT id, at, actor, action, target FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?`, before, limit)
	return out, wrap(err, "list audit log")
}

func (s *Store) AddAudit(ctx context.Context, e *store.AuditEntry) error {
	return s.write(ctx, func(q *queries) error { return q.AddAudit(ctx, e) })
}

func (s *Store) ListAudit(ctx context.Context, before int64, limit int) ([]*store.AuditEntry, error) {
	return readValue(s, ctx, func(q *queries) ([]*store.AuditEntry, error) { return q.ListAudit(ctx, before, limit) })
}
