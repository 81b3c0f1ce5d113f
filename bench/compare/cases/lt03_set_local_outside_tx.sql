-- case: SET LOCAL lock_timeout outside any transaction block
-- expect: missing-lock-timeout
-- doc: SET: "Issuing this [SET LOCAL] outside of a transaction block emits a warning and otherwise has no effect."
SET LOCAL lock_timeout = '2s';
ALTER TABLE users ADD COLUMN bio text;
