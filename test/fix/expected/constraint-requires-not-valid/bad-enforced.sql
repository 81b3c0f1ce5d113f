-- pg-version: 18
-- expect: 5:1
-- ENFORCED validates every row of orders against users under ACCESS EXCLUSIVE.
SET lock_timeout = '2s';
ALTER TABLE orders ALTER CONSTRAINT orders_user_id_fkey NOT ENFORCED;
ALTER TABLE orders ALTER CONSTRAINT orders_user_id_fkey ENFORCED;
