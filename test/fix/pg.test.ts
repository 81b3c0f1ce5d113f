/**
 * --fix keeps what the migration means, checked on PostgreSQL 15 and 18: every input of
 * fix.test.ts that --fix changes is run as written and as fixed (after the fixtures'
 * history), the way its runner would run it (autocommit statement by statement, one
 * wrapping transaction, or one multi-statement query string). Both must end the same way
 * (same error, if any) with the same catalog: tables, columns, indexes (definition and
 * validity), constraints (definition and validation), partitions, materialized views.
 * The history tables hold a few rows, so builds and validations have rows to check.
 */
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SourceFile } from '../../src/lint/engine.js';
import { parseSqlFile } from '../../src/sql/parse.js';
import { loadParser } from '../../src/sql/parser.js';
import { availableMajors, withDatabase } from '../support/db.js';
import type { PgMajor } from '../support/postgres.js';
import { caseInputs, fixInput, HISTORY, ruleFixtures, type FixInput } from './helpers.js';

/** A few rows, so index builds, validations and refreshes have something to read. */
const SEED = `
INSERT INTO users (email, name, status, score) VALUES ('a@example.com', 'a', 'active', 1), ('b@example.com', 'b', 'gone', 2);
INSERT INTO orders (user_id, amount, note) SELECT id, 10 * id, 'note ' || id FROM users;
INSERT INTO events VALUES (1, '2024-03-01', '{}');
REFRESH MATERIALIZED VIEW daily_totals;
`;

const SNAPSHOT = `
SELECT json_build_object(
  'columns', (SELECT json_agg(x ORDER BY x::text) FROM (
    SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public') x),
  'indexes', (SELECT json_agg(x ORDER BY x::text) FROM (
    SELECT pg_get_indexdef(i.indexrelid) AS def, i.indisvalid, i.indisready, i.indisunique
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = 'public'::regnamespace) x),
  'constraints', (SELECT json_agg(x ORDER BY x::text) FROM (
    SELECT conrelid::regclass::text AS tbl, conname, contype, convalidated, pg_get_constraintdef(oid) AS def
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace) x),
  'partitions', (SELECT json_agg(x ORDER BY x::text) FROM (
    SELECT inhrelid::regclass::text AS child, inhparent::regclass::text AS parent, inhdetachpending FROM pg_inherits) x),
  'matviews', (SELECT json_agg(x ORDER BY x::text) FROM (
    SELECT matviewname, ispopulated FROM pg_matviews WHERE schemaname = 'public') x)
) AS snap`;

/** Top-level statements of a file, as a runner sends them one by one. */
function statements(text: string): string[] {
  const parsed = parseSqlFile('x.sql', text);
  if (parsed.error) throw new Error(parsed.error.message);
  return parsed.statements.filter((s) => s.inDoBlock === null).map((s) => s.text);
}

async function runMigration(client: pg.Client, text: string, transaction: SourceFile['transaction']): Promise<string | null> {
  try {
    if (transaction === 'implicit') await client.query(text);
    else {
      if (transaction === 'wrapped') await client.query('BEGIN');
      for (const s of statements(text)) await client.query(s);
      if (transaction === 'wrapped') await client.query('COMMIT');
    }
    return null;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    return (e as Error).message;
  }
}

async function outcome(major: PgMajor, input: FixInput, text: string): Promise<{ error: string | null; catalog: unknown }> {
  return withDatabase(major, async (url) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      for (const h of [HISTORY, SEED, input.extraHistory ?? '']) for (const s of statements(h)) await client.query(s);
      const error = await runMigration(client, text, input.transaction);
      const catalog = (await client.query(SNAPSHOT)).rows[0].snap;
      return { error, catalog };
    } finally {
      await client.end();
    }
  });
}

function withoutLeftovers(catalog: any): unknown {
  return {
    ...catalog,
    constraints: (catalog.constraints ?? []).filter((c: any) => c.convalidated),
    indexes: (catalog.indexes ?? []).filter((i: any) => i.indisvalid),
  };
}

beforeAll(async () => {
  await loadParser();
});

const inputs = [...ruleFixtures(), ...caseInputs()].filter((i) => i.history);

describe.each(availableMajors())('--fix keeps the meaning on PostgreSQL %i', (major) => {
  for (const input of inputs) {
    it(input.name, async () => {
      const fixed = fixInput(input);
      if (fixed === input.text) return;
      const [before, after] = await Promise.all([outcome(major, input, input.text), outcome(major, input, fixed)]);
      expect(after.error).toBe(before.error);
      if (before.error === null) {
        expect(after.catalog).toEqual(before.catalog);
        return;
      }
      // Where the migration fails, the split forms fail later: a NOT VALID constraint whose
      // VALIDATE failed (or an INVALID index from a failed concurrent build) stays behind.
      // That is what the rewrite means (the rule's own advice); nothing else may differ.
      expect(withoutLeftovers(after.catalog)).toEqual(withoutLeftovers(before.catalog));
    });
  }
});
