-- case: ADD COLUMN NOT NULL without default on a table created in the same file
-- expect: safe
CREATE TABLE coupons (id bigint PRIMARY KEY);
ALTER TABLE coupons ADD COLUMN code text NOT NULL;
