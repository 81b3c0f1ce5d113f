-- case: ATTACH PARTITION with no CHECK proving the bound
-- expect: validation-scan-under-strong-lock
-- doc: ATTACH scans the table being attached (ACCESS EXCLUSIVE on it) to verify the partition constraint.
SET lock_timeout = '2s';
ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
