-- Recovery beyond the retry (docs/incomplete-executions.md §9 and §10).
--
-- outcome_unknown: the failing call was sent but never answered, so whether the service
-- acted on it is unknown; such an incomplete execution waits for a person unless the
-- call was safe to repeat.
ALTER TABLE incomplete ADD COLUMN outcome_unknown INTEGER NOT NULL DEFAULT 0;
-- breaker_key: the connection or host the failing call went to ("connection:ID",
-- "host:HOST:PORT"), empty when the module does not say. Incomplete executions with a
-- ConnectionError or RateLimitError on one key share a circuit breaker.
ALTER TABLE incomplete ADD COLUMN breaker_key TEXT NOT NULL DEFAULT '';
-- The pending ones of a key: the breaker picks its probe there and releases them.
CREATE INDEX incomplete_breaker ON incomplete (breaker_key, status, next_attempt_at)
	WHERE breaker_key <> '';

-- An open circuit breaker: its key's automatic retries wait until one probe succeeds.
-- A closed breaker has no row.
CREATE TABLE breaker (
	key           TEXT    PRIMARY KEY,
	opened_at     INTEGER NOT NULL,
	next_probe_at INTEGER NOT NULL,
	probe_id      TEXT    NOT NULL DEFAULT '',
	failures      INTEGER NOT NULL DEFAULT 0,
	error_type    TEXT    NOT NULL DEFAULT '',
	error_message TEXT    NOT NULL DEFAULT ''
) STRICT, WITHOUT ROWID;
