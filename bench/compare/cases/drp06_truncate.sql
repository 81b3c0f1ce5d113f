-- case: TRUNCATE an existing table
-- expect: truncate
SET lock_timeout = '2s';
TRUNCATE audit_log;
