-- case: varchar(200) -> varchar(50)
-- expect: type-narrowing
-- expect: table-rewrite
-- doc: shortening the limit applies the length coercion to every row -> rewrite; values may not fit.
SET lock_timeout = '2s';
ALTER TABLE orders ALTER COLUMN note TYPE varchar(50);
