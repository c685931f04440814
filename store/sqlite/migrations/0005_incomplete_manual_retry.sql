-- A retry a person asked for through a bulk retry is carried out by the worker like an
-- automatic one; manual_retry marks it so its attempt is logged as manual. A manual
-- attempt does not use up the automatic schedule (SPEC §5.3): auto_attempts counts the
-- automatic ones, which the schedule and its limit follow. Existing attempts are taken
-- as automatic, which keeps every pending retry where it was in its schedule.
ALTER TABLE incomplete ADD COLUMN manual_retry INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incomplete ADD COLUMN auto_attempts INTEGER NOT NULL DEFAULT 0;
UPDATE incomplete SET auto_attempts = attempts;
