-- case: DROP COLUMN
-- expect: column-drop
SET lock_timeout = '2s';
ALTER TABLE users DROP COLUMN legacy_flag;
