-- The VALIDATE goes after the block's COMMIT, in its own transaction.
SET lock_timeout = '2s';
BEGIN;
ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0) NOT VALID;
ALTER TABLE users ADD COLUMN plan text;
COMMIT;
ALTER TABLE orders VALIDATE CONSTRAINT orders_amount_positive;
BEGIN;
ALTER TABLE orders ADD CONSTRAINT orders_note_short CHECK (char_length(note) < 1000);
-- a later statement touches the table: validating later could change what it sees
UPDATE orders SET note = left(note, 999);
COMMIT;
