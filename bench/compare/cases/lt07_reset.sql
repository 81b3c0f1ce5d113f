-- case: SET then RESET lock_timeout before the DDL
-- expect: missing-lock-timeout
SET lock_timeout = '2s';
RESET lock_timeout;
ALTER TABLE users ADD COLUMN bio text;
