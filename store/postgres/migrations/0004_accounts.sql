-- Accounts (docs/security.md, "Accounts"), as the SQLite store's migration 0012: the
-- email is stored lower-cased; only the argon2id hash of the password is kept.
CREATE TABLE account (
	id            text        COLLATE "C" PRIMARY KEY,
	email         text        NOT NULL UNIQUE,
	name          text        NOT NULL,
	role          text        NOT NULL,
	password_hash text        NOT NULL,
	created_at    timestamptz NOT NULL
);
-- One owner (the account created on first visit): it also makes two first visitors
-- racing to create it safe, in both stores.
CREATE UNIQUE INDEX account_one_owner ON account (role) WHERE role = 'owner';

-- Invites: one-time, expiring links to create an account with a role. Only the
-- SHA-256 of the link's code is stored; using an invite deletes its row.
CREATE TABLE invite (
	id         text        PRIMARY KEY,
	hash       bytea       NOT NULL UNIQUE,
	email      text        NOT NULL,
	role       text        NOT NULL,
	created_by text        NOT NULL,
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL
);

-- API tokens belong to a person: the account that created one ("" / NULL: made on
-- the command line or by another token). Not a foreign key: removing an account
-- revokes its tokens, and the record keeps who made them.
ALTER TABLE token ADD COLUMN owner_id text;

-- A session names either the API token or the account it was opened with.
ALTER TABLE session ALTER COLUMN token_id DROP NOT NULL;
ALTER TABLE session ADD COLUMN user_id text REFERENCES account (id) ON DELETE CASCADE;
ALTER TABLE session ADD CONSTRAINT session_token_or_user CHECK ((token_id IS NULL) <> (user_id IS NULL));
CREATE INDEX session_account ON session (user_id);
