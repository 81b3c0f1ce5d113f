-- case: lock_timeout set via set_config inside the DO block before the DDL
-- expect: safe
DO $$
BEGIN
  PERFORM set_config('lock_timeout', '2s', false);
  ALTER TABLE users ADD COLUMN bio text;
END
$$;
