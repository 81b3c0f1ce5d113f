-- case: ALTER TYPE ... ADD VALUE outside a transaction
-- expect: safe
-- doc: no table lock, no rewrite; allowed in a transaction block since PG12.
ALTER TYPE mood ADD VALUE 'neutral';
