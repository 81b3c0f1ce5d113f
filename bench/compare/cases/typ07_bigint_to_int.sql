-- case: bigint -> int
-- expect: type-narrowing
-- expect: table-rewrite
SET lock_timeout = '2s';
ALTER TABLE orders ALTER COLUMN total TYPE int;
