package sqlite

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
	_, err := q.db.ExecContext(ctx, `INSERT INTO session (hash, token_id, user_id, csrf, created_at,
		last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		s.Hash, nullString(s.TokenID), nullString(s.UserID), s.CSRF, toDB(s.CreatedAt), toDB(s.LastSeenAt), toDB(s.ExpiresAt))
	// Never the hash in a message: the token or user id says whose session it was.
	if s.UserID != "" {
		return wrap(err, "create session of user %s", s.UserID)
	}
	return wrap(err, "create session of token %s", s.TokenID)
}

// GetSession reads the session and its token in one statement: the UI checks both on
// every request, so this is one indexed read per page.
func (q *queries) GetSession(ctx context.Context, hash []byte) (*store.Session, error) {
	if len(hash) == 0 {
		return nil, notFound("session with an empty hash")
	}
	row := q.db.QueryRowContext(ctx, `SELECT s.hash, s.token_id, s.csrf, s.created_at, s.last_seen_at,
		s.expires_at, t.id, t.name, t.scopes, t.hash, t.created_at, t.last_used_at, t.revoked_at,
		t.owner_id
		FROM session s JOIN token t ON t.id = s.token_id WHERE s.hash = ?`, hash)
	var s store.Session
	var created, seen, expires int64
	t, err := scanToken(scanPrefix{row, []any{&s.Hash, &s.TokenID, &s.CSRF, &created, &seen, &expires}})
	if isNoRows(err) {
		// Not a token's session: an account's, or none (a second indexed read, paid
		// by accounts only).
		return q.userSession(ctx, hash)
	}
	if err != nil {
		return nil, wrap(err, "get session")
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt, s.Token = fromDB(created), fromDB(seen), fromDB(expires), t
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

// TouchSession moves last seen and expiry forward only: requests finishing out of
// order never shorten a session.
func (q *queries) TouchSession(ctx context.Context, hash []byte, lastSeen, expires time.Time) error {
	if len(hash) == 0 {
		return notFound("touch session with an empty hash")
	}
	res, err := q.db.ExecContext(ctx, `UPDATE session SET last_seen_at = max(last_seen_at, ?),
		expires_at = max(expires_at, ?) WHERE hash = ?`, toDB(lastSeen), toDB(expires), hash)
	if err != nil {
		return wrap(err, "touch session")
	}
	return mustAffect(res, "touch session")
}

func (q *queries) DeleteSession(ctx context.Context, hash []byte) error {
	if len(hash) == 0 {
		return notFound("delete session with an empty hash")
	}
	res, err := q.db.ExecContext(ctx, `DELETE FROM session WHERE hash = ?`, hash)
	if err != nil {
		return wrap(err, "delete session")
	}
	return mustAffect(res, "delete session")
}

func (q *queries) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	res, err := q.db.ExecContext(ctx, `DELETE FROM session WHERE expires_at < ?`, toDB(now))
	if err != nil {
		return 0, wrap(err, "delete expired sessions")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return int(n), nil
}

// The Store's own session queries (see store_methods.go).

func (s *Store) CreateSession(ctx context.Context, ss *store.Session) error {
	return s.write(ctx, func(q *queries) error { return q.CreateSession(ctx, ss) })
}

func (s *Store) GetSession(ctx context.Context, hash []byte) (*store.Session, error) {
	return readValue(s, ctx, func(q *queries) (*store.Session, error) { return q.GetSession(ctx, hash) })
}

func (s *Store) TouchSession(ctx context.Context, hash []byte, lastSeen, expires time.Time) error {
	return s.write(ctx, func(q *queries) error { return q.TouchSession(ctx, hash, lastSeen, expires) })
}

func (s *Store) DeleteSession(ctx context.Context, hash []byte) error {
	return s.write(ctx, func(q *queries) error { return q.DeleteSession(ctx, hash) })
}

func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	return writeValue(s, ctx, func(q *queries) (int, error) { return q.DeleteExpiredSessions(ctx, now) })
}

// userSession reads an account's session joined with its account.
func (q *queries) userSession(ctx context.Context, hash []byte) (*store.Session, error) {
	row := q.db.QueryRowContext(ctx, `SELECT s.hash, s.user_id, s.csrf, s.created_at, s.last_seen_at,
		s.expires_at, u.id, u.email, u.name, u.role, u.password_hash, u.created_at
		FROM session s JOIN account u ON u.id = s.user_id WHERE s.hash = ?`, hash)
	var s store.Session
	var created, seen, expires int64
	u, err := scanUser(scanPrefix{row, []any{&s.Hash, &s.UserID, &s.CSRF, &created, &seen, &expires}})
	if isNoRows(err) {
		return nil, notFound("session")
	}
	if err != nil {
		return nil, wrap(err, "get session")
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt, s.User = fromDB(created), fromDB(seen), fromDB(expires), u
	return &s, nil
}

// nullString stores "" as NULL (a session's unused owner column).
func nullString(v string) any {
	if v == "" {
		return nil
	}
	return v
}
