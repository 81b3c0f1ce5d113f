-- case: CREATE INDEX CONCURRENTLY outside a transaction, no lock_timeout
-- expect: safe
-- doc: CONCURRENTLY takes SHARE UPDATE EXCLUSIVE, which does not conflict with ROW EXCLUSIVE/ACCESS SHARE,
--      so neither the build nor the lock wait blocks reads or writes.
CREATE INDEX CONCURRENTLY users_name_idx ON users (name);
