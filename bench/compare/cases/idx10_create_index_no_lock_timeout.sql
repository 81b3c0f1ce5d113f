-- case: plain CREATE INDEX and no lock_timeout
-- expect: blocking-index-build
-- expect: missing-lock-timeout
-- doc: the SHARE lock request conflicts with ROW EXCLUSIVE; while queued, later writers queue behind it.
CREATE INDEX orders_created_idx ON orders (created_at);
