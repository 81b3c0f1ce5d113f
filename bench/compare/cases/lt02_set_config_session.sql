-- case: lock_timeout via set_config(..., false)
-- expect: safe
-- doc: set_config(setting, value, is_local=false) is equivalent to SET.
SELECT set_config('lock_timeout', '2s', false);
ALTER TABLE users ADD COLUMN bio text;
