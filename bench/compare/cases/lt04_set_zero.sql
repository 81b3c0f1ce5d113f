-- case: lock_timeout explicitly set to 0
-- expect: missing-lock-timeout
-- doc: lock_timeout: "A value of zero (the default) disables the timeout."
SET lock_timeout = 0;
ALTER TABLE users ADD COLUMN bio text;
