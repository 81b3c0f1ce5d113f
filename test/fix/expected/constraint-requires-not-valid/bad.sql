-- expect: 7:1
-- expect: 8:1
-- expect: 10:1
-- expect: 11:1
-- expect: 13:47
-- Each of these validates every existing row while holding the lock.
SET lock_timeout = '2s';
ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_amount_positive;
ALTER TABLE orders ADD CONSTRAINT orders_user_fk2 FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk2;
-- inline constraints on a new column are validated too (a DEFAULT gives every row a value to check)
ALTER TABLE orders ADD COLUMN coupon_id bigint DEFAULT 1 REFERENCES users (id);
ALTER TABLE users ADD COLUMN age integer CHECK (age >= 0);
-- a foreign key from an existing table to a new one still validates the existing rows
CREATE TABLE coupons (id bigint PRIMARY KEY); ALTER TABLE orders ADD CONSTRAINT orders_coupon_fk FOREIGN KEY (user_id) REFERENCES coupons (id) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_coupon_fk;
