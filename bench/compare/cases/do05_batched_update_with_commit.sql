-- case: batched backfill in a DO block, COMMIT after each batch (PG11+ transaction control in DO)
-- expect: safe
DO $$
DECLARE
  lo bigint := 0;
  maxid bigint;
BEGIN
  SELECT max(id) INTO maxid FROM users;
  WHILE lo <= maxid LOOP
    UPDATE users SET status = 'active' WHERE id > lo AND id <= lo + 10000 AND status IS NULL;
    COMMIT;
    lo := lo + 10000;
  END LOOP;
END
$$;
