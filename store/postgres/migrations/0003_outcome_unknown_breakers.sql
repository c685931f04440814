-- Recovery beyond the retry (docs/incomplete-executions.md §9 and §10), as the SQLite
-- store's migration 0011.
--
-- outcome_unknown: the failing call was sent but never answered, so whether the service
-- acted on it is unknown; such an incomplete execution waits for a person unless the
-- call was safe to repeat.
ALTER TABLE incomplete ADD COLUMN outcome_unknown boolean NOT NULL DEFAULT false;
-- breaker_key: the connection or host the failing call went to ("connection:ID",
-- "host:HOST:PORT"), empty when the module does not say. Incomplete executions with a
-- ConnectionError or RateLimitError on one key share a circuit breaker.
ALTER TABLE incomplete ADD COLUMN breaker_key text COLLATE "C" NOT NULL DEFAULT '';
-- The pending ones of a key: the breaker picks its probe there and releases them.
CREATE INDEX incomplete_breaker ON incomplete (breaker_key, status, next_attempt_at)
	WHERE breaker_key <> '';

-- An open circuit breaker: its key's automatic retries wait until one probe succeeds.
-- A closed breaker has no row.
CREATE TABLE breaker (
	key           text        COLLATE "C" PRIMARY KEY,
	opened_at     timestamptz NOT NULL,
	next_probe_at timestamptz NOT NULL,
	probe_id      text        NOT NULL DEFAULT '',
	failures      integer     NOT NULL DEFAULT 0,
	error_type    text        NOT NULL DEFAULT '',
	error_message text        NOT NULL DEFAULT ''
);
