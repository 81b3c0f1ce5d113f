-- case: CLUSTER
-- expect: table-rewrite
SET lock_timeout = '2s';
CLUSTER users USING users_pkey;
