/** Applier lock, state, phases, dry run, graceful stop; plus pure units (redaction, schedules). */
import { describe, expect, it } from 'vitest';
import { pgUrl, withDatabase } from '../support/db.js';
import { applyPlan, selectSteps } from '../../src/apply/runner.js';
import { memoryLogger } from '../../src/apply/log.js';
import { connect, redactError, redactText, redactUrl } from '../../src/db/connection.js';
import { lockTimeoutFor, retryWaitFor, DEFAULT_GUARD } from '../../src/apply/guard.js';
import { nextBatchSize } from '../../src/apply/backfill.js';
import { parseConcurrentIndex } from '../../src/apply/concurrent.js';
import { planHash } from '../../src/apply/state.js';
import { client, plan, sleep, step } from './helpers.js';

describe('units', () => {
  it('redacts passwords in URLs and error messages', async () => {
    expect(redactUrl('postgres://app:s3cret@db.example:5432/prod')).toBe('postgres://app:***@db.example:5432/prod');
    expect(redactUrl('postgresql://app@db/prod')).toBe('postgresql://app@db/prod');
    expect(redactText('failed for postgres://u:hunter22@h/db and password=hunter22 x')).not.toContain('hunter22');
    const e = redactError(new Error('connect to postgres://u:topsecret@h/db failed: topsecret rejected'), 'postgres://u:topsecret@h/db');
    expect(e.message).not.toContain('topsecret');
    // a real connection failure: nothing in the message leaks the password
    const err = await connect('postgres://nobody:pw-leak-check@127.0.0.1:1/none').catch((x: Error) => x);
    expect(String((err as Error).message)).not.toContain('pw-leak-check');
  });

  it('grows the lock timeout to its ceiling and jitters the waits', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => lockTimeoutFor(i, DEFAULT_GUARD))).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
    const waits = Array.from({ length: 200 }, () => retryWaitFor(2, DEFAULT_GUARD));
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(200);
    expect(Math.max(...waits)).toBeLessThanOrEqual(600);
    expect(new Set(waits).size).toBeGreaterThan(10);
  });

  it('adapts the batch size toward the target within bounds', () => {
    const o = { targetBatchMs: 200, minBatchSize: 100, maxBatchSize: 10_000 };
    expect(nextBatchSize(1000, 100, o)).toBe(2000);
    expect(nextBatchSize(1000, 400, o)).toBe(500);
    expect(nextBatchSize(1000, 5000, o)).toBe(500);
    expect(nextBatchSize(9000, 1, o)).toBe(10_000);
    expect(nextBatchSize(150, 10_000, o)).toBe(100);
  });

  it('parses concurrent index statements', () => {
    expect(parseConcurrentIndex('CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "Foo" ON public.t (a)')).toEqual({ unique: true, name: '"Foo"', table: 'public.t' });
    expect(parseConcurrentIndex('CREATE INDEX t_a ON t (a)')).toBeNull();
  });

  it('selects phases: contract only on request, all needs --yes', () => {
    const p = plan('p', [step('a', 'x'), step('b', 'y', { phase: 'migrate' }), step('c', 'z', { phase: 'contract' })]);
    expect(selectSteps(p, undefined, false).steps.map((s) => s.id)).toEqual(['a', 'b']);
    expect(selectSteps(p, 'contract', false).steps.map((s) => s.id)).toEqual(['c']);
    expect(selectSteps(p, 'all', false).refusal).toMatch(/--yes/);
    expect(selectSteps(p, 'all', true).steps).toHaveLength(3);
    expect(planHash(p)).not.toBe(planHash(plan('p', [step('a', 'x2'), ...p.steps.slice(1)])));
  });
});

describe.skipIf(!pgUrl())('apply on a real server', () => {
  it('runs one applier at a time: the second exits naming the holder, a waiting one runs nothing twice', async () => {
    await withDatabase(undefined, async (url) => {
      const c = await client(url);
      try {
        await c.query('CREATE TABLE runs (step text)');
        const p = plan('once', [
          step('one', `INSERT INTO runs VALUES ('one'); SELECT pg_sleep(0.6)`),
          step('two', `INSERT INTO runs VALUES ('two'); SELECT pg_sleep(0.6)`),
        ]);
        const first = applyPlan(p, { db: url, logger: memoryLogger() });
        await sleep(300);
        const log2 = memoryLogger();
        const second = await applyPlan(p, { db: url, logger: log2 });
        expect(second.status).toBe('busy');
        expect(second.exitCode).toBe(3);
        expect(second.error).toMatch(/pid \d+ \(application_name ddlguard, client/);
        const waiting = applyPlan(p, { db: url, logger: memoryLogger(), wait: true });
        const [r1, r3] = await Promise.all([first, waiting]);
        expect(r1.status).toBe('done');
        expect(r1.ran).toEqual(['one', 'two']);
        expect(r3.status).toBe('done');
        expect(r3.ran).toEqual([]);
        expect(r3.alreadyDone).toEqual(['one', 'two']);
        const runs = await c.query('SELECT step, count(*)::int AS n FROM runs GROUP BY step ORDER BY step');
        expect(runs.rows).toEqual([
          { step: 'one', n: 1 },
          { step: 'two', n: 1 },
        ]);
      } finally {
        await c.end();
      }
    });
  });

  it('refuses a changed plan under the same id; dry run touches nothing; contract needs its phase', async () => {
    await withDatabase(undefined, async (url) => {
      const c = await client(url);
      try {
        await c.query('CREATE TABLE t (id int)');
        const p = plan('p1', [step('add-a', 'ALTER TABLE t ADD COLUMN a int'), step('drop-id', 'ALTER TABLE t DROP COLUMN id', { phase: 'contract', irreversible: true })]);
        const dry = memoryLogger();
        const d = await applyPlan(p, { db: url, logger: dry, dryRun: true, phase: 'all', yes: true });
        expect(d.status).toBe('dry-run');
        expect(dry.events.filter((e) => e.event === 'step.would-run')).toHaveLength(2);
        expect(dry.events.some((e) => e.event === 'irreversible')).toBe(true);
        expect((await c.query(`SELECT to_regnamespace('ddlguard') AS n`)).rows[0].n).toBeNull();

        const r = await applyPlan(p, { db: url, logger: memoryLogger() });
        expect(r.ran).toEqual(['add-a']);
        expect(r.notSelected).toEqual(['drop-id']);
        expect((await applyPlan(p, { db: url, logger: memoryLogger(), phase: 'all' })).status).toBe('refused');
        const log = memoryLogger();
        const r2 = await applyPlan(p, { db: url, logger: log, phase: 'contract' });
        expect(r2.ran).toEqual(['drop-id']);
        expect(log.events.find((e) => e.event === 'irreversible')?.steps).toEqual(['drop-id']);

        const changed = plan('p1', [step('add-a', 'ALTER TABLE t ADD COLUMN a bigint'), p.steps[1]!]);
        const r3 = await applyPlan(changed, { db: url, logger: memoryLogger() });
        expect(r3.status).toBe('refused');
        expect(r3.error).toMatch(/plan "p1" changed since it was first applied/);
      } finally {
        await c.end();
      }
    });
  });

  it('stops a backfill gracefully after the current batch and resumes from the committed key', async () => {
    await withDatabase(undefined, async (url) => {
      const c = await client(url);
      try {
        await c.query('CREATE TABLE b (id int PRIMARY KEY, v int, w int); INSERT INTO b SELECT g, g FROM generate_series(1, 20000) g; ANALYZE b');
        const p = plan('bf', [
          step('fill', 'UPDATE b SET w = v * 2', {
            phase: 'migrate',
            batch: { table: 'b', keyColumns: ['id'], updateSql: 'UPDATE b SET w = v * 2 WHERE id BETWEEN $1 AND $2 AND w IS NULL', predicate: 'w IS NULL', batchSize: 500 },
          }),
        ]);
        const bf = { targetBatchMs: 20, minBatchSize: 200, maxBatchSize: 500, sleepBetweenMs: 20, maxReplicationLagMs: null };
        const ac = new AbortController();
        setTimeout(() => ac.abort(), 300);
        const log = memoryLogger();
        const r1 = await applyPlan(p, { db: url, logger: log, backfill: bf, signal: ac.signal });
        expect(r1.status).toBe('interrupted');
        const mid = await c.query(`SELECT last_key, rows_done FROM ddlguard.apply_step WHERE step_id = 'fill'`);
        const lastKey = Number(mid.rows[0].last_key);
        expect(lastKey).toBeGreaterThan(0);
        expect(lastKey).toBeLessThan(20000);
        // exactly the rows up to the committed key are done
        const done = await c.query('SELECT count(*)::int AS n, max(id) AS m FROM b WHERE w IS NOT NULL');
        expect(done.rows[0]).toEqual({ n: lastKey, m: lastKey });
        const log2 = memoryLogger();
        const r2 = await applyPlan(p, { db: url, logger: log2, backfill: bf });
        expect(r2.status).toBe('done');
        expect(log2.events.find((e) => e.event === 'backfill.start')?.resumeAfter).toBe(String(lastKey));
        expect((await c.query('SELECT count(*)::int AS n FROM b WHERE w IS DISTINCT FROM v * 2')).rows[0].n).toBe(0);
        const prog = log2.events.filter((e) => e.event === 'backfill.progress');
        expect(prog.length).toBeGreaterThan(0);
        expect(prog.at(-1)?.rowsDone).toBe(20000);
      } finally {
        await c.end();
      }
    });
  });

  it('batches over a key column named like a keyword', async () => {
    await withDatabase(undefined, async (url) => {
      const c = await client(url);
      try {
        await c.query('CREATE TABLE k ("order" int PRIMARY KEY, v int, w int); INSERT INTO k SELECT g, g FROM generate_series(1, 3000) g; ANALYZE k');
        const p = plan('kw', [
          step('fill', 'UPDATE k SET w = v', {
            phase: 'migrate',
            batch: { table: 'k', keyColumns: ['order'], updateSql: 'UPDATE k SET w = v WHERE "order" BETWEEN $1 AND $2 AND w IS NULL', predicate: 'w IS NULL', batchSize: 500 },
          }),
        ]);
        const r = await applyPlan(p, { db: url, logger: memoryLogger() });
        expect(r.status).toBe('done');
        expect((await c.query('SELECT count(*)::int AS n FROM k WHERE w IS DISTINCT FROM v')).rows[0].n).toBe(0);
      } finally {
        await c.end();
      }
    });
  });

  it('throttles while active sessions exceed the threshold', async () => {
    await withDatabase(undefined, async (url) => {
      const c = await client(url);
      const busy = await client(url, 'busy');
      try {
        await c.query('CREATE TABLE b (id int PRIMARY KEY, w int); INSERT INTO b SELECT g FROM generate_series(1, 1000) g');
        const p = plan('thr', [
          step('fill', 'UPDATE b SET w = 1', {
            phase: 'migrate',
            batch: { table: 'b', keyColumns: ['id'], updateSql: 'UPDATE b SET w = 1 WHERE id BETWEEN $1 AND $2', predicate: null, batchSize: 500 },
          }),
        ]);
        const sleeping = busy.query('SELECT pg_sleep(1.2)');
        await sleep(100);
        const log = memoryLogger();
        const t0 = Date.now();
        const r = await applyPlan(p, { db: url, logger: log, backfill: { maxActiveSessions: 0, throttleSleepMs: 200, maxReplicationLagMs: null } });
        expect(r.status).toBe('done');
        expect(log.events.some((e) => e.event === 'backfill.throttle')).toBe(true);
        expect(Date.now() - t0).toBeGreaterThan(800);
        await sleeping;
      } finally {
        await busy.end();
        await c.end();
      }
    });
  });
});

describe('the plan\'s lock timeout is the guard\'s ceiling', () => {
  it('uses the step lock_timeout unless the operator sets a maximum', async () => {
    const { describeStep } = await import('../../src/apply/runner.js');
    const { DEFAULT_GUARD } = await import('../../src/apply/guard.js');
    const step = {
      id: 's', phase: 'expand', sql: 'ALTER TABLE t ADD COLUMN c int', transaction: 'own', lock: null,
      guard: { kind: 'lock-timeout', lockTimeoutMs: 500, retries: 3 }, doneCheck: null, rollback: null, irreversible: false,
      source: { file: 'm.sql', line: 1, column: 1, statement: '' }, notes: [],
    } as any;
    expect(describeStep(step, DEFAULT_GUARD)).toContain('to 500 ms');
    expect(describeStep(step, DEFAULT_GUARD, 3000)).toContain('to 3000 ms');
  });
});
