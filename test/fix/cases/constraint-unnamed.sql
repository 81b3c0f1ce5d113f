-- Unnamed constraints get PostgreSQL's default name, so VALIDATE can name them.
SET lock_timeout = '2s';
ALTER TABLE orders ADD CHECK (amount > 0);
ALTER TABLE users ADD FOREIGN KEY (score) REFERENCES users (id);
-- several columns: PostgreSQL would name it orders_check; not derived, no fix
ALTER TABLE orders ADD CHECK (amount > 0 AND user_id > 0);
-- orders_user_id_fkey already exists: PostgreSQL would pick orders_user_id_fkey1; no fix
ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);
