/**
 * Live introspection on a large schema: creates a database with 5,000 tables
 * (25,000 columns, 10,000 indexes, 5,000 foreign keys), then times
 * `introspectLive` (its first run and the median of 5 more) and prints the
 * figures and what the model holds. Target: under 1 s.
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/introspect.js [tables=5000]`.
 * Uses DATABASE_URL when set (the role needs CREATEDB: the bench creates and
 * drops its own database), otherwise starts an embedded PostgreSQL 18.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import pg from 'pg';
import { introspectLive } from '../src/schema/sources/live.js';
import { loadParser } from '../src/sql/parser.js';
import { quoteIdent } from '../src/sql/quote.js';
import { startPostgres, type PostgresServer } from '../test/support/postgres.js';
import { withDatabaseName } from '../src/db/connection.js';

// As the CLI does (src/cli/main.ts): the parser's WASM with V8's baseline compiler only.
setFlagsFromString('--liftoff-only');

const TABLES = Number(process.argv[2] ?? 5000);
/** Tables per CREATE batch (each batch is one implicit transaction: its locks must fit the lock table). */
const BATCH = 250;
const RUNS = 5;

const now = () => performance.now();
const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const fmtInt = (n: number) => n.toLocaleString('en-US');

const withDb = withDatabaseName;

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Table i: 5 columns, a primary key and one more index (10,000 indexes for 5,000 tables), a foreign key to table i-1. */
function tableSql(i: number): string {
  const t = quoteIdent(`t${String(i).padStart(5, '0')}`);
  const prev = quoteIdent(`t${String(i - 1).padStart(5, '0')}`);
  const fk = i > 0 ? ` REFERENCES ${prev} (id)` : '';
  return (
    `CREATE TABLE ${t} (id bigint PRIMARY KEY, ref_id bigint${fk}, name varchar(100) NOT NULL, ` +
    `amount numeric(12,2) DEFAULT 0, created_at timestamptz NOT NULL DEFAULT now());\n` +
    `CREATE INDEX ${quoteIdent(`t${String(i).padStart(5, '0')}_created_at_idx`)} ON ${t} (created_at);\n`
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function main(): Promise<void> {
  if (!Number.isInteger(TABLES) || TABLES < 1) throw new Error(`tables must be a positive integer (got ${process.argv[2]})`);
  let server: PostgresServer | undefined;
  let baseUrl = process.env.DATABASE_URL;
  const db = `ddlguard_bench_introspect_${process.pid}`;
  let created = false;
  // Quoting asks PostgreSQL's keyword list, which comes with the parser.
  let t = now();
  await loadParser();
  const parserMs = now() - t;
  try {
    if (!baseUrl) {
      server = await startPostgres(18);
      baseUrl = server.url;
    }
    const base = baseUrl;
    const version = await withClient(base, async (c) => (await c.query(`SELECT current_setting('server_version') AS v`)).rows[0].v as string);
    console.log(`machine: ${os.availableParallelism?.() ?? os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load average ${os.loadavg()[0]!.toFixed(1)}, node ${process.version} (--liftoff-only, as the CLI)`);
    console.log(`server: PostgreSQL ${version} (${server ? 'embedded, started by the bench' : 'DATABASE_URL'})`);

    await withClient(base, (c) => c.query(`CREATE DATABASE ${quoteIdent(db)}`));
    created = true;
    const url = withDb(base, db);
    t = now();
    await withClient(url, async (c) => {
      for (let from = 0; from < TABLES; from += BATCH) {
        let sql = '';
        for (let i = from; i < Math.min(TABLES, from + BATCH); i++) sql += tableSql(i);
        await c.query(sql);
      }
      await c.query('ANALYZE');
    });
    console.log(`schema: ${fmtInt(TABLES)} tables created and analyzed in ${fmtMs(now() - t)}`);

    t = now();
    const first = await introspectLive(url);
    const firstMs = now() - t;
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      t = now();
      await introspectLive(url);
      times.push(now() - t);
    }

    const m = first.model;
    const tables = [...m.relations.values()].filter((r) => r.kind === 'table');
    const columns = tables.reduce((n, r) => n + r.columns.size, 0);
    const constraints = tables.reduce((n, r) => n + r.constraints.size, 0);
    const fks = tables.reduce((n, r) => n + [...r.constraints.values()].filter((c) => c.kind === 'foreign-key').length, 0);
    console.log(`model: ${fmtInt(m.relations.size)} relations (${fmtInt(tables.length)} tables), ${fmtInt(columns)} columns, ${fmtInt(m.indexes.size)} indexes, ${fmtInt(constraints)} constraints (${fmtInt(fks)} foreign keys), ${fmtInt(tables.filter((r) => r.size).length)} with sizes`);
    console.log(`parser load (WASM, once per process): ${fmtMs(parserMs)}`);
    console.log(`introspectLive: first run ${fmtMs(firstMs)}; median of ${RUNS} more ${fmtMs(median(times))} (min ${fmtMs(Math.min(...times))}, max ${fmtMs(Math.max(...times))})`);
    console.log(`target under 1 s: ${Math.max(firstMs, median(times)) < 1000 ? 'met' : 'NOT met'}`);
  } finally {
    if (baseUrl && created) {
      await withClient(baseUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(db)} WITH (FORCE)`)).catch((e) => console.error(`could not drop ${db}: ${String(e)}`));
    }
    await server?.stop();
  }
}

await main();
