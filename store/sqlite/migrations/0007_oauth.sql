-- OAuth 2 (docs/connections.md): the operator's own client per provider, its secret
-- sealed like connections; and authorizations in progress, found by the SHA-256 of
-- their state, used once, deleted after they expire.
CREATE TABLE oauth_client (
	provider   TEXT    PRIMARY KEY,
	client_id  TEXT    NOT NULL,
	secret     BLOB,
	key_id     TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE oauth_flow (
	state_hash    BLOB    PRIMARY KEY,
	connection_id INTEGER NOT NULL REFERENCES connection (id) ON DELETE CASCADE,
	redirect_uri  TEXT    NOT NULL,
	binding       BLOB,
	verifier      BLOB    NOT NULL,
	key_id        TEXT    NOT NULL,
	status        TEXT    NOT NULL,
	message       TEXT    NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	expires_at    INTEGER NOT NULL,
	finished_at   INTEGER
) STRICT, WITHOUT ROWID;
CREATE INDEX oauth_flow_expiry ON oauth_flow (expires_at);
CREATE INDEX oauth_flow_connection ON oauth_flow (connection_id);
