/**
 * Rollback: what it decides per recorded step status (units), and on a real server: part
 * done steps (an interrupted backfill, an INVALID index left by a build, a failed step in its
 * own transaction, a batched UPDATE stopped half way), steps found done, re-apply after a
 * rollback, dry run, the applier lock, a graceful stop, and a changed plan.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { pgUrl, withDatabase } from '../support/db.js';
import { applyPlan } from '../../src/apply/runner.js';
import { decideRollback, describeIrreversible, rollbackPlan, splitRollback } from '../../src/apply/rollback.js';
import { memoryLogger } from '../../src/apply/log.js';
import { LOCK_KEY1, LOCK_KEY2 } from '../../src/apply/lock.js';
import { describeHorizon, requestAbort, stateHorizon, type PlanState, type StepState } from '../../src/apply/state.js';
import { loadParser } from '../../src/sql/parser.js';
import { rollbackHorizon, stepUndo } from '../../src/plan/rewrites/undo.js';
import type { PlanStep } from '../../src/apply/types.js';
import { client, plan, sleep, step } from './helpers.js';

beforeAll(async () => {
  await loadParser();
});

function stateOf(p: ReturnType<typeof plan>, statuses: Record<string, Partial<StepState>>): PlanState {
  return {
    planId: p.id,
    planHash: 'x',
    status: 'running',
    abortRequested: false,
    startedAt: null,
    finishedAt: null,
    steps: p.steps.map((s) => ({
      stepId: s.id,
      status: 'pending',
      attempts: 0,
      lastKey: null,
      rowsDone: 0,
      rowsUpdated: 0,
      error: null,
      startedAt: null,
      finishedAt: null,
      foundDone: false,
      undo: stepUndo(s).kind,
      undoReason: stepUndo(s).why || null,
      ...statuses[s.id],
    })),
  };
}

const BATCH = { table: 't', keyColumns: ['id'], updateSql: 'UPDATE t SET v = 1 WHERE id BETWEEN $1 AND $2', predicate: null, batchSize: 100 };

describe('units', () => {
  it('splits a rollback into one transaction, statements outside any (CONCURRENTLY) and VALIDATE on its own; finds what drops data', () => {
    expect(splitRollback('DROP VIEW IF EXISTS tags;\nALTER TABLE labels RENAME TO tags', 18)).toEqual({
      parts: [{ sql: 'DROP VIEW IF EXISTS tags;\nALTER TABLE labels RENAME TO tags', mode: 'transaction' }],
      drops: [],
    });
    expect(splitRollback('DROP INDEX CONCURRENTLY IF EXISTS i', 18).parts).toEqual([{ sql: 'DROP INDEX CONCURRENTLY IF EXISTS i', mode: 'outside' }]);
    expect(splitRollback("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT c;\nSELECT 1", 15).parts.map((p) => p.mode)).toEqual([
      'transaction',
      'validate',
      'transaction',
    ]);
    expect(splitRollback('ALTER TABLE users DROP COLUMN IF EXISTS score; DROP TABLE IF EXISTS fresh', 18).drops).toEqual(['drops column users.score', 'drops table fresh']);
    // A DO block is one statement: the statements in it are not split out.
    expect(splitRollback("DO $x$ BEGIN EXECUTE 'SELECT 1'; END $x$", 18).parts).toHaveLength(1);
    expect(() => splitRollback('DROP TABL x', 18)).toThrow(/does not parse/);
  });

  it('decides per recorded status: run, nothing to undo, skip, or refuse', () => {
    const p = plan('d', [
      step('add', 'ALTER TABLE t ADD COLUMN v int', { rollback: 'ALTER TABLE t DROP COLUMN IF EXISTS v' }),
      step('fill', 'UPDATE t SET v = 1', { phase: 'migrate', batch: BATCH }),
      step('idx', 'CREATE INDEX CONCURRENTLY i ON t (v)', { transaction: 'none', rollback: 'DROP INDEX CONCURRENTLY IF EXISTS i' }),
      step('ren', 'ALTER TABLE t RENAME TO u', { rollback: 'ALTER TABLE u RENAME TO t' }),
      step('pre', 'CREATE INDEX CONCURRENTLY IF NOT EXISTS j ON t (v)', { transaction: 'none', rollback: 'DROP INDEX CONCURRENTLY IF EXISTS j' }),
      step('dml', 'UPDATE t SET v = 2', { phase: 'migrate', batch: BATCH, irreversible: true, fact: 'update' }),
      step('drop', 'ALTER TABLE t DROP COLUMN w', { phase: 'contract', irreversible: true, fact: 'drop-column' }),
    ]);
    const kinds = (st: Record<string, Partial<StepState>>, to?: string) =>
      Object.fromEntries(decideRollback(p, stateOf(p, st), to).actions.map((a) => [a.step.id, a.kind]));
    expect(
      kinds({
        add: { status: 'done' },
        fill: { status: 'running', lastKey: '500', rowsDone: 500 },
        idx: { status: 'running' },
        ren: { status: 'failed' },
        pre: { status: 'done', foundDone: true },
      }),
    ).toEqual({ drop: 'skip', dml: 'skip', pre: 'skip', ren: 'skip', idx: 'run', fill: 'nothing', add: 'run' });
    // A batched UPDATE stopped half way cannot be undone; before its first batch it did nothing.
    expect(kinds({ dml: { status: 'running', lastKey: '100', rowsDone: 100 } }).dml).toBe('refuse');
    expect(kinds({ dml: { status: 'running' } }).dml).toBe('skip');
    expect(kinds({ idx: { status: 'rolling-back' }, add: { status: 'rolled-back' } })).toMatchObject({ idx: 'run', add: 'skip' });
    // --to keeps that step and the ones before it.
    expect(Object.keys(kinds({ add: { status: 'done' }, ren: { status: 'done' } }, 'idx'))).toEqual(['drop', 'dml', 'pre', 'ren']);
    expect(() => decideRollback(p, null, 'nope')).toThrow(/has no step nope/);
    // Without a state (dry run without a database): as if every step had run.
    const all = decideRollback(p, null);
    expect(all.refused.map((r) => r.step.id)).toEqual(['drop', 'dml']);
    expect(all.dataLoss.map((a) => a.step.id)).toEqual(['add']);
    const msg = describeIrreversible(p, all.refused);
    expect(msg).toContain("drop has run and cannot be undone: the old column's data is gone");
    expect(msg).toContain('dml has run and cannot be undone: its changes to existing rows cannot be undone');
    expect(msg).toContain('--to drop');
  });

  it('drops of columns a trigger kept as copies (rename-column, alter-column-type) need no confirmation', () => {
    const p = plan('c', [step('add-new', 'ALTER TABLE t ADD COLUMN n int', { rollback: 'ALTER TABLE t DROP COLUMN IF EXISTS n', rewrite: 'rename-column' } as Partial<PlanStep>)]);
    expect(decideRollback(p, null).dataLoss).toEqual([]);
    const q = plan('c', [step('add-new', 'ALTER TABLE t ADD COLUMN n int', { rollback: 'ALTER TABLE t DROP COLUMN IF EXISTS n', rewrite: 'add-column' } as Partial<PlanStep>)]);
    expect(decideRollback(q, null).dataLoss).toHaveLength(1);
  });

  it('says up to which step rollback is possible, from the plan and from the state', () => {
    const p = plan('h', [
      step('a', 'x', { rollback: 'y' }),
      step('swap', 'ALTER TABLE t DROP COLUMN c', { phase: 'contract', irreversible: true, fact: 'drop-column' }),
      step('b', 'z', { phase: 'contract' }),
    ]);
    expect(rollbackHorizon(p.steps)).toEqual({ step: p.steps[1], why: "the old column's data is gone" });
    expect(describeHorizon(stateHorizon(stateOf(p, { a: { status: 'done' } })))).toBe("rollback possible until swap: after it, the old column's data is gone");
    expect(describeHorizon(stateHorizon(stateOf(p, { a: { status: 'done' }, swap: { status: 'done' } })))).toBe(
      "rollback no longer possible: swap has run (the old column's data is gone); `ddlguard rollback --to swap` undoes the steps after it",
    );
    expect(describeHorizon(stateHorizon(stateOf(p, { swap: { status: 'done', foundDone: true } })))).toMatch(/^rollback possible until swap/);
    expect(describeHorizon(stateHorizon(stateOf(plan('e', [step('a', 'x')]), {})))).toBe('rollback possible for every step');
    const old = stateOf(p, {});
    for (const s of old.steps) s.undo = null;
    expect(describeHorizon(stateHorizon(old))).toMatch(/not known/);
  });
});

const BF = { targetBatchMs: 20, minBatchSize: 200, maxBatchSize: 500, sleepBetweenMs: 20, maxReplicationLagMs: null };

async function columns(c: Awaited<ReturnType<typeof client>>, table: string): Promise<string[]> {
  const r = await c.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY 1`, [table]);
  return r.rows.map((x) => x.column_name as string);
}

async function states(c: Awaited<ReturnType<typeof client>>, planId: string) {
  return (await c.query(`SELECT step_id, status, last_key, rows_done::int, found_done, error FROM ddlguard.apply_step WHERE plan_id = $1 ORDER BY ordinal`, [planId])).rows;
}

describe.skipIf(!pgUrl())('rollback on a real server', () => {
  it('a backfill stopped half way: the column is dropped, the step forgotten, and a re-apply backfills every row from the start', async () => {
    await withDatabase(undefined, async (url) => {
      const c = await client(url);
      try {
        await c.query('CREATE TABLE b (id int PRIMARY KEY, v int); INSERT INTO b SELECT g, g FROM generate_series(1, 20000) g; ANALYZE b');
        const p = plan('bf', [
          step('add-w', 'ALTER TABLE b ADD COLUMN w int', { rollback: 'ALTER TABLE b DROP COLUMN IF EXISTS w' }),
          step('fill', 'UPDATE b SET w = v * 2', {
            phase: 'migrate',
            batch: { table: 'b', keyColumns: ['id'], updateSql: 'UPDATE b SET w = v * 2 WHERE id BETWEEN $1 AND $2 AND w IS NULL', predicate: 'w IS NULL', batchSize: 500 },
          }),
        ]);
        const ac = new AbortController();
        setTimeout(() => ac.abort(), 300);
        expect((await applyPlan(p, { db: url, logger: memoryLogger(), backfill: BF, signal: ac.signal })).status).toBe('interrupted');
        const mid = await states(c, 'bf');
        expect(mid[1]).toMatchObject({ step_id: 'fill', status: 'running' });
        expect(Number(mid[1].last_key)).toBeGreaterThan(0);

        const log = memoryLogger();
        const r = await rollbackPlan(p, { db: url, logger: log, yes: true });
        expect(r.status, r.error).toBe('rolled-back');
        expect(r.rolledBack).toEqual(['fill', 'add-w']);
        expect(log.events.find((e) => e.event === 'step.done' && e.step === 'fill')?.message).toMatch(/ran part way \(running\); it has no rollback of its own/);
        expect(await columns(c, 'b')).toEqual(['id', 'v']);
        expect(await states(c, 'bf')).toEqual([
          { step_id: 'add-w', status: 'rolled-back', last_key: null, rows_done: 0, found_done: false, error: null },
          { step_id: 'fill', status: 'rolled-back', last_key: null, rows_done: 0, found_done: false, error: null },
        ]);
        expect((await c.query(`SELECT status FROM ddlguard.apply_plan WHERE plan_id = 'bf'`)).rows[0].status).toBe('rolled-back');

        // Rolled back is pending again: apply runs both steps from the start.
        const again = await applyPlan(p, { db: url, logger: memoryLogger(), backfill: BF });
        expect(again.status).toBe('done');
        expect(again.ran).toEqual(['add-w', 'fill']);
        expect((await c.query('SELECT count(*)::int AS n FROM b WHERE w IS DISTINCT FROM v * 2')).rows[0].n).toBe(0);
      } finally {
        await c.end();
      }
    });
  });

  it('an INVALID index left by an interrupted build is dropped; a step that failed in its own transaction is skipped (its rollback never runs)', async () => {
    await withDatabase(undefined, async (url) => {
      const c = await client(url);
      try {
        await c.query('CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t SELECT g, g % 10 FROM generate_series(1, 1000) g');
        const p = plan('partial', [
          step('add-x', 'ALTER TABLE t ADD COLUMN x int', { rollback: 'ALTER TABLE t DROP COLUMN IF EXISTS x' }),
          step('uniq', 'CREATE UNIQUE INDEX CONCURRENTLY t_v_key ON t (v)', { transaction: 'none', guard: { kind: 'none', reason: 'CONCURRENTLY' }, rollback: 'DROP INDEX CONCURRENTLY IF EXISTS t_v_key' }),
          // Fails (no such table); its rollback would fail too if it ran.
          step('ren', 'ALTER TABLE nope RENAME TO nope2', { rollback: 'ALTER TABLE nope2 RENAME TO nope' }),
        ]);
        const r1 = await applyPlan(p, { db: url, logger: memoryLogger(), guard: { maxTotalMs: 1000 } });
        expect(r1.status).toBe('failed');
        expect(r1.failedStep).toBe('uniq');
        // As if the applier had been killed during the build: the INVALID index stays, the step reads running.
        await c.query('CREATE UNIQUE INDEX CONCURRENTLY t_v_key ON t (v)').catch(() => {});
        expect((await c.query(`SELECT indisvalid FROM pg_index WHERE indexrelid = 't_v_key'::regclass`)).rows[0].indisvalid).toBe(false);
        await c.query(`UPDATE ddlguard.apply_step SET status = 'running' WHERE step_id = 'uniq'; UPDATE ddlguard.apply_step SET status = 'failed' WHERE step_id = 'ren'`);

        const log = memoryLogger();
        const r = await rollbackPlan(p, { db: url, logger: log, yes: true });
        expect(r.status, r.error).toBe('rolled-back');
        expect(r.rolledBack).toEqual(['uniq', 'add-x']);
        expect(r.skipped).toEqual([{ step: 'ren', reason: 'failed in its own transaction, which rolled back: nothing to undo' }]);
        expect((await c.query(`SELECT to_regclass('t_v_key') AS i`)).rows[0].i).toBeNull();
        expect(await columns(c, 't')).toEqual(['id', 'v']);
        expect(log.events.find((e) => e.event === 'step.start' && e.step === 'uniq')?.message).toMatch(/outside any transaction.*ran part way/s);
      } finally {
        await c.end();
      }
    });
  });

  it('refuses, changing nothing, when a batched UPDATE ran part way; --to it undoes the steps after it', async () => {
    await withDatabase(undefined, async (url) => {
      const c = await client(url);
      try {
        await c.query('CREATE TABLE b (id int PRIMARY KEY, v int); INSERT INTO b SELECT g, g FROM generate_series(1, 20000) g; ANALYZE b');
        const p = plan('dml', [
          step('add-w', 'ALTER TABLE b ADD COLUMN w int', { rollback: 'ALTER TABLE b DROP COLUMN IF EXISTS w' }),
          step('bump', 'UPDATE b SET v = v + 1', {
            phase: 'migrate',
            irreversible: true,
            fact: 'update',
            batch: { table: 'b', keyColumns: ['id'], updateSql: 'UPDATE b SET v = v + 1 WHERE id BETWEEN $1 AND $2', predicate: null, batchSize: 500 },
          }),
        ]);
        const ac = new AbortController();
        setTimeout(() => ac.abort(), 300);
        expect((await applyPlan(p, { db: url, logger: memoryLogger(), backfill: BF, signal: ac.signal })).status).toBe('interrupted');
        const before = await states(c, 'dml');
        const log = memoryLogger();
        const r = await rollbackPlan(p, { db: url, logger: log, yes: true });
        expect(r.status).toBe('irreversible');
        expect(r.exitCode).toBe(6);
        expect(r.error).toContain('bump has run part way and cannot be undone: its changes to existing rows cannot be undone');
        expect(r.error).toContain('--to bump');
        expect(await columns(c, 'b')).toEqual(['id', 'v', 'w']);
        expect(await states(c, 'dml')).toEqual(before);
        expect((await c.query(`SELECT status FROM ddlguard.apply_plan WHERE plan_id = 'dml'`)).rows[0].status).toBe('stopped');
        // Nothing after it to undo.
        expect((await rollbackPlan(p, { db: url, logger: memoryLogger(), to: 'bump' })).status).toBe('nothing');
      } finally {
        await c.end();
      }
    });
  });

  it('leaves a step that was already done before apply reached it (its done check held): ddlguard ran nothing there', async () => {
    await withDatabase(undefined, async (url) => {
      const c = await client(url);
      try {
        await c.query('CREATE TABLE t (id int PRIMARY KEY, v int); CREATE INDEX t_v_idx ON t (v)');
        const p = plan('found', [
          step('idx', 'CREATE INDEX CONCURRENTLY IF NOT EXISTS t_v_idx ON t (v)', { transaction: 'none', guard: { kind: 'none', reason: 'CONCURRENTLY' }, rollback: 'DROP INDEX CONCURRENTLY IF EXISTS t_v_idx' }),
          step('add', 'ALTER TABLE t ADD COLUMN w int', {
            rollback: 'ALTER TABLE t DROP COLUMN IF EXISTS w',
            doneCheck: `SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 't' AND column_name = 'w')`,
          }),
        ]);
        const a = await applyPlan(p, { db: url, logger: memoryLogger() });
        expect(a.alreadyDone).toEqual(['idx']);
        expect(a.ran).toEqual(['add']);
        expect((await states(c, 'found')).map((s) => [s.step_id, s.status, s.found_done])).toEqual([
          ['idx', 'done', true],
          ['add', 'done', false],
        ]);
        const r = await rollbackPlan(p, { db: url, logger: memoryLogger(), yes: true });
        expect(r.status).toBe('rolled-back');
        expect(r.rolledBack).toEqual(['add']);
        expect(r.skipped[0]).toMatchObject({ step: 'idx', reason: expect.stringMatching(/done check held before ddlguard started it/) });
        expect((await c.query(`SELECT to_regclass('t_v_idx') IS NOT NULL AS ok`)).rows[0].ok).toBe(true);
        expect(await columns(c, 't')).toEqual(['id', 'v']);
      } finally {
        await c.end();
      }
    });
  });

  it('rolls back state recorded by an older ddlguard (without the rollback columns), adding them first', async () => {
    await withDatabase(undefined, async (url) => {
      const c = await client(url);
      try {
        await c.query('CREATE TABLE t (id int PRIMARY KEY)');
        const p = plan('old', [step('add-a', 'ALTER TABLE t ADD COLUMN a int', { rollback: 'ALTER TABLE t DROP COLUMN IF EXISTS a' })]);
        await applyPlan(p, { db: url, logger: memoryLogger() });
        await c.query('ALTER TABLE ddlguard.apply_step DROP COLUMN found_done, DROP COLUMN undo, DROP COLUMN undo_reason; ALTER TABLE ddlguard.apply_plan DROP COLUMN plan_json');
        const log = memoryLogger();
        const r = await rollbackPlan(p, { db: url, logger: log, yes: true });
        expect(r.status, r.error).toBe('rolled-back');
        expect(log.events.some((e) => e.event === 'rollback.old-state')).toBe(true);
        expect(await columns(c, 't')).toEqual(['id']);
        expect((await states(c, 'old'))[0]).toMatchObject({ status: 'rolled-back', found_done: false });
      } finally {
        await c.end();
      }
    });
  });

  it('dry run: prints each rollback with how it runs, changes nothing; without a database, as if every step had run', async () => {
    await withDatabase(undefined, async (url) => {
      const c = await client(url);
      try {
        await c.query('CREATE TABLE t (id int PRIMARY KEY, v int)');
        const p = plan('dry', [
          step('add', 'ALTER TABLE t ADD COLUMN w int', { rollback: 'ALTER TABLE t DROP COLUMN IF EXISTS w' }),
          step('idx', 'CREATE INDEX CONCURRENTLY t_w_idx ON t (w)', { transaction: 'none', guard: { kind: 'none', reason: 'CONCURRENTLY' }, rollback: 'DROP INDEX CONCURRENTLY IF EXISTS t_w_idx' }),
          step('drop', 'ALTER TABLE t DROP COLUMN v', { phase: 'contract', irreversible: true, fact: 'drop-column' }),
        ]);
        await applyPlan(p, { db: url, logger: memoryLogger() });
        const before = { cols: await columns(c, 't'), states: await states(c, 'dry'), plan: (await c.query(`SELECT status, updated_at FROM ddlguard.apply_plan`)).rows };
        const log = memoryLogger();
        const r = await rollbackPlan(p, { db: url, logger: log, dryRun: true });
        expect(r.status).toBe('dry-run');
        expect(r.exitCode).toBe(0);
        const would = log.events.filter((e) => e.event === 'step.would-run');
        expect(would.map((e) => [e.step, e.sql])).toEqual([
          ['idx', 'DROP INDEX CONCURRENTLY IF EXISTS t_w_idx'],
          ['add', 'ALTER TABLE t DROP COLUMN IF EXISTS w'],
        ]);
        expect(String(would[0]!.how)).toMatch(/outside any transaction: lock_timeout 5000 ms/);
        expect(String(would[1]!.how)).toMatch(/in its own transaction: lock_timeout 100 ms growing x2 to 5000 ms.*DROPS DATA: drops column t.w/);
        expect(log.events.find((e) => e.event === 'step.skip')).toMatchObject({ step: 'drop', reason: 'not run' });
        expect(log.events.some((e) => e.event === 'rollback.data-loss' && /needs --yes/.test(String(e.message)))).toBe(true);
        expect({ cols: await columns(c, 't'), states: await states(c, 'dry'), plan: (await c.query(`SELECT status, updated_at FROM ddlguard.apply_plan`)).rows }).toEqual(before);

        // No database: every step as if it had run, so the contract step makes it refuse.
        const saved = process.env.DATABASE_URL;
        delete process.env.DATABASE_URL;
        try {
          const log2 = memoryLogger();
          const r2 = await rollbackPlan(p, { logger: log2, dryRun: true });
          expect(r2.status).toBe('irreversible');
          expect(r2.exitCode).toBe(6);
          expect(String(log2.events[0]!.message)).toMatch(/no database: every step as if it had run/);
          expect(log2.events.find((e) => e.event === 'step.would-refuse')).toMatchObject({ step: 'drop' });
        } finally {
          if (saved !== undefined) process.env.DATABASE_URL = saved;
        }
      } finally {
        await c.end();
      }
    });
  });

  it('holds the applier lock (another applier: exit 3), stops on a signal or `ddlguard abort` (exit 4) and resumes, refuses a changed plan (exit 2)', async () => {
    await withDatabase(undefined, async (url) => {
      const c = await client(url);
      const other = await client(url, 'other-applier');
      try {
        await c.query('CREATE TABLE t (id int PRIMARY KEY)');
        const p = plan('lock', [
          step('add-a', 'ALTER TABLE t ADD COLUMN a int', { rollback: 'ALTER TABLE t DROP COLUMN IF EXISTS a' }),
          step('add-b', 'ALTER TABLE t ADD COLUMN b int', { rollback: 'ALTER TABLE t DROP COLUMN IF EXISTS b' }),
        ]);
        await applyPlan(p, { db: url, logger: memoryLogger() });

        await other.query('SELECT pg_advisory_lock($1::int, $2::int)', [LOCK_KEY1, LOCK_KEY2]);
        const busy = await rollbackPlan(p, { db: url, logger: memoryLogger(), yes: true });
        expect(busy.status).toBe('busy');
        expect(busy.exitCode).toBe(3);
        expect(busy.error).toMatch(/application_name other-applier/);
        await other.query('SELECT pg_advisory_unlock_all()');

        const ac = new AbortController();
        ac.abort();
        const stopped = await rollbackPlan(p, { db: url, logger: memoryLogger(), yes: true, signal: ac.signal });
        expect(stopped.status).toBe('interrupted');
        expect(stopped.exitCode).toBe(4);
        expect((await c.query(`SELECT status FROM ddlguard.apply_plan WHERE plan_id = 'lock'`)).rows[0].status).toBe('rollback-stopped');
        expect(await columns(c, 't')).toEqual(['a', 'b', 'id']);

        // `ddlguard abort` stops a running rollback after its current step; a flag left from
        // before (the apply it stopped) does not stop the next rollback.
        await c.query(`UPDATE ddlguard.apply_plan SET abort_requested = true`);
        const slow = plan('lock', p.steps.map((s, i) => (i === 1 ? { ...s, rollback: `SELECT pg_sleep(0.8);\n${s.rollback}` } : s)));
        const rolling = rollbackPlan(slow, { db: url, logger: memoryLogger(), yes: true });
        await sleep(400);
        expect(await requestAbort(c, 'lock')).toEqual(['lock']);
        const aborted = await rolling;
        expect(aborted.status).toBe('interrupted');
        expect(aborted.rolledBack).toEqual(['add-b']);
        expect(await columns(c, 't')).toEqual(['a', 'id']);

        const changed = plan('lock', [step('add-a', 'ALTER TABLE t ADD COLUMN a bigint', { rollback: 'ALTER TABLE t DROP COLUMN IF EXISTS a' }), p.steps[1]!]);
        const refused = await rollbackPlan(changed, { db: url, logger: memoryLogger(), yes: true });
        expect(refused.status).toBe('refused');
        expect(refused.exitCode).toBe(2);
        expect(refused.error).toMatch(/is not the plan that was applied/);

        const done = await rollbackPlan(p, { db: url, logger: memoryLogger(), yes: true });
        expect(done.status).toBe('rolled-back');
        expect(done.rolledBack).toEqual(['add-a']);
        expect(await columns(c, 't')).toEqual(['id']);
        // Again: nothing left to roll back.
        const again = await rollbackPlan(p, { db: url, logger: memoryLogger(), yes: true });
        expect(again.status).toBe('nothing');
        expect(again.skipped.map((s) => s.reason)).toEqual(['already rolled back', 'already rolled back']);
      } finally {
        await other.end();
        await c.end();
      }
    });
  });
});
