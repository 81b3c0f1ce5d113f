-- The view has a unique index: the concurrent refresh works, also inside a transaction block.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS daily_totals_day_idx ON daily_totals (day);
BEGIN;
SET LOCAL lock_timeout = '2s';
REFRESH MATERIALIZED VIEW CONCURRENTLY daily_totals;
COMMIT;
