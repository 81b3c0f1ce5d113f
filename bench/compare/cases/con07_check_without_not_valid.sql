-- case: ADD CHECK without NOT VALID
-- expect: validation-scan-under-strong-lock
-- doc: ALTER TABLE notes: adding a CHECK scans the table to verify existing rows (under ACCESS EXCLUSIVE).
SET lock_timeout = '2s';
ALTER TABLE users ADD CONSTRAINT users_age_positive CHECK (age >= 0);
