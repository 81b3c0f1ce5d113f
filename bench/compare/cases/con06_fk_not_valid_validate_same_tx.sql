-- case: FK NOT VALID and VALIDATE in the same transaction
-- expect: validation-scan-under-strong-lock
-- doc: the SHARE ROW EXCLUSIVE from the ADD is held until COMMIT, so the validation scan runs under it.
SET lock_timeout = '2s';
BEGIN;
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;
COMMIT;
