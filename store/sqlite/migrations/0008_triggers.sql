-- Polling triggers' positions (app.Poller): one per scenario and trigger module, deleted
-- with the scenario. version counts writes: a run writes its new position only if the
-- version is still the one it read, so a start a person chose meanwhile wins.
CREATE TABLE trigger_position (
	scenario_id INTEGER NOT NULL REFERENCES scenario (id) ON DELETE CASCADE,
	module_id   INTEGER NOT NULL,
	module      TEXT    NOT NULL,
	position    TEXT    NOT NULL,
	start       TEXT    NOT NULL DEFAULT '',
	version     INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	PRIMARY KEY (scenario_id, module_id)
) STRICT, WITHOUT ROWID;

-- Instant app triggers' registrations with their service (app.HookSpec). No foreign
-- key: an unregistration the service could not take yet outlives a deleted scenario.
-- state is encrypted like connections (key_id names the key).
CREATE TABLE app_hook (
	scenario_id INTEGER PRIMARY KEY,
	module      TEXT    NOT NULL,
	params      TEXT    NOT NULL,
	url         TEXT    NOT NULL,
	state       BLOB,
	key_id      TEXT    NOT NULL,
	registered  INTEGER NOT NULL,
	error       TEXT    NOT NULL,
	attempts    INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
) STRICT;
