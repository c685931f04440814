-- Web UI sessions (package ui), so a restart of weft signs nobody out. Only the
-- SHA-256 of the session id (the browser's cookie) is stored. A session belongs to
-- the API token it was opened with; reading it joins the token, so a revoked token
-- ends its sessions at once.
CREATE TABLE session (
	hash         BLOB    PRIMARY KEY,
	token_id     TEXT    NOT NULL REFERENCES token (id) ON DELETE CASCADE,
	csrf         TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
-- DeleteExpiredSessions reads the oldest expiries first.
CREATE INDEX session_expiry ON session (expires_at);
-- The foreign key's child lookup (a token deleted by hand takes its sessions along).
CREATE INDEX session_token ON session (token_id);
