-- An execution's page lists the incomplete executions it stored (`weft executions show`).
CREATE INDEX incomplete_execution ON incomplete (execution_id);
