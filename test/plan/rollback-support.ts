/**
 * Rollback checks shared by the rollback tests: the catalog of a database (without data and
 * without ddlguard's state), reference catalogs after each step, and the two rollback runs
 * (see checkRollback).
 */
import { expect } from 'vitest';
import type { Plan } from '../../src/plan/model.js';
import { rollbackHorizon } from '../../src/plan/rewrites/undo.js';
import { applyPlan } from '../../src/apply/runner.js';
import { rollbackPlan } from '../../src/apply/rollback.js';
import { memoryLogger } from '../../src/apply/log.js';
import { withDatabase, type PgMajor } from '../support/db.js';
import { dumpDatabase, executeStep, withClient } from './support.js';

const QUIET = { targetBatchMs: 20, sleepBetweenMs: 0, maxReplicationLagMs: null };
const GUARD = { startLockTimeoutMs: 200, maxTotalMs: 10_000 };

/** The catalog of the user's schemas, without the data and without ddlguard's own state schema. */
export async function catalog(url: string): Promise<Record<string, unknown[]>> {
  const dump = await withClient(url, (c) => dumpDatabase(c));
  delete dump.data;
  const ours = (row: Record<string, unknown>) =>
    row.schema === 'ddlguard' || [row.rel, row.child, row.parent].some((v) => typeof v === 'string' && v.startsWith('ddlguard.'));
  const out: Record<string, unknown[]> = {};
  for (const [k, rows] of Object.entries(dump)) out[k] = (rows as Record<string, unknown>[]).filter((r) => !ours(r));
  return out;
}

/** Catalogs before the plan (index 0) and after each step (index k: steps 1..k ran). */
export async function referenceCatalogs(major: PgMajor, seed: string, plan: Plan): Promise<Array<Record<string, unknown[]>>> {
  return withDatabase(major, async (url) => {
    await withClient(url, (c) => c.query(seed));
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
export async function checkRollback(major: PgMajor, seed: string, plan: Plan, refusesAt: string | undefined): Promise<void> {
  const refs = await referenceCatalogs(major, seed, plan);

  // 1. Apply's default phases, then one rollback of everything.
  await withDatabase(major, async (db) => {
    await withClient(db, (cl) => cl.query(seed));
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
    await withClient(db, (cl) => cl.query(seed));
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

