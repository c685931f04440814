-- The trigger queue learns two things (docs/incomplete-executions.md, docs/operations.md):
--
--   * a payload can be set aside ("dead"): its run ended in an error that deactivated
--     its instant scenario. It no longer holds the head of its scenario's queue and
--     waits for a person to retry (re-queue) or delete it; the error is kept with it;
--   * each payload's size, so the intake can bound a scenario's queue in bytes.
--
-- The table is rebuilt rather than altered: ALTER TABLE appends columns after the
-- payload, and reading a column stored after a large blob walks the blob's overflow
-- pages. Here every small column comes first and the payload last, so listings, the
-- head lookup and the byte count never touch payload pages.
CREATE TABLE queue_item_new (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	scenario_id    INTEGER NOT NULL REFERENCES scenario (id) ON DELETE CASCADE,
	enqueued_at    INTEGER NOT NULL,
	execution_id   TEXT,              -- the run consuming it now
	size           INTEGER NOT NULL DEFAULT 0,
	dead_at        INTEGER,           -- set aside at; NULL while it waits or runs
	dead_execution TEXT,              -- the run whose error set it aside
	error_type     TEXT,
	error_message  TEXT,
	error_module   INTEGER,
	payload        BLOB
) STRICT;
INSERT INTO queue_item_new (id, scenario_id, enqueued_at, execution_id, size, payload)
	SELECT id, scenario_id, enqueued_at, execution_id, coalesce(length(payload), 0), payload FROM queue_item;
-- Ids are never reused: carry the AUTOINCREMENT counter over (the copy above set the
-- new table's to the largest id left, which may be lower).
DELETE FROM sqlite_sequence WHERE name = 'queue_item_new';
INSERT INTO sqlite_sequence (name, seq)
	SELECT 'queue_item_new', seq FROM sqlite_sequence WHERE name = 'queue_item';
DROP TABLE queue_item;
ALTER TABLE queue_item_new RENAME TO queue_item;
-- A scenario's items in arrival order (listings, the batch claim).
CREATE INDEX queue_item_scenario ON queue_item (scenario_id, id);
-- Count and bytes of a scenario's items (the intake's bounds), and each scenario's
-- head (its oldest item not set aside), covered by the index.
CREATE INDEX queue_item_usage ON queue_item (scenario_id, size, dead_at);
