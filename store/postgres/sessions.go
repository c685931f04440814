package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/weftworks/weft/store"
)

// Web UI sessions: one row per signed-in browser, keyed by the SHA-256 of its cookie.

func checkSession(what string, s *store.Session) error {
	switch {
	case s == nil:
		return fmt.Errorf("%s: nil session", what)
	case len(s.Hash) == 0:
		return fmt.Errorf("%s: no hash", what)
	case s.TokenID == "" && s.UserID == "":
		return fmt.Errorf("%s: no token id nor user id", what)
	case s.TokenID != "" && s.UserID != "":
		return fmt.Errorf("%s: both a token id and a user id (a session names one)", what)
	case s.CSRF == "":
		return fmt.Errorf("%s: no CSRF token", what)
	}
	return nil
}

func (q *queries) CreateSession(ctx context.Context, s *store.Session) error {
	if err := checkSession("create session", s); err != nil {
		return err
	}
	_, err := q.db.Exec(ctx, `INSERT INTO session (hash, token_id, user_id, csrf, created_at,
		last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		s.Hash, nullString(s.TokenID), nullString(s.UserID), s.CSRF, ts(s.CreatedAt), ts(s.LastSeenAt), ts(s.ExpiresAt))
	// Never the hash in a message: the token or user id says whose session it was.
	if s.UserID != "" {
		return wrap(err, "create session of user %s", s.UserID)
	}
	return wrap(err, "create session of token %s", s.TokenID)
}

// GetSession reads the session and its token in one statement.
func (q *queries) GetSession(ctx context.Context, hash []byte) (*store.Session, error) {
	if len(hash) == 0 {
		return nil, notFound("session with an empty hash")
	}
	row := q.db.QueryRow(ctx, `SELECT s.hash, s.token_id, s.csrf, s.created_at, s.last_seen_at,
		s.expires_at, t.id, t.name, t.scopes, t.hash, t.created_at, t.last_used_at, t.revoked_at,
		t.owner_id
		FROM session s JOIN token t ON t.id = s.token_id WHERE s.hash = $1`, hash)
	var s store.Session
	t, err := scanToken(scanPrefix{row, []any{&s.Hash, &s.TokenID, &s.CSRF, &s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt}})
	if isNoRows(err) {
		// Not a token's session: an account's, or none (a second indexed read, paid
		// by accounts only).
		return q.userSession(ctx, hash)
	}
	if err != nil {
		return nil, wrap(err, "get session")
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt, s.Token = utc(s.CreatedAt), utc(s.LastSeenAt), utc(s.ExpiresAt), t
	return &s, nil
}

// scanPrefix scans the leading columns into first and hands the rest to the caller's
// destinations, so scanToken reads the token half of a joined row.
type scanPrefix struct {
	row   interface{ Scan(...any) error }
	first []any
}

func (p scanPrefix) Scan(dest ...any) error {
	return p.row.Scan(append(p.first[:len(p.first):len(p.first)], dest...)...)
}

// TouchSession moves last seen and expiry forward only.
func (q *queries) TouchSession(ctx context.Context, hash []byte, lastSeen, expires time.Time) error {
	if len(hash) == 0 {
		return notFound("touch session with an empty hash")
	}
	tag, err := q.db.Exec(ctx, `UPDATE session SET last_seen_at = greatest(last_seen_at, $1),
		expires_at = greatest(expires_at, $2) WHERE hash = $3`, ts(lastSeen), ts(expires), hash)
	if err != nil {
		return wrap(err, "touch session")
	}
	return mustAffect(tag, "touch session")
}

func (q *queries) DeleteSession(ctx context.Context, hash []byte) error {
	if len(hash) == 0 {
		return notFound("delete session with an empty hash")
	}
	tag, err := q.db.Exec(ctx, `DELETE FROM session WHERE hash = $1`, hash)
	if err != nil {
		return wrap(err, "delete session")
	}
	return mustAffect(tag, "delete session")
}

func (q *queries) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	tag, err := q.db.Exec(ctx, `DELETE FROM session WHERE expires_at < $1`, ts(now))
	if err != nil {
		return 0, wrap(err, "delete expired sessions")
	}
	return int(tag.RowsAffected()), nil
}

// userSession reads an account's session joined with its account.
func (q *queries) userSession(ctx context.Context, hash []byte) (*store.Session, error) {
	row := q.db.QueryRow(ctx, `SELECT s.hash, s.user_id, s.csrf, s.created_at, s.last_seen_at,
		s.expires_at, u.id, u.email, u.name, u.role, u.password_hash, u.created_at
		FROM session s JOIN account u ON u.id = s.user_id WHERE s.hash = $1`, hash)
	var s store.Session
	u, err := scanUser(scanPrefix{row, []any{&s.Hash, &s.UserID, &s.CSRF, &s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt}})
	if isNoRows(err) {
		return nil, notFound("session")
	}
	if err != nil {
		return nil, wrap(err, "get session")
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt, s.User = utc(s.CreatedAt), utc(s.LastSeenAt), utc(s.ExpiresAt), u
	return &s, nil
}

// nullString stores "" as NULL (a session's unused owner column).
func nullString(v string) any {
	if v == "" {
		return nil
	}
	return v
}
