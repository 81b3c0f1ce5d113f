-- case: FK NOT VALID, then VALIDATE in a separate (autocommit) transaction
-- expect: safe
-- doc: VALIDATE CONSTRAINT takes SHARE UPDATE EXCLUSIVE (ROW SHARE on the referenced table).
SET lock_timeout = '2s';
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;
