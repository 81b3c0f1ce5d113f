-- case: SET NOT NULL after a validated CHECK (col IS NOT NULL)
-- expect: safe
-- doc: ALTER TABLE SET NOT NULL (PG12+): "if a valid CHECK constraint is found which proves no NULL
--      can exist, then the table scan is skipped". VALIDATE runs under SHARE UPDATE EXCLUSIVE.
SET lock_timeout = '2s';
ALTER TABLE users ADD CONSTRAINT users_name_not_null CHECK (name IS NOT NULL) NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT users_name_not_null;
ALTER TABLE users ALTER COLUMN name SET NOT NULL;
