/**
 * Crash safety of rollback: the rollback runs as a child process (compiled dist/) and is
 * killed with SIGKILL at random moments (inside a transaction, during DROP INDEX
 * CONCURRENTLY, between the parts of a rollback with a VALIDATE); running it again must
 * converge on the same result as an uninterrupted rollback: the catalog from before the plan,
 * every rollback in one transaction applied exactly once, every step rolled back.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pgUrl, withDatabase } from '../support/db.js';
import { applyPlan } from '../../src/apply/runner.js';
import { memoryLogger } from '../../src/apply/log.js';
import { client, plan, step } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, 'child-rollback.mjs');
const DIST = path.join(here, '..', '..', 'dist', 'src', 'apply', 'rollback.js');
const ROWS = 20_000;
const KILLS = 16;

const SETUP = `
CREATE TABLE items (id int PRIMARY KEY, price int NOT NULL, qty int NOT NULL);
INSERT INTO items SELECT g, g % 97, g % 13 FROM generate_series(1, ${ROWS}) g;
CREATE TABLE rb_log (step text NOT NULL, at timestamptz DEFAULT clock_timestamp());
ANALYZE items;`;

const CONCURRENT = { transaction: 'none' as const, guard: { kind: 'none' as const, reason: 'CONCURRENTLY' } };
const logged = (name: string, sql: string) => `SELECT pg_sleep(0.05);\n${sql};\nINSERT INTO rb_log (step) VALUES ('${name}')`;

const PLAN = plan('rb-crash', [
  step('add-a', 'ALTER TABLE items ADD COLUMN a bigint', { rollback: logged('add-a', 'ALTER TABLE items DROP COLUMN IF EXISTS a') }),
  step('fill-a', 'UPDATE items SET a = price * qty', {
    phase: 'migrate',
    batch: { table: 'items', keyColumns: ['id'], updateSql: 'UPDATE items SET a = price::bigint * qty WHERE id BETWEEN $1 AND $2 AND a IS NULL', predicate: 'a IS NULL', batchSize: 2000 },
  }),
  step('idx-a', 'CREATE INDEX CONCURRENTLY items_a_idx ON items (a)', { ...CONCURRENT, rollback: 'DROP INDEX CONCURRENTLY IF EXISTS items_a_idx' }),
  step('check-a', 'ALTER TABLE items ADD CONSTRAINT items_a_nn CHECK (a IS NOT NULL) NOT VALID', { rollback: logged('check-a', 'ALTER TABLE items DROP CONSTRAINT IF EXISTS items_a_nn') }),
  step('validate-a', 'ALTER TABLE items VALIDATE CONSTRAINT items_a_nn', {
    guard: { kind: 'none', reason: 'VALIDATE' },
    rollback: logged(
      'validate-a',
      `DO $x$ BEGIN IF EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'items_a_nn' AND convalidated) THEN ALTER TABLE items DROP CONSTRAINT items_a_nn; ALTER TABLE items ADD CONSTRAINT items_a_nn CHECK (a IS NOT NULL) NOT VALID; END IF; END $x$`,
    ),
  }),
  step('helper', 'ALTER TABLE items ADD CONSTRAINT items_qty_ck CHECK (qty >= 0)', { rollback: logged('helper', 'ALTER TABLE items DROP CONSTRAINT IF EXISTS items_qty_ck') }),
  // Its rollback is two parts: re-add NOT VALID (one transaction), then VALIDATE on its own.
  step('drop-helper', 'ALTER TABLE items DROP CONSTRAINT items_qty_ck', {
    rollback: `DO $x$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'items_qty_ck') THEN ALTER TABLE items ADD CONSTRAINT items_qty_ck CHECK (qty >= 0) NOT VALID; END IF; END $x$;\nALTER TABLE items VALIDATE CONSTRAINT items_qty_ck`,
  }),
  step('idx-qty', 'CREATE INDEX CONCURRENTLY items_qty_idx ON items (qty, price)', { ...CONCURRENT, rollback: 'DROP INDEX CONCURRENTLY IF EXISTS items_qty_idx' }),
  step('add-c', 'ALTER TABLE items ADD COLUMN c text', { rollback: logged('add-c', 'ALTER TABLE items DROP COLUMN IF EXISTS c') }),
]);

const LOGGED = ['add-a', 'add-c', 'check-a', 'helper', 'validate-a'];
const OPTS = { waitTimeoutMs: 20_000 };

function runChild(planFile: string, url: string, kill: { afterLines: number; delayMs: number } | null): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, planFile, url], { env: { ...process.env, DDLGUARD_TEST_OPTS: JSON.stringify(OPTS) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d) => {
      out += d;
      if (kill && !timer && out.split('\n').length - 1 >= kill.afterLines) timer = setTimeout(() => child.kill('SIGKILL'), kill.delayMs);
    });
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, out });
    });
  });
}

async function snapshot(url: string, withState = true) {
  const c = await client(url);
  try {
    const cols = await c.query(`SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = 'items' ORDER BY column_name`);
    const idx = await c.query(`SELECT c.relname, i.indisvalid, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'items'::regclass ORDER BY 1`);
    const cons = await c.query(`SELECT conname, convalidated, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'items'::regclass ORDER BY 1`);
    const log = await c.query(`SELECT step, count(*)::int AS n FROM rb_log GROUP BY step ORDER BY step`);
    if (!withState) return { cols: cols.rows, idx: idx.rows, cons: cons.rows };
    const state = await c.query(`SELECT step_id, status, last_key, error FROM ddlguard.apply_step ORDER BY ordinal`);
    const planStatus = await c.query(`SELECT status FROM ddlguard.apply_plan`);
    return { cols: cols.rows, idx: idx.rows, cons: cons.rows, log: log.rows, state: state.rows, plan: planStatus.rows };
  } finally {
    await c.end();
  }
}

async function prepare(url: string) {
  const c = await client(url);
  await c.query(SETUP);
  await c.end();
  const before = await snapshot(url, false);
  const r = await applyPlan(PLAN, { db: url, logger: memoryLogger(), backfill: { maxReplicationLagMs: null } });
  expect(r.status, r.error).toBe('done');
  return before;
}

describe.skipIf(!pgUrl() || !existsSync(DIST))('rollback crash safety (SIGKILL at random moments)', () => {
  it(`converges to the uninterrupted rollback after ${KILLS} kills`, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-rb-crash-'));
    const planFile = path.join(dir, 'plan.json');
    writeFileSync(planFile, JSON.stringify(PLAN));

    const reference = await withDatabase(undefined, async (url) => {
      const before = await prepare(url);
      const r = await runChild(planFile, url, null);
      expect(r.code, r.out).toBe(0);
      const snap = await snapshot(url);
      expect({ cols: snap.cols, idx: snap.idx, cons: snap.cons }).toEqual(before);
      return snap;
    });
    expect(reference.log).toEqual(LOGGED.map((s) => ({ step: s, n: 1 })));
    expect(reference.state?.every((s: { status: string }) => s.status === 'rolled-back')).toBe(true);
    expect(reference.plan).toEqual([{ status: 'rolled-back' }]);

    let kills = 0;
    let epochs = 0;
    const killedDuring: string[] = [];
    const t0 = Date.now();
    while (kills < KILLS) {
      epochs++;
      await withDatabase(undefined, async (url) => {
        await prepare(url);
        for (;;) {
          const r = await runChild(planFile, url, { afterLines: 1 + Math.floor(Math.random() * 12), delayMs: Math.floor(Math.random() * 120) });
          if (r.signal !== 'SIGKILL') {
            expect(r.code, r.out).toBe(0);
            break;
          }
          kills++;
          let inFlight = 'between steps';
          for (const line of r.out.split('\n')) {
            if (!line.startsWith('{')) continue;
            const e = JSON.parse(line) as { event: string; step?: string };
            if (e.event === 'step.start') inFlight = e.step!;
            else if (e.event === 'step.done' || e.event === 'step.skip') inFlight = 'between steps';
          }
          killedDuring.push(inFlight);
        }
        expect(await snapshot(url)).toEqual(reference);
      });
    }
    console.log(`[rollback crash] ${kills} SIGKILLs over ${epochs} databases in ${Date.now() - t0} ms; killed during: ${JSON.stringify(countBy(killedDuring))}`);
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    // The kills landed inside rollbacks, not only between them.
    expect(killedDuring.filter((k) => k !== 'between steps').length).toBeGreaterThan(0);
  }, 180_000);
});

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}
