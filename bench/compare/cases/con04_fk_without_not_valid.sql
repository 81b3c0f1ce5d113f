-- case: ADD FOREIGN KEY without NOT VALID
-- expect: validation-scan-under-strong-lock
-- doc: ADD FOREIGN KEY takes SHARE ROW EXCLUSIVE on both tables and checks every existing row.
SET lock_timeout = '2s';
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
