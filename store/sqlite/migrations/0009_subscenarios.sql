-- Sub-scenarios (docs/subscenarios.md).
--
-- An execution a scenario-service:CallSubscenario module started names the execution
-- and module that called it. The link has its own table rather than columns of
-- execution: ALTER TABLE appends columns after the input and log bodies, and reading a
-- column stored after a large blob walks its overflow pages on every listing.
CREATE TABLE execution_parent (
	execution_id  TEXT    PRIMARY KEY REFERENCES execution (id) ON DELETE CASCADE,
	parent_id     TEXT    NOT NULL,
	parent_module INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
-- The runs one execution called.
CREATE INDEX execution_parent_of ON execution_parent (parent_id);

-- A run queued by a call that does not wait carries its caller (JSON: execution,
-- scenario, module and the chain of scenarios above it), so the run it becomes is
-- linked to its parent and a cycle of calls is refused however the calls went. Only
-- the claims read it, and they read the payload before it anyway.
ALTER TABLE queue_item ADD COLUMN caller TEXT NOT NULL DEFAULT '';
