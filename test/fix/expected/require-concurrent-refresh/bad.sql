-- expect: 3:1
-- A plain refresh blocks every read of the view until it finishes.
SET lock_timeout = '2s';
REFRESH MATERIALIZED VIEW daily_totals;
