-- expect: 4:1
-- expect: 5:1
-- REINDEX blocks writes to the table and locks the index exclusively.
SET lock_timeout = '2s';
REINDEX INDEX CONCURRENTLY users_email_idx;
REINDEX TABLE CONCURRENTLY orders;
