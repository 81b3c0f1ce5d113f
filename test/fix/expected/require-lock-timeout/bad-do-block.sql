-- expect: 4:3
SET lock_timeout = '2s';
DO $$
BEGIN
  ALTER TABLE users ADD COLUMN plan text;
END
$$;
