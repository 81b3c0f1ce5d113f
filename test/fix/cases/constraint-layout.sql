-- Trailing comments, a statement after the semicolon, and a last statement without one.
SET lock_timeout = '2s';
ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0); -- money
ALTER TABLE orders ADD CONSTRAINT orders_note_short CHECK (char_length(note) < 1000) /* why */ ; SELECT 1;
ALTER TABLE orders ADD CONSTRAINT orders_user_fk3 FOREIGN KEY (user_id) REFERENCES users (id) -- last