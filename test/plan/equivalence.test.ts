/**
 * Table-driven equivalence: for each rewrite, the original migration on one
 * fresh seeded database and the plan (run step by step with `pg`, batches
 * executed by key range) on another must leave the same catalog and data; the
 * SQL renderer's psql script must too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planMigration } from '../../src/plan/planner.js';
import type { Plan } from '../../src/plan/model.js';
import { renderSql } from '../../src/plan/render/sql.js';
import { loadParser } from '../../src/sql/parser.js';
import { pgUrl, withDatabase, type PgMajor } from '../support/db.js';
import { dumpDatabase, executePlan, fixture, psqlPath, runPsql, seedFor, withClient } from './support.js';

/** rewrite fixture -> the rewrite names its plan must use (proves the rewrite was exercised). */
export const CASES: Array<{ fixture: string; rewrites: string[]; minPg?: number; keys?: string[]; expectedExtra?: (dump: any) => void }> = [
  { fixture: 'create-index', rewrites: ['create-index'] },
  { fixture: 'drop-index', rewrites: ['drop-index'] },
  { fixture: 'reindex', rewrites: ['reindex'] },
  { fixture: 'refresh-matview', rewrites: ['refresh-matview'] },
  {
    fixture: 'detach-partition',
    rewrites: ['detach-partition'],
    minPg: 14,
    // Documented difference: DETACH ... CONCURRENTLY adds a CHECK with the old partition bound.
    expectedExtra: (dump) => {
      const i = dump.constraints.findIndex((c: any) => c.rel === 'measurements_2023' && c.type === 'c');
      expect(i).toBeGreaterThanOrEqual(0);
      dump.constraints.splice(i, 1);
    },
  },
  { fixture: 'constraint-not-valid', rewrites: ['constraint-not-valid'] },
  { fixture: 'unique-using-index', rewrites: ['unique-using-index'] },
  { fixture: 'set-not-null', rewrites: ['set-not-null'] },
  { fixture: 'add-column', rewrites: ['add-column'] },
  { fixture: 'alter-column-type', rewrites: ['alter-column-type', 'guard'] },
  { fixture: 'rename-column', rewrites: ['rename-column'] },
  { fixture: 'rename-table', rewrites: ['rename-table'] },
  { fixture: 'batch-dml', rewrites: ['batch-dml'] },
  { fixture: 'guard', rewrites: ['guard', 'constraint-not-valid'] },
  // Keys other than a one-column primary key (`keys`: the key every batched step must use).
  { fixture: 'add-column-composite-pk', rewrites: ['add-column'], keys: ['order_id', 'sku'] },
  { fixture: 'alter-column-type-unique-key', rewrites: ['alter-column-type'], keys: ['sensor', 'taken_at'] },
  { fixture: 'batch-dml-composite-key', rewrites: ['batch-dml'], keys: ['order_id', 'sku'] },
];

const MAJORS: PgMajor[] = [18, 15];
const PSQL = psqlPath();
const timings: string[] = [];

beforeAll(async () => {
  await loadParser();
  if (!PSQL) console.warn('[plan] psql is not on PATH: the rendered-SQL checks are skipped');
});

afterAll(() => {
  if (timings.length) console.log(timings.join('\n'));
});

function planFor(name: string, major: number): Plan {
  return planMigration([{ path: `${name}.sql`, text: fixture(`${name}.sql`) }], {
    pgVersion: major,
    history: [{ path: `${name}.seed.sql`, text: seedFor(name) }],
    batchSize: 700,
  });
}

describe.each(MAJORS)('plan equivalence on PostgreSQL %i', (major) => {
  const url = pgUrl(major);
  for (const c of CASES) {
    it.skipIf(!url || (c.minPg ?? 0) > major)(`${c.fixture}: original and plan leave the same catalog and data`, async () => {
      const started = Date.now();
      const plan = planFor(c.fixture, major);
      const used = new Set(plan.steps.map((s) => s.rewrite));
      for (const r of c.rewrites) expect(used, `rewrite ${r} in ${c.fixture}`).toContain(r);
      if (c.keys) {
        const batched = plan.steps.filter((s) => s.batch);
        expect(batched.length, `batched steps in ${c.fixture}`).toBeGreaterThan(0);
        for (const s of batched) expect(s.batch!.keyColumns, s.id).toEqual(c.keys);
      }
      const seed = seedFor(c.fixture);
      const original = await withDatabase(major, (db) =>
        withClient(db, async (cl) => {
          await cl.query(seed);
          await cl.query(fixture(`${c.fixture}.sql`));
          return dumpDatabase(cl);
        }),
      );
      const planned = await withDatabase(major, (db) =>
        withClient(db, async (cl) => {
          await cl.query(seed);
          const run = await executePlan(cl, plan);
          if (plan.steps.some((s) => s.batch)) expect(run.batches).toBeGreaterThan(1);
          // Rerunning is a no-op for every step with a done check.
          const again = await executePlan(cl, { ...plan, steps: plan.steps.filter((s) => s.doneCheck) });
          expect(again.skipped).toBe(plan.steps.filter((s) => s.doneCheck).length);
          const dump = await dumpDatabase(cl);
          c.expectedExtra?.(dump);
          return dump;
        }),
      );
      expect(planned).toEqual(original);
      if (PSQL) {
        const viaPsql = await withDatabase(major, async (db) => {
          await withClient(db, (cl) => cl.query(seed));
          runPsql(db, renderSql(plan));
          // Resumable: with a done check on every step, a rerun of the finished script skips everything.
          if (plan.steps.every((s) => s.doneCheck)) runPsql(db, renderSql(plan));
          const dump = await withClient(db, (cl) => dumpDatabase(cl));
          c.expectedExtra?.(dump);
          return dump;
        });
        expect(viaPsql).toEqual(original);
      }
      timings.push(`[plan] pg${major} ${c.fixture}: ${Date.now() - started} ms`);
    });
  }
});
