-- case: ADD FOREIGN KEY without NOT VALID inside a DO block
-- expect: validation-scan-under-strong-lock
SET lock_timeout = '2s';
DO $$
BEGIN
  ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
END
$$;
