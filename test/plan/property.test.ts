/**
 * Property-style: identifiers that need quoting (upper case, spaces, quotes,
 * reserved words, unicode) in schema, table, column, index and constraint
 * names. For several generated migrations, the plan must run on a real
 * database (via pg and via psql) and end in the same state as the original.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { planMigration } from '../../src/plan/planner.js';
import { renderSql } from '../../src/plan/render/sql.js';
import { loadParser } from '../../src/sql/parser.js';
import { pgUrl, withDatabase, type PgMajor } from '../support/db.js';
import { dumpDatabase, executePlan, psqlPath, runPsql, withClient } from './support.js';

const POOL = ['User Table', 'select', 'Ünïcode名前', 'a"quote', 'MixedCase', 'order', 'from to', 'ñandú', 'group by', 'Ω', "it's", 'x.y', 'table'];

/** Independent of src/sql/quote.ts on purpose: always quote. */
const q = (s: string) => '"' + s.replace(/"/g, '""') + '"';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function pick(r: () => number, used: Set<string>, suffix = ''): string {
  for (;;) {
    const name = POOL[Math.floor(r() * POOL.length)]! + suffix;
    if (!used.has(name)) {
      used.add(name);
      return name;
    }
    suffix += '_';
  }
}

export function generate(seed: number): { seedSql: string; migration: string; names: string[] } {
  const r = rng(seed);
  const used = new Set<string>();
  const schema = pick(r, used);
  const table = pick(r, used);
  const [k, a, b, c, e, ren] = [0, 1, 2, 3, 4, 5].map(() => pick(r, used));
  const [d, renTo, idx, chk, uq, fn] = [0, 1, 2, 3, 4, 5].map(() => pick(r, used, ' 2'));
  const t = `${q(schema)}.${q(table)}`;
  const seedSql = [
    `CREATE SCHEMA ${q(schema)};`,
    `CREATE FUNCTION ${q(schema)}.${q(fn!)}() RETURNS integer LANGUAGE sql AS 'SELECT 5';`,
    `CREATE TABLE ${t} (${q(k!)} integer PRIMARY KEY, ${q(a!)} text, ${q(b!)} integer, ${q(c!)} integer, ${q(e!)} integer, ${q(ren!)} text);`,
    `INSERT INTO ${t} SELECT g, 'v' || g, g % 17, g, g * 2, 'r' || g FROM generate_series(1, 1500) g;`,
  ].join('\n');
  const migration = [
    `CREATE INDEX ${q(idx!)} ON ${t} (${q(a!)});`,
    `ALTER TABLE ${t} ADD CONSTRAINT ${q(chk!)} CHECK (${q(b!)} >= 0);`,
    `ALTER TABLE ${t} ALTER COLUMN ${q(c!)} SET NOT NULL;`,
    `ALTER TABLE ${t} ADD COLUMN ${q(d!)} integer NOT NULL DEFAULT ${q(schema)}.${q(fn!)}();`,
    `ALTER TABLE ${t} ALTER COLUMN ${q(e!)} TYPE bigint USING ${q(e!)} + 1;`,
    `ALTER TABLE ${t} RENAME COLUMN ${q(ren!)} TO ${q(renTo!)};`,
    `UPDATE ${t} SET ${q(a!)} = ${q(a!)} || '!' WHERE ${q(b!)} % 2 = 0;`,
    `ALTER TABLE ${t} ADD CONSTRAINT ${q(uq!)} UNIQUE (${q(c!)});`,
  ].join('\n');
  return { seedSql, migration, names: [schema, table, k!, a!, b!, c!, e!, ren!, d!, renTo!, idx!, chk!, uq!, fn!] };
}

const MAJORS: PgMajor[] = [18, 15];
const SEEDS = [1, 2, 3, 4, 5];

beforeAll(async () => {
  await loadParser();
});

describe.each(MAJORS)('quoted identifiers on PostgreSQL %i', (major) => {
  for (const seed of SEEDS) {
    it.skipIf(!pgUrl(major))(`seed ${seed}: plan runs and matches the original`, async () => {
      const g = generate(seed);
      const plan = planMigration([{ path: 'gen.sql', text: g.migration }], { pgVersion: major, history: [{ path: 'seed.sql', text: g.seedSql }], batchSize: 400 });
      const rewrites = new Set(plan.steps.map((s) => s.rewrite));
      for (const r of ['create-index', 'constraint-not-valid', 'set-not-null', 'add-column', 'alter-column-type', 'rename-column', 'batch-dml', 'unique-using-index']) {
        expect(rewrites, `${r} (names: ${g.names.join(' | ')})`).toContain(r);
      }
      const original = await withDatabase(major, (db) =>
        withClient(db, async (c) => {
          await c.query(g.seedSql);
          await c.query(g.migration);
          return dumpDatabase(c);
        }),
      );
      const viaPg = await withDatabase(major, (db) =>
        withClient(db, async (c) => {
          await c.query(g.seedSql);
          await executePlan(c, plan);
          return dumpDatabase(c);
        }),
      );
      expect(viaPg).toEqual(original);
      if (psqlPath()) {
        const viaPsql = await withDatabase(major, async (db) => {
          await withClient(db, (c) => c.query(g.seedSql));
          runPsql(db, renderSql(plan));
          return withClient(db, (c) => dumpDatabase(c));
        });
        expect(viaPsql).toEqual(original);
      }
    });
  }
});
