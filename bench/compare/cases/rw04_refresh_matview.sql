-- case: REFRESH MATERIALIZED VIEW without CONCURRENTLY
-- expect: table-rewrite
-- doc: the refresh replaces the whole contents under ACCESS EXCLUSIVE, locking out readers
--      (mapped to table-rewrite: the matview's storage is rebuilt while reads are blocked).
SET lock_timeout = '2s';
REFRESH MATERIALIZED VIEW user_stats;
