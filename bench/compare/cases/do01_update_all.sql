-- case: whole-table UPDATE inside a DO block
-- expect: unbatched-dml
DO $$
BEGIN
  UPDATE users SET status = 'active';
END
$$;
