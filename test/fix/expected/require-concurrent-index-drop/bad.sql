-- expect: 4:1
-- expect: 7:1
-- Dropping an index takes ACCESS EXCLUSIVE on its table.
SET lock_timeout = '2s';
DROP INDEX CONCURRENTLY users_email_idx;

-- an index the history does not know: its table is assumed to exist
DROP INDEX CONCURRENTLY IF EXISTS legacy_idx;
