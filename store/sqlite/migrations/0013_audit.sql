-- The audit log (docs/security.md, "Audit log"): who changed what, newest read first.
CREATE TABLE audit (
	id     INTEGER PRIMARY KEY,
	at     INTEGER NOT NULL,
	actor  TEXT    NOT NULL,
	action TEXT    NOT NULL,
	target TEXT    NOT NULL
) STRICT;
