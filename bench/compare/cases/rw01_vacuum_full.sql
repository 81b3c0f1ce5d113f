-- case: VACUUM FULL
-- expect: table-rewrite
-- doc: VACUUM FULL "rewrites the entire contents of the table into a new disk file"; ACCESS EXCLUSIVE.
SET lock_timeout = '2s';
VACUUM FULL users;
