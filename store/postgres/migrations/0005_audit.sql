-- The audit log (docs/security.md, "Audit log"), as the SQLite store's migration 0013.
CREATE TABLE audit (
	id     bigserial   PRIMARY KEY,
	at     timestamptz NOT NULL,
	actor  text        NOT NULL,
	action text        NOT NULL,
	target text        NOT NULL
);
