-- case: ALTER TABLE ... SET LOGGED
-- expect: table-rewrite
SET lock_timeout = '2s';
ALTER TABLE staging_imports SET LOGGED;
