package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/weftworks/weft/store"
)

// OAuth clients (one per provider) and authorizations in progress.

const oauthClientColumns = `provider, client_id, secret, key_id, created_at, updated_at`

func scanOAuthClient(row interface{ Scan(...any) error }) (*store.OAuthClient, error) {
	var c store.OAuthClient
	var created, updated int64
	if err := row.Scan(&c.Provider, &c.ClientID, &c.Secret, &c.KeyID, &created, &updated); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt, c.Secret = fromDB(created), fromDB(updated), nilIfEmpty(c.Secret)
	return &c, nil
}

func (q *queries) PutOAuthClient(ctx context.Context, c *store.OAuthClient) error {
	if c == nil || c.Provider == "" || c.ClientID == "" {
		return errors.New("put OAuth client: a provider and a client id are required")
	}
	var secret any
	if len(c.Secret) > 0 {
		secret = c.Secret
	}
	_, err := q.db.ExecContext(ctx, `INSERT INTO oauth_client (`+oauthClientColumns+`) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (provider) DO UPDATE SET client_id = excluded.client_id, secret = excluded.secret,
		key_id = excluded.key_id, updated_at = excluded.updated_at`,
		c.Provider, c.ClientID, secret, c.KeyID, toDB(c.CreatedAt), toDB(c.UpdatedAt))
	return wrap(err, "put OAuth client %s", c.Provider)
}

func (q *queries) GetOAuthClient(ctx context.Context, provider string) (*store.OAuthClient, error) {
	c, err := scanOAuthClient(q.db.QueryRowContext(ctx, `SELECT `+oauthClientColumns+` FROM oauth_client WHERE provider = ?`, provider))
	if isNoRows(err) {
		return nil, notFound("OAuth client %s", provider)
	}
	return c, wrap(err, "get OAuth client %s", provider)
}

func (q *queries) ListOAuthClients(ctx context.Context) ([]*store.OAuthClient, error) {
	var out []*store.OAuthClient
	err := q.each(ctx, func(rows *sql.Rows) error {
		c, err := scanOAuthClient(rows)
		if err == nil {
			out = append(out, c)
		}
		return err
	}, `SELECT `+oauthClientColumns+` FROM oauth_client ORDER BY provider`)
	return out, wrap(err, "list OAuth clients")
}

func (q *queries) DeleteOAuthClient(ctx context.Context, provider string) error {
	res, err := q.db.ExecContext(ctx, `DELETE FROM oauth_client WHERE provider = ?`, provider)
	if err != nil {
		return wrap(err, "delete OAuth client %s", provider)
	}
	return mustAffect(res, "delete OAuth client "+provider)
}

const oauthFlowColumns = `state_hash, connection_id, redirect_uri, binding, verifier, key_id, status, message,
	created_at, expires_at, finished_at`

func (q *queries) CreateOAuthFlow(ctx context.Context, f *store.OAuthFlow) error {
	if f == nil || len(f.StateHash) == 0 || f.ConnectionID == 0 || f.Status == "" {
		return errors.New("create OAuth flow: a state hash, a connection and a status are required")
	}
	var binding any
	if len(f.Binding) > 0 {
		binding = f.Binding
	}
	_, err := q.db.ExecContext(ctx, `INSERT INTO oauth_flow (`+oauthFlowColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.StateHash, f.ConnectionID, f.RedirectURI, binding, f.Verifier, f.KeyID, f.Status, f.Message,
		toDB(f.CreatedAt), toDB(f.ExpiresAt), toDBPtr(f.FinishedAt))
	return wrap(err, "create OAuth flow of connection %d", f.ConnectionID)
}

func (q *queries) GetOAuthFlow(ctx context.Context, stateHash []byte) (*store.OAuthFlow, error) {
	var f store.OAuthFlow
	var created, expires int64
	var finished sql.NullInt64
	err := q.db.QueryRowContext(ctx, `SELECT `+oauthFlowColumns+` FROM oauth_flow WHERE state_hash = ?`, stateHash).Scan(
		&f.StateHash, &f.ConnectionID, &f.RedirectURI, &f.Binding, &f.Verifier, &f.KeyID, &f.Status, &f.Message,
		&created, &expires, &finished)
	if isNoRows(err) {
		return nil, notFound("OAuth flow")
	}
	if err != nil {
		return nil, wrap(err, "get OAuth flow")
	}
	f.CreatedAt, f.ExpiresAt, f.FinishedAt, f.Binding = fromDB(created), fromDB(expires), fromDBPtr(finished), nilIfEmpty(f.Binding)
	return &f, nil
}

func (q *queries) UpdateOAuthFlow(ctx context.Context, f *store.OAuthFlow) error {
	if f == nil {
		return errors.New("update OAuth flow: nil flow")
	}
	res, err := q.db.ExecContext(ctx, `UPDATE oauth_flow SET status = ?, message = ?, finished_at = ? WHERE state_hash = ?`,
		f.Status, f.Message, toDBPtr(f.FinishedAt), f.StateHash)
	if err != nil {
		return wrap(err, "update OAuth flow of connection %d", f.ConnectionID)
	}
	return mustAffect(res, "update OAuth flow")
}

func (q *queries) DeleteOAuthFlowsBefore(ctx context.Context, t time.Time) (int, error) {
	res, err := q.db.ExecContext(ctx, `DELETE FROM oauth_flow WHERE expires_at < ?`, toDB(t))
	if err != nil {
		return 0, wrap(err, "delete expired OAuth flows")
	}
	n, err := res.RowsAffected()
	return int(n), wrap(err, "delete expired OAuth flows")
}

func (s *Store) PutOAuthClient(ctx context.Context, c *store.OAuthClient) error {
	return s.write(ctx, func(q *queries) error { return q.PutOAuthClient(ctx, c) })
}

func (s *Store) GetOAuthClient(ctx context.Context, provider string) (*store.OAuthClient, error) {
	return readValue(s, ctx, func(q *queries) (*store.OAuthClient, error) { return q.GetOAuthClient(ctx, provider) })
}

func (s *Store) ListOAuthClients(ctx context.Context) ([]*store.OAuthClient, error) {
	return readValue(s, ctx, func(q *queries) ([]*store.OAuthClient, error) { return q.ListOAuthClients(ctx) })
}

func (s *Store) DeleteOAuthClient(ctx context.Context, provider string) error {
	return s.write(ctx, func(q *queries) error { return q.DeleteOAuthClient(ctx, provider) })
}

func (s *Store) CreateOAuthFlow(ctx context.Context, f *store.OAuthFlow) error {
	return s.write(ctx, func(q *queries) error { return q.CreateOAuthFlow(ctx, f) })
}

func (s *Store) GetOAuthFlow(ctx context.Context, stateHash []byte) (*store.OAuthFlow, error) {
	return readValue(s, ctx, func(q *queries) (*store.OAuthFlow, error) { return q.GetOAuthFlow(ctx, stateHash) })
}

func (s *Store) UpdateOAuthFlow(ctx context.Context, f *store.OAuthFlow) error {
	return s.write(ctx, func(q *queries) error { return q.UpdateOAuthFlow(ctx, f) })
}

func (s *Store) DeleteOAuthFlowsBefore(ctx context.Context, t time.Time) (int, error) {
	return writeValue(s, ctx, func(q *queries) (int, error) { return q.DeleteOAuthFlowsBefore(ctx, t) })
}
