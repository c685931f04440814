package postgres

import (
	"context"
	"errors"

	"github.com/weftworks/weft"
)

const connectionColumns = `id, name, type, key_id, created_at, updated_at, data`

func scanConnection(row interface{ Scan(...any) error }) (*weft.Connection, error) {
	var c weft.Connection
	if err := row.Scan(&c.ID, &c.Name, &c.Type, &c.KeyID, &c.CreatedAt, &c.UpdatedAt, &c.Data); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt, c.Data = utc(c.CreatedAt), utc(c.UpdatedAt), nilIfEmpty(c.Data)
	return &c, nil
}

// CreateConnection stores c and sets c.ID (identity ids are never reused).
func (q *queries) CreateConnection(ctx context.Context, c *weft.Connection) error {
	if c == nil {
		return errors.New("create connection: nil connection")
	}
	err := q.db.QueryRow(ctx, `INSERT INTO connection (name, type, key_id, created_at,
		updated_at, data) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		c.Name, c.Type, c.KeyID, ts(c.CreatedAt), ts(c.UpdatedAt), bodyOf(c.Data)).Scan(&c.ID)
	return wrap(err, "create connection %q", c.Name)
}

func (q *queries) GetConnection(ctx context.Context, id int64) (*weft.Connection, error) {
	c, err := scanConnection(q.db.QueryRow(ctx, `SELECT `+connectionColumns+` FROM connection WHERE id = $1`+q.locking(), id))
	if isNoRows(err) {
		return nil, notFound("connection %d", id)
	}
	return c, wrap(err, "get connection %d", id)
}

// ListConnections returns every connection in id order, with its (encrypted) data.
func (q *queries) ListConnections(ctx context.Context) ([]*weft.Connection, error) {
	var out []*weft.Connection
	err := q.each(ctx, func(rows pgxRows) error {
		c, err := scanConnection(rows)
		if err == nil {
			out = append(out, c)
		}
		return err
	}, `SELECT `+connectionColumns+` FROM connection ORDER BY id`)
	return out, wrap(err, "list connections")
}

func (q *queries) UpdateConnection(ctx context.Context, c *weft.Connection) error {
	if c == nil {
		return errors.New("update connection: nil connection")
	}
	tag, err := q.db.Exec(ctx, `UPDATE connection SET name = $1, type = $2, key_id = $3,
		updated_at = $4, data = $5 WHERE id = $6`,
		c.Name, c.Type, c.KeyID, ts(c.UpdatedAt), bodyOf(c.Data), c.ID)
	if err != nil {
		return wrap(err, "update connection %d", c.ID)
	}
	return mustAffect(tag, "update connection "+itoa(c.ID))
}

// DeleteConnection deletes the row only.
func (q *queries) DeleteConnection(ctx context.Context, id int64) error {
	tag, err := q.db.Exec(ctx, `DELETE FROM connection WHERE id = $1`, id)
	if err != nil {
		return wrap(err, "delete connection %d", id)
	}
	return mustAffect(tag, "delete connection "+itoa(id))
}
