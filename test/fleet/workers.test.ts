/**
 * Several workers, one run, PostgreSQL as the coordinator. `ddlguard fleet worker` runs as a
 * child process (compiled dist/): two of them split a run's targets between them, none
 * applying a target the other applies; and a worker SIGKILLed at random moments (10 runs)
 * leaves its targets to the next worker, which finishes them from their own resume state:
 * every target converges and nothing is applied twice (apply_log rows, a backfill that adds 1
 * to every row, the state tables).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgUrl } from '../support/db.js';
import { ControlDb } from '../../src/fleet/control.js';
import { createOrResume } from '../../src/fleet/run.js';
import { Redactor } from '../../src/fleet/secrets.js';
import { DEFAULT_GATES, type AssignedWave, type FleetTarget } from '../../src/fleet/types.js';
import type { Plan } from '../../src/apply/types.js';
import { plan, step } from '../apply/helpers.js';
import { Databases, events, exec, query } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.join(here, '..', '..', 'dist', 'src', 'cli', 'main.js');
const ROWS = 6000;
const KILL_RUNS = 10;

const itemsSql = (schema: string | null) => {
  const t = schema ? `${schema}.` : '';
  return `${schema ? `CREATE SCHEMA ${schema};` : ''}
CREATE TABLE ${t}items (id int PRIMARY KEY, price int NOT NULL);
INSERT INTO ${t}items SELECT g, g % 97 FROM generate_series(1, ${ROWS}) g;
CREATE TABLE ${t}apply_log (step text NOT NULL, at timestamptz DEFAULT clock_timestamp());
ANALYZE ${t}items;`;
};

/** Every transactional step logs itself; the backfill adds 1 to every row: a repeat shows as a second log row or n = 2. */
function killPlan(id: string, sleepMs = 0): Plan {
  return plan(id, [
    step('add-n', `ALTER TABLE items ADD COLUMN n int NOT NULL DEFAULT 0; INSERT INTO apply_log (step) VALUES ('add-n')`),
    step('bump-n', 'UPDATE items SET n = n + 1', {
      phase: 'migrate',
      batch: { table: 'items', keyColumns: ['id'], updateSql: 'UPDATE items SET n = n + 1 WHERE id BETWEEN $1 AND $2', predicate: null, batchSize: 200 },
    }),
    step('log-bump', `INSERT INTO apply_log (step) VALUES ('log-bump')${sleepMs ? `; SELECT pg_sleep(${sleepMs / 1000})` : ''}`, { phase: 'migrate' }),
    step('index-n', 'CREATE INDEX CONCURRENTLY items_n_idx ON items (n)', { transaction: 'none', guard: { kind: 'none', reason: 'CONCURRENTLY' } }),
    step('final', `INSERT INTO apply_log (step) VALUES ('final')`),
  ]);
}

const APPLY = { backfill: { targetBatchMs: 15, minBatchSize: 100, maxBatchSize: 300, sleepBetweenMs: 5, maxReplicationLagMs: null } };

interface Fleet {
  targets: Array<{ name: string; url: string; schema: string | null }>;
}

/** `dbCount` tenant databases and `schemaCount` tenant schemas of one database, seeded alike. */
async function makeFleet(dbs: Databases, tag: string, dbCount: number, schemaCount: number, templates: { db: string; multi: string }): Promise<Fleet> {
  const targets: Fleet['targets'] = [];
  for (let i = 1; i <= dbCount; i++) targets.push({ name: `${tag}-db${i}`, url: await dbs.create(`${tag}_db${i}`, templates.db), schema: null });
  if (schemaCount > 0) {
    const multi = await dbs.create(`${tag}_multi`, templates.multi);
    for (let i = 1; i <= schemaCount; i++) targets.push({ name: `${tag}-s${i}`, url: multi, schema: `tenant_${i}` });
  }
  return { targets };
}

async function record(control: ControlDb, runId: string, p: Plan, fleet: Fleet, concurrency: number, leaseMs: number): Promise<void> {
  const ts: FleetTarget[] = fleet.targets.map((t) => ({ name: t.name, storedUrl: t.url, connectUrl: t.url, schema: t.schema, searchPath: t.schema ? [t.schema] : null, source: 'test' }));
  const waves: AssignedWave[] = [
    { name: 'canary', gates: { ...DEFAULT_GATES }, targets: ts.slice(0, 1) },
    { name: 'rest', gates: { ...DEFAULT_GATES }, targets: ts.slice(1) },
  ];
  await createOrResume(control, { runId, plan: p, waves, applyOptions: APPLY, concurrency, leaseMs, fleetFile: null });
}

interface Child {
  code: number | null;
  signal: string | null;
  out: string;
}

/** `ddlguard fleet worker` as a child; `kill`: SIGKILL it `delayMs` after its `afterLines`-th output line. */
function worker(control: string, runId: string, opts: { id?: string; kill?: { afterLines: number; delayMs: number } } = {}): Promise<Child> {
  return new Promise((resolve, reject) => {
    const args = [CLI, 'fleet', 'worker', '--control', control, '--run', runId, '--format', 'json', ...(opts.id ? ['--worker-id', opts.id] : [])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d) => {
      out += d;
      if (opts.kill && !timer && out.split('\n').length - 1 >= opts.kill.afterLines) timer = setTimeout(() => child.kill('SIGKILL'), opts.kill.delayMs);
    });
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, out });
    });
  });
}

/** Every target applied exactly once: its log, its data, its index and its state. */
async function expectAppliedOnce(fleet: Fleet, p: Plan): Promise<void> {
  for (const t of fleet.targets) {
    const s = t.schema ? `${t.schema}.` : '';
    const log = await query(t.url, `SELECT step, count(*)::int AS n FROM ${s}apply_log GROUP BY step ORDER BY step`);
    expect(log, t.name).toEqual(['add-n', 'final', 'log-bump'].map((step) => ({ step, n: 1 })));
    const data = await query(t.url, `SELECT count(*)::int AS n, count(*) FILTER (WHERE n <> 1)::int AS off FROM ${s}items`);
    expect(data[0], t.name).toEqual({ n: ROWS, off: 0 });
    const idx = await query(t.url, `SELECT i.indisvalid AS ok FROM pg_index i WHERE i.indexrelid = to_regclass('${s}items_n_idx')`);
    expect(idx, t.name).toEqual([{ ok: true }]);
    const key = t.schema ? `${p.id}@${t.schema}` : p.id;
    const st = await query(t.url, `SELECT step_id, status, rows_done::int FROM ddlguard.apply_step WHERE plan_id = $1 ORDER BY ordinal`, [key]);
    expect(st.map((r) => r.status), t.name).toEqual(p.steps.map(() => 'done'));
    expect(st.find((r) => r.step_id === 'bump-n')!.rows_done, t.name).toBe(ROWS);
  }
}

describe.skipIf(!pgUrl() || !existsSync(CLI))('fleet workers (child processes)', () => {
  const dbs = new Databases(pgUrl() ?? '');
  const red = new Redactor();
  let control: ControlDb;
  let controlUrl: string;
  let templates: { db: string; multi: string };

  beforeAll(async () => {
    const db = await dbs.create('tpl_db');
    await exec(db, itemsSql(null));
    const multi = await dbs.create('tpl_multi');
    await exec(multi, Array.from({ length: 6 }, (_, i) => itemsSql(`tenant_${i + 1}`)).join('\n'));
    templates = { db: dbs.name(db), multi: dbs.name(multi) };
    controlUrl = await dbs.create('control');
    control = await ControlDb.open(controlUrl, red);
  }, 120_000);

  afterAll(async () => {
    await control?.close();
    await dbs.dropAll();
  }, 120_000);

  it('two workers on one run split the targets: each applies some, none applies the same target', async () => {
    const fleet = await makeFleet(dbs, 'two', 6, 6, templates);
    const p = killPlan('two-workers', 300);
    await record(control, 'two', p, fleet, 2, 10_000);
    const [a, b] = await Promise.all([worker(controlUrl, 'two', { id: 'worker-a' }), worker(controlUrl, 'two', { id: 'worker-b' })]);
    expect(a.code, a.out.slice(-2000)).toBe(0);
    expect(b.code, b.out.slice(-2000)).toBe(0);
    const startedBy = (c: Child) => events(c.out).filter((e) => e.event === 'target.start').map((e) => e.target as string);
    const sa = startedBy(a);
    const sb = startedBy(b);
    expect(sa.length).toBeGreaterThan(0);
    expect(sb.length).toBeGreaterThan(0);
    expect(sa.filter((t) => sb.includes(t))).toEqual([]);
    expect(new Set([...sa, ...sb])).toEqual(new Set(fleet.targets.map((t) => t.name)));
    const rows = await query<{ target: string; worker: string; claims: number; status: string }>(controlUrl, `SELECT target, worker, claims, status FROM ddlguard.fleet_target WHERE run_id = 'two' ORDER BY target`);
    expect(rows.every((r) => r.status === 'done' && r.claims === 1)).toBe(true);
    expect(new Set(rows.map((r) => r.worker))).toEqual(new Set(['worker-a', 'worker-b']));
    for (const r of rows) expect(r.worker).toBe(sa.includes(r.target) ? 'worker-a' : 'worker-b');
    await expectAppliedOnce(fleet, p);
    console.log(`[fleet workers] worker-a applied ${sa.length}, worker-b ${sb.length} of ${fleet.targets.length}`);
  }, 120_000);

  it(`converges after SIGKILLs of the worker at random moments (${KILL_RUNS} runs), applying nothing twice`, async () => {
    const t0 = Date.now();
    let kills = 0;
    const inFlight: Record<string, number> = {};
    for (let run = 1; run <= KILL_RUNS; run++) {
      const fleet = await makeFleet(dbs, `k${run}`, 3, 3, templates);
      const p = killPlan(`kill-${run}`);
      const runId = `kill-${run}`;
      await record(control, runId, p, fleet, 3, 3000);
      // One to three kills, then a worker that finishes.
      const n = 1 + Math.floor(Math.random() * 3);
      for (let k = 0; k < n; k++) {
        const r = await worker(controlUrl, runId, { kill: { afterLines: 2 + Math.floor(Math.random() * 60), delayMs: Math.floor(Math.random() * 200) } });
        if (r.signal !== 'SIGKILL') {
          expect(r.code, r.out.slice(-2000)).toBe(0);
          break;
        }
        kills++;
        // What the worker was doing when it died.
        const running = new Map<string, string>();
        for (const e of events(r.out)) {
          const t = e.target as string | undefined;
          if (!t) continue;
          if (e.event === 'step.start') running.set(t, String(e.step));
          else if (e.event === 'target.done' || e.event === 'target.failed') running.delete(t);
        }
        const what = running.size ? [...new Set(running.values())].join('+') : 'between targets';
        inFlight[what] = (inFlight[what] ?? 0) + 1;
      }
      const last = await worker(controlUrl, runId);
      expect(last.code, last.out.slice(-3000)).toBe(0);
      const st = await query<{ status: string }>(controlUrl, `SELECT status FROM ddlguard.fleet_run WHERE run_id = $1`, [runId]);
      expect(st[0]!.status).toBe('done');
      const targets = await query<{ status: string }>(controlUrl, `SELECT status FROM ddlguard.fleet_target WHERE run_id = $1`, [runId]);
      expect(targets.map((t) => t.status)).toEqual(fleet.targets.map(() => 'done'));
      await expectAppliedOnce(fleet, p);
    }
    console.log(`[fleet workers] ${KILL_RUNS} runs, ${kills} SIGKILLs in ${Date.now() - t0} ms; killed during: ${JSON.stringify(inFlight)}`);
    expect(kills).toBeGreaterThanOrEqual(KILL_RUNS);
  }, 400_000);
});
