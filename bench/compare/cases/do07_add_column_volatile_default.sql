-- case: volatile-default ADD COLUMN inside a DO block
-- expect: table-rewrite
SET lock_timeout = '2s';
DO $$
BEGIN
  ALTER TABLE users ADD COLUMN public_id uuid DEFAULT gen_random_uuid();
END
$$;
