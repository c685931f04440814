package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/weftworks/weft"
)

const connectionColumns = `id, name, type, key_id, created_at, updated_at, data`

func scanConnection(row interface{ Scan(...any) error }) (*weft.Connection, error) {
	var c weft.Connection
	var created, updated int64
	if err := row.Scan(&c.ID, &c.Name, &c.Type, &c.KeyID, &created, &updated, &c.Data); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt, c.Data = fromDB(created), fromDB(updated), nilIfEmpty(c.Data)
	return &c, nil
}

// CreateConnection stores c and sets c.ID.
func (q *queries) CreateConnection(ctx context.Context, c *weft.Connection) error {
	if c == nil {
		return errors.New("create connection: nil connection")
	}
	err := q.db.QueryRowContext(ctx, `INSERT INTO connection (name, type, key_id, created_at,
		updated_at, data) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		c.Name, c.Type, c.KeyID, toDB(c.CreatedAt), toDB(c.UpdatedAt), bodyOf(c.Data)).Scan(&c.ID)
	return wrap(err, "create connection %q", c.Name)
}

func (q *queries) GetConnection(ctx context.Context, id int64) (*weft.Connection, error) {
	c, err := scanConnection(q.db.QueryRowContext(ctx, `SELECT `+connectionColumns+` FROM connection WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("connection %d", id)
	}
	return c, wrap(err, "get connection %d", id)
}

// ListConnections returns every connection in id order, with its (encrypted) data:
// key rotation reads them all.
func (q *queries) ListConnections(ctx context.Context) ([]*weft.Connection, error) {
	var out []*weft.Connection
	err := q.each(ctx, func(rows *sql.Rows) error {
		c, err := scanConnection(rows)
		if err != nil {
			return err
		}
		out = append(out, c)
		return nil
	}, `SELECT `+connectionColumns+` FROM connection ORDER BY id`)
	return out, wrap(err, "list connections")
}

func (q *queries) UpdateConnection(ctx context.Context, c *weft.Connection) error {
	if c == nil {
		return errors.New("update connection: nil connection")
	}
	res, err := q.db.ExecContext(ctx, `UPDATE connection SET name = ?, type = ?, key_id = ?,
		updated_at = ?, data = ? WHERE id = ?`,
		c.Name, c.Type, c.KeyID, toDB(c.UpdatedAt), bodyOf(c.Data), c.ID)
	if err != nil {
		return wrap(err, "update connection %d", c.ID)
	}
	return mustAffect(res, "update connection "+itoa(c.ID))
}

// DeleteConnection deletes the row only: whether a scenario still uses the connection
// is the service's question (blueprints name connections inside their JSON).
func (q *queries) DeleteConnection(ctx context.Context, id int64) error {
	res, err := q.db.ExecContext(ctx, `DELETE FROM connection WHERE id = ?`, id)
	if err != nil {
		return wrap(err, "delete connection %d", id)
	}
	return mustAffect(res, "delete connection "+itoa(id))
}
