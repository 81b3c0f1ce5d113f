/**
 * Which pages a batched backfill misses in shared_buffers, observed (pg_statio_*): the heap,
 * walked in key order, streams through the cache; an index in random order but smaller than
 * shared_buffers stays resident, because each of its pages is touched again long before the
 * clock sweep brings its usage count to zero. The rehearse cost model (src/rehearse/predict.ts,
 * cacheTerm) rests on this. Prints each structure's misses per access during the backfill
 * against the uniform ratio 1 - shared_buffers / working set.
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/cache-residency.js [rows=1200000]`
 * (DATABASE_URL, or an embedded PostgreSQL 18 with its default 128 MB shared_buffers).
 */
import { BenchDatabases, openServer, serverLine } from './support/server.js';
import { withClient } from './support/util.js';

const rows = Number(process.argv[2] ?? 1_200_000);
const BATCH = 10_000;

async function main(): Promise<void> {
  const server = await openServer();
  process.on('exit', () => server.removeDataSync());
  const dbs = new BenchDatabases(server.baseUrl, `cache_residency_${process.pid}`);
  try {
    console.log(serverLine(server));
    const url = await dbs.create('t');
    await withClient(url, async (c) => {
      await c.query('CREATE TABLE t (id bigint PRIMARY KEY, customer_id int NOT NULL, amount int NOT NULL, note text)');
      await c.query(`INSERT INTO t SELECT g, ((g::bigint * 7919) % 50000)::int, (g % 1000)::int, repeat(md5(g::text), 3) FROM generate_series(1, ${rows}) g`);
      await c.query('CREATE INDEX t_customer_idx ON t (customer_id)');
      await c.query('VACUUM ANALYZE t');
      const size = (await c.query(`SELECT pg_relation_size('t') AS heap, pg_relation_size('t_pkey') AS pkey, pg_relation_size('t_customer_idx') AS cust, current_setting('shared_buffers') AS sb, (SELECT setting::bigint * current_setting('block_size')::bigint FROM pg_settings WHERE name = 'shared_buffers') AS sbb`)).rows[0];
      const ws = Number(size.heap) + Number(size.pkey) + Number(size.cust);
      const mb = (b: unknown) => `${(Number(b) / 2 ** 20).toFixed(0)} MB`;
      console.log(`rows ${rows}: heap ${mb(size.heap)}, t_pkey ${mb(size.pkey)}, t_customer_idx ${mb(size.cust)} (random order), shared_buffers ${size.sb}`);
      // Start from a cache that holds what it holds after the load; count only the backfill.
      await c.query('SELECT pg_stat_reset()');
      const t0 = Date.now();
      for (let lo = 0; lo < rows; lo += BATCH) await c.query('UPDATE t SET amount = amount + 1 WHERE id > $1 AND id <= $2', [lo, lo + BATCH]);
      const ms = Date.now() - t0;
      if (server.info.major >= 15) await c.query('SELECT pg_stat_force_next_flush()');
      await new Promise((r) => setTimeout(r, 1200));
      const h = (await c.query(`SELECT heap_blks_read AS r, heap_blks_hit AS h FROM pg_statio_user_tables WHERE relname = 't'`)).rows[0];
      const ix = (await c.query(`SELECT indexrelname AS name, idx_blks_read AS r, idx_blks_hit AS h FROM pg_statio_user_indexes WHERE relname = 't' ORDER BY 1`)).rows;
      const uniform = Math.max(0, 1 - Number(size.sbb) / ws);
      console.log(`backfill of ${rows} rows in batches of ${BATCH}: ${(ms / 1000).toFixed(1)} s; uniform miss ratio 1 - shared_buffers / working set = ${uniform.toFixed(3)}`);
      console.log('| structure | buffer reads (misses) | hits | misses per access |');
      console.log('|---|---|---|---|');
      for (const x of [{ name: 'heap t', r: h.r, h: h.h }, ...ix]) {
        const r = Number(x.r);
        const hit = Number(x.h);
        console.log(`| ${x.name} | ${r} | ${hit} | ${(r / Math.max(1, r + hit)).toFixed(4)} |`);
      }
    });
  } finally {
    await dbs.dropAll().catch(() => {});
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(2);
  },
);
