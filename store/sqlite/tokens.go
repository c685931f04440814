package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/weftworks/weft"
)

const tokenColumns = `id, name, scopes, hash, created_at, last_used_at, revoked_at, owner_id`

func scanToken(row interface{ Scan(...any) error }) (*weft.Token, error) {
	var t weft.Token
	var scopes string
	var created int64
	var used, revoked sql.NullInt64
	var owner sql.NullString
	if err := row.Scan(&t.ID, &t.Name, &scopes, &t.Hash, &created, &used, &revoked, &owner); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(scopes), &t.Scopes); err != nil {
		return nil, fmt.Errorf("token %s: stored scopes %q: %w", t.ID, scopes, err)
	}
	t.CreatedAt, t.LastUsedAt, t.RevokedAt, t.OwnerID = fromDB(created), fromDBPtr(used), fromDBPtr(revoked), owner.String
	return &t, nil
}

func (q *queries) CreateToken(ctx context.Context, t *weft.Token) error {
	switch {
	case t == nil:
		return errors.New("create token: nil token")
	case t.ID == "":
		return errors.New("create token: no id")
	case len(t.Hash) == 0:
		return fmt.Errorf("create token %s: no hash", t.ID)
	}
	scopes, err := json.Marshal(t.Scopes)
	if err != nil {
		return fmt.Errorf("create token %s: scopes: %w", t.ID, err)
	}
	_, err = q.db.ExecContext(ctx, `INSERT INTO token (id, name, scopes, hash, created_at,
		last_used_at, revoked_at, owner_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.Name, string(scopes), t.Hash, toDB(t.CreatedAt), toDBPtr(t.LastUsedAt), toDBPtr(t.RevokedAt), nullString(t.OwnerID))
	return wrap(err, "create token %s", t.ID)
}

func (q *queries) TokenByHash(ctx context.Context, hash []byte) (*weft.Token, error) {
	if len(hash) == 0 {
		return nil, notFound("token with an empty hash")
	}
	t, err := scanToken(q.db.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM token WHERE hash = ?`, hash))
	if isNoRows(err) {
		// Never the hash itself in the message: it would help nobody and sits in logs.
		return nil, notFound("token by hash")
	}
	return t, wrap(err, "token by hash")
}

// ListTokens returns every token, revoked ones too, oldest first.
func (q *queries) ListTokens(ctx context.Context) ([]*weft.Token, error) {
	var out []*weft.Token
	err := q.each(ctx, func(rows *sql.Rows) error {
		t, err := scanToken(rows)
		if err != nil {
			return err
		}
		out = append(out, t)
		return nil
	}, `SELECT `+tokenColumns+` FROM token ORDER BY created_at, id`)
	return out, wrap(err, "list tokens")
}

// RevokeToken keeps the first revocation time: revoking twice is not an error, and
// the record says when the token stopped working.
func (q *queries) RevokeToken(ctx context.Context, id string, at time.Time) error {
	res, err := q.db.ExecContext(ctx, `UPDATE token SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?`,
		toDB(at), id)
	if err != nil {
		return wrap(err, "revoke token %s", id)
	}
	return mustAffect(res, "revoke token "+id)
}

// TouchToken moves the last use forward only: requests finishing out of order never
// move it back.
func (q *queries) TouchToken(ctx context.Context, id string, at time.Time) error {
	res, err := q.db.ExecContext(ctx, `UPDATE token SET last_used_at = ?
		WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`, toDB(at), id, toDB(at))
	if err != nil {
		return wrap(err, "touch token %s", id)
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return wrap(err, "touch token %s", id)
	}
	// Nothing changed: a later use is already recorded, or there is no such token.
	var one int
	err = q.db.QueryRowContext(ctx, `SELECT 1 FROM token WHERE id = ?`, id).Scan(&one)
	if isNoRows(err) {
		return notFound("touch token %s", id)
	}
	return wrap(err, "touch token %s", id)
}

// touchNeeded reports whether TouchToken would change anything, read without the
// writer: most requests use a token whose last use is already recorded at the
// caller's precision, and those cost no write transaction.
func (q *queries) touchNeeded(ctx context.Context, id string, at time.Time) (bool, error) {
	var used sql.NullInt64
	err := q.db.QueryRowContext(ctx, `SELECT last_used_at FROM token WHERE id = ?`, id).Scan(&used)
	if isNoRows(err) {
		return false, notFound("touch token %s", id)
	}
	if err != nil {
		return false, wrap(err, "touch token %s", id)
	}
	return !used.Valid || used.Int64 < toDB(at), nil
}
