import { describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { runTrace } from '../../src/cli/commands/trace.js';
import { maskSecrets, maskUrl, engineHost } from '../../src/trace/engine.js';
import { renderTrace } from '../../src/trace/render.js';
import { tableReads, traceMigration, TRACE_FORMAT_VERSION, type TraceResult, type TracedStatement } from '../../src/trace/trace.js';
import { availableMajors, pgUrl, withDatabase } from '../support/db.js';

const HISTORY = [{ path: 'fixtures/trace/history/001_schema.sql', text: readFileSync('fixtures/trace/history/001_schema.sql', 'utf8') }];
const FILES = [{ path: 'fixtures/trace/migrations/002_changes.sql', text: readFileSync('fixtures/trace/migrations/002_changes.sql', 'utf8') }];

const CLI = path.resolve(__dirname, '../../dist/src/cli/main.js');

const locksOf = (s: TracedStatement) => s.locks.map((l) => `${l.relation}=${l.mode}`);
/** Tables read, as `relation:rows` (sequential rows plus rows fetched through an index). */
const readsOf = (s: TracedStatement) => [...tableReads(s)].map(([rel, r]) => `${rel}:${r.rows}`).sort();

/** The engine-independent part of a trace: what a reader compares. */
function essence(r: TraceResult) {
  return r.statements.map((s) => ({
    text: s.text,
    run: s.run,
    locks: s.locksObserved === 'exact' ? locksOf(s) : null,
    rewrites: s.rewrites.map((w) => `${w.relation}:${w.how}`).sort(),
    scans: s.scans.filter((x) => x.kind !== 'index' && x.scans > 0).map((x) => `${x.relation}:${x.scans}:${x.rows}`),
    columns: s.columns.map((c) => `${c.relation}.${c.column}:${c.change}:${c.after}`),
    constraints: s.constraints.map((c) => `${c.relation}.${c.constraint}:${c.change}:${c.validated}`),
    created: s.created,
    error: s.error,
  }));
}

/** The example: 001 creates a table, 002 alters it. */
const INIT = `CREATE TABLE orders (id bigint PRIMARY KEY, total int, status text);
INSERT INTO orders SELECT g, g, 'new' FROM generate_series(1, 300) AS s(g);`;
const CHANGE = `ALTER TABLE orders ADD COLUMN note text;
ALTER TABLE orders ALTER COLUMN total TYPE bigint;
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);`;

/** Every engine this run has: PGlite and each PostgreSQL server. */
const ENGINES: Array<{ name: string; run: <T>(fn: (engine: string) => Promise<T>) => Promise<T> }> = [
  { name: 'PGlite', run: (fn) => fn('pglite') },
  ...availableMajors().map((m) => ({ name: `PostgreSQL ${m}`, run: <T>(fn: (engine: string) => Promise<T>) => withDatabase(m, (url) => fn(url)) })),
];

describe.each(ENGINES)('each file in its own transaction on $name', ({ run }) => {
  it('a table an earlier file created is pre-existing for a later one (plain files: statement by statement)', async () => {
    const r = await run((engine) => traceMigration([{ path: '001_init.sql', text: INIT }, { path: '002_change.sql', text: CHANGE }], { engine }));
    expect(r.error).toBeNull();
    expect(r.formatVersion).toBe(TRACE_FORMAT_VERSION);
    expect(r.mode).toBe('per-file');
    expect(r.committed).toBe(true);
    expect(r.scratch?.dropped).toBe(true);
    expect(r.files.map((f) => `${f.path}:${f.framework}:${f.transaction}:${f.outcome}`)).toEqual(['001_init.sql:plain:statements:committed', '002_change.sql:plain:statements:committed']);
    const [, , add, type, check] = r.statements;
    for (const s of [add!, type!, check!]) {
      expect(s.run).toBe('autocommit');
      expect(locksOf(s)).toContain('public.orders=ACCESS EXCLUSIVE');
    }
    expect(type!.rewrites.map((w) => w.relation)).toContain('public.orders');
    // The rewrite reads the old table; the index rebuild reads the new one.
    expect(tableReads(type!).get('public.orders')?.rows).toBeGreaterThanOrEqual(300);
    // A CHECK added without NOT VALID scans every row under ACCESS EXCLUSIVE.
    expect(check!.scansObserved).toBe('exact');
    expect(check!.scans.filter((x) => x.scans > 0).map((x) => `${x.relation}:${x.scans}:${x.rows}:${x.lock}`)).toEqual(['public.orders:1:300:ACCESS EXCLUSIVE']);
    expect(renderTrace(r, 'tty')).toContain('scanned 300 rows of public.orders while holding ACCESS EXCLUSIVE');
    // Adding a nullable column scans nothing.
    expect(add!.scans.filter((x) => x.scans > 0)).toEqual([]);
  });

  it('a framework that wraps each file: the first ALTER takes the lock, the later ones find it held', async () => {
    const r = await run((engine) => traceMigration([{ path: 'V1__init.sql', text: INIT }, { path: 'V2__change.sql', text: CHANGE }], { engine }));
    expect(r.error).toBeNull();
    expect(r.files.map((f) => `${f.framework}:${f.transaction}:${f.outcome}`)).toEqual(['flyway:file:committed', 'flyway:file:committed']);
    const [, , add, type, check] = r.statements;
    expect(new Set([add!.transaction, type!.transaction, check!.transaction]).size).toBe(1);
    expect(add!.run).toBe('transaction');
    expect(locksOf(add!)).toEqual(['public.orders=ACCESS EXCLUSIVE']);
    expect(type!.held.map((l) => `${l.relation}=${l.mode}`)).toContain('public.orders=ACCESS EXCLUSIVE');
    expect(type!.rewrites.map((w) => w.relation)).toContain('public.orders');
    expect(check!.scans.find((x) => x.relation === 'public.orders')).toMatchObject({ scans: 1, rows: 300, lock: 'ACCESS EXCLUSIVE' });
    expect(renderTrace(r, 'tty')).toMatch(/no new lock; the transaction already holds public\.orders ACCESS EXCLUSIVE/);
  });

  it('--single-transaction keeps the old behaviour: the table counts as new', async () => {
    const r = await run((engine) =>
      traceMigration([{ path: '001_init.sql', text: INIT }, { path: '002_change.sql', text: CHANGE }], { engine, mode: 'single-transaction' }),
    );
    expect(r.error).toBeNull();
    expect(r.committed).toBe(false);
    expect(r.files.map((f) => f.transaction)).toEqual(['single', 'single']);
    // CREATE TABLE took ACCESS EXCLUSIVE in the same transaction: the ALTERs add no lock.
    for (const s of r.statements.slice(2)) {
      expect(s.locks).toEqual([]);
      expect(s.held.map((l) => `${l.relation}=${l.mode}`)).toContain('public.orders=ACCESS EXCLUSIVE');
    }
  });

  it('ADD COLUMN ... REFERENCES: no scan without a default, every row scanned with DEFAULT 5 (the issue)', async () => {
    const history = [
      {
        path: 'h.sql',
        text: `CREATE TABLE p (id int PRIMARY KEY); INSERT INTO p SELECT generate_series(1, 400);
               CREATE TABLE t (id int PRIMARY KEY, a int); INSERT INTO t SELECT g, g FROM generate_series(1, 250) AS s(g);`,
      },
    ];
    const r = await run((engine) =>
      traceMigration([{ path: 'x.sql', text: 'ALTER TABLE t ADD COLUMN c int REFERENCES p (id);\nALTER TABLE t ADD COLUMN d int DEFAULT 5 REFERENCES p (id);' }], { engine, history }),
    );
    expect(r.error).toBeNull();
    const [plain, withDefault] = r.statements;
    expect(locksOf(plain!).filter((l) => !l.includes('_pkey'))).toEqual(['public.t=ACCESS EXCLUSIVE', 'public.p=SHARE ROW EXCLUSIVE']);
    expect(plain!.scans.filter((x) => x.scans > 0)).toEqual([]);
    expect(withDefault!.scans.find((x) => x.relation === 'public.t')).toMatchObject({ scans: 1, rows: 250, lock: 'ACCESS EXCLUSIVE' });
    // The validation anti-join reads p too: in full (hash join) or through its key (index lookups).
    expect(tableReads(withDefault!).get('public.p')?.rows).toBeGreaterThan(0);
  });

  it('a failed statement carries its SQLSTATE and message, and the scan it ran before failing', async () => {
    const history = [{ path: 'h.sql', text: `CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 40);` }];
    const r = await run((engine) => traceMigration([{ path: 'x.sql', text: 'ALTER TABLE t ADD COLUMN c int NOT NULL;\nCREATE TABLE never (id int);' }], { engine, history }));
    const [add, next] = r.statements;
    expect(add!.failure).toMatchObject({ sqlstate: '23502', message: expect.stringMatching(/column "c" of relation "t" contains null values/) });
    expect(add!.error).toMatch(/SQLSTATE 23502/);
    expect(add!.locksObserved).toBe('not-observable');
    // It fails at the first row: the scan started.
    expect(add!.scans.find((x) => x.relation === 'public.t')?.scans).toBe(1);
    expect(next!.run).toBe('skipped');
    expect(r.error).toMatch(/^x\.sql:1: /);
    expect(r.files[0]!.outcome).toBe('rolled back');
    expect(r.committed).toBe(false);
  });

  it('honours BEGIN ... COMMIT in a plain file, and rolls back a block left open', async () => {
    const text = `CREATE TABLE a (id int);
BEGIN;
ALTER TABLE a ADD COLUMN x int;
ALTER TABLE a ADD COLUMN y int;
COMMIT;
BEGIN;
ALTER TABLE a ADD COLUMN z int;`;
    const r = await run((engine) => traceMigration([{ path: 'a.sql', text }, { path: 'b.sql', text: 'ALTER TABLE a ADD COLUMN w int;' }], { engine }));
    expect(r.error).toBeNull();
    const runs = r.statements.map((s) => `${s.run}:${s.transaction}`);
    expect(runs).toEqual(['autocommit:1', 'control:2', 'transaction:2', 'transaction:2', 'control:2', 'control:3', 'transaction:3', 'autocommit:4']);
    expect(locksOf(r.statements[2]!)).toEqual(['public.a=ACCESS EXCLUSIVE']);
    expect(r.statements[3]!.locks).toEqual([]);
    expect(r.files[0]!.outcome).toBe('partly committed');
    expect(r.warnings.join('\n')).toMatch(/a\.sql: ends inside a transaction block/);
    // z was rolled back, x and y were committed: b.sql sees them.
    expect(r.statements[7]!.error).toBeNull();
  });

  it('runs a file with CONCURRENTLY statement by statement, with the scans it ran counted', async () => {
    const history = [{ path: 'h.sql', text: `CREATE TABLE t (id int PRIMARY KEY, b text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 120) AS s(g);` }];
    // A dbmate file is one transaction, where CONCURRENTLY fails: trace runs it statement by statement and says so.
    const text = '-- migrate:up\nALTER TABLE t ADD COLUMN c int;\nCREATE INDEX CONCURRENTLY t_b_idx ON t (b);\n-- migrate:down\nDROP INDEX t_b_idx;\n';
    const r = await run((engine) => traceMigration([{ path: '20240101_x.sql', text }], { engine, history }));
    expect(r.error).toBeNull();
    expect(r.files[0]).toMatchObject({ framework: 'dbmate', transaction: 'statements' });
    expect(r.warnings.join('\n')).toMatch(/dbmate runs this file in one transaction/);
    const cic = r.statements[1]!;
    expect(cic.run).toBe('outside');
    expect(cic.created).toEqual(['public.t_b_idx']);
    // Two scans of the table (build and validation), from the cumulative counters.
    expect(cic.scansObserved).toBe('cumulative');
    expect(cic.scans.find((x) => x.relation === 'public.t')).toMatchObject({ scans: 2, rows: 240 });
  });

  it('reports a partitioned table\'s scans on its partitions', async () => {
    const history = [
      {
        path: 'h.sql',
        text: `CREATE TABLE pt (id int, a int) PARTITION BY RANGE (id);
               CREATE TABLE pt_1 PARTITION OF pt FOR VALUES FROM (0) TO (100);
               CREATE TABLE pt_2 PARTITION OF pt FOR VALUES FROM (100) TO (1000);
               INSERT INTO pt SELECT g, g FROM generate_series(1, 300) AS s(g);`,
      },
    ];
    const r = await run((engine) => traceMigration([{ path: 'x.sql', text: 'UPDATE pt SET a = a + 1;' }], { engine, history }));
    expect(r.error).toBeNull();
    const s = r.statements[0]!;
    expect(s.scans.filter((x) => x.scans > 0).map((x) => `${x.relation}<${x.partitionOf}:${x.rows}:${x.lock}`)).toEqual([
      'public.pt_1<public.pt:99:ROW EXCLUSIVE',
      'public.pt_2<public.pt:201:ROW EXCLUSIVE',
    ]);
    expect(s.scans.find((x) => x.relation === 'public.pt')).toBeUndefined();
  });

  it('fills the tables earlier files created with --seed-rows before the later files run', async () => {
    const r = await run((engine) =>
      traceMigration(
        [
          { path: '001.sql', text: 'CREATE TABLE s (id int PRIMARY KEY, a int);' },
          { path: '002.sql', text: 'ALTER TABLE s ADD CONSTRAINT s_a CHECK (a > 0);' },
        ],
        { engine, seedRows: 25 },
      ),
    );
    expect(r.error).toBeNull();
    expect(r.files[1]!.seeded).toEqual(['public.s']);
    expect(r.statements[1]!.scans.find((x) => x.relation === 'public.s')).toMatchObject({ scans: 1, rows: 25 });
  });
});

describe('traceMigration on PGlite', () => {
  it('reports locks, rewrites, scans, column and constraint changes per statement', async () => {
    const r = await traceMigration(FILES, { engine: 'pglite', history: HISTORY, seedRows: 50 });
    expect(r.error).toBeNull();
    expect(r.engine.kind).toBe('pglite');
    expect(r.committed).toBe(true);
    expect(r.scratch).toEqual({ kind: 'pglite', database: null, template: null, dropped: true });
    const [add, type, check, validate, email, cic] = r.statements;
    expect(locksOf(add!)).toEqual(['public.orders=ACCESS EXCLUSIVE']);
    expect(add!.rewrites).toEqual([]);
    expect(add!.columns[0]).toMatchObject({ column: 'note', change: 'added' });
    // Widening numeric precision is a catalog-only change.
    expect(type!.rewrites).toEqual([]);
    expect(type!.scans.filter((x) => x.scans > 0)).toEqual([]);
    expect(type!.columns[0]).toMatchObject({ change: 'type', before: 'numeric(10,2)', after: 'numeric(12,2)' });
    expect(check!.constraints[0]).toMatchObject({ constraint: 'orders_total_positive', change: 'added', validated: false });
    expect(readsOf(check!)).toEqual([]);
    // Each statement of a plain file is its own transaction: VALIDATE takes its own lock and scans.
    expect(locksOf(validate!)).toEqual(['public.orders=SHARE UPDATE EXCLUSIVE']);
    expect(validate!.scans.find((x) => x.relation === 'public.orders')).toMatchObject({ scans: 1, rows: 50, lock: 'SHARE UPDATE EXCLUSIVE' });
    expect(validate!.constraints[0]).toMatchObject({ change: 'validated', validated: true });
    // varchar(320) from text is not binary-coercible in that direction: it rewrites.
    expect(email!.columns[0]).toMatchObject({ change: 'type', after: 'character varying(320)' });
    expect(email!.rewrites.map((w) => w.relation)).toContain('public.accounts');
    expect(cic!.run).toBe('outside');
    expect(cic!.locksObserved).toBe('not-observable');
    expect(cic!.created).toEqual(['public.orders_account_idx']);
  });

  it('--single-transaction: locks accumulate, the rest is rolled back', async () => {
    const r = await traceMigration(FILES, { engine: 'pglite', history: HISTORY, seedRows: 50, mode: 'single-transaction' });
    expect(r.error).toBeNull();
    expect(r.committed).toBe(false);
    expect(r.scratch).toBeNull();
    const validate = r.statements[3]!;
    // orders is already held ACCESS EXCLUSIVE, so VALIDATE adds nothing new; its scan is still seen.
    expect(validate.locks).toEqual([]);
    expect(validate.held.map((l) => `${l.relation}=${l.mode}`)).toContain('public.orders=ACCESS EXCLUSIVE');
    expect(validate.scans.find((x) => x.relation === 'public.orders')).toMatchObject({ scans: 1, rows: 50, lock: 'ACCESS EXCLUSIVE' });
    expect(r.statements[5]!.run).toBe('sandbox');
  });

  it('stops at a failing statement and marks the rest skipped', async () => {
    const r = await traceMigration([{ path: 'x.sql', text: 'CREATE TABLE a (id int);\nALTER TABLE nope ADD COLUMN c int;\nCREATE TABLE b (id int);' }], { engine: 'pglite' });
    expect(r.error).toMatch(/x\.sql:2: .*nope/);
    expect(r.statements.map((s) => s.run)).toEqual(['autocommit', 'autocommit', 'skipped']);
    expect(r.statements[1]!.failure).toMatchObject({ sqlstate: '42P01' });
    expect(r.files[0]!.outcome).toBe('partly committed');
  });

  it('renders tty, json and markdown', async () => {
    const r = await traceMigration([{ path: 'm.sql', text: 'ALTER TABLE orders ADD CONSTRAINT c CHECK (total >= 0);' }], { engine: 'pglite', history: HISTORY, seedRows: 2000 });
    expect(renderTrace(r, 'tty')).toContain('public.orders ACCESS EXCLUSIVE');
    expect(renderTrace(r, 'tty')).toContain('scanned 2,000 rows of public.orders while holding ACCESS EXCLUSIVE');
    const json = JSON.parse(renderTrace(r, 'json'));
    expect(json.statements).toHaveLength(1);
    expect(json.statements[0].scans[0]).toMatchObject({ relation: 'public.orders', scans: 1, rows: 2000, lock: 'ACCESS EXCLUSIVE' });
    const md = renderTrace(r, 'markdown');
    expect(md).toMatch(/^## ddlguard trace/);
    expect(md).toContain('| Statement | Run | Locks | Scans | Changes | Time |');
    expect(md).toContain('scanned 2,000 rows of public.orders while holding ACCESS EXCLUSIVE');
  });
});

describe('the result shape (formatVersion 1) the differential generator reads', () => {
  it('has the documented fields, per file, statement and scan', async () => {
    const r = await traceMigration(
      [
        { path: '001.sql', text: INIT },
        { path: '002.sql', text: `${CHANGE}\nALTER TABLE nope ADD COLUMN x int;` },
      ],
      { engine: 'pglite', assumeInTransaction: true },
    );
    expect(Object.keys(r).sort()).toEqual(
      ['committed', 'engine', 'error', 'files', 'formatVersion', 'historyStatements', 'mode', 'scratch', 'seedRows', 'statements', 'warnings', 'workspace'].sort(),
    );
    expect(r.formatVersion).toBe(1);
    expect(Object.keys(r.files[0]!).sort()).toEqual(['framework', 'outcome', 'path', 'seeded', 'transaction', 'why']);
    expect(r.files.map((f) => `${f.transaction}:${f.outcome}`)).toEqual(['file:committed', 'file:rolled back']);
    const check = r.statements[4]!;
    expect(Object.keys(check).sort()).toEqual(
      [
        'columns', 'constraints', 'created', 'dropped', 'durationMs', 'error', 'failure', 'file', 'held', 'index', 'kind', 'line',
        'locks', 'locksObserved', 'note', 'renamed', 'rewrites', 'run', 'scans', 'scansObserved', 'text', 'transaction',
      ].sort(),
    );
    expect(Object.keys(check.scans[0]!).sort()).toEqual(['blocks', 'fetched', 'kind', 'lock', 'name', 'partitionOf', 'relation', 'rows', 'scans', 'schema', 'table']);
    expect(Object.keys(r.statements[2]!.locks[0]!).sort()).toEqual(['granted', 'kind', 'mode', 'name', 'previous', 'relation', 'schema']);
    // --assume-in-transaction: the plain file runs in one transaction; its failure rolls it all back.
    expect(check.run).toBe('transaction');
    expect(r.statements[5]!.failure).toEqual({ sqlstate: '42P01', message: 'relation "nope" does not exist' });
    expect(r.committed).toBe(false);
  });

  it('--no-assume-in-transaction runs a Flyway file statement by statement', async () => {
    const r = await traceMigration([{ path: 'V1__init.sql', text: INIT }, { path: 'V2__change.sql', text: CHANGE }], { engine: 'pglite', assumeInTransaction: false });
    expect(r.files.map((f) => f.transaction)).toEqual(['statements', 'statements']);
    expect(r.statements.slice(2).map((s) => locksOf(s)[0])).toEqual(['public.orders=ACCESS EXCLUSIVE', 'public.orders=ACCESS EXCLUSIVE', 'public.orders=ACCESS EXCLUSIVE']);
  });
});

describe('the trace command line', () => {
  it('--help explains the per-file mode, the scratch database and scans', async () => {
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, 'trace', '--help'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (d) => (text += String(d)));
      child.on('error', reject);
      child.on('exit', () => resolve(text));
    });
    for (const flag of ['--single-transaction', '--template', '--assume-in-transaction', '--commit', '--seed-rows']) expect(out).toContain(flag);
    expect(out.replace(/\s+/g, ' ')).toMatch(/Each file runs as its migration framework runs it/);
    expect(out.replace(/\s+/g, ' ')).toMatch(/scratch database that is thrown away at the end, also on failure and on SIGINT/);
    expect(out.replace(/\s+/g, ' ')).toMatch(/pg_stat_get_xact_numscans/);
  });

  it('refuses --template without a server', async () => {
    await expect(runTrace({ paths: ['fixtures/trace/migrations'], template: 'x' })).rejects.toThrow(/--template: needs --db/);
  });
});

describe('secrets', () => {
  it('masks passwords in URLs and messages', () => {
    expect(maskUrl('postgres://u:s3cret@h:5432/db')).toBe('postgres://u:***@h:5432/db');
    expect(maskSecrets('could not connect to postgresql://u:s3cret@h/db: password s3cret rejected', ['s3cret'])).not.toContain('s3cret');
    expect(() => engineHost('mysql://u:s3cret@h/db')).toThrow(/u:\*\*\*@/);
  });

  it('never prints the password when the connection fails', async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    try {
      await expect(runTrace({ paths: ['fixtures/trace/migrations'], db: 'postgres://ddl:hunter2secret@127.0.0.1:1/x' })).rejects.toThrow(
        expect.objectContaining({ message: expect.not.stringContaining('hunter2secret') }),
      );
    } finally {
      spy.mockRestore();
    }
    expect(out.join('')).not.toContain('hunter2secret');
  });
});

/** Databases trace (in process `pid`) created on a server and left behind. */
async function leftovers(url: string, pid = process.pid): Promise<string[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'ddlguard\\_trace\\_${pid}\\_%'`)).rows.map((r) => r.datname);
  } finally {
    await c.end();
  }
}

describe.skipIf(!pgUrl(18) && !pgUrl(15))('PGlite and a real server agree', () => {
  it('gives the same trace for the same migration', async () => {
    const lite = await traceMigration(FILES, { engine: 'pglite', history: HISTORY, seedRows: 20 });
    const major = pgUrl(18) ? 18 : 15;
    const server = await withDatabase(major, (url) => traceMigration(FILES, { engine: url, history: HISTORY, seedRows: 20 }));
    expect(server.error).toBeNull();
    expect(server.workspace).toMatch(/scratch throwaway database/);
    expect(essence(server)).toEqual(essence(lite));
    // The server also sees the CONCURRENTLY statement's lock from a second connection.
    const cic = server.statements.at(-1)!;
    expect(locksOf(cic)).toEqual(['public.orders=SHARE UPDATE EXCLUSIVE']);
  });

  it('--single-transaction too (the CONCURRENTLY statement in a sandbox after a replay)', async () => {
    const opts = { history: HISTORY, seedRows: 20, mode: 'single-transaction' as const };
    const lite = await traceMigration(FILES, { engine: 'pglite', ...opts });
    const major = pgUrl(18) ? 18 : 15;
    const server = await withDatabase(major, async (url) => {
      const r = await traceMigration(FILES, { engine: url, ...opts });
      expect(await leftovers(url)).toEqual([]);
      return r;
    });
    expect(server.error).toBeNull();
    expect(server.committed).toBe(false);
    expect(essence(server)).toEqual(essence(lite));
    const cic = server.statements.at(-1)!;
    expect(cic.run).toBe('sandbox');
    expect(cic.scans.find((x) => x.relation === 'public.orders')).toMatchObject({ scans: 2, rows: 40 });
  });
});

describe.each(availableMajors())('the scratch database on PostgreSQL %i', (major) => {
  it('is created, committed into and dropped, also when a statement fails', async () => {
    await withDatabase(major, async (url) => {
      const ok = await traceMigration([{ path: 'a.sql', text: 'CREATE TABLE a (id int);' }], { engine: url });
      expect(ok.scratch).toMatchObject({ kind: 'database', database: expect.stringMatching(/^ddlguard_trace_/), dropped: true });
      const bad = await traceMigration([{ path: 'b.sql', text: 'CREATE TABLE b (id int);\nSELECT 1/0;' }], { engine: url });
      expect(bad.statements[1]!.failure?.sqlstate).toBe('22012');
      expect(bad.scratch?.dropped).toBe(true);
      expect(await leftovers(url)).toEqual([]);
      // Nothing reached the database --db names.
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      expect((await c.query(`SELECT to_regclass('public.a') AS a, to_regclass('public.b') AS b`)).rows[0]).toEqual({ a: null, b: null });
      await c.end();
    });
  });

  it('commit: true runs in place; a template copies a database into the scratch', async () => {
    await withDatabase(major, async (url) => {
      const r = await traceMigration([{ path: 'c.sql', text: 'CREATE TABLE kept (id int); INSERT INTO kept SELECT generate_series(1, 30);' }], { engine: url, commit: true });
      expect(r.committed).toBe(true);
      expect(r.scratch).toBeNull();
      const template = new URL(url).pathname.slice(1);
      const again = await traceMigration([{ path: 'd.sql', text: 'ALTER TABLE kept ADD COLUMN x int NOT NULL DEFAULT 0 CHECK (x >= 0);' }], { engine: url, template });
      expect(again.error).toBeNull();
      expect(again.scratch).toMatchObject({ template, dropped: true });
      expect(locksOf(again.statements[0]!)).toEqual(['public.kept=ACCESS EXCLUSIVE']);
      expect(again.statements[0]!.scans.find((x) => x.relation === 'public.kept')).toMatchObject({ scans: 1, rows: 30 });
      // The scratch was thrown away: the template is as it was.
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      expect((await c.query(`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'kept'`)).rows[0].n).toBe(1);
      await c.end();
    });
  });

  it('the CLI prints a masked URL', async () => {
    await withDatabase(major, async (url) => {
      const u = new URL(url);
      const out: string[] = [];
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
      let code: number;
      try {
        code = await runTrace({ paths: ['fixtures/trace/migrations'], history: ['fixtures/trace/history'], db: url, format: 'json' });
      } finally {
        spy.mockRestore();
      }
      expect(code).toBe(0);
      const text = out.join('');
      if (u.password) expect(text).not.toMatch(new RegExp(`(?<!\\w)${u.password}(?!\\w)`));
      if (u.password) expect(text).not.toContain(`:${u.password}@`);
      const json = JSON.parse(text) as TraceResult;
      expect(json.statements).toHaveLength(6);
      expect(json.files).toHaveLength(1);
      expect(await leftovers(url)).toEqual([]);
    });
  });
});

describe.skipIf(!pgUrl())('trace on a server, interrupted', () => {
  it('drops the scratch database on SIGINT (the CLI, from dist/)', async () => {
    const major = availableMajors()[0]!;
    await withDatabase(major, async (url) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-trace-sigint-'));
      try {
        writeFileSync(path.join(dir, '001_slow.sql'), 'CREATE TABLE t (id int);\nSELECT pg_sleep(60);\n');
        const child = spawn(process.execPath, [CLI, 'trace', path.join(dir, '001_slow.sql'), '--db', url], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += String(d)));
        const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
        // Wait until the scratch database exists and the sleep runs in it.
        const admin = new pg.Client({ connectionString: url });
        await admin.connect();
        let running = false;
        for (let i = 0; i < 200 && !running; i++) {
          const r = await admin.query(`SELECT 1 FROM pg_stat_activity WHERE datname LIKE 'ddlguard\\_trace\\_${child.pid}\\_%' AND query LIKE 'SELECT pg_sleep%'`);
          running = (r.rowCount ?? 0) > 0;
          if (!running) await new Promise((res) => setTimeout(res, 50));
        }
        await admin.end();
        expect(running, 'the traced statement ran in a scratch database').toBe(true);
        expect(await leftovers(url, child.pid)).toHaveLength(1);
        const t0 = Date.now();
        child.kill('SIGINT');
        expect(await exited).toBe(130);
        expect(Date.now() - t0).toBeLessThan(10_000);
        expect(stderr).toMatch(/SIGINT: dropping the scratch database/);
        expect(await leftovers(url, child.pid)).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
