-- case: ALTER TYPE ... ADD VALUE inside BEGIN on PG16 (the new value is not used in the same transaction)
-- expect: safe
-- doc: ALTER TYPE (PG12+): ADD VALUE may run in a transaction block; the value just cannot be used until committed.
BEGIN;
ALTER TYPE mood ADD VALUE 'neutral';
COMMIT;
