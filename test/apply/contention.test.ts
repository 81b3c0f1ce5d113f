/**
 * Lock contention on a real server: another session holds a lock in an open
 * transaction while apply runs an ACCESS EXCLUSIVE step.
 */
import { describe, expect, it } from 'vitest';
import { pgUrl, withDatabase } from '../support/db.js';
import { applyPlan } from '../../src/apply/runner.js';
import { memoryLogger } from '../../src/apply/log.js';
import { client, plan, sleep, step } from './helpers.js';

const GUARD = { startLockTimeoutMs: 100, maxLockTimeoutMs: 800, growth: 2, retryWaitMs: 50, maxRetryWaitMs: 300, jitter: 0.5, blockerPollMs: 25 };

async function setup(url: string) {
  const c = await client(url);
  await c.query('CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t SELECT g, g FROM generate_series(1, 1000) g');
  return c;
}

/** Runs `SELECT count(*)` in a loop from its own session, recording each query's latency. */
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

describe.skipIf(!pgUrl())('apply under lock contention', () => {
  it('retries with growing lock timeouts, reports the blocker, keeps readers waiting at most one lock timeout, and succeeds after the blocker commits', async () => {
    await withDatabase(undefined, async (url) => {
      const admin = await setup(url);
      const blocker = await client(url, 'blocker-app');
      try {
        const blockerPid = Number((await blocker.query('SELECT pg_backend_pid() AS p')).rows[0].p);
        await blocker.query('BEGIN');
        await blocker.query('SELECT count(*) FROM t /* blocker */');
        const log = memoryLogger();
        const reader = readerLoop(url);
        const t0 = Date.now();
        const applying = applyPlan(plan('contention', [step('add-x', 'ALTER TABLE t ADD COLUMN x int')]), {
          db: url,
          logger: log,
          guard: { ...GUARD, maxTotalMs: 30_000 },
        });
        await sleep(2500);
        await blocker.query('COMMIT');
        const r = await applying;
        const elapsed = Date.now() - t0;
        await reader.stop();

        expect(r.status).toBe('done');
        const timeouts = log.events.filter((e) => e.event === 'lock.timeout');
        expect(timeouts.length).toBeGreaterThanOrEqual(3);
        // growing schedule: 100, 200, 400, 800, 800...
        expect(timeouts.slice(0, 4).map((e) => e.lockTimeoutMs)).toEqual([100, 200, 400, 800]);
        const reported = timeouts.flatMap((e) => e.blockers as { pid: number; state: string; query: string; applicationName: string; xactStart: string }[]);
        const b = reported.find((x) => x.pid === blockerPid);
        expect(b).toBeDefined();
        expect(b!.state).toBe('idle in transaction');
        expect(b!.query).toContain('/* blocker */');
        expect(b!.applicationName).toBe('blocker-app');
        expect(b!.xactStart).toBeTruthy();
        const maxRead = Math.max(...reader.latencies);
        // A reader queued behind the pending ACCESS EXCLUSIVE waits at most the current lock timeout (800 ms max) + slack.
        expect(maxRead).toBeLessThan(800 + 400);
        console.log(
          `[contention] apply ${elapsed} ms, ${timeouts.length} lock timeouts, ${reader.latencies.length} reads, reader max ${maxRead.toFixed(0)} ms, p50 ${median(reader.latencies).toFixed(1)} ms`,
        );
        const cols = await admin.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 't' AND column_name = 'x'`);
        expect(cols.rowCount).toBe(1);
      } finally {
        await blocker.end();
        await admin.end();
      }
    });
  });

  it('gives up within its time bound when the blocker never ends, leaving nothing half-done', async () => {
    await withDatabase(undefined, async (url) => {
      const admin = await setup(url);
      const blocker = await client(url, 'blocker-app');
      try {
        await blocker.query('BEGIN');
        await blocker.query('SELECT count(*) FROM t');
        const log = memoryLogger();
        const t0 = Date.now();
        const r = await applyPlan(
          plan('stuck', [step('add-y', 'ALTER TABLE t ADD COLUMN y int'), step('add-z', 'ALTER TABLE t ADD COLUMN z int')]),
          { db: url, logger: log, guard: { ...GUARD, maxTotalMs: 2000 } },
        );
        const elapsed = Date.now() - t0;
        console.log(`[contention] gave up after ${elapsed} ms`);
        expect(r.status).toBe('failed');
        expect(r.failedStep).toBe('add-y');
        expect(elapsed).toBeLessThan(2000 + 1500);
        expect(log.events.some((e) => e.event === 'step.failed' && e.gaveUp === true)).toBe(true);
        const cols = await admin.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 't' AND column_name IN ('y','z')`);
        expect(cols.rowCount).toBe(0);
        const st = await admin.query(`SELECT step_id, status FROM ddlguard.apply_step ORDER BY ordinal`);
        expect(st.rows).toEqual([
          { step_id: 'add-y', status: 'failed' },
          { step_id: 'add-z', status: 'pending' },
        ]);
        // No lock left behind by the applier: a reader is not blocked.
        const t1 = Date.now();
        await admin.query(`SET lock_timeout = '1s'; SELECT count(*) FROM t`);
        expect(Date.now() - t1).toBeLessThan(500);
        const left = await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'ddlguard%' AND datname = current_database()`);
        expect(left.rows[0].n).toBe(0);
      } finally {
        await blocker.query('ROLLBACK').catch(() => {});
        await blocker.end();
        await admin.end();
      }
    });
  });

  it('terminates an idle-in-transaction blocker when killBlockersAfterMs is set', async () => {
    await withDatabase(undefined, async (url) => {
      const admin = await setup(url);
      const blocker = await client(url, 'blocker-app');
      try {
        await blocker.query('BEGIN');
        await blocker.query('SELECT count(*) FROM t');
        const log = memoryLogger();
        const r = await applyPlan(plan('kill', [step('add-k', 'ALTER TABLE t ADD COLUMN k int')]), {
          db: url,
          logger: log,
          guard: { ...GUARD, maxTotalMs: 10_000, killBlockersAfterMs: 300 },
        });
        expect(r.status).toBe('done');
        expect(log.events.some((e) => e.event === 'blocker.terminated')).toBe(true);
        await expect(blocker.query('SELECT 1')).rejects.toThrow();
      } finally {
        await blocker.end().catch(() => {});
        await admin.end();
      }
    });
  });
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}
