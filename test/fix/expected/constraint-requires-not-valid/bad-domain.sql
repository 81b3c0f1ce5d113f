-- expect: 6:1
-- expect: 8:1
-- expect: 10:1
-- positive_amount is used by payments.amount and payments.refund: the new constraint is
-- checked against every value, scanning payments under SHARE (writes wait).
SET lock_timeout = '2s';
ALTER DOMAIN positive_amount ADD CONSTRAINT positive_amount_check CHECK (VALUE > 0);
-- SET NOT NULL checks every value too.
ALTER DOMAIN positive_amount SET NOT NULL;
-- A domain no source defined: the tables using it are unknown (reported as a warning).
ALTER DOMAIN external_code ADD CHECK (VALUE <> '');
