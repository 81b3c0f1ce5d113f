-- case: varchar(50) -> text
-- expect: safe
-- doc: ALTER TABLE notes: binary coercible type change -> no rewrite.
SET lock_timeout = '2s';
ALTER TABLE users ALTER COLUMN nickname TYPE text;
