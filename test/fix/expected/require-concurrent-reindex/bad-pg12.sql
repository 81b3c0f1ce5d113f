-- pg-version: 12
-- expect: 4:1
-- REINDEX CONCURRENTLY exists from PostgreSQL 12 on.
SET lock_timeout = '2s';
REINDEX TABLE CONCURRENTLY users;
