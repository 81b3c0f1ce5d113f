-- case: numeric(10,2) -> numeric(12,2)
-- expect: safe
-- doc: raising precision with the same scale is a no-op length coercion -> no rewrite.
SET lock_timeout = '2s';
ALTER TABLE users ALTER COLUMN balance TYPE numeric(12,2);
