-- case: CREATE INDEX CONCURRENTLY inside a DO block
-- expect: concurrently-in-transaction
-- doc: CIC cannot run inside a transaction block; a DO body is never top level, so it fails.
DO $$
BEGIN
  CREATE INDEX CONCURRENTLY users_name_idx ON users (name);
END
$$;
