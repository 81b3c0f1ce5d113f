-- transaction: implicit
-- A lone statement sent as one query string: an added VALIDATE would share its implicit transaction.
ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0);
