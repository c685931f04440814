package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/weftworks/weft/store"
)

// OAuth clients (one per provider) and authorizations in progress.

const oauthClientColumns = `provider, client_id, secret, key_id, created_at, updated_at`

func scanOAuthClient(row interface{ Scan(...any) error }) (*store.OAuthClient, error) {
	var c store.OAuthClient
	if err := row.Scan(&c.Provider, &c.ClientID, &c.Secret, &c.KeyID, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt, c.Secret = utc(c.CreatedAt), utc(c.UpdatedAt), nilIfEmpty(c.Secret)
	return &c, nil
}

func (q *queries) PutOAuthClient(ctx context.Context, c *store.OAuthClient) error {
	if c == nil || c.Provider == "" || c.ClientID == "" {
		return errors.New("put OAuth client: a provider and a client id are required")
	}
	_, err := q.db.Exec(ctx, `INSERT INTO oauth_client (`+oauthClientColumns+`) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (provider) DO UPDATE SET client_id = excluded.client_id, secret = excluded.secret,
		key_id = excluded.key_id, updated_at = excluded.updated_at`,
		c.Provider, c.ClientID, blob(c.Secret), c.KeyID, ts(c.CreatedAt), ts(c.UpdatedAt))
	return wrap(err, "put OAuth client %s", c.Provider)
}

func (q *queries) GetOAuthClient(ctx context.Context, provider string) (*store.OAuthClient, error) {
	c, err := scanOAuthClient(q.db.QueryRow(ctx, `SELECT `+oauthClientColumns+` FROM oauth_client WHERE provider = $1`, provider))
	if isNoRows(err) {
		return nil, notFound("OAuth client %s", provider)
	}
	return c, wrap(err, "get OAuth client %s", provider)
}

func (q *queries) ListOAuthClients(ctx context.Context) ([]*store.OAuthClient, error) {
	var out []*store.OAuthClient
	err := q.each(ctx, func(rows pgxRows) error {
		c, err := scanOAuthClient(rows)
		if err == nil {
			out = append(out, c)
		}
		return err
	}, `SELECT `+oauthClientColumns+` FROM oauth_client ORDER BY provider`)
	return out, wrap(err, "list OAuth clients")
}

func (q *queries) DeleteOAuthClient(ctx context.Context, provider string) error {
	tag, err := q.db.Exec(ctx, `DELETE FROM oauth_client WHERE provider = $1`, provider)
	if err != nil {
		return wrap(err, "delete OAuth client %s", provider)
	}
	return mustAffect(tag, "delete OAuth client "+provider)
}

const oauthFlowColumns = `state_hash, connection_id, redirect_uri, binding, verifier, key_id, status, message,
	created_at, expires_at, finished_at`

func (q *queries) CreateOAuthFlow(ctx context.Context, f *store.OAuthFlow) error {
	if f == nil || len(f.StateHash) == 0 || f.ConnectionID == 0 || f.Status == "" {
		return errors.New("create OAuth flow: a state hash, a connection and a status are required")
	}
	_, err := q.db.Exec(ctx, `INSERT INTO oauth_flow (`+oauthFlowColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		f.StateHash, f.ConnectionID, f.RedirectURI, blob(f.Binding), bodyOf(f.Verifier), f.KeyID, f.Status, f.Message,
		ts(f.CreatedAt), ts(f.ExpiresAt), tsPtr(f.FinishedAt))
	return wrap(err, "create OAuth flow of connection %d", f.ConnectionID)
}

func (q *queries) GetOAuthFlow(ctx context.Context, stateHash []byte) (*store.OAuthFlow, error) {
	var f store.OAuthFlow
	err := q.db.QueryRow(ctx, `SELECT `+oauthFlowColumns+` FROM oauth_flow WHERE state_hash = $1`+q.locking(), stateHash).Scan(
		&f.StateHash, &f.ConnectionID, &f.RedirectURI, &f.Binding, &f.Verifier, &f.KeyID, &f.Status, &f.Message,
		&f.CreatedAt, &f.ExpiresAt, &f.FinishedAt)
	if isNoRows(err) {
		return nil, notFound("OAuth flow")
	}
	if err != nil {
		return nil, wrap(err, "get OAuth flow")
	}
	f.CreatedAt, f.ExpiresAt, f.FinishedAt, f.Binding = utc(f.CreatedAt), utc(f.ExpiresAt), utcPtr(f.FinishedAt), nilIfEmpty(f.Binding)
	return &f, nil
}

func (q *queries) UpdateOAuthFlow(ctx context.Context, f *store.OAuthFlow) error {
	if f == nil {
		return errors.New("update OAuth flow: nil flow")
	}
	tag, err := q.db.Exec(ctx, `UPDATE oauth_flow SET status = $1, message = $2, finished_at = $3 WHERE state_hash = $4`,
		f.Status, f.Message, tsPtr(f.FinishedAt), f.StateHash)
	if err != nil {
		return wrap(err, "update OAuth flow of connection %d", f.ConnectionID)
	}
	return mustAffect(tag, "update OAuth flow")
}

func (q *queries) DeleteOAuthFlowsBefore(ctx context.Context, t time.Time) (int, error) {
	tag, err := q.db.Exec(ctx, `DELETE FROM oauth_flow WHERE expires_at < $1`, ts(t))
	if err != nil {
		return 0, wrap(err, "delete expired OAuth flows")
	}
	return int(tag.RowsAffected()), nil
}
