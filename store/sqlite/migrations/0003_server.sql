-- The server: schedules on scenarios, API tokens, webhook addresses, app connections.

-- Schedule is weft.Schedule as JSON ('{"type":""}' for on demand); next_run_at is the
-- next due time in microseconds, NULL when there is none.
ALTER TABLE scenario ADD COLUMN schedule TEXT NOT NULL DEFAULT '{"type":""}';
ALTER TABLE scenario ADD COLUMN next_run_at INTEGER;
-- ClaimDueSchedules reads the first entries: only active scenarios with a due time are
-- in it, so its size follows the scheduled scenarios, not all of them.
CREATE INDEX scenario_due ON scenario (next_run_at) WHERE active = 1 AND next_run_at IS NOT NULL;

-- Only the SHA-256 of a token is stored; the server looks tokens up by it.
CREATE TABLE token (
	id           TEXT    PRIMARY KEY,
	name         TEXT    NOT NULL,
	scopes       TEXT    NOT NULL,
	hash         BLOB    NOT NULL UNIQUE,
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER,
	revoked_at   INTEGER
) STRICT;

-- One hook per scenario (UNIQUE), deleted with it.
CREATE TABLE hook (
	token         TEXT    PRIMARY KEY,
	scenario_id   INTEGER NOT NULL UNIQUE REFERENCES scenario (id) ON DELETE CASCADE,
	secret_key_id TEXT    NOT NULL,
	created_at    INTEGER NOT NULL,
	secret        BLOB
) STRICT;

-- AUTOINCREMENT: a deleted connection's id is never given to another one, so a
-- blueprint naming it can never silently pick up someone else's credentials.
CREATE TABLE connection (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	name       TEXT    NOT NULL,
	type       TEXT    NOT NULL,
	key_id     TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	data       BLOB    NOT NULL
) STRICT;
