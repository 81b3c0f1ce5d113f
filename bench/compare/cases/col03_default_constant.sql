-- case: ADD COLUMN with a constant DEFAULT
-- expect: safe
-- doc: since PG11 a non-volatile default is stored in the catalog; no rewrite.
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN score int DEFAULT 0;
