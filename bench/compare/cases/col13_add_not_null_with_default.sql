-- case: ADD COLUMN ... NOT NULL DEFAULT constant
-- expect: safe
-- doc: constant default is stored in the catalog (PG11+); NOT NULL is trivially satisfied, no rewrite.
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN tier text NOT NULL DEFAULT 'free';
