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
import { beforeAll, describe, expect, it } from 'vitest';
import { planMigration } from '../../src/plan/planner.js';
import type { Plan } from '../../src/plan/model.js';
import { rollbackHorizon } from '../../src/plan/rewrites/undo.js';
import { loadParser } from '../../src/sql/parser.js';
import { applyPlan } from '../../src/apply/runner.js';
import { rollbackPlan } from '../../src/apply/rollback.js';
import { memoryLogger } from '../../src/apply/log.js';
import { pgUrl, withDatabase, type PgMajor } from '../support/db.js';
import { dumpDatabase, executeStep, fixture, seedFor, withClient } from './support.js';

/**
 * Per fixture: steps to leave out of the plan (a statement that cannot be undone, so the rest
 * can be rolled back in full: the refusal itself is checked on the whole plan), and the step
 * at which the rollback of the expand and migrate phases refuses.
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
const QUIET = { targetBatchMs: 20, sleepBetweenMs: 0, maxReplicationLagMs: null };
const GUARD = { startLockTimeoutMs: 200, maxTotalMs: 10_000 };

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

/** The catalog of the user's schemas, without the data and without ddlguard's own state schema. */
async function catalog(url: string): Promise<Record<string, unknown[]>> {
  const dump = await withClient(url, (c) => dumpDatabase(c));
  delete dump.data;
  const ours = (row: Record<string, unknown>) =>
    row.schema === 'ddlguard' || [row.rel, row.child, row.parent].some((v) => typeof v === 'string' && v.startsWith('ddlguard.'));
  const out: Record<string, unknown[]> = {};
  for (const [k, rows] of Object.entries(dump)) out[k] = (rows as Record<string, unknown>[]).filter((r) => !ours(r));
  return out;
}

/** Catalogs before the plan (index 0) and after each step (index k: steps 1..k ran). */
async function referenceCatalogs(major: PgMajor, name: string, plan: Plan): Promise<Array<Record<string, unknown[]>>> {
  return withDatabase(major, async (url) => {
    await withClient(url, (c) => c.query(seedFor(name)));
    const out = [await catalog(url)];
    for (const step of plan.steps) {
      await withClient(url, (c) => executeStep(c, step));
      out.push(await catalog(url));
    }
    return out;
  });
}

function failures(log: ReturnType<typeof memoryLogger>): string {
  return JSON.stringify(log.events.filter((e) => e.event === 'step.failed' || e.event === 'rollback.refused'));
}

async function apply(url: string, plan: Plan, phase?: 'all') {
  const r = await applyPlan(plan, { db: url, logger: memoryLogger(), allowBlocking: ['all'], backfill: QUIET, ...(phase ? { phase, yes: true } : {}) });
  expect(r.status, r.error).toBe('done');
}

async function rollback(url: string, plan: Plan, to?: string) {
  const log = memoryLogger();
  const r = await rollbackPlan(plan, { db: url, logger: log, yes: true, guard: GUARD, ...(to !== undefined ? { to } : {}) });
  return { ...r, log };
}

/**
 * 1. Apply's default phases, then one rollback of everything: the original catalog, or a
 *    refusal at `refusesAt` that changes nothing.
 * 2. All phases, then back one step at a time.
 */
async function check(major: PgMajor, name: string, plan: Plan, refusesAt: string | undefined): Promise<void> {
  const refs = await referenceCatalogs(major, name, plan);

  // 1. Apply's default phases, then one rollback of everything.
  await withDatabase(major, async (db) => {
    await withClient(db, (cl) => cl.query(seedFor(name)));
    await apply(db, plan);
    const applied = await catalog(db);
    const r = await rollback(db, plan);
    const ran = plan.steps.filter((s) => s.phase !== 'contract');
    if (refusesAt) {
      expect(r.status, r.error).toBe('irreversible');
      expect(r.exitCode).toBe(6);
      expect(r.error).toContain(`${refusesAt} has run and cannot be undone`);
      expect(r.error).toContain(`--to ${refusesAt}`);
      expect(await catalog(db)).toEqual(applied);
    } else {
      expect(r.status, `${r.error}\n${failures(r.log)}`).toBe(ran.length ? 'rolled-back' : 'nothing');
      expect(await catalog(db)).toEqual(refs[0]);
    }
  });

  // 2. All phases, then back one step at a time: `--to` the step before the newest applied one.
  await withDatabase(major, async (db) => {
    await withClient(db, (cl) => cl.query(seedFor(name)));
    await apply(db, plan, 'all');
    expect(await catalog(db)).toEqual(refs[plan.steps.length]);
    let applied = plan.steps.length;
    while (applied > 0) {
      const k = applied - 1;
      const step = plan.steps[k]!;
      const to = k > 0 ? plan.steps[k - 1]!.id : undefined;
      const before = await catalog(db);
      const r = await rollback(db, plan, to);
      if (step.irreversible) {
        // The newest step that cannot be undone: rollback refuses and changes nothing.
        expect(r.status, `${step.id}: ${r.error}`).toBe('irreversible');
        expect(r.error).toContain(`${step.id} has run and cannot be undone`);
        expect(await catalog(db)).toEqual(before);
        expect(rollbackHorizon(plan.steps)).not.toBeNull();
        break;
      }
      expect(r.status, `rollback to ${to ?? 'the start'}: ${r.error}\n${failures(r.log)}`).toBe('rolled-back');
      // Every rollback undoes exactly its own step, but for two that would cost a scan or
      // an index build, where the kept steps whose work is gone are rolled back too:
      // dropping a constraint made USING INDEX drops the index the step before built, and
      // (PostgreSQL 12-17) the temporary CHECK that SET NOT NULL relied on is not
      // re-created, so undoing SET NOT NULL also rolls back the CHECK's VALIDATE and ADD.
      const m = /\bUSING INDEX\b/.test(step.sql) ? 1 : step.id.endsWith('-set') && plan.steps[k + 1]?.id.endsWith('-drop-check') ? 2 : 0;
      expect(r.alsoRolledBack ?? [], `kept steps rolled back with ${step.id}`).toEqual(plan.steps.slice(k - m, k).map((s) => s.id).reverse());
      // PostgreSQL 12-17 NOT NULL: the temporary CHECK the last step drops is not re-created
      // (that would scan the table); the column stays NOT NULL, as after the step.
      const expectedAfter = step.id.endsWith('-drop-check') ? refs[k + 1] : refs[k - m];
      expect(await catalog(db), `catalog after undoing ${step.id}${m ? ` (and ${m} kept step(s))` : ''}`).toEqual(expectedAfter);
      applied = k - m;
    }
  });
}

describe.each(MAJORS)('rollback on PostgreSQL %i', (major) => {
  const url = pgUrl(major);
  for (const c of CASES) {
    it.skipIf(!url || (c.minPg ?? 0) > major)(`${c.fixture}: the expand and migrate phases roll back to the original catalog; all phases roll back step by step`, async () => {
      const plan = planFor(c.fixture, major);
      const expected = EXPECT[c.fixture] ?? {};
      await check(major, c.fixture, plan, expected.refusesAt?.(plan));
      if (expected.without) {
        const left = new Set(expected.without(plan));
        await check(major, c.fixture, { ...plan, id: `${plan.id}-part`, steps: plan.steps.filter((s) => !left.has(s.id)) }, undefined);
      }
    });
  }
});
