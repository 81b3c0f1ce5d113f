-- case: ADD COLUMN ... NOT NULL without DEFAULT on an existing (non-empty) table
-- expect: not-null-without-default
-- doc: existing rows get NULL, violating the constraint -> the statement fails.
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN tier text NOT NULL;
