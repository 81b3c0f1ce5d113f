-- case: DROP COLUMN with no lock_timeout
-- expect: column-drop
-- expect: missing-lock-timeout
ALTER TABLE users DROP COLUMN legacy_flag;
