package postgres

import (
	"context"
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
	var owner *string
	if err := row.Scan(&t.ID, &t.Name, &scopes, &t.Hash, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt, &owner); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(scopes), &t.Scopes); err != nil {
		return nil, fmt.Errorf("token %s: stored scopes %q: %w", t.ID, scopes, err)
	}
	t.CreatedAt, t.LastUsedAt, t.RevokedAt = utc(t.CreatedAt), utcPtr(t.LastUsedAt), utcPtr(t.RevokedAt)
	if owner != nil {
		t.OwnerID = *owner
	}
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
	_, err = q.db.Exec(ctx, `INSERT INTO token (id, name, scopes, hash, created_at,
		last_used_at, revoked_at, owner_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		t.ID, t.Name, string(scopes), t.Hash, ts(t.CreatedAt), tsPtr(t.LastUsedAt), tsPtr(t.RevokedAt), nullString(t.OwnerID))
	return wrap(err, "create token %s", t.ID)
}

func (q *queries) TokenByHash(ctx context.Context, hash []byte) (*weft.Token, error) {
	if len(hash) == 0 {
		return nil, notFound("token with an empty hash")
	}
	t, err := scanToken(q.db.QueryRow(ctx, `SELECT `+tokenColumns+` FROM token WHERE hash = $1`, hash))
	if isNoRows(err) {
		// Never the hash itself in the message: it would help nobody and sits in logs.
		return nil, notFound("token by hash")
	}
	return t, wrap(err, "token by hash")
}

// ListTokens returns every token, revoked ones too, oldest first.
func (q *queries) ListTokens(ctx context.Context) ([]*weft.Token, error) {
	var out []*weft.Token
	err := q.each(ctx, func(rows pgxRows) error {
		t, err := scanToken(rows)
		if err == nil {
			out = append(out, t)
		}
		return err
	}, `SELECT `+tokenColumns+` FROM token ORDER BY created_at, id`)
	return out, wrap(err, "list tokens")
}

// RevokeToken keeps the first revocation time.
func (q *queries) RevokeToken(ctx context.Context, id string, at time.Time) error {
	tag, err := q.db.Exec(ctx, `UPDATE token SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2`, ts(at), id)
	if err != nil {
		return wrap(err, "revoke token %s", id)
	}
	return mustAffect(tag, "revoke token "+id)
}

// TouchToken moves the last use forward only: requests finishing out of order never
// move it back.
func (q *queries) TouchToken(ctx context.Context, id string, at time.Time) error {
	tag, err := q.db.Exec(ctx, `UPDATE token SET last_used_at = $1
		WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)`, ts(at), id)
	if err != nil {
		return wrap(err, "touch token %s", id)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	// Nothing changed: a later use is already recorded, or there is no such token.
	var one int
	err = q.db.QueryRow(ctx, `SELECT 1 FROM token WHERE id = $1`, id).Scan(&one)
	if isNoRows(err) {
		return notFound("touch token %s", id)
	}
	return wrap(err, "touch token %s", id)
}
