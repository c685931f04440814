-- What started a run (docs/ui.md, "Execution inspector"): a webhook, the schedule, a
-- person or a script (manual), a calling scenario. Retries are told by the execution's
-- kind. Its own table for the reason execution_parent has one (0009): a column
-- appended to execution would sit after the input and log bodies, and every listing
-- would walk their overflow pages to read it. Executions recorded before this
-- migration have no row: their trigger is derived from what they consumed.
CREATE TABLE execution_trigger (
	execution_id TEXT PRIMARY KEY REFERENCES execution (id) ON DELETE CASCADE,
	started_by   TEXT NOT NULL
) STRICT, WITHOUT ROWID;
