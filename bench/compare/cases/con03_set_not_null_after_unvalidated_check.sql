-- case: SET NOT NULL after a CHECK that is only NOT VALID (never validated)
-- expect: validation-scan-under-strong-lock
-- doc: only a *valid* CHECK lets SET NOT NULL skip the scan.
SET lock_timeout = '2s';
ALTER TABLE users ADD CONSTRAINT users_name_not_null CHECK (name IS NOT NULL) NOT VALID;
ALTER TABLE users ALTER COLUMN name SET NOT NULL;
