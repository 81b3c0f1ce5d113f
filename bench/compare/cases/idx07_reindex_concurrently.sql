-- case: REINDEX CONCURRENTLY outside a transaction
-- expect: safe
SET lock_timeout = '2s';
REINDEX INDEX CONCURRENTLY users_email_idx;
