-- case: ATTACH PARTITION after a validated CHECK that implies the bound
-- expect: safe
-- doc: "It is possible to avoid this scan by adding a valid CHECK constraint to the table that allows only
--      rows satisfying the desired partition constraint before running this command."
SET lock_timeout = '2s';
ALTER TABLE events_2026 ADD CONSTRAINT events_2026_bound
  CHECK (created_at IS NOT NULL AND created_at >= '2026-01-01' AND created_at < '2027-01-01') NOT VALID;
ALTER TABLE events_2026 VALIDATE CONSTRAINT events_2026_bound;
ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
