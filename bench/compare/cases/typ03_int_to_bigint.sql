-- case: int -> bigint
-- expect: table-rewrite
-- doc: int4 -> int8 is not binary coercible -> rewrite of table and indexes.
SET lock_timeout = '2s';
ALTER TABLE orders ALTER COLUMN qty TYPE bigint;
