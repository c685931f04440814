-- What started a run (docs/ui.md, "Execution inspector"): webhook, schedule, manual,
-- call or retry. A table of its own, as in the SQLite store (its migration 0010), so
-- both stores have the same shape; executions recorded before have no row.
CREATE TABLE execution_trigger (
	execution_id text COLLATE "C" PRIMARY KEY REFERENCES execution (id) ON DELETE CASCADE,
	started_by   text NOT NULL
);
