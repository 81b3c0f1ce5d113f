/**
 * Apply under load: seeds `accounts` (default 1,000,000 rows) and `owners`,
 * runs a steady workload of short primary-key reads and single-row writes on
 * several connections, and applies a reference migration twice, each on a
 * fresh copy of the seeded database:
 *   (a) naive: the SQL statements one after another, autocommit, no guards;
 *   (b) ddlguard: planMigration + applyPlan (all phases, yes: true).
 * A third copy runs the plan's steps by hand with every backfill as one
 * unbatched UPDATE, to compare backfill rows/s.
 * Prints figures; asserts nothing.
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/apply.js [rows=1000000]`.
 * Uses DATABASE_URL when set (the role needs CREATEDB: the bench creates and
 * drops its own databases), otherwise starts an embedded PostgreSQL 18.
 */
import pg from 'pg';
import { loadParser } from '../src/sql/parser.js';
import { planMigration, type TableSize } from '../src/plan/planner.js';
import type { Plan, PlanStep } from '../src/plan/model.js';
import { applyPlan, type ApplyResult } from '../src/apply/runner.js';
import { createLogger, type ApplyEvent, type ApplyLogger } from '../src/apply/log.js';
import { DEFAULT_GUARD } from '../src/apply/guard.js';
import { DEFAULT_BACKFILL } from '../src/apply/backfill.js';
import { BenchDatabases, machineLine, openServer, serverLine, type BenchServer } from './support/server.js';
import { describeTable } from './support/schema.js';
import { connect, fmtInt, fmtMs, now, rowHash, sleep, withClient, tableChecksum, type Checksum } from './support/util.js';
import { Workload, type LatencyStats, type LoadClient } from './support/workload.js';

// ---------------------------------------------------------------- settings

const ROWS = Number(process.argv[2] ?? 1_000_000);
const OWNERS = 10_000;
const READERS = 4;
const WRITERS = 2;
/** Each reader issues one query every READ_EVERY_MS, each writer one every WRITE_EVERY_MS (closed loop: a stalled query delays that client's next one). */
const READ_EVERY_MS = 5;
const WRITE_EVERY_MS = 10;
/** Share of writes that are INSERTs (the rest are UPDATEs of balance). */
const INSERT_SHARE = 0.2;
/** Load runs this long before each migration starts (baseline latency). */
const WARMUP_MS = 3000;
/** Hard bound of one migration run (naive statement_timeout; graceful abort of the apply, then cancel). */
const RUN_DEADLINE_MS = 30 * 60_000;
/** Workload loops stop on their own after this long, whatever happens. */
const LOAD_DEADLINE_MS = RUN_DEADLINE_MS + 5 * 60_000;

const SCHEMA_SQL = `CREATE TABLE owners (
  id bigint PRIMARY KEY,
  name text NOT NULL
);
CREATE TABLE accounts (
  id bigint PRIMARY KEY,
  email text NOT NULL,
  balance int NOT NULL DEFAULT 0,
  owner_id bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
`;

/** The reference migration, one statement per entry (the naive run sends them one by one). */
const MIGRATION = [
  'ALTER TABLE accounts ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();   -- volatile default, NOT NULL',
  'CREATE INDEX accounts_email_idx ON accounts (email);',
  'ALTER TABLE accounts ADD CONSTRAINT accounts_owner_fk FOREIGN KEY (owner_id) REFERENCES owners (id);',
  'ALTER TABLE accounts ALTER COLUMN balance TYPE bigint;                            -- int -> bigint',
];

// Deterministic seed expressions over i (bigint), shared by the seed and the expected-state checksum.
const SEED_EMAIL = (i: string) => `'u' || md5(${i}::text) || '@example.com'`;
const SEED_BALANCE = (i: string) => `((${i} * 7919) % 100000)`;
const SEED_OWNER = (i: string) => `(1 + (${i} * 31) % ${OWNERS})`;
// Rows inserted by the workload writers, derived from their id.
const INS_EMAIL = (i: string) => `'w' || ${i}::text || '@example.com'`;
const INS_BALANCE = (i: string) => `(${i} % 1000)`;
const INS_OWNER = (i: string) => `(1 + ${i} % ${OWNERS})`;

/** Order-independent checksum of (id, email, balance, owner_id) rows. */
const ROW_HASH = rowHash('id', 'email', 'balance', 'owner_id');

// ---------------------------------------------------------------- workload

/** The writes the workload saw succeed, to compute the expected final state. */
interface Writes {
  updIds: number[];
  updDeltas: number[];
  insIds: number[];
}

const noWrites = (): Writes => ({ updIds: [], updDeltas: [], insIds: [] });

/** Readers do primary-key SELECTs, writers single-row UPDATEs (balance += d) and INSERTs. */
function loadClients(rows: number, writes: Writes): LoadClient[] {
  let nextId = rows + 1;
  const clients: LoadClient[] = [];
  for (let r = 0; r < READERS; r++) {
    clients.push({
      name: `bench-reader-${r + 1}`,
      everyMs: READ_EVERY_MS,
      next: () => ({
        kind: 'read',
        run: async (c) => {
          const id = 1 + Math.floor(Math.random() * rows);
          await c.query('SELECT id, email, balance, owner_id FROM accounts WHERE id = $1', [id]);
        },
      }),
    });
  }
  for (let w = 0; w < WRITERS; w++) {
    clients.push({
      name: `bench-writer-${w + 1}`,
      everyMs: WRITE_EVERY_MS,
      next: () =>
        Math.random() < INSERT_SHARE
          ? {
              kind: 'write',
              run: async (c) => {
                const id = nextId++;
                await c.query('INSERT INTO accounts (id, email, balance, owner_id) VALUES ($1, $2, $3, $4)', [id, `w${id}@example.com`, id % 1000, 1 + (id % OWNERS)]);
                writes.insIds.push(id);
              },
            }
          : {
              kind: 'write',
              run: async (c) => {
                const id = 1 + Math.floor(Math.random() * rows);
                const d = 1 + Math.floor(Math.random() * 9) - 5 || 5;
                const r = await c.query('UPDATE accounts SET balance = balance + $2 WHERE id = $1', [id, d]);
                if (r.rowCount === 1) {
                  writes.updIds.push(id);
                  writes.updDeltas.push(d);
                }
              },
            },
    });
  }
  return clients;
}

// ---------------------------------------------------------------- database setup and checks

async function seedTemplate(url: string, rows: number): Promise<void> {
  await withClient(url, async (c) => {
    await c.query(SCHEMA_SQL);
    await c.query(`INSERT INTO owners (id, name) SELECT i, 'owner ' || i FROM generate_series(1, ${OWNERS}::bigint) i`);
    await c.query(
      `INSERT INTO accounts (id, email, balance, owner_id, created_at)
       SELECT i, ${SEED_EMAIL('i')}, ${SEED_BALANCE('i')}, ${SEED_OWNER('i')}, timestamptz '2024-01-01' + i * interval '1 second'
         FROM generate_series(1, ${rows}::bigint) i`,
    );
    await c.query('VACUUM ANALYZE owners');
    await c.query('VACUUM ANALYZE accounts');
  });
}

const actualChecksum = (c: pg.Client): Promise<Checksum> => tableChecksum(c, 'accounts', ROW_HASH);

/** The seed plus the workload's successful writes, computed from scratch. */
async function expectedChecksum(c: pg.Client, rows: number, w: Writes): Promise<Checksum> {
  const r = await c.query(
    `WITH u AS (SELECT id, sum(d)::bigint AS d FROM unnest($1::bigint[], $2::int[]) AS t(id, d) GROUP BY id),
          base AS (
            SELECT i AS id, ${SEED_EMAIL('i')} AS email, ${SEED_BALANCE('i')}::bigint AS balance, ${SEED_OWNER('i')}::bigint AS owner_id
              FROM generate_series(1, $3::bigint) i
            UNION ALL
            SELECT i, ${INS_EMAIL('i')}, ${INS_BALANCE('i')}::bigint, ${INS_OWNER('i')}::bigint FROM unnest($4::bigint[]) i
          ),
          final AS (SELECT b.id, b.email, b.balance + coalesce(u.d, 0) AS balance, b.owner_id FROM base b LEFT JOIN u USING (id))
     SELECT count(*)::bigint AS n, coalesce(sum(${ROW_HASH}), 0)::text AS s FROM final`,
    [w.updIds, w.updDeltas, rows, w.insIds],
  );
  return { rows: Number(r.rows[0].n), sum: String(r.rows[0].s) };
}

interface Verification {
  actual: Checksum;
  expected: Checksum;
  equal: boolean;
  tokenNulls: number;
  tokenDistinct: number;
  tokenAttNotNull: boolean;
  balanceType: string;
  schema: string[];
}

async function verify(url: string, rows: number, w: Writes): Promise<Verification> {
  return withClient(url, async (c) => {
    const actual = await actualChecksum(c);
    const expected = await expectedChecksum(c, rows, w);
    const t = await c.query(`SELECT count(*) FILTER (WHERE token IS NULL)::bigint AS nulls, count(DISTINCT token)::bigint AS distinct FROM accounts`);
    const a = await c.query(
      `SELECT attname, format_type(atttypid, atttypmod) AS type, attnotnull FROM pg_attribute
        WHERE attrelid = 'accounts'::regclass AND attname IN ('token', 'balance') AND NOT attisdropped`,
    );
    const col = (n: string) => a.rows.find((x: { attname: string }) => x.attname === n) as { type: string; attnotnull: boolean } | undefined;
    return {
      actual,
      expected,
      equal: actual.rows === expected.rows && actual.sum === expected.sum,
      tokenNulls: Number(t.rows[0].nulls),
      tokenDistinct: Number(t.rows[0].distinct),
      tokenAttNotNull: Boolean(col('token')?.attnotnull),
      balanceType: col('balance')?.type ?? '(missing)',
      schema: await describeTable(c, 'accounts'),
    };
  });
}

async function tableSizes(url: string): Promise<Map<string, TableSize>> {
  return withClient(url, async (c) => {
    const r = await c.query(
      `SELECT n.nspname || '.' || c.relname AS key, greatest(c.reltuples, 0)::bigint AS rows, pg_total_relation_size(c.oid) AS bytes
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname = 'public'`,
    );
    return new Map(r.rows.map((x: { key: string; rows: string; bytes: string }) => [x.key, { rows: Number(x.rows), bytes: Number(x.bytes) }]));
  });
}

// ---------------------------------------------------------------- runs

interface RunResult {
  name: string;
  totalMs: number;
  t0: number;
  t1: number;
  workload: Workload;
  verification: Verification;
  note?: string;
}

async function withLoad<T>(url: string, rows: number, fn: (w: Workload) => Promise<T>): Promise<{ w: Workload; writes: Writes; value: T }> {
  const writes = noWrites();
  const w = new Workload(url, loadClients(rows, writes), LOAD_DEADLINE_MS);
  await w.start();
  try {
    await sleep(WARMUP_MS);
    const value = await fn(w);
    return { w, writes, value };
  } finally {
    await w.stop();
  }
}

async function runNaive(url: string, rows: number): Promise<RunResult> {
  console.log('\n(a) naive: the statements one after another, autocommit, no lock_timeout');
  let t0 = 0;
  let t1 = 0;
  const { w, writes } = await withLoad(url, rows, async () => {
    const c = await connect(url, 'bench-naive');
    try {
      await c.query(`SET statement_timeout = ${RUN_DEADLINE_MS}`);
      t0 = now();
      for (const stmt of MIGRATION) {
        const s = now();
        await c.query(stmt);
        console.log(`    ${fmtMs(now() - s).padStart(9)}  ${stmt.replace(/\s+--.*$/, '')}`);
      }
      t1 = now();
    } finally {
      await c.end().catch(() => {});
    }
  });
  return { name: 'naive SQL', totalMs: t1 - t0, t0, t1, workload: w, verification: await verify(url, rows, writes) };
}

interface ApplyRun extends RunResult {
  plan: Plan;
  result: ApplyResult;
  events: ApplyEvent[];
}

async function planFor(url: string, pgMajor: number): Promise<Plan> {
  await loadParser();
  return planMigration([{ path: 'migrations/002_reference.sql', text: MIGRATION.join('\n') + '\n' }], {
    pgVersion: pgMajor,
    history: [{ path: 'migrations/001_schema.sql', text: SCHEMA_SQL }],
    tableSizes: await tableSizes(url),
  });
}

async function runDdlguard(url: string, rows: number, pgMajor: number): Promise<ApplyRun> {
  console.log('\n(b) ddlguard: planMigration + applyPlan (phase all, yes: true, default guard and backfill options)');
  const events: ApplyEvent[] = [];
  const inner = createLogger({ format: 'human', tty: false, write: (l) => process.stdout.write(`    +${(now() / 1000).toFixed(1)}s ${l}`) });
  const logger: ApplyLogger = {
    emit(e) {
      events.push(e);
      inner.emit(e);
    },
    progress(p, done) {
      inner.progress(p, done);
    },
  };
  let t0 = 0;
  let t1 = 0;
  let plan!: Plan;
  let result!: ApplyResult;
  const { w, writes } = await withLoad(url, rows, async () => {
    const ac = new AbortController();
    const soft = setTimeout(() => ac.abort(), RUN_DEADLINE_MS);
    // Hard bound: cancel the applier's statement if the graceful stop did not end it.
    const hard = setTimeout(() => {
      void withClient(url, (c) =>
        c.query(`SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'ddlguard%'`),
      ).catch(() => {});
    }, RUN_DEADLINE_MS + 60_000);
    try {
      t0 = now();
      plan = await planFor(url, pgMajor);
      console.log(`    plan ${plan.id}: ${plan.steps.length} steps (${plan.steps.filter((s) => s.batch).length} batched backfills), planned in ${fmtMs(now() - t0)}`);
      result = await applyPlan(plan, { db: url, phase: 'all', yes: true, logger, signal: ac.signal });
      t1 = now();
    } finally {
      clearTimeout(soft);
      clearTimeout(hard);
    }
  });
  const note = result.status === 'done' ? undefined : `apply ${result.status}${result.failedStep ? ` at ${result.failedStep}` : ''}: ${result.error ?? ''}`;
  return { name: 'ddlguard', totalMs: t1 - t0, t0, t1, workload: w, verification: await verify(url, rows, writes), plan, result, events, note };
}

interface Unbatched {
  step: string;
  rows: number;
  ms: number;
}

/**
 * The plan's steps run by hand in order on a fresh copy, under the same load,
 * each backfill as its single unbatched UPDATE (the step's `sql`), up to the
 * last backfill. Returns the timed UPDATEs.
 */
async function runUnbatched(url: string, rows: number, plan: Plan): Promise<{ timed: Unbatched[]; w: Workload; t0: number; t1: number }> {
  console.log('\n(c) the same plan by hand, each backfill as one unbatched UPDATE (same load running)');
  const lastBatch = plan.steps.map((s) => Boolean(s.batch)).lastIndexOf(true);
  const timed: Unbatched[] = [];
  let t0 = 0;
  let t1 = 0;
  const { w } = await withLoad(url, rows, async () => {
    const c = await connect(url, 'bench-unbatched');
    try {
      await c.query(`SET statement_timeout = ${RUN_DEADLINE_MS}`);
      t0 = now();
      for (const s of plan.steps.slice(0, lastBatch + 1)) {
        const st = now();
        const r = await c.query(s.sql);
        const ms = now() - st;
        if (s.batch) {
          const n = (Array.isArray(r) ? r.at(-1)?.rowCount : r.rowCount) ?? 0;
          timed.push({ step: s.id, rows: n, ms });
          console.log(`    ${fmtMs(ms).padStart(9)}  ${s.id}: ${s.sql} -> ${fmtInt(n)} rows, ${fmtInt(n / (ms / 1000))} rows/s`);
        }
      }
      t1 = now();
    } finally {
      await c.end().catch(() => {});
    }
  });
  return { timed, w, t0, t1 };
}

// ---------------------------------------------------------------- report

function latencyLine(s: LatencyStats): string {
  if (s.n === 0) return 'no queries';
  return `${fmtMs(s.p50)} / ${fmtMs(s.p99)} / ${fmtMs(s.max)}`;
}

function report(runs: RunResult[], plannedLockTimeoutMs: number): void {
  const col = 44;
  const row = (label: string, ...vals: string[]) => console.log(`  ${label.padEnd(34)}${vals.map((v) => v.padEnd(col)).join('')}`);
  console.log('\nresults');
  row('', ...runs.map((r) => r.name));
  row('total migration time', ...runs.map((r) => fmtMs(r.totalMs)));
  row('workload before (p50/p99/max)', ...runs.map((r) => latencyLine(r.workload.stats(r.t0 - WARMUP_MS, r.t0))));
  row('workload during (p50/p99/max)', ...runs.map((r) => latencyLine(r.workload.stats(r.t0, r.t1))));
  row('  reads  (p50/p99/max)', ...runs.map((r) => latencyLine(r.workload.stats(r.t0, r.t1, 'read'))));
  row('  writes (p50/p99/max)', ...runs.map((r) => latencyLine(r.workload.stats(r.t0, r.t1, 'write'))));
  row('queries during migration', ...runs.map((r) => fmtInt(r.workload.stats(r.t0, r.t1).n)));
  row('failed workload queries', ...runs.map((r) => `${r.workload.failures(r.t0, r.t1)} during, ${[...r.workload.errors.values()].reduce((a, b) => a + b, 0)} in all`));
  row('most common error', ...runs.map((r) => r.workload.topError().slice(0, col - 2)));
  row('writes with unknown outcome', ...runs.map((r) => String(r.workload.unknownWrites)));
  row('rows afterwards', ...runs.map((r) => `${fmtInt(r.verification.actual.rows)} (expected ${fmtInt(r.verification.expected.rows)})`));
  row('checksum(id,email,balance,owner)', ...runs.map((r) => (r.verification.equal ? 'equal to expected' : `DIFFERS: ${r.verification.actual.sum} vs ${r.verification.expected.sum}`)));
  row('token NULLs / distinct / NOT NULL', ...runs.map((r) => `${r.verification.tokenNulls} / ${fmtInt(r.verification.tokenDistinct)} / ${r.verification.tokenAttNotNull ? 'yes' : 'NO'}`));
  row('balance type', ...runs.map((r) => r.verification.balanceType));
  for (const r of runs) if (r.note) console.log(`  note (${r.name}): ${r.note}`);

  const [naive, guarded] = runs;
  if (!naive || !guarded) return;
  const a = naive.verification.schema;
  const b = guarded.verification.schema;
  const onlyA = a.filter((x) => !b.includes(x));
  const onlyB = b.filter((x) => !a.includes(x));
  console.log(`\n  schema of accounts afterwards: ${onlyA.length + onlyB.length === 0 ? 'identical' : 'differs'} (columns by name, indexes, constraints, triggers)`);
  for (const x of onlyA) console.log(`    only naive:    ${x}`);
  for (const x of onlyB) console.log(`    only ddlguard: ${x}`);

  const gMax = guarded.workload.stats(guarded.t0, guarded.t1).max;
  const nMax = naive.workload.stats(naive.t0, naive.t1).max;
  const failed = guarded.workload.failures(guarded.t0, guarded.t1);
  console.log('\n  targets (ddlguard run)');
  console.log(
    `    max workload latency ${fmtMs(gMax)} vs 2 x lock_timeout: ${fmtMs(2 * plannedLockTimeoutMs)} with the plan's lock_timeout (${plannedLockTimeoutMs} ms) -> ${gMax <= 2 * plannedLockTimeoutMs ? 'met' : 'NOT met'}; ` +
      `${fmtMs(2 * DEFAULT_GUARD.maxLockTimeoutMs)} with applyPlan's lock_timeout ceiling (${DEFAULT_GUARD.maxLockTimeoutMs} ms) -> ${gMax <= 2 * DEFAULT_GUARD.maxLockTimeoutMs ? 'met' : 'NOT met'}`,
  );
  console.log(`    naive run's stall beside it: max ${fmtMs(nMax)} (${(nMax / Math.max(gMax, 0.001)).toFixed(1)}x the ddlguard max)`);
  console.log(`    failed workload queries: ${failed} -> ${failed === 0 ? 'met' : 'NOT met'}`);
  const ok = guarded.verification.equal && guarded.verification.tokenNulls === 0 && guarded.verification.tokenAttNotNull && guarded.verification.balanceType === 'bigint';
  console.log(`    identical data (count + checksum vs expected, token NOT NULL, balance bigint): ${ok ? 'met' : 'NOT met'}`);
}

function backfillReport(apply: ApplyRun, unbatched: Unbatched[]): void {
  console.log('\nbackfill throughput (rows updated / step wall time)');
  for (const u of unbatched) {
    const done = apply.events.find((e) => e.event === 'step.done' && e.step === u.step) as
      | (ApplyEvent & { ms: number; rowsUpdated: number; batches: number })
      | undefined;
    const uRate = u.rows / (u.ms / 1000);
    if (!done) {
      console.log(`  ${u.step}: apply did not finish it; unbatched ${fmtInt(uRate)} rows/s`);
      continue;
    }
    const aRate = done.rowsUpdated / (done.ms / 1000);
    console.log(
      `  ${u.step}: apply ${fmtInt(done.rowsUpdated)} rows in ${fmtMs(done.ms)} (${done.batches} batches) = ${fmtInt(aRate)} rows/s; ` +
        `unbatched UPDATE ${fmtInt(u.rows)} rows in ${fmtMs(u.ms)} = ${fmtInt(uRate)} rows/s; ratio ${(aRate / uRate).toFixed(2)} (target >= 0.50) -> ${aRate / uRate >= 0.5 ? 'met' : 'NOT met'}`,
    );
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  if (!Number.isInteger(ROWS) || ROWS < 1000) throw new Error(`rows must be an integer >= 1000 (got ${process.argv[2]})`);
  const started = now();
  let server: BenchServer | undefined;
  let dbs: BenchDatabases | undefined;
  try {
    server = await openServer();
    const pgMajor = server.info.major;
    console.log(machineLine());
    console.log(serverLine(server));
    console.log(
      `workload: ${READERS} readers (PK SELECT every ${READ_EVERY_MS} ms each), ${WRITERS} writers (every ${WRITE_EVERY_MS} ms each: ${Math.round((1 - INSERT_SHARE) * 100)}% single-row UPDATE, ${Math.round(INSERT_SHARE * 100)}% INSERT); closed loop, no statement_timeout; ${WARMUP_MS / 1000} s warm-up before each migration`,
    );
    console.log(
      `apply options: defaults (lock_timeout ${DEFAULT_GUARD.startLockTimeoutMs} ms growing x${DEFAULT_GUARD.growth} to ${DEFAULT_GUARD.maxLockTimeoutMs} ms; backfill target ${DEFAULT_BACKFILL.targetBatchMs} ms/batch, ${DEFAULT_BACKFILL.sleepBetweenMs} ms pause)`,
    );

    dbs = new BenchDatabases(server.baseUrl, `ddlguard_bench_${process.pid}`);
    const t = now();
    const tplUrl = await dbs.create('tpl');
    await seedTemplate(tplUrl, ROWS);
    const size = await withClient(tplUrl, (c) => c.query(`SELECT pg_size_pretty(pg_total_relation_size('accounts')) AS s`));
    console.log(`seed: accounts ${fmtInt(ROWS)} rows (${size.rows[0].s} with its primary key), owners ${fmtInt(OWNERS)} rows, in ${fmtMs(now() - t)}`);
    // The expected-state checksum must reproduce the seed exactly when no write happened.
    const sane = await withClient(tplUrl, async (c) => {
      const [a, e] = [await actualChecksum(c), await expectedChecksum(c, ROWS, noWrites())];
      return a.rows === e.rows && a.sum === e.sum;
    });
    console.log(`checksum self-check (seeded table vs expected state with no writes): ${sane ? 'equal' : 'DIFFERENT - the data comparison below is not meaningful'}`);
    const copies = await dbs.copies('tpl', ['naive', 'ddlguard', 'unbatched']);
    console.log(`copies: ${copies.urls.length} databases from the seeded template in ${fmtMs(copies.ms)}`);
    const [naiveDb, guardDb, unbatchedDb] = copies.urls as [string, string, string];

    const naive = await runNaive(naiveDb, ROWS);
    const guarded = await runDdlguard(guardDb, ROWS, pgMajor);
    const plannedLt = guarded.plan.steps.find((s) => s.guard.kind === 'lock-timeout')?.guard;
    const unb = await runUnbatched(unbatchedDb, ROWS, guarded.plan);

    report([naive, guarded], plannedLt?.kind === 'lock-timeout' ? plannedLt.lockTimeoutMs : 2000);
    backfillReport(guarded, unb.timed);
    const us = unb.w.stats(unb.t0, unb.t1);
    console.log(
      `  workload during (c), for comparison: p50/p99/max ${latencyLine(us)}; writes ${latencyLine(unb.w.stats(unb.t0, unb.t1, 'write'))} (writers wait on the big UPDATE's row locks)`,
    );
    console.log(`\nbench wall time: ${fmtMs(now() - started)}`);
  } finally {
    // Load clients are stopped by withLoad; drop what we created, stop what we started.
    await dbs?.dropAll();
    await server?.stop();
  }
}

await main();
