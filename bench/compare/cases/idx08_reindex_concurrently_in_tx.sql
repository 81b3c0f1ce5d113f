-- case: REINDEX CONCURRENTLY inside a transaction block
-- expect: concurrently-in-transaction
-- doc: REINDEX: CONCURRENTLY cannot be used inside a transaction block.
BEGIN;
REINDEX TABLE CONCURRENTLY users;
COMMIT;
