-- case: set_config('lock_timeout', ..., true) outside a transaction block
-- expect: missing-lock-timeout
-- doc: set_config with is_local=true applies "only ... during the current transaction"; in autocommit
--      that is the SELECT's own transaction, so the ALTER runs without a timeout.
SELECT set_config('lock_timeout', '2s', true);
ALTER TABLE users ADD COLUMN bio text;
