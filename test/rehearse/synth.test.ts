/**
 * The rehearsal's data half on real servers: production's statistics read (catalogs only),
 * the schema copied, 100,000 synthetic rows generated with every constraint built after the
 * load, and the generated statistics compared with the source's.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { readProductionStats, STATS_FUNCTION_SQL } from '../../src/rehearse/stats.js';
import { generateData, loadRehearsalData, rowsOption } from '../../src/rehearse/synth.js';
import { compareColumnStats, REHEARSE_SCHEMA, rehearseData } from '../../bench/support/rehearse-fixture.js';
import { pgUrl, withDatabase } from '../support/db.js';

async function sql(url: string, text: string): Promise<pg.QueryResult[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query(text);
    return Array.isArray(r) ? r : [r];
  } finally {
    await c.end();
  }
}

function asRole(url: string, role: string, password: string): string {
  const u = new URL(url);
  u.username = role;
  u.password = password;
  return u.toString();
}

const CONSTRAINTS = `SELECT conrelid::regclass::text AS t, conname, contype::text, convalidated FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype IN ('p','u','f','c') ORDER BY 1, 2`;
const INDEXES = `SELECT indexrelid::regclass::text AS i, indisvalid FROM pg_index WHERE indrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace) ORDER BY 1`;

describe.skipIf(!pgUrl(18))('synthetic rehearsal data (PG 18)', () => {
  it('generates 100,000 rows that satisfy every constraint, with the source null fractions and distinct counts', async () => {
    await withDatabase(18, async (prod) => {
      await sql(prod, REHEARSE_SCHEMA + rehearseData(1));
      const stats = await readProductionStats(prod, { sampleSeconds: 1 });
      expect(stats.definitions?.tables.size).toBe(3);
      expect(stats.columns.get('public.orders')?.get('status')?.mostCommon.length).toBe(5);
      expect(stats.activity.has('public.orders')).toBe(true);
      expect(stats.missing.some((m) => m.includes('pg_stat_statements'))).toBe(true);

      await withDatabase(18, async (scratch) => {
        const rows = rowsOption(stats, { rows: 50_000, tables: ['public.orders'] });
        expect(rows.factor).toBe(1);
        const res = await generateData(stats, scratch, { seed: 1, rows: rows.rows });
        // Keys, unique and partial unique indexes, FKs and CHECKs were all built after the load.
        expect(res.constraintErrors).toEqual([]);
        const [pc, sc] = await Promise.all([sql(prod, CONSTRAINTS), sql(scratch, CONSTRAINTS)]);
        expect(sc[0]!.rows).toEqual(pc[0]!.rows);
        expect(sc[0]!.rows.every((r) => r.convalidated)).toBe(true);
        const [pi, si] = await Promise.all([sql(prod, INDEXES), sql(scratch, INDEXES)]);
        expect(si[0]!.rows).toEqual(pi[0]!.rows);
        const total = [...res.rows.values()].reduce((a, b) => a + b, 0);
        const counted = await sql(scratch, `SELECT (SELECT count(*) FROM customers) + (SELECT count(*) FROM orders) + (SELECT count(*) FROM order_lines) AS n`);
        expect(Number(counted[0]!.rows[0].n)).toBe(total);
        expect(total).toBeGreaterThanOrEqual(99_000);
        // Domains and the enum are back on their columns.
        const types = await sql(scratch, `SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid IN ('customers'::regclass, 'order_lines'::regclass, 'orders'::regclass) AND attname IN ('email', 'qty', 'status') ORDER BY 1`);
        expect(types[0]!.rows.map((r) => r.t)).toEqual(['email', 'order_status', 'positive_int']);
        // The identity sequence is past the generated keys.
        await sql(scratch, `INSERT INTO customers (email, country) VALUES ('new@x.test', 'US')`);

        const fid = await compareColumnStats(prod, scratch);
        expect(fid.length).toBeGreaterThan(20);
        const off = fid.filter(
          (f) => Math.abs(f.generated.nullFrac - f.source.nullFrac) > Math.max(0.1 * f.source.nullFrac, 0.005) || f.distinctDiff > 0.1,
        );
        expect(off).toEqual([]);
      });
    });
  });

  it('copies partitions and a self reference, and measures write rates between the two samples', async () => {
    await withDatabase(18, async (prod) => {
      await sql(
        prod,
        `CREATE TABLE categories (id int PRIMARY KEY, parent_id int REFERENCES categories, name text NOT NULL);
         INSERT INTO categories SELECT g, CASE WHEN g > 10 THEN 1 + g % 10 END, 'cat ' || g FROM generate_series(1, 400) g;
         CREATE TABLE events (id bigint NOT NULL, at timestamptz NOT NULL, category_id int REFERENCES categories, kind text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
         CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
         CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
         CREATE TABLE events_other PARTITION OF events DEFAULT;
         CREATE INDEX events_kind ON events (kind);
         INSERT INTO events SELECT g, timestamptz '2024-03-01' + g * interval '37 minutes', 1 + g % 400, (ARRAY['click', 'view', 'buy'])[1 + g % 3] FROM generate_series(1, 30000) g;
         ANALYZE;`,
      );
      const stats = await readProductionStats(prod, {
        sampleSeconds: 0,
        tables: ['public.categories'],
        betweenSamples: () => sql(prod, `INSERT INTO categories SELECT g, NULL, 'x' FROM generate_series(1001, 1500) g`).then(() => {}),
      });
      expect(stats.activity.get('public.categories')?.insertsPerSec).toBeGreaterThan(0);
      expect(stats.activity.has('public.events')).toBe(false);
      await withDatabase(18, async (scratch) => {
        const res = await generateData(stats, scratch, { seed: 2, rows: (_t, n) => n ?? 0 });
        expect(res.constraintErrors).toEqual([]);
        const [pc, sc] = await Promise.all([sql(prod, CONSTRAINTS), sql(scratch, CONSTRAINTS)]);
        expect(sc[0]!.rows).toEqual(pc[0]!.rows);
        const parts = await sql(scratch, `SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS b, (SELECT count(*) FROM events_2024) AS n24 FROM pg_class c WHERE c.relispartition AND c.relkind = 'r' ORDER BY 1`);
        expect(parts[0]!.rows.map((r) => r.relname)).toEqual(['events_2024', 'events_2025', 'events_other']);
        expect(Number(parts[0]!.rows[0].n24)).toBeGreaterThan(1000);
        const self = await sql(scratch, `SELECT count(*) FILTER (WHERE parent_id IS NOT NULL) AS linked, count(*) AS n FROM categories`);
        expect(Number(self[0]!.rows[0].linked)).toBeGreaterThan(300);
      });
    });
  });

  it('generates less common types, quoted names, generated and identity columns, and text that needs COPY escapes', async () => {
    await withDatabase(18, async (prod) => {
      await sql(
        prod,
        `CREATE SCHEMA app;
         CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
         CREATE TABLE app.things (id uuid PRIMARY KEY, n serial, code varchar(3) UNIQUE, ip inet, span interval, t time, amount numeric,
           m app.mood[], ints int[], blob bytea, note text, fixed char(5), doubled int GENERATED ALWAYS AS (length(note) * 2) STORED,
           seq_no bigint GENERATED BY DEFAULT AS IDENTITY, "Weird Name" text);
         INSERT INTO app.things (id, code, ip, span, t, amount, m, ints, blob, note, fixed, "Weird Name")
         SELECT gen_random_uuid(), CASE WHEN g < 3000 THEN lpad(to_hex(g), 3, '0') END, ('10.0.' || (g % 250) || '.' || (g % 200))::inet, g * interval '1 minute',
                time '00:00' + g * interval '7 seconds', (g * 1.37)::numeric, ARRAY['ok', 'happy']::app.mood[], ARRAY[g, g % 10], decode(md5(g::text), 'hex'),
                CASE WHEN g % 3 = 0 THEN E'tab\\there\\nnewline \\\\ back' ELSE 'plain ' || g END, 'ab' || (g % 9), 'w' || g
           FROM generate_series(1, 3000) g;
         ANALYZE;`,
      );
      await withDatabase(18, async (scratch) => {
        // Two COPY streams on two connections (the other tests use one, with FREEZE).
        const res = await loadRehearsalData(prod, scratch, { seed: 1, sampleSeconds: 0, streams: 2, rows: (_t, n) => n ?? 0 });
        expect(res.constraintErrors).toEqual([]);
        expect(res.rows.get('app.things')).toBe(3000);
        const r = await sql(
          scratch,
          `SELECT count(*) FILTER (WHERE note = E'tab\\there\\nnewline \\\\ back') AS escaped, count(DISTINCT code) AS codes, count(*) FILTER (WHERE doubled = length(note) * 2) AS gen,
                  (SELECT nextval('app.things_n_seq')) > max(n) AS seq_ok FROM app.things`,
        );
        expect(Number(r[0]!.rows[0].escaped)).toBeGreaterThan(500);
        expect(Number(r[0]!.rows[0].codes)).toBeGreaterThan(2500);
        expect(Number(r[0]!.rows[0].gen)).toBe(3000);
        expect(r[0]!.rows[0].seq_ok).toBe(true);
      });
    });
  });

  it('reads the top queries of the touched tables from pg_stat_statements, with calls per second between the samples', async () => {
    await withDatabase(18, async (prod) => {
      await sql(prod, REHEARSE_SCHEMA + rehearseData(0.02) + 'CREATE EXTENSION pg_stat_statements;');
      const traffic = async () => {
        const c = new pg.Client({ connectionString: prod });
        await c.connect();
        try {
          for (let i = 1; i <= 40; i++) await c.query('SELECT status, total FROM orders WHERE id = $1', [i]);
          for (let i = 1; i <= 5; i++) await c.query('SELECT count(*) FROM customers WHERE country = $1', ['US']);
        } finally {
          await c.end();
        }
      };
      const stats = await readProductionStats(prod, { sampleSeconds: 0, tables: ['public.orders'], betweenSamples: traffic });
      expect(stats.missing.filter((m) => m.includes('pg_stat_statements'))).toEqual([]);
      const q = stats.topQueries.find((x) => x.query.includes('FROM orders WHERE id = $1'));
      expect(q?.tables).toEqual(['public.orders']);
      expect(q!.callsPerSec).toBeGreaterThan(0);
      // Narrowed to the touched tables.
      expect(stats.topQueries.some((x) => x.tables.includes('public.customers') && !x.tables.includes('public.orders'))).toBe(false);
    });
  });

  it('is deterministic for a seed', async () => {
    await withDatabase(18, async (prod) => {
      await sql(prod, REHEARSE_SCHEMA + rehearseData(0.02));
      const stats = await readProductionStats(prod, { sampleSeconds: 0 });
      const digest = `SELECT md5(string_agg(x, '|' ORDER BY x)) AS d FROM (SELECT o::text AS x FROM orders o UNION ALL SELECT l::text FROM order_lines l UNION ALL SELECT c::text FROM customers c) s`;
      const run = (seed: number) =>
        withDatabase(18, async (scratch) => {
          await generateData(stats, scratch, { seed, rows: (_t, n) => n ?? 0 });
          return (await sql(scratch, digest))[0]!.rows[0].d as string;
        });
      const [a, b, c] = [await run(5), await run(5), await run(6)];
      expect(a).toBe(b);
      expect(c).not.toBe(a);
    });
  });

  it('reads with a role that has pg_read_all_stats and no SELECT, says what is missing, and uses the SECURITY DEFINER function once created', async () => {
    await withDatabase(18, async (prod) => {
      const role = `ddlg_stats_${process.pid}_${Date.now() % 100000}`;
      const password = 'Sekr3t-pw-xyz';
      await sql(prod, REHEARSE_SCHEMA + rehearseData(0.05));
      await sql(prod, `CREATE ROLE ${role} LOGIN PASSWORD '${password}' IN ROLE pg_read_all_stats`);
      try {
        const url = asRole(prod, role, password);
        // The role really cannot read the rows.
        await expect(sql(url, 'SELECT count(*) FROM orders')).rejects.toThrow(/permission denied/);
        const stats = await readProductionStats(url, { sampleSeconds: 0 });
        expect(stats.definitions?.tables.size).toBe(3);
        expect([...stats.columns.get('public.orders')!.values()].every((v) => v === null)).toBe(true);
        expect(stats.model.relations.get('public.orders')?.size?.rows).toBe(2500);
        const note = stats.missing.find((m) => m.includes('GRANT SELECT'));
        expect(note).toContain('public.orders');
        expect(note).toContain('ddlguard.rehearse_column_stats()');
        expect(stats.missing.join('\n')).not.toContain(password);

        // Generated from the schema and the sizes alone: still valid.
        await withDatabase(18, async (scratch) => {
          const res = await loadRehearsalData(stats, scratch, { seed: 3, rows: (_t, n) => n ?? 0 });
          expect(res.constraintErrors).toEqual([]);
          expect(res.rows.get('public.orders')).toBe(2500);
        });

        // The documented fix: statistics (not rows) through a SECURITY DEFINER function.
        await sql(prod, `${STATS_FUNCTION_SQL}; GRANT USAGE ON SCHEMA ddlguard TO ${role}; GRANT EXECUTE ON FUNCTION ddlguard.rehearse_column_stats() TO ${role};`);
        const withFn = await readProductionStats(url, { sampleSeconds: 0 });
        expect(withFn.columns.get('public.orders')?.get('status')?.mostCommon.length).toBe(5);
        expect(withFn.missing.some((m) => m.includes('GRANT SELECT'))).toBe(false);
        await expect(sql(url, 'SELECT count(*) FROM orders')).rejects.toThrow(/permission denied/);
      } finally {
        await sql(prod, `DROP FUNCTION IF EXISTS ddlguard.rehearse_column_stats(); DROP SCHEMA IF EXISTS ddlguard; DROP ROLE ${role}`).catch(() => {});
      }
    });
  });

  it('fails clearly for an unreachable database or a missing permission, with no password in the message', async () => {
    const password = 'hunter2-Sekr3t';
    const err = await readProductionStats(`postgres://someone:${password}@127.0.0.1:1/prod`, { sampleSeconds: 0 }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^cannot connect to the production database: /);
    expect((err as Error).message + String((err as Error).stack)).not.toContain(password);

    await withDatabase(18, async (prod) => {
      const role = `ddlg_noconn_${process.pid}_${Date.now() % 100000}`;
      const dbName = new URL(prod).pathname.slice(1);
      await sql(prod, `CREATE ROLE ${role} LOGIN PASSWORD '${password}'; REVOKE CONNECT ON DATABASE "${dbName}" FROM PUBLIC`);
      try {
        const e2 = await readProductionStats(asRole(prod, role, password), { sampleSeconds: 0 }).catch((e: Error) => e);
        expect((e2 as Error).message).toMatch(/cannot connect to the production database: .*permission denied/);
        expect((e2 as Error).message).not.toContain(password);
        await sql(prod, 'CREATE TABLE present (id int PRIMARY KEY)');
        const stats = await readProductionStats(prod, { sampleSeconds: 0 });
        const e3 = await generateData(stats, `postgres://x:${password}@127.0.0.1:1/scratch`, { seed: 1, rows: () => 1 }).catch((e: Error) => e);
        expect((e3 as Error).message).toMatch(/^cannot connect to the scratch database: /);
        expect((e3 as Error).message).not.toContain(password);
        // A scratch that already holds tables is refused before anything is created.
        const e4 = await generateData(stats, prod, { seed: 1, rows: () => 1 }).catch((e: Error) => e);
        expect((e4 as Error).message).toMatch(/^the scratch database is not empty \(1 table\)/);
      } finally {
        await sql(prod, `DROP ROLE ${role}`).catch(() => {});
      }
    });
  });
});

describe.skipIf(!pgUrl(15))('synthetic rehearsal data (PG 15)', () => {
  it('copies the schema and generates valid rows', async () => {
    await withDatabase(15, async (prod) => {
      await sql(prod, REHEARSE_SCHEMA + rehearseData(0.05));
      const stats = await readProductionStats(prod, { sampleSeconds: 0 });
      await withDatabase(15, async (scratch) => {
        const res = await generateData(stats, scratch, { seed: 1, rows: (_t, n) => n ?? 0 });
        expect(res.constraintErrors).toEqual([]);
        const [pc, sc] = await Promise.all([sql(prod, CONSTRAINTS), sql(scratch, CONSTRAINTS)]);
        expect(sc[0]!.rows).toEqual(pc[0]!.rows);
      });
    });
  });
});

describe.skipIf(!pgUrl(18))('the scratch keeps the key order production keeps (PG 18)', () => {
  it('clusters a table on the index whose column production keeps in order, and leaves one in random order alone', async () => {
    const { prepareScratch } = await import('../../src/rehearse/data.js');
    await withDatabase(18, async (prod) => {
      // ordered: rows inserted in id order (correlation 1); shuffled: ids inserted in random order (correlation ~0).
      await sql(
        prod,
        `CREATE TABLE ordered (id bigint PRIMARY KEY, v int NOT NULL);
         INSERT INTO ordered SELECT g, (g * 7919) % 1000 FROM generate_series(1, 20000) g;
         CREATE TABLE shuffled (id bigint PRIMARY KEY, v int NOT NULL);
         INSERT INTO shuffled SELECT g, g % 1000 FROM generate_series(1, 20000) g ORDER BY md5(g::text);
         ANALYZE;`,
      );
      await withDatabase(18, async (scratch) => {
        const r = await prepareScratch(prod, scratch, { rows: (_t, n) => n ?? 0, tables: ['public.ordered', 'public.shuffled'], sampleMs: 0 });
        expect(r.notes).toContain('public.ordered: rows in id order, as in production (correlation 1.00): clustered on ordered_pkey');
        expect(r.notes.some((n) => n.startsWith('public.shuffled'))).toBe(false);
        const corr = await sql(scratch, `SELECT tablename, correlation FROM pg_stats WHERE schemaname = 'public' AND attname = 'id' ORDER BY 1`);
        const byTable = new Map(corr[0]!.rows.map((x) => [x.tablename as string, Number(x.correlation)]));
        expect(byTable.get('ordered')).toBeGreaterThan(0.99);
        expect(Math.abs(byTable.get('shuffled')!)).toBeLessThan(0.5);
      });
    });
  });
});
