/**
 * Crash safety: apply runs as a child process (compiled dist/) and is killed
 * with SIGKILL at random moments, across steps and mid-backfill; re-running
 * must converge on the same schema and data as an uninterrupted run, with
 * every step applied exactly once.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pgUrl, withDatabase } from '../support/db.js';
import { client, plan, step } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, 'child-apply.mjs');
const DIST = path.join(here, '..', '..', 'dist', 'src', 'apply', 'runner.js');
const ROWS = 20_000;
const KILLS = 22;

const SETUP = `
CREATE TABLE items (id int PRIMARY KEY, price int NOT NULL, qty int NOT NULL);
INSERT INTO items SELECT g, g % 97, g % 13 FROM generate_series(1, ${ROWS}) g;
CREATE TABLE apply_log (step text NOT NULL, at timestamptz DEFAULT clock_timestamp());
ANALYZE items;`;

const PLAN = plan('crash', [
  step('add-total', `ALTER TABLE items ADD COLUMN total bigint; INSERT INTO apply_log (step) VALUES ('add-total')`),
  step('backfill-total', `UPDATE items SET total = price * qty`, {
    phase: 'migrate',
    batch: {
      table: 'items',
      keyColumns: ['id'],
      updateSql: `UPDATE items SET total = price::bigint * qty WHERE id BETWEEN $1 AND $2 AND total IS NULL`,
      predicate: 'total IS NULL',
      batchSize: 300,
    },
    doneCheck: `SELECT NOT EXISTS (SELECT 1 FROM items WHERE total IS NULL)`,
  }),
  step('log-backfill', `INSERT INTO apply_log (step) VALUES ('log-backfill')`, { phase: 'migrate' }),
  step('index-total', 'CREATE INDEX CONCURRENTLY items_total_idx ON items (total)', {
    transaction: 'none',
    guard: { kind: 'none', reason: 'CONCURRENTLY' },
  }),
  step('check-total', `ALTER TABLE items ADD CONSTRAINT items_total_nn CHECK (total IS NOT NULL) NOT VALID; INSERT INTO apply_log (step) VALUES ('check-total')`),
  step('validate-total', 'ALTER TABLE items VALIDATE CONSTRAINT items_total_nn', { guard: { kind: 'none', reason: 'VALIDATE takes SHARE UPDATE EXCLUSIVE' } }),
  step('final', `INSERT INTO apply_log (step) VALUES ('final')`),
]);

const OPTS = {
  backfill: { targetBatchMs: 20, minBatchSize: 100, maxBatchSize: 400, sleepBetweenMs: 10, maxReplicationLagMs: null },
  waitTimeoutMs: 20_000,
};

/**
 * Spawns the applier. `kill`: SIGKILL it `delayMs` after it has written its
 * `afterLines`-th log line (so kills land while it still has work), or null.
 */
function runChild(
  planFile: string,
  url: string,
  kill: { afterLines: number; delayMs: number } | null,
): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, planFile, url], {
      env: { ...process.env, DDLGUARD_TEST_OPTS: JSON.stringify(OPTS) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d) => {
      out += d;
      if (kill && !timer && out.split('\n').length - 1 >= kill.afterLines) {
        timer = setTimeout(() => child.kill('SIGKILL'), kill.delayMs);
      }
    });
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, out });
    });
  });
}

async function snapshot(url: string) {
  const c = await client(url);
  try {
    const cols = await c.query(`SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = 'items' ORDER BY column_name`);
    const idx = await c.query(`SELECT c.relname, i.indisvalid, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'items'::regclass ORDER BY 1`);
    const cons = await c.query(`SELECT conname, convalidated, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'items'::regclass ORDER BY 1`);
    const data = await c.query(`SELECT count(*)::int AS n, md5(string_agg(id || ':' || coalesce(total::text, 'NULL'), ',' ORDER BY id)) AS h FROM items`);
    const log = await c.query(`SELECT step, count(*)::int AS n FROM apply_log GROUP BY step ORDER BY step`);
    const state = await c.query(`SELECT step_id, status FROM ddlguard.apply_step ORDER BY ordinal`);
    return { cols: cols.rows, idx: idx.rows, cons: cons.rows, data: data.rows, log: log.rows, state: state.rows };
  } finally {
    await c.end();
  }
}

describe.skipIf(!pgUrl() || !existsSync(DIST))('crash safety (SIGKILL at random moments)', () => {
  it(`converges to the uninterrupted result after ${KILLS} kills`, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-crash-'));
    const planFile = path.join(dir, 'plan.json');
    writeFileSync(planFile, JSON.stringify(PLAN));

    const reference = await withDatabase(undefined, async (url) => {
      const c = await client(url);
      await c.query(SETUP);
      await c.end();
      const t0 = Date.now();
      const r = await runChild(planFile, url, null);
      const ms = Date.now() - t0;
      expect(r.code, r.out).toBe(0);
      return { snap: await snapshot(url), ms };
    });
    expect(reference.snap.log).toEqual(['add-total', 'check-total', 'final', 'log-backfill'].map((step) => ({ step, n: 1 })));
    expect(reference.snap.idx.every((i: { indisvalid: boolean }) => i.indisvalid)).toBe(true);

    // Epochs: a fresh database each, killed at random moments until a run gets to the end.
    let kills = 0;
    let epochs = 0;
    const killedDuring: string[] = [];
    const t0 = Date.now();
    while (kills < KILLS) {
      epochs++;
      await withDatabase(undefined, async (url) => {
        const c = await client(url);
        await c.query(SETUP);
        await c.end();
        for (;;) {
          const r = await runChild(planFile, url, { afterLines: 1 + Math.floor(Math.random() * 10), delayMs: Math.floor(Math.random() * 150) });
          if (r.signal !== 'SIGKILL') {
            expect(r.code, r.out).toBe(0);
            break;
          }
          kills++;
          // Which step was in flight (started, not done) when the kill landed.
          let inFlight = 'between steps';
          for (const line of r.out.split('\n')) {
            if (!line.startsWith('{')) continue;
            const e = JSON.parse(line) as { event: string; step?: string };
            if (e.event === 'step.start') inFlight = e.step!;
            else if (e.event === 'step.done' || e.event === 'step.skip') inFlight = 'between steps';
          }
          killedDuring.push(inFlight);
        }
        const snap = await snapshot(url);
        expect(snap).toEqual(reference.snap);
      });
    }
    console.log(
      `[crash] reference run ${reference.ms} ms; ${kills} SIGKILLs over ${epochs} databases in ${Date.now() - t0} ms; killed during: ${JSON.stringify(countBy(killedDuring))}`,
    );
    expect(kills).toBeGreaterThanOrEqual(20);
  }, 120_000);
});

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}
