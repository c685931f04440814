-- Accounts (docs/security.md, "Accounts"): people who sign in to the web UI with
-- email and password. The email is stored lower-cased, so UNIQUE is case-insensitive.
-- Only the argon2id hash of the password is kept (package auth).
CREATE TABLE account (
	id            TEXT    PRIMARY KEY,
	email         TEXT    NOT NULL UNIQUE,
	name          TEXT    NOT NULL,
	role          TEXT    NOT NULL,
	password_hash TEXT    NOT NULL,
	created_at    INTEGER NOT NULL
) STRICT;
-- One owner (the account created on first visit): it also makes two first visitors
-- racing to create it safe, in both stores.
CREATE UNIQUE INDEX account_one_owner ON account (role) WHERE role = 'owner';

-- Invites: one-time, expiring links to create an account with a role. Only the
-- SHA-256 of the link's code is stored; using an invite deletes its row.
CREATE TABLE invite (
	id         TEXT    PRIMARY KEY,
	hash       BLOB    NOT NULL UNIQUE,
	email      TEXT    NOT NULL,
	role       TEXT    NOT NULL,
	created_by TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT;

-- API tokens belong to a person: the account that created one ("" / NULL: made on
-- the command line or by another token). Not a foreign key: removing an account
-- revokes its tokens, and the record keeps who made them.
ALTER TABLE token ADD COLUMN owner_id TEXT;

-- A session now names either the API token or the account it was opened with. SQLite
-- cannot drop a NOT NULL, so the table is rebuilt (its rows are kept).
CREATE TABLE session_new (
	hash         BLOB    PRIMARY KEY,
	token_id     TEXT    REFERENCES token (id) ON DELETE CASCADE,
	user_id      TEXT    REFERENCES account (id) ON DELETE CASCADE,
	csrf         TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	CHECK ((token_id IS NULL) <> (user_id IS NULL))
) STRICT, WITHOUT ROWID;
INSERT INTO session_new (hash, token_id, csrf, created_at, last_seen_at, expires_at)
	SELECT hash, token_id, csrf, created_at, last_seen_at, expires_at FROM session;
DROP TABLE session;
ALTER TABLE session_new RENAME TO session;
CREATE INDEX session_expiry ON session (expires_at);
CREATE INDEX session_token ON session (token_id);
CREATE INDEX session_account ON session (user_id);
