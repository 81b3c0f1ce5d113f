-- expect: 5:3
-- DDL inside a DO block runs when the migration runs: it is linted too.
SET lock_timeout = '2s';
DO $$
BEGIN
  CREATE INDEX users_status_idx ON users (status);
END
$$;
