-- case: DETACH PARTITION CONCURRENTLY inside a transaction block
-- expect: concurrently-in-transaction
-- doc: ALTER TABLE: DETACH ... CONCURRENTLY "cannot be run in a transaction block".
BEGIN;
ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;
COMMIT;
