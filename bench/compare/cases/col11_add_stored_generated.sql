-- case: ADD COLUMN ... GENERATED ALWAYS AS (...) STORED
-- expect: table-rewrite
SET lock_timeout = '2s';
ALTER TABLE orders ADD COLUMN total_x2 bigint GENERATED ALWAYS AS (total * 2) STORED;
