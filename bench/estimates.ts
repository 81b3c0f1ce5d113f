/**
 * Calibrates the throughput model of src/locks/estimate.ts: seeds a table of a
 * realistic shape at a few sizes, times each kind of heavy work on fresh copies
 * (CREATE DATABASE ... TEMPLATE), fits the rates, and prints measured vs
 * predicted with the error, and the constants (for DEFAULT_THROUGHPUT or the
 * `estimates` config key). Asserts nothing.
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/estimates.js [rows,rows,...] [reps]`
 * (default 250000,1000000,2000000 and 3 repetitions).
 * Uses DATABASE_URL when set (the role needs CREATEDB: the bench creates
 * `ddlguard_est_<pid>_*` databases and drops them at the end), otherwise starts
 * an embedded PostgreSQL 18 with production-like durability (fsync,
 * synchronous_commit and full_page_writes on, data on disk).
 */
import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { RelationSize } from '../src/schema/model.js';
import {
  DEFAULT_THROUGHPUT,
  RATE_NAMES,
  estimateWork,
  formatBytes,
  formatRate,
  nLogNFactor,
  type RateName,
  type Throughput,
  type WorkKind,
} from '../src/locks/estimate.js';
import { startPostgres, type PostgresServer } from '../test/support/postgres.js';
import { withDatabaseName } from '../src/db/connection.js';

// ---------------------------------------------------------------- settings

const SIZES = (process.argv[2] ?? '250000,1000000,2000000').split(',').map(Number);
const REPS = Number(process.argv[3] ?? 3);
/** Each statement gets at most this long (a run that is far slower than expected ends instead of hanging). */
const STATEMENT_TIMEOUT_MS = 10 * 60_000;

const SCHEMA_SQL = `
CREATE TABLE owners (
  id bigint PRIMARY KEY,
  name text NOT NULL
);
CREATE TABLE items (
  id bigint PRIMARY KEY,
  email text,
  qty int,
  owner_id bigint,
  created_at timestamptz
);`;

/**
 * The referenced table of the foreign key: the same size at every step, and
 * large enough that the validation's hash table does not fit in the CPU caches,
 * as a production one would not.
 */
const OWNERS = 100_000;

/** Deterministic rows: random-order text, a low-cardinality int, a key into owners, increasing timestamps. */
function seedSql(rows: number): string[] {
  const owners = OWNERS;
  return [
    `INSERT INTO owners SELECT i, 'owner ' || i FROM generate_series(1, ${owners}) i`,
    `INSERT INTO items
       SELECT i, 'u' || md5(i::text) || '@example.com', ((i * 7919) % 100000)::int, 1 + (i * 31) % ${owners},
              timestamptz '2020-01-01 00:00:00+00' + i * interval '1 second'
       FROM generate_series(1::bigint, ${rows}) i`,
    `CREATE INDEX items_created_at_idx ON items (created_at)`,
    `VACUUM ANALYZE owners`,
    `VACUUM ANALYZE items`,
    `CHECKPOINT`,
  ];
}

interface Step {
  /** Label in the table. */
  name: string;
  sql: string;
  /** The model's kind; 'index-rebuild' is the rewrite's index part alone (REINDEX TABLE). */
  kind: WorkKind | 'index-rebuild';
  /** Used to fit the rates (else: a check of the fitted model on a statement it was not fitted on). */
  fit: boolean;
  /** fk-validation: the referenced table's size is part of the input. */
  referenced?: boolean;
  /** index-build: the key of the new index. */
  indexKey?: 'fixed-width' | 'text';
  /** Needs a tablespace to move to (TABLESPACE in sql); skipped without one. */
  tablespace?: boolean;
  /** Run, but not a sample (set-up for the next step). */
  untimed?: boolean;
}

/**
 * Statements per fresh copy, in order. On copy A nothing changes the heap's
 * contents before the last statement, so every statement sees the seeded table
 * (moved to another tablespace on the same disk, plus the indexes built before
 * it, which the scans do not read). The size passed to the model is read just
 * before each statement.
 */
const COPIES: Array<{ name: string; steps: Step[] }> = [
  {
    name: 'A',
    steps: [
      { name: 'SET TABLESPACE', sql: 'ALTER TABLE items SET TABLESPACE TABLESPACE', kind: 'copy', fit: true, tablespace: true },
      { name: 'REINDEX TABLE (pkey + created_at)', sql: 'REINDEX TABLE items', kind: 'index-rebuild', fit: true },
      { name: 'ADD CHECK (qty >= 0)', sql: 'ALTER TABLE items ADD CONSTRAINT items_qty_check CHECK (qty >= 0)', kind: 'scan', fit: true },
      { name: 'SET NOT NULL (created_at)', sql: 'ALTER TABLE items ALTER COLUMN created_at SET NOT NULL', kind: 'scan', fit: true },
      { name: 'ADD FOREIGN KEY (owner_id)', sql: 'ALTER TABLE items ADD CONSTRAINT items_owner_fk FOREIGN KEY (owner_id) REFERENCES owners (id)', kind: 'fk-validation', fit: true, referenced: true },
      { name: 'CREATE INDEX (qty int)', sql: 'CREATE INDEX items_qty_idx ON items (qty)', kind: 'index-build', fit: true, indexKey: 'fixed-width' },
      { name: 'CREATE INDEX (email text)', sql: 'CREATE INDEX items_email_idx ON items (email)', kind: 'index-build', fit: true, indexKey: 'text' },
      { name: 'CREATE INDEX (owner_id bigint)', sql: 'CREATE INDEX items_owner_plain_idx ON items (owner_id)', kind: 'index-build', fit: true, indexKey: 'fixed-width' },
      { name: 'DROP INDEX', sql: 'DROP INDEX items_owner_plain_idx', kind: 'scan', fit: false, untimed: true },
      { name: 'CREATE INDEX CONCURRENTLY (owner_id)', sql: 'CREATE INDEX CONCURRENTLY items_owner_idx ON items (owner_id)', kind: 'index-build-concurrent', fit: true, indexKey: 'fixed-width' },
      { name: 'CREATE INDEX (email COLLATE "C")', sql: 'CREATE INDEX items_email_c_idx ON items (email COLLATE "C")', kind: 'index-build', fit: false, indexKey: 'text' },
      { name: 'DELETE (all rows)', sql: 'DELETE FROM items', kind: 'delete', fit: true },
    ],
  },
  {
    name: 'B',
    steps: [
      { name: 'ALTER COLUMN qty TYPE bigint', sql: 'ALTER TABLE items ALTER COLUMN qty TYPE bigint', kind: 'rewrite', fit: true },
      { name: 'VACUUM FULL', sql: 'VACUUM FULL items', kind: 'rewrite', fit: false },
      { name: 'ADD COLUMN DEFAULT random()', sql: 'ALTER TABLE items ADD COLUMN r float8 DEFAULT random()', kind: 'rewrite', fit: false },
    ],
  },
  {
    name: 'C',
    steps: [
      { name: 'UPDATE (all rows)', sql: 'UPDATE items SET qty = qty + 1', kind: 'dml', fit: true },
    ],
  },
];

// ---------------------------------------------------------------- helpers

const epoch = performance.now();
const now = () => performance.now() - epoch;
const fmtS = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const withDb = withDatabaseName;

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, application_name: 'ddlguard-bench-estimates' });
  c.on('error', () => {});
  await c.connect();
  try {
    await c.query(`SET statement_timeout = ${STATEMENT_TIMEOUT_MS}`);
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

/** RelationSize as the schema sources read it: main fork, all indexes, the rest of the table (TOAST, FSM, VM); reltuples, null when never analyzed. */
async function relationSize(c: pg.Client, table: string): Promise<RelationSize> {
  const r = await c.query(
    `SELECT c.reltuples::float8 AS rows, pg_relation_size(c.oid) AS heap, pg_indexes_size(c.oid) AS idx,
            pg_table_size(c.oid) - pg_relation_size(c.oid) AS toast, pg_total_relation_size(c.oid) AS total
       FROM pg_class c WHERE c.oid = $1::regclass`,
    [table],
  );
  const row = r.rows[0] as { rows: number; heap: string; idx: string; toast: string; total: string };
  return {
    rows: row.rows < 0 ? null : row.rows,
    heapBytes: Number(row.heap),
    indexBytes: Number(row.idx),
    toastBytes: Number(row.toast),
    totalBytes: Number(row.total),
  };
}

async function timedQuery(c: pg.Client, sql: string): Promise<number> {
  const t = now();
  await c.query(sql);
  return now() - t;
}

// ---------------------------------------------------------------- measuring

interface Sample {
  rows: number;
  rep: number;
  step: Step;
  size: RelationSize;
  referenced: RelationSize | null;
  ms: number;
}

/**
 * `createOptions`: appended to the template's CREATE DATABASE. The embedded
 * server's cluster is initialised with the C locale (fast memcmp comparisons);
 * its templates use an ICU en-US collation instead, like the linguistic default
 * collation most production databases have. With DATABASE_URL the server's
 * default applies.
 */
async function measure(base: string, prefix: string, dbs: string[], createOptions: string, tablespace: string | null): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (const rows of SIZES) {
    const tpl = `${prefix}_tpl_${rows}`;
    const t = now();
    await withClient(base, (c) => c.query(`CREATE DATABASE ${tpl} ${createOptions}`));
    dbs.push(tpl);
    await withClient(withDb(base, tpl), async (c) => {
      await c.query(SCHEMA_SQL);
      for (const sql of seedSql(rows)) await c.query(sql);
    });
    const tplInfo = await withClient(withDb(base, tpl), async (c) => ({
      size: await relationSize(c, 'items'),
      collation: (
        await c.query(
          `SELECT CASE datlocprovider WHEN 'i' THEN 'ICU ' || datlocale WHEN 'b' THEN 'builtin ' || datlocale ELSE 'libc ' || datcollate END AS v
             FROM pg_database WHERE datname = current_database()`,
        )
      ).rows[0].v as string,
    }));
    console.log(
      `seed ${fmtInt(rows)} rows: items heap ${formatBytes(tplInfo.size.heapBytes)} (${Math.round(tplInfo.size.heapBytes / rows)} B/row), ` +
        `indexes ${formatBytes(tplInfo.size.indexBytes)}, owners ${fmtInt(OWNERS)} rows; collation ${tplInfo.collation}; in ${fmtS(now() - t)}`,
    );

    for (let rep = 1; rep <= REPS; rep++) {
      for (const copy of COPIES) {
        const db = `${prefix}_${rows}_${copy.name.toLowerCase()}_${rep}`;
        await withClient(base, (c) => c.query(`CREATE DATABASE ${db} TEMPLATE ${tpl}`));
        dbs.push(db);
        // Flush the copy's own writes so they do not land in the first timed statement.
        await withClient(base, (c) => c.query('CHECKPOINT'));
        await withClient(withDb(base, db), async (c) => {
          const referenced = await relationSize(c, 'owners');
          for (const step of copy.steps) {
            if (step.tablespace && !tablespace) continue;
            const size = await relationSize(c, 'items');
            const ms = await timedQuery(c, step.tablespace ? step.sql.replace(/TABLESPACE$/, tablespace!) : step.sql);
            if (!step.untimed) samples.push({ rows, rep, step, size, referenced: step.referenced ? referenced : null, ms });
          }
        });
        await withClient(base, (c) => c.query(`DROP DATABASE ${db} WITH (FORCE)`));
        dbs.pop();
      }
      console.log(`  rep ${rep}/${REPS} at ${fmtInt(rows)} rows done (${fmtS(now())} so far)`);
    }
  }
  return samples;
}

// ---------------------------------------------------------------- fitting

/**
 * One rate, fitted so that predicted = known + x / rate minimises the squared
 * relative error over the samples: with u = 1 / rate,
 * u = Σ (x/t)(1 - known/t) / Σ (x/t)².
 */
function fitRate(points: Array<{ x: number; known: number; t: number }>): number {
  let num = 0;
  let den = 0;
  for (const p of points) {
    const a = p.x / p.t;
    num += a * (1 - p.known / p.t);
    den += a * a;
  }
  if (!(num > 0)) throw new Error('fit failed: the known terms already exceed the measured times');
  return den / num;
}

const sec = (ms: number) => ms / 1000;

function fit(samples: Sample[]): { tp: Throughput; notMeasured: Set<RateName> } {
  const notMeasured = new Set<RateName>();
  const tp: Throughput = { ...DEFAULT_THROUGHPUT, source: '' };
  const fitted = (name: string) => samples.filter((s) => s.step.fit && s.step.name.startsWith(name));
  const heap = (s: Sample) => s.size.heapBytes;
  const rows = (s: Sample) => s.size.rows ?? s.rows;

  // 1. scan: the two validation scans.
  tp.scanBytesPerSec = fitRate([...fitted('ADD CHECK'), ...fitted('SET NOT NULL')].map((s) => ({ x: heap(s), known: 0, t: sec(s.ms) })));
  // 2. index sort, on top of the heap scan at the scan rate, for fixed-width and for text keys.
  const builds = (key: 'fixed-width' | 'text') =>
    fitted('CREATE INDEX (')
      .filter((s) => s.step.indexKey === key)
      .map((s) => ({ x: rows(s) * nLogNFactor(rows(s)), known: heap(s) / tp.scanBytesPerSec, t: sec(s.ms) }));
  tp.indexBuildRowsPerSecAt1M = fitRate(builds('fixed-width'));
  tp.textIndexBuildRowsPerSecAt1M = fitRate(builds('text'));
  // 3. index rebuild per byte of the existing indexes (REINDEX TABLE, what a rewrite does after the heap).
  tp.indexRebuildBytesPerSecAt1M = fitRate(fitted('REINDEX').map((s) => ({ x: s.size.indexBytes * nLogNFactor(rows(s)), known: 0, t: sec(s.ms) })));
  // 4. rewrite of the heap, on top of the index rebuild.
  tp.rewriteBytesPerSec = fitRate(
    fitted('ALTER COLUMN').map((s) => ({
      x: s.size.heapBytes + s.size.toastBytes,
      known: (s.size.indexBytes * nLogNFactor(rows(s))) / tp.indexRebuildBytesPerSecAt1M,
      t: sec(s.ms),
    })),
  );
  // 5. foreign key check per row, on top of both heap scans.
  tp.fkCheckRowsPerSec = fitRate(
    fitted('ADD FOREIGN KEY').map((s) => ({ x: rows(s), known: (heap(s) + (s.referenced?.heapBytes ?? 0)) / tp.scanBytesPerSec, t: sec(s.ms) })),
  );
  // 6. whole-table UPDATE per byte of heap and indexes.
  tp.dmlBytesPerSec = fitRate(fitted('UPDATE').map((s) => ({ x: s.size.heapBytes + s.size.indexBytes, known: 0, t: sec(s.ms) })));
  tp.deleteBytesPerSec = fitRate(fitted('DELETE').map((s) => ({ x: heap(s), known: 0, t: sec(s.ms) })));
  // 7. block copy of the heap to another tablespace (kept at its default when the bench has no tablespace).
  const moves = fitted('SET TABLESPACE');
  if (moves.length > 0) tp.copyBytesPerSec = fitRate(moves.map((s) => ({ x: s.size.heapBytes + s.size.toastBytes, known: 0, t: sec(s.ms) })));
  else notMeasured.add('copyBytesPerSec');
  // 8. CREATE INDEX CONCURRENTLY as a multiple of a plain build of the same column on the same copy (geometric mean of the ratios).
  const ratios = fitted('CREATE INDEX CONCURRENTLY').map((s) => {
    const plain = fitted('CREATE INDEX (owner_id').find((p) => p.rows === s.rows && p.rep === s.rep)!;
    return s.ms / plain.ms;
  });
  tp.concurrentIndexBuildFactor = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length);
  return { tp, notMeasured };
}

// ---------------------------------------------------------------- report

/** What the model predicts for a sample, in ms. */
function predict(s: Sample, tp: Throughput): number {
  if (s.step.kind === 'index-rebuild') {
    return ((s.size.indexBytes * nLogNFactor(s.size.rows ?? s.rows)) / tp.indexRebuildBytesPerSecAt1M) * 1000;
  }
  return estimateWork(s.step.kind, s.size, { throughput: tp, referenced: s.referenced, ...(s.step.indexKey ? { indexKey: s.step.indexKey } : {}) }).ms;
}

function pct(measured: number, predicted: number): string {
  const e = (predicted - measured) / measured;
  return `${e >= 0 ? '+' : ''}${(e * 100).toFixed(0)}%`;
}

function report(samples: Sample[], tp: Throughput): void {
  console.log('\nmeasured (median of the repetitions, min-max) vs predicted by the fitted model; error = (predicted - measured) / measured');
  console.log('| rows | statement | kind | fitted | heap / indexes | measured | predicted | error |');
  console.log('|---:|---|---|---|---|---:|---:|---:|');
  const errors = new Map<string, number[]>();
  const groups = new Map<string, Sample[]>();
  for (const s of samples) {
    const key = `${s.rows}\u0000${s.step.name}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const group of groups.values()) {
    const s = group[0]!;
    const ms = group.map((g) => g.ms);
    const m = median(ms);
    const pred = median(group.map((g) => predict(g, tp)));
    const label = `${s.step.fit ? 'fit' : 'check'} ${s.step.kind}`;
    errors.set(label, [...(errors.get(label) ?? []), Math.abs(pred - m) / m]);
    console.log(
      `| ${fmtInt(s.rows)} | ${s.step.name} | ${s.step.kind} | ${s.step.fit ? 'yes' : 'no'} | ${formatBytes(s.size.heapBytes)} / ${formatBytes(s.size.indexBytes)} | ` +
        `${fmtS(m)} (${fmtS(Math.min(...ms))}-${fmtS(Math.max(...ms))}) | ${fmtS(pred)} | ${pct(m, pred)} |`,
    );
  }
  console.log('\nmean absolute error by kind (over the sizes and statements of that kind):');
  for (const [label, es] of [...errors].sort()) {
    console.log(`  ${label}: ${(100 * es.reduce((a, b) => a + b, 0) / es.length).toFixed(0)}% (max ${(100 * Math.max(...es)).toFixed(0)}%)`);
  }
}

/**
 * Out of sample: the rates fitted on all sizes but the largest, predicting the
 * largest (the estimates are used on tables far larger than any the bench builds).
 */
function extrapolation(samples: Sample[]): void {
  const largest = Math.max(...samples.map((s) => s.rows));
  const smaller = samples.filter((s) => s.rows < largest);
  if (smaller.length === 0) return;
  const { tp } = fit(smaller);
  console.log(`\nextrapolation: rates fitted on the smaller sizes only, predicting ${fmtInt(largest)} rows (median of the repetitions)`);
  console.log('| statement | kind | measured | predicted | error |');
  console.log('|---|---|---:|---:|---:|');
  const names = [...new Set(samples.filter((s) => s.rows === largest).map((s) => s.step.name))];
  for (const name of names) {
    const group = samples.filter((s) => s.rows === largest && s.step.name === name);
    const m = median(group.map((g) => g.ms));
    const pred = median(group.map((g) => predict(g, tp)));
    console.log(`| ${name} | ${group[0]!.step.kind} | ${fmtS(m)} | ${fmtS(pred)} | ${pct(m, pred)} |`);
  }
}

function printConstants(tp: Throughput, notMeasured: ReadonlySet<RateName>, serverLine: string, bytesPerRow: number): void {
  console.log('\nfitted rates:');
  for (const k of RATE_NAMES) {
    const v = tp[k];
    const shown =
      k === 'concurrentIndexBuildFactor'
        ? v.toFixed(2)
        : k === 'assumedBytesPerRow'
          ? `${v} (an assumption, not fitted; the bench table has ${bytesPerRow} heap bytes per row)`
          : k.includes('Rows')
            ? formatRate(v, 'rows')
            : formatRate(v, 'bytes');
    console.log(`  ${k}: ${shown}${notMeasured.has(k) ? ' (not measured: the default is kept)' : ''}`);
  }
  const round = (k: string, v: number) => (k === 'concurrentIndexBuildFactor' ? Number(v.toFixed(2)) : Math.round(v));
  console.log('\nfor the `estimates` key of ddlguard.config.yaml (or .json), to estimate for this server:');
  console.log('estimates:');
  for (const k of RATE_NAMES) console.log(`  ${k}: ${round(k, tp[k])}`);
  console.log(`  source: "calibrated by bench/estimates.ts on ${serverLine}"`);
}

// ---------------------------------------------------------------- main

interface Tablespace {
  name: string;
  drop(base: string): Promise<void>;
}

/**
 * A tablespace for SET TABLESPACE: with the embedded server, a fresh directory
 * on the same disk as its data (owned by the server's user); with DATABASE_URL,
 * the existing tablespace named by $DDLGUARD_BENCH_TABLESPACE, else none.
 */
async function benchTablespace(base: string, embedded: boolean, prefix: string): Promise<Tablespace | null> {
  if (!embedded) {
    const name = process.env.DDLGUARD_BENCH_TABLESPACE;
    return name ? { name, drop: async () => {} } : null;
  }
  const dir = await mkdtemp(path.join(process.env.DDLGUARD_PG_TMPDIR ?? os.tmpdir(), 'ddlguard-est-ts-'));
  if (typeof process.getuid === 'function' && process.getuid() === 0) {
    // As root the server runs as the postgres user (test/support/postgres.ts).
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    await chown(dir, id('-u'), id('-g'));
  }
  await chmod(dir, 0o700);
  const name = `${prefix}_ts`;
  await withClient(base, (c) => c.query(`CREATE TABLESPACE ${name} LOCATION '${dir.replace(/'/g, "''")}'`));
  return {
    name,
    async drop(url: string) {
      await withClient(url, (c) => c.query(`DROP TABLESPACE IF EXISTS ${name}`)).catch((e) => console.error(`could not drop tablespace ${name}: ${String(e)}`));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  if (SIZES.some((n) => !Number.isInteger(n) || n < 10_000)) throw new Error(`sizes must be integers >= 10000 (got ${process.argv[2]})`);
  if (!Number.isInteger(REPS) || REPS < 1) throw new Error(`reps must be a positive integer (got ${process.argv[3]})`);
  let server: PostgresServer | undefined;
  let baseUrl = process.env.DATABASE_URL;
  const dbs: string[] = [];
  const prefix = `ddlguard_est_${process.pid}`;
  let tablespace: Tablespace | null = null;
  try {
    if (!baseUrl) {
      server = await startPostgres(18, { durable: true });
      baseUrl = server.url;
    }
    const base = baseUrl;
    const settings = await withClient(base, async (c) => {
      const names = [
        'server_version', 'fsync', 'synchronous_commit', 'full_page_writes', 'wal_level', 'shared_buffers', 'work_mem',
        'maintenance_work_mem', 'max_parallel_maintenance_workers', 'max_wal_size',
      ];
      const r = await c.query(`SELECT name, current_setting(name) AS v FROM unnest($1::text[]) name`, [names]);
      const m = new Map<string, string>(r.rows.map((x: { name: string; v: string }) => [x.name, x.v]));
      const collate = (await c.query(`SELECT datcollate FROM pg_database WHERE datname = current_database()`)).rows[0].datcollate as string;
      m.set('collation of the postgres database', collate);
      return m;
    });
    const cores = os.availableParallelism?.() ?? os.cpus().length;
    const machine = `${cores} cores (${os.cpus()[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM`;
    console.log(`machine: ${machine}, node ${process.version}`);
    console.log(
      `server: PostgreSQL ${settings.get('server_version')} (${server ? `embedded, started by the bench, data in ${process.env.DDLGUARD_PG_TMPDIR ?? os.tmpdir()}` : 'DATABASE_URL'}); ` +
        [...settings].filter(([k]) => k !== 'server_version').map(([k, v]) => `${k}=${v}`).join(', '),
    );
    console.log(`sizes: ${SIZES.map(fmtInt).join(', ')} rows; ${REPS} repetitions, each on fresh copies of the seeded database\n`);

    let createOptions = '';
    if (server) {
      const icu = await withClient(base, (c) => c.query(`SELECT 1 FROM pg_collation WHERE collname = 'en-US-x-icu'`));
      if (icu.rowCount) createOptions = `TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'`;
    }
    tablespace = await benchTablespace(base, server !== undefined, prefix);
    if (!tablespace) console.log('no tablespace (set DDLGUARD_BENCH_TABLESPACE with DATABASE_URL): SET TABLESPACE is not measured\n');
    const samples = await measure(base, prefix, dbs, createOptions, tablespace?.name ?? null);
    const { tp, notMeasured } = fit(samples);
    report(samples, tp);
    extrapolation(samples);
    const serverLine = `PostgreSQL ${settings.get('server_version')}, ${machine}, fsync=${settings.get('fsync')}, synchronous_commit=${settings.get('synchronous_commit')}, full_page_writes=${settings.get('full_page_writes')}`;
    const first = samples[0]!;
    printConstants(tp, notMeasured, `${serverLine}, ${new Date().toISOString().slice(0, 10)}`, Math.round(first.size.heapBytes / first.rows));
    console.log(`bench wall time: ${fmtS(now())}`);
  } finally {
    if (baseUrl) {
      for (const db of dbs.reverse()) {
        await withClient(baseUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)).catch((e) => console.error(`could not drop ${db}: ${String(e)}`));
      }
      await tablespace?.drop(baseUrl);
    }
    await server?.stop();
  }
}

await main();
