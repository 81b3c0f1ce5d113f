-- case: CREATE INDEX CONCURRENTLY inside BEGIN/COMMIT
-- expect: concurrently-in-transaction
-- doc: CREATE INDEX: "a regular CREATE INDEX command can be performed within a transaction block,
--      but CREATE INDEX CONCURRENTLY cannot."
BEGIN;
CREATE INDEX CONCURRENTLY users_name_idx ON users (name);
COMMIT;
