-- case: REFRESH MATERIALIZED VIEW CONCURRENTLY (unique index exists)
-- expect: safe
SET lock_timeout = '2s';
REFRESH MATERIALIZED VIEW CONCURRENTLY user_stats;
