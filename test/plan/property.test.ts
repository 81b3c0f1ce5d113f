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

/**
 * `compositeKey`: the primary key is (integer, text), both quoted names, so every batched
 * step (ADD COLUMN, ALTER COLUMN TYPE, RENAME COLUMN, UPDATE) batches by row comparison.
 */
export function generate(seed: number, opts: { compositeKey?: boolean } = {}): { seedSql: string; migration: string; names: string[]; key: string[] } {
  const r = rng(seed);
  const used = new Set<string>();
  const schema = pick(r, used);
  const table = pick(r, used);
  const [k, a, b, c, e, ren] = [0, 1, 2, 3, 4, 5].map(() => pick(r, used));
  const [d, renTo, idx, chk, uq, fn] = [0, 1, 2, 3, 4, 5].map(() => pick(r, used, ' 2'));
  const k2 = opts.compositeKey ? pick(r, used, ' k') : null;
  const t = `${q(schema)}.${q(table)}`;
  const keyDef = k2 ? `${q(k!)} integer, ${q(k2)} text` : `${q(k!)} integer PRIMARY KEY`;
  const pkDef = k2 ? `, PRIMARY KEY (${q(k!)}, ${q(k2)})` : '';
  // Composite: 3 rows per first key value, the second one text ('p0' < 'p1' < 'p2').
  const keyVals = k2 ? `g / 3, 'p' || (g % 3)` : 'g';
  const seedSql = [
    `CREATE SCHEMA ${q(schema)};`,
    `CREATE FUNCTION ${q(schema)}.${q(fn!)}() RETURNS integer LANGUAGE sql AS 'SELECT 5';`,
    `CREATE TABLE ${t} (${keyDef}, ${q(a!)} text, ${q(b!)} integer, ${q(c!)} integer, ${q(e!)} integer, ${q(ren!)} text${pkDef});`,
    `INSERT INTO ${t} SELECT ${keyVals}, 'v' || g, g % 17, g, g * 2, 'r' || g FROM generate_series(1, 1500) g;`,
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
  const names = [schema, table, k!, a!, b!, c!, e!, ren!, d!, renTo!, idx!, chk!, uq!, fn!, ...(k2 ? [k2] : [])];
  return { seedSql, migration, names, key: k2 ? [k!, k2] : [k!] };
}

const MAJORS: PgMajor[] = [18, 15];
/** [seed, composite primary key] */
const SEEDS: Array<[number, boolean]> = [
  [1, false],
  [2, false],
  [3, false],
  [4, false],
  [5, false],
  [6, true],
  [7, true],
  [8, true],
];

beforeAll(async () => {
  await loadParser();
});

describe.each(MAJORS)('quoted identifiers on PostgreSQL %i', (major) => {
  for (const [seed, compositeKey] of SEEDS) {
    it.skipIf(!pgUrl(major))(`seed ${seed}${compositeKey ? ' (composite primary key)' : ''}: plan runs and matches the original`, async () => {
      const g = generate(seed, { compositeKey });
      const plan = planMigration([{ path: 'gen.sql', text: g.migration }], { pgVersion: major, history: [{ path: 'seed.sql', text: g.seedSql }], batchSize: 400 });
      const rewrites = new Set(plan.steps.map((s) => s.rewrite));
      for (const r of ['create-index', 'constraint-not-valid', 'set-not-null', 'add-column', 'alter-column-type', 'rename-column', 'batch-dml', 'unique-using-index']) {
        expect(rewrites, `${r} (names: ${g.names.join(' | ')})`).toContain(r);
      }
      const batched = plan.steps.filter((s) => s.batch);
      expect(batched).toHaveLength(4);
      for (const s of batched) expect(s.batch!.keyColumns, s.id).toEqual(g.key);
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

/** The remaining rewrites (index drops, REINDEX, REFRESH, DETACH, table rename, guard) with quoted names. */
export function generateMaintenance(seed: number): { seedSql: string; migration: string; partition: string; names: string[] } {
  const r = rng(seed * 7919);
  const used = new Set<string>();
  const schema = pick(r, used);
  const [table, a, b, k] = [0, 1, 2, 3].map(() => pick(r, used));
  const [i1, i3, mv, mvIdx, parent, part, renTo] = [0, 1, 2, 3, 4, 5, 6].map(() => pick(r, used, ' m'));
  const s = q(schema);
  const t = `${s}.${q(table!)}`;
  const seedSql = [
    `CREATE SCHEMA ${s};`,
    `CREATE TABLE ${t} (${q(k!)} integer PRIMARY KEY, ${q(a!)} text, ${q(b!)} integer);`,
    `INSERT INTO ${t} SELECT g, 'v' || g, g % 13 FROM generate_series(1, 800) g;`,
    `CREATE INDEX ${q(i1!)} ON ${t} (${q(a!)});`,
    `CREATE INDEX ${q(i3!)} ON ${t} (${q(b!)});`,
    `CREATE MATERIALIZED VIEW ${s}.${q(mv!)} AS SELECT ${q(k!)}, ${q(a!)} FROM ${t};`,
    `CREATE UNIQUE INDEX ${q(mvIdx!)} ON ${s}.${q(mv!)} (${q(k!)});`,
    `CREATE TABLE ${s}.${q(parent!)} (${q(k!)} integer, ${q(b!)} integer) PARTITION BY RANGE (${q(b!)});`,
    `CREATE TABLE ${s}.${q(part!)} PARTITION OF ${s}.${q(parent!)} FOR VALUES FROM (0) TO (100);`,
    `INSERT INTO ${s}.${q(parent!)} SELECT g, g % 100 FROM generate_series(1, 300) g;`,
  ].join('\n');
  const migration = [
    `DROP INDEX ${s}.${q(i1!)};`,
    `REINDEX INDEX ${s}.${q(i3!)};`,
    `REFRESH MATERIALIZED VIEW ${s}.${q(mv!)};`,
    `ALTER TABLE ${s}.${q(parent!)} DETACH PARTITION ${s}.${q(part!)};`,
    `ALTER TABLE ${t} ALTER COLUMN ${q(b!)} SET DEFAULT 7;`,
    `ALTER TABLE ${t} RENAME TO ${q(renTo!)};`,
  ].join('\n');
  return { seedSql, migration, partition: part!, names: [schema, table!, a!, b!, k!, i1!, i3!, mv!, mvIdx!, parent!, part!, renTo!] };
}

describe.each(MAJORS)('quoted identifiers in maintenance rewrites on PostgreSQL %i', (major) => {
  for (const seed of [1, 2, 3]) {
    it.skipIf(!pgUrl(major))(`seed ${seed}: plan runs and matches the original`, async () => {
      const g = generateMaintenance(seed);
      const plan = planMigration([{ path: 'gen.sql', text: g.migration }], { pgVersion: major, history: [{ path: 'seed.sql', text: g.seedSql }] });
      const rewrites = new Set(plan.steps.map((s) => s.rewrite));
      for (const r of ['drop-index', 'reindex', 'refresh-matview', 'detach-partition', 'guard', 'rename-table']) {
        expect(rewrites, `${r} (names: ${g.names.join(' | ')})`).toContain(r);
      }
      // DETACH ... CONCURRENTLY leaves a CHECK with the old bound on the detached table (documented).
      const withoutDetachCheck = (dump: any) => ({ ...dump, constraints: dump.constraints.filter((c: any) => !(c.type === 'c' && String(c.rel).includes(g.partition))) });
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
      expect(withoutDetachCheck(viaPg)).toEqual(withoutDetachCheck(original));
      if (psqlPath()) {
        const viaPsql = await withDatabase(major, async (db) => {
          await withClient(db, (c) => c.query(g.seedSql));
          runPsql(db, renderSql(plan));
          return withClient(db, (c) => dumpDatabase(c));
        });
        expect(withoutDetachCheck(viaPsql)).toEqual(withoutDetachCheck(original));
      }
    });
  }
});
