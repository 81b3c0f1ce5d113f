/**
 * Rollback of every planner fixture, on PostgreSQL 15 and 18, through the real applier:
 *
 * - after the expand and migrate phases (apply's default), `rollback` returns the catalog to
 *   what it was before the plan (columns, types, nullability, defaults, constraints with
 *   validity, indexes, triggers, functions), or refuses at the step that cannot be undone and
 *   changes nothing;
 * - after all phases, rolling back one step at a time (`--to` each step, newest first) gives,
 *   after each, the catalog of a database where only the steps up to it ran (each rollback
 *   undoes exactly its step), until a step that cannot be undone stops it with a refusal.
 *
 * The reference catalogs come from running the plan step by step with test/plan/support.ts.
 */
import { beforeAll, describe, it } from 'vitest';
import { planMigration } from '../../src/plan/planner.js';
import type { Plan } from '../../src/plan/model.js';
import { loadParser } from '../../src/sql/parser.js';
import { pgUrl, type PgMajor } from '../support/db.js';
import { fixture, seedFor } from './support.js';
import { checkRollback } from './rollback-support.js';

/**
 * Per fixture: the step at which the rollback of the expand and migrate phases refuses, and
 * steps to leave out of a second run (a statement that cannot be undone, so the rest of the
 * plan is rolled back in full too).
 */
const EXPECT: Record<string, { refusesAt?: (plan: Plan) => string; without?: (plan: Plan) => string[] }> = {
  // UPDATE / DELETE of existing rows: their changes to the data cannot be undone.
  'batch-dml': { refusesAt: (p) => p.steps[p.steps.length - 1]!.id },
  'batch-dml-composite-key': { refusesAt: (p) => p.steps[p.steps.length - 1]!.id },
  // Also run without its UPDATE, so the steps before it are rolled back too.
  guard: { refusesAt: (p) => p.steps.find((s) => s.sql.startsWith('UPDATE tags'))!.id, without: (p) => p.steps.filter((s) => s.sql.startsWith('UPDATE tags')).map((s) => s.id) },
};

/** The planner fixtures (as in equivalence.test.ts). */
const CASES: Array<{ fixture: string; minPg?: number }> = [
  { fixture: 'create-index' },
  { fixture: 'drop-index' },
  { fixture: 'reindex' },
  { fixture: 'refresh-matview' },
  { fixture: 'detach-partition', minPg: 14 },
  { fixture: 'constraint-not-valid' },
  { fixture: 'unique-using-index' },
  { fixture: 'set-not-null' },
  { fixture: 'add-column' },
  { fixture: 'alter-column-type' },
  { fixture: 'rename-column' },
  { fixture: 'rename-table' },
  { fixture: 'batch-dml' },
  { fixture: 'guard' },
  { fixture: 'add-column-composite-pk' },
  { fixture: 'alter-column-type-unique-key' },
  { fixture: 'batch-dml-composite-key' },
];

const MAJORS: PgMajor[] = [18, 15];

beforeAll(async () => {
  await loadParser();
});

function planFor(name: string, major: number): Plan {
  return planMigration([{ path: `${name}.sql`, text: fixture(`${name}.sql`) }], {
    pgVersion: major,
    history: [{ path: `${name}.seed.sql`, text: seedFor(name) }],
    batchSize: 700,
  });
}

describe.each(MAJORS)('rollback on PostgreSQL %i', (major) => {
  const url = pgUrl(major);
  for (const c of CASES) {
    it.skipIf(!url || (c.minPg ?? 0) > major)(`${c.fixture}: the expand and migrate phases roll back to the original catalog; all phases roll back step by step`, async () => {
      const plan = planFor(c.fixture, major);
      const expected = EXPECT[c.fixture] ?? {};
      await checkRollback(major, seedFor(c.fixture), plan, expected.refusesAt?.(plan));
      if (expected.without) {
        const left = new Set(expected.without(plan));
        await checkRollback(major, seedFor(c.fixture), { ...plan, id: `${plan.id}-part`, steps: plan.steps.filter((s) => !left.has(s.id)) }, undefined);
      }
    });
  }
});
