-- The training migration for dist/bin/libpg-query.wasm's compilation hints (scripts/parser-wasm.mjs):
-- the statements a migration most often holds, so the parser functions a lint run calls are the
-- ones V8 compiles in the background. Not linted for its findings.
CREATE TABLE account (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name varchar(100),
    score numeric(10, 2) DEFAULT 0 CHECK (score >= 0),
    created_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE account ADD COLUMN team_id integer REFERENCES team (id) ON DELETE CASCADE;
ALTER TABLE account ALTER COLUMN name SET NOT NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS account_team_idx ON account (team_id) WHERE team_id IS NOT NULL;
UPDATE account SET score = 1 WHERE id IN (SELECT id FROM account WHERE score IS NULL);

CREATE OR REPLACE FUNCTION account_rank (score numeric, published timestamp without time zone)
    RETURNS integer
    AS $$
DECLARE
    hours numeric := EXTRACT(EPOCH FROM (now() - published)) / 3600;
BEGIN
    IF hours > 0 THEN
        RETURN floor(100 * log(greatest (1, score + 3)))::integer;
    END IF;
    RETURN 0;
END;
$$
LANGUAGE plpgsql
IMMUTABLE;
