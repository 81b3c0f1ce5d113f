/**
 * Rollback under lock contention on a real server: another session holds a lock in an open
 * transaction while rollback runs an ACCESS EXCLUSIVE rollback; the same guard as apply
 * retries with growing lock timeouts, names the blocker, keeps readers waiting at most one
 * lock timeout, and gives up within its bound leaving the step applied.
 */
import { describe, expect, it } from 'vitest';
import { pgUrl, withDatabase } from '../support/db.js';
import { applyPlan } from '../../src/apply/runner.js';
import { rollbackPlan } from '../../src/apply/rollback.js';
import { memoryLogger } from '../../src/apply/log.js';
import { client, plan, sleep, step } from './helpers.js';

const GUARD = { startLockTimeoutMs: 100, maxLockTimeoutMs: 800, growth: 2, retryWaitMs: 50, maxRetryWaitMs: 300, jitter: 0.5, blockerPollMs: 25 };

const PLAN = plan('rb-contention', [
  step('add-x', 'ALTER TABLE t ADD COLUMN x int', { rollback: 'ALTER TABLE t DROP COLUMN IF EXISTS x' }),
  step('idx-x', 'CREATE INDEX CONCURRENTLY t_x_idx ON t (x)', { transaction: 'none', guard: { kind: 'none', reason: 'CONCURRENTLY' }, rollback: 'DROP INDEX CONCURRENTLY IF EXISTS t_x_idx' }),
]);

const ADD_ONLY = plan('rb-contention-add', [PLAN.steps[0]!]);

async function setup(url: string, p = PLAN) {
  const c = await client(url);
  await c.query('CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t SELECT g, g FROM generate_series(1, 1000) g');
  const r = await applyPlan(p, { db: url, logger: memoryLogger() });
  expect(r.status).toBe('done');
  return c;
}

function readerLoop(url: string) {
  let stop = false;
  const latencies: number[] = [];
  const done = (async () => {
    const c = await client(url, 'reader');
    try {
      while (!stop) {
        const t0 = performance.now();
        await c.query('SELECT count(*) FROM t');
        latencies.push(performance.now() - t0);
        await sleep(20);
      }
    } finally {
      await c.end();
    }
  })();
  return {
    latencies,
    async stop() {
      stop = true;
      await done;
    },
  };
}

async function hasColumnX(c: Awaited<ReturnType<typeof client>>): Promise<boolean> {
  return (await c.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 't' AND column_name = 'x'`)).rowCount === 1;
}

describe.skipIf(!pgUrl())('rollback under lock contention', () => {
  it('retries the DROP COLUMN with growing lock timeouts, reports the blocker, keeps readers waiting at most one lock timeout, and succeeds after the blocker commits', async () => {
    await withDatabase(undefined, async (url) => {
      const admin = await setup(url, ADD_ONLY);
      const blocker = await client(url, 'blocker-app');
      try {
        const blockerPid = Number((await blocker.query('SELECT pg_backend_pid() AS p')).rows[0].p);
        const log = memoryLogger();
        await blocker.query('BEGIN');
        await blocker.query('SELECT count(*) FROM t /* blocker */');
        const reader = readerLoop(url);
        const rolling = rollbackPlan(ADD_ONLY, { db: url, logger: log, yes: true, guard: { ...GUARD, maxTotalMs: 30_000 } });
        await sleep(2500);
        await blocker.query('COMMIT');
        const r = await rolling;
        await reader.stop();

        expect(r.status, r.error).toBe('rolled-back');
        expect(r.rolledBack).toEqual(['add-x']);
        const timeouts = log.events.filter((e) => e.event === 'lock.timeout' && e.step === 'add-x');
        expect(timeouts.length).toBeGreaterThanOrEqual(3);
        expect(timeouts.slice(0, 4).map((e) => e.lockTimeoutMs)).toEqual([100, 200, 400, 800]);
        const reported = timeouts.flatMap((e) => e.blockers as { pid: number; state: string; query: string; applicationName: string }[]);
        const b = reported.find((x) => x.pid === blockerPid);
        expect(b).toMatchObject({ state: 'idle in transaction', applicationName: 'blocker-app' });
        expect(b!.query).toContain('/* blocker */');
        expect(log.events.some((e) => e.event === 'lock.retry' && e.step === 'add-x')).toBe(true);
        const maxRead = Math.max(...reader.latencies);
        expect(maxRead).toBeLessThan(800 + 400);
        console.log(`[rollback contention] ${timeouts.length} lock timeouts, ${reader.latencies.length} reads, reader max ${maxRead.toFixed(0)} ms`);
        expect(await hasColumnX(admin)).toBe(false);
      } finally {
        await blocker.end();
        await admin.end();
      }
    });
  });

  it('a guarded rollback that gives up leaves its step applied, with the error, in one piece', async () => {
    await withDatabase(undefined, async (url) => {
      const admin = await setup(url, ADD_ONLY);
      const blocker = await client(url, 'blocker-app');
      try {
        await blocker.query('BEGIN');
        await blocker.query('SELECT count(*) FROM t');
        const r = await rollbackPlan(ADD_ONLY, { db: url, logger: memoryLogger(), yes: true, guard: { ...GUARD, maxTotalMs: 1500 } });
        expect(r.status).toBe('failed');
        expect(r.failedStep).toBe('add-x');
        const st = await admin.query(`SELECT status, error FROM ddlguard.apply_step`);
        expect(st.rows[0]).toMatchObject({ status: 'done', error: expect.stringMatching(/^rollback failed: add-x: gave up after \d+ attempts/) });
        expect((await admin.query(`SELECT status FROM ddlguard.apply_plan`)).rows[0].status).toBe('rollback-failed');
        expect(await hasColumnX(admin)).toBe(true);
      } finally {
        await blocker.query('ROLLBACK').catch(() => {});
        await blocker.end();
        await admin.end();
      }
    });
  });

  it('a CONCURRENTLY rollback gives up within its time bound when the blocker never ends: exit 1, marked rolling back, no lock left behind; the next run finishes it', async () => {
    await withDatabase(undefined, async (url) => {
      const admin = await setup(url);
      const blocker = await client(url, 'blocker-app');
      try {
        await blocker.query('BEGIN');
        await blocker.query('SELECT count(*) FROM t');
        const log = memoryLogger();
        const t0 = Date.now();
        const r = await rollbackPlan(PLAN, { db: url, logger: log, yes: true, to: 'add-x', guard: { ...GUARD, maxTotalMs: 2000, concurrentLockTimeoutMs: 300 } });
        const elapsed = Date.now() - t0;
        expect(r.status).toBe('failed');
        expect(r.exitCode).toBe(1);
        expect(r.failedStep).toBe('idx-x');
        expect(elapsed).toBeLessThan(2000 + 1500);
        expect(log.events.some((e) => e.event === 'step.failed' && e.gaveUp === true)).toBe(true);
        // DROP INDEX CONCURRENTLY waits for the blocker's transaction: it gave up, the index is still there (maybe INVALID, dropped by the next run).
        const st = await admin.query(`SELECT step_id, status, error FROM ddlguard.apply_step ORDER BY ordinal`);
        expect(st.rows[1]).toMatchObject({ step_id: 'idx-x', status: 'rolling-back', error: expect.stringMatching(/^rollback failed: idx-x: gave up after/) });
        expect(st.rows[0]).toMatchObject({ step_id: 'add-x', status: 'done' });
        expect(await hasColumnX(admin)).toBe(true);
        const t1 = Date.now();
        await admin.query(`SET lock_timeout = '1s'; SELECT count(*) FROM t`);
        expect(Date.now() - t1).toBeLessThan(500);
        const left = await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'ddlguard%' AND datname = current_database()`);
        expect(left.rows[0].n).toBe(0);
        // Once the blocker is gone, the interrupted rollback runs again and finishes.
        await blocker.query('ROLLBACK');
        const again = await rollbackPlan(PLAN, { db: url, logger: memoryLogger(), yes: true, to: 'add-x', guard: GUARD });
        expect(again.status, again.error).toBe('rolled-back');
        expect((await admin.query(`SELECT to_regclass('t_x_idx') AS i`)).rows[0].i).toBeNull();
      } finally {
        await blocker.query('ROLLBACK').catch(() => {});
        await blocker.end();
        await admin.end();
      }
    });
  });
});
