-- case: SET NOT NULL with nothing proving it
-- expect: validation-scan-under-strong-lock
-- doc: SET NOT NULL scans the whole table under ACCESS EXCLUSIVE.
SET lock_timeout = '2s';
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
