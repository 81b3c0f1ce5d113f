/**
 * Live introspection on real PostgreSQL 15 and 18: types with their typmods, NOT NULL
 * NOT VALID (18), sizes of a table and of a partitioned table (the sum over its
 * partitions), view dependencies, extension members left out, and connection errors
 * that say what went wrong without the password.
 */
import net from 'node:net';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { serverMajor } from '../../src/db/connection.js';
import { introspectLive, readLiveFacts } from '../../src/schema/sources/live.js';
import { loadParser } from '../../src/sql/parser.js';
import { availableMajors, withDatabase } from '../support/db.js';

beforeAll(loadParser);

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const SCHEMA = `
  CREATE TABLE typed (id int, name varchar(100) NOT NULL, price numeric(10,2), at timestamptz(3), tags text[], flag "char");
  -- autovacuum off: the row estimates below must not change under the test.
  CREATE TABLE big (id int PRIMARY KEY, body text) WITH (autovacuum_enabled = false);
  INSERT INTO big SELECT g, (SELECT string_agg(md5(g::text || i::text), '') FROM generate_series(1, 120) i) FROM generate_series(1, 2000) g;
  CREATE TABLE fresh (id int) WITH (autovacuum_enabled = false);
  CREATE TABLE unanalyzed (id int) WITH (autovacuum_enabled = false);
  INSERT INTO unanalyzed SELECT generate_series(1, 10);
  CREATE TABLE events (id int, at date NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
  CREATE TABLE events_a PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01') WITH (autovacuum_enabled = false);
  CREATE TABLE events_b PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') PARTITION BY RANGE (at);
  CREATE TABLE events_b1 PARTITION OF events_b FOR VALUES FROM ('2025-01-01') TO ('2025-07-01') WITH (autovacuum_enabled = false);
  INSERT INTO events SELECT g, DATE '2024-01-01' + (g % 500) FROM generate_series(1, 3000) g WHERE DATE '2024-01-01' + (g % 500) < DATE '2025-07-01';
  CREATE VIEW big_events AS WITH e AS (SELECT * FROM events) SELECT b.id, e.at FROM big b JOIN e ON e.id = b.id;
  CREATE MATERIALIZED VIEW big_ids AS SELECT id FROM big_events;
  CREATE FUNCTION answer() RETURNS int LANGUAGE sql STABLE AS 'SELECT 42';
`;

for (const major of availableMajors()) {
  describe(`introspectLive on PostgreSQL ${major}`, () => {
    it('reads types, sizes, partitions, view dependencies; leaves extension members out', async () => {
      await withDatabase(major, async (url) => {
        const sizes = await withClient(url, async (c) => {
          await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
          await c.query(SCHEMA);
          // VACUUM brings the page counts of indexes and TOAST (which the model reads from the catalog) up to date.
          for (const t of ['big', 'events_a', 'events_b1']) await c.query(`VACUUM ANALYZE ${t}`);
          const r = await c.query(`
            SELECT c.relname, pg_relation_size(c.oid)::float8 AS heap, pg_indexes_size(c.oid)::float8 AS idx,
                   c.reltuples::float8 AS tuples,
                   CASE WHEN c.reltoastrelid <> 0 THEN pg_relation_size(c.reltoastrelid) ELSE 0 END::float8 AS toast
              FROM pg_class c WHERE c.relname IN ('big', 'events_a', 'events_b1')`);
          return new Map(r.rows.map((x) => [x.relname as string, x]));
        });
        const { model, pgVersion, database } = await introspectLive(url);
        expect(pgVersion).toBe(major);
        expect(database).toBe(new URL(url).pathname.slice(1));

        const typed = model.relations.get('public.typed')!;
        const t = (c: string) => typed.columns.get(c)!.type;
        expect(t('id')).toEqual({ name: 'int4', schema: null, mods: [], array: false });
        expect(t('name')).toEqual({ name: 'varchar', schema: null, mods: [100], array: false });
        expect(t('price')).toEqual({ name: 'numeric', schema: null, mods: [10, 2], array: false });
        expect(t('at')).toEqual({ name: 'timestamptz', schema: null, mods: [3], array: false });
        expect(t('tags')).toMatchObject({ name: 'text', array: true });
        expect([...typed.columns.keys()]).toEqual(['id', 'name', 'price', 'at', 'tags', 'flag']);
        expect(typed.columns.get('name')!.notNull).toBe(true);
        expect(typed.columns.get('id')!.notNull).toBe(false);

        // Sizes: the catalog's own figures, and a partitioned table as the sum of its leaves.
        const big = sizes.get('big')!;
        expect(model.relations.get('public.big')!.size).toEqual({
          rows: 2000,
          heapBytes: big.heap,
          indexBytes: big.idx,
          toastBytes: big.toast,
          totalBytes: big.heap + big.idx + big.toast,
        });
        expect(big.heap).toBeGreaterThan(0);
        expect(big.toast).toBeGreaterThan(0);
        const a = sizes.get('events_a')!;
        const b1 = sizes.get('events_b1')!;
        expect(a.tuples + b1.tuples).toBe(3000);
        expect(model.relations.get('public.events')!.size).toEqual({
          rows: 3000,
          heapBytes: a.heap + b1.heap,
          indexBytes: a.idx + b1.idx,
          toastBytes: a.toast + b1.toast,
          totalBytes: a.heap + a.idx + a.toast + b1.heap + b1.idx + b1.toast,
        });
        expect(model.relations.get('public.events_b')!.size!.rows).toBe(b1.tuples);
        // Never analyzed: no estimate, unless the heap is empty.
        expect(model.relations.get('public.fresh')!.size!.rows).toBe(0);
        expect(model.relations.get('public.unanalyzed')!.size!.rows).toBe(null);
        expect(model.relations.get('public.big_events')!.size).toBe(null);

        const events = model.relations.get('public.events')!;
        expect(events.partitionStrategy).toBe('range');
        expect(events.partitionKey).toEqual(['at']);
        expect([...events.partitions].sort()).toEqual(['public.events_a', 'public.events_b']);
        expect(model.relations.get('public.events_b1')!.partitionOf).toBe('public.events_b');
        expect(model.relations.get('public.events_a')!.partitionBound).toBe("FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')");
        expect(model.indexes.get('public.events_a_pkey')!.parent).toBe('public.events_pkey');

        expect(model.relations.get('public.big_events')!.dependsOn).toEqual(['public.big', 'public.events']);
        expect(model.relations.get('public.big_ids')!.dependsOn).toEqual(['public.big_events']);
        expect(model.relations.get('public.big_ids')!.kind).toBe('materialized-view');

        // pg_stat_statements' views and functions belong to the extension: not the schema's.
        expect([...model.relations.keys()].filter((k) => k.includes('pg_stat'))).toEqual([]);
        expect([...model.functions.keys()].filter((k) => k.startsWith('pg_stat'))).toEqual([]);
        expect(model.functions.get('answer')).toBe('stable');

        // The planner's facts come from the same read.
        const facts = await readLiveFacts(url);
        expect(facts.pgVersion).toBe(major);
        expect(facts.tableSizes.get('public.big')).toEqual({ rows: 2000, bytes: big.heap + big.idx + big.toast });
        expect(facts.tableSizes.get('public.events')).toEqual({ rows: 3000, bytes: a.heap + a.idx + a.toast + b1.heap + b1.idx + b1.toast });
        expect(await serverMajor(url)).toBe(major);
      });
    });

    it('leaves a connected client as it was (search_path, transaction)', async () => {
      await withDatabase(major, async (url) => {
        await withClient(url, async (c) => {
          await c.query('CREATE SCHEMA other; CREATE TYPE other.kind AS ENUM (\'a\'); CREATE TABLE other.t (k other.kind)');
          await c.query('BEGIN');
          await c.query('SET LOCAL search_path = other, public');
          const { model } = await introspectLive(c);
          // Printed against the model's search path (public), not the session's.
          expect(model.relations.get('other.t')!.columns.get('k')!.type).toEqual({ name: 'kind', schema: 'other', mods: [], array: false });
          // Still the caller's transaction (its SET LOCAL holds until COMMIT), with its search_path.
          expect((await c.query('SHOW search_path')).rows[0].search_path).toBe('other, public');
          await c.query('COMMIT');
          expect((await c.query('SHOW search_path')).rows[0].search_path).toBe('"$user", public');
        });
      });
    });
  });
}

describe.skipIf(!availableMajors().includes(18))('introspectLive on PostgreSQL 18 only', () => {
  it('a NOT NULL NOT VALID constraint: the column is not (yet) NOT NULL', async () => {
    await withDatabase(18, async (url) => {
      await withClient(url, (c) => c.query('CREATE TABLE t (a int, b int NOT NULL); ALTER TABLE t ADD CONSTRAINT t_a_nn NOT NULL a NOT VALID'));
      const { model } = await introspectLive(url);
      const t = model.relations.get('public.t')!;
      expect(t.columns.get('a')!.notNull).toBe(false);
      expect(t.constraints.get('t_a_nn')).toMatchObject({ kind: 'not-null', validated: false, notNullColumn: 'a', columns: ['a'] });
      expect(t.columns.get('b')!.notNull).toBe(true);
      expect(t.constraints.get('t_b_not_null')).toMatchObject({ kind: 'not-null', validated: true, notNullColumn: 'b' });
      expect(model.hasValidatedNotNullProof(t, 'a')).toBe(false);
    });
  });
});

/** A server that asks for a password and rejects it, quoting it back (as no real server does) to prove the redaction. */
async function rejectingServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer((sock) => {
    let stage = 0;
    sock.on('data', (buf) => {
      if (stage === 0) {
        stage = 1;
        // AuthenticationCleartextPassword
        sock.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]));
        return;
      }
      const pw = buf.subarray(5, buf.length - 1).toString('utf8');
      const fields = Buffer.concat(
        [`SFATAL`, `C28P01`, `Mpassword authentication failed for user "app" (password ${pw})`].map((f) => Buffer.from(f + '\0', 'utf8')).concat([Buffer.from([0])]),
      );
      const head = Buffer.alloc(5);
      head.write('E', 0);
      head.writeInt32BE(fields.length + 4, 1);
      sock.end(Buffer.concat([head, fields]));
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('introspectLive connection errors', () => {
  it('an unreachable server: a clear error, no password', async () => {
    const err = await introspectLive('postgresql://app:s3cr3t-pw@127.0.0.1:1/app').catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    expect(JSON.stringify(err) + String((err as Error).stack)).not.toContain('s3cr3t-pw');
  });

  it('a wrong password: the server says so, the password is masked', async () => {
    const srv = await rejectingServer();
    try {
      const err = await introspectLive(`postgresql://app:s3cr3t-pw@127.0.0.1:${srv.port}/app`).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/password authentication failed for user "app"/);
      expect((err as Error).message).toContain('***');
      expect(JSON.stringify(err) + String((err as Error).stack)).not.toContain('s3cr3t-pw');
    } finally {
      await srv.close();
    }
  });
});
