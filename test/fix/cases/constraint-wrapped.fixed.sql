-- transaction: wrapped
-- One transaction for the whole file: a VALIDATE here would hold the ADD's lock during the scan.
SET LOCAL lock_timeout = '2s';
ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0);
