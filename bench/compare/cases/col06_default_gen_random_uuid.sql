-- case: ADD COLUMN ... DEFAULT gen_random_uuid()
-- expect: table-rewrite
-- doc: gen_random_uuid() is VOLATILE -> rewrite.
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN public_id uuid DEFAULT gen_random_uuid();
