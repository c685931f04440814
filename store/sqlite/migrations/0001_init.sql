-- weft schema, version 1. Times are INTEGER microseconds since the Unix epoch, UTC.
-- Large bodies sit in the last columns or in their own tables, so listing a row never
-- walks the overflow pages of a blueprint, a log or a resume state.

CREATE TABLE scenario (
	id                 INTEGER PRIMARY KEY AUTOINCREMENT,
	name               TEXT    NOT NULL,
	version            INTEGER NOT NULL,
	active             INTEGER NOT NULL,
	instant            INTEGER NOT NULL,
	consecutive_errors INTEGER NOT NULL,
	paused             TEXT    NOT NULL,
	deactivated        TEXT    NOT NULL,
	source             TEXT    NOT NULL,
	created_at         INTEGER NOT NULL,
	updated_at         INTEGER NOT NULL
) STRICT;
CREATE INDEX scenario_source ON scenario (source) WHERE source <> '';

CREATE TABLE scenario_version (
	scenario_id INTEGER NOT NULL REFERENCES scenario (id) ON DELETE CASCADE,
	version     INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	blueprint   BLOB    NOT NULL,
	PRIMARY KEY (scenario_id, version)
) STRICT;

CREATE TABLE execution (
	id            TEXT    PRIMARY KEY,
	scenario_id   INTEGER NOT NULL REFERENCES scenario (id) ON DELETE CASCADE,
	version       INTEGER NOT NULL,
	kind          TEXT    NOT NULL,
	status        TEXT    NOT NULL,
	operations    INTEGER NOT NULL,
	error_type    TEXT    NOT NULL,
	error_message TEXT    NOT NULL,
	error_module  INTEGER NOT NULL,
	incomplete_id TEXT    NOT NULL,
	queue_item_id INTEGER NOT NULL,
	started_at    INTEGER NOT NULL,
	finished_at   INTEGER,
	response      BLOB,
	input         BLOB,
	log           BLOB
) STRICT;
-- Newest-first listings: of every scenario, of one, of one incomplete execution's attempts.
CREATE INDEX execution_started ON execution (started_at, id);
CREATE INDEX execution_scenario ON execution (scenario_id, started_at, id);
CREATE INDEX execution_incomplete ON execution (incomplete_id, started_at, id) WHERE incomplete_id <> '';
-- Crash recovery and ClaimDue's "no retry beside a live run" test read only running rows.
CREATE INDEX execution_running ON execution (scenario_id, kind) WHERE status = 'running';

CREATE TABLE incomplete (
	seq               INTEGER PRIMARY KEY,
	id                TEXT    NOT NULL UNIQUE,
	scenario_id       INTEGER NOT NULL REFERENCES scenario (id) ON DELETE CASCADE,
	execution_id      TEXT    NOT NULL,
	version           INTEGER NOT NULL,
	failed_module_id  INTEGER NOT NULL,
	error_type        TEXT    NOT NULL,
	error_message     TEXT    NOT NULL,
	status            TEXT    NOT NULL CHECK (status IN ('unresolved', 'pending', 'in_progress', 'resolved')),
	auto_retry        INTEGER NOT NULL,
	attempts          INTEGER NOT NULL,
	max_attempts      INTEGER NOT NULL,
	retry_interval_ns INTEGER NOT NULL,
	next_attempt_at   INTEGER,
	size_bytes        INTEGER NOT NULL,
	confidential      INTEGER NOT NULL,
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL,
	resolved_at       INTEGER,
	error_details     TEXT
) STRICT;
-- ListIncomplete in (created_at, id) order, each read in index order and stopped at
-- the page's end: of one scenario by one status (also counts a scenario's in-progress
-- rows for ClaimDue), of one scenario (several statuses filter while scanning), of
-- every scenario by one status, of everything.
CREATE INDEX incomplete_list ON incomplete (scenario_id, status, created_at, id);
CREATE INDEX incomplete_scenario ON incomplete (scenario_id, created_at, id);
CREATE INDEX incomplete_status ON incomplete (status, created_at, id);
CREATE INDEX incomplete_created ON incomplete (created_at, id);
-- Partial indexes hold only pending rows: NextDue reads the first entry, ClaimDue the
-- first few of each scenario.
CREATE INDEX incomplete_due ON incomplete (next_attempt_at) WHERE status = 'pending';
CREATE INDEX incomplete_due_scenario ON incomplete (scenario_id, next_attempt_at) WHERE status = 'pending';
CREATE INDEX incomplete_resolved ON incomplete (resolved_at) WHERE status = 'resolved';

-- The blueprint snapshot and resume state: kept apart so that a status change (Requeue,
-- ClaimDue) rewrites a small row, not the bodies.
CREATE TABLE incomplete_body (
	seq       INTEGER PRIMARY KEY REFERENCES incomplete (seq) ON DELETE CASCADE,
	blueprint BLOB NOT NULL,
	state     BLOB NOT NULL
) STRICT;

-- Bytes of the not-resolved incomplete executions per scenario, kept by triggers so
-- that IncompleteBytes (asked whenever an incomplete execution is stored) never sums
-- a million rows.
CREATE TABLE incomplete_size (
	scenario_id INTEGER PRIMARY KEY REFERENCES scenario (id) ON DELETE CASCADE,
	bytes       INTEGER NOT NULL
) STRICT;
CREATE TRIGGER incomplete_size_insert AFTER INSERT ON incomplete
WHEN new.status <> 'resolved'
BEGIN
	INSERT INTO incomplete_size (scenario_id, bytes) VALUES (new.scenario_id, new.size_bytes)
	ON CONFLICT (scenario_id) DO UPDATE SET bytes = bytes + excluded.bytes;
END;
CREATE TRIGGER incomplete_size_delete AFTER DELETE ON incomplete
WHEN old.status <> 'resolved'
BEGIN
	UPDATE incomplete_size SET bytes = bytes - old.size_bytes WHERE scenario_id = old.scenario_id;
END;
CREATE TRIGGER incomplete_size_update AFTER UPDATE OF status, size_bytes ON incomplete
WHEN (old.status <> 'resolved') <> (new.status <> 'resolved') OR old.size_bytes <> new.size_bytes
BEGIN
	INSERT INTO incomplete_size (scenario_id, bytes)
	VALUES (new.scenario_id,
		(CASE WHEN new.status <> 'resolved' THEN new.size_bytes ELSE 0 END) -
		(CASE WHEN old.status <> 'resolved' THEN old.size_bytes ELSE 0 END))
	ON CONFLICT (scenario_id) DO UPDATE SET bytes = bytes + excluded.bytes;
END;

CREATE TABLE attempt (
	incomplete_id TEXT    NOT NULL REFERENCES incomplete (id) ON DELETE CASCADE,
	n             INTEGER NOT NULL,
	manual        INTEGER NOT NULL,
	started_at    INTEGER NOT NULL,
	finished_at   INTEGER,
	outcome       TEXT    NOT NULL,
	error_type    TEXT    NOT NULL,
	error_message TEXT    NOT NULL,
	execution_id  TEXT    NOT NULL,
	PRIMARY KEY (incomplete_id, n)
) STRICT;

-- AUTOINCREMENT: an id is never reused, so a finished run can never delete a newer item.
CREATE TABLE queue_item (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	scenario_id  INTEGER NOT NULL REFERENCES scenario (id) ON DELETE CASCADE,
	enqueued_at  INTEGER NOT NULL,
	execution_id TEXT,
	payload      BLOB
) STRICT;
CREATE INDEX queue_item_scenario ON queue_item (scenario_id, id);

CREATE TABLE record (
	store TEXT NOT NULL,
	key   TEXT NOT NULL,
	data  TEXT NOT NULL,
	PRIMARY KEY (store, key)
) STRICT;
