-- case: VALIDATE CONSTRAINT of an existing NOT VALID check, no lock_timeout
-- expect: safe
-- doc: VALIDATE CONSTRAINT takes SHARE UPDATE EXCLUSIVE, which conflicts with neither reads nor writes.
ALTER TABLE orders VALIDATE CONSTRAINT orders_qty_positive;
