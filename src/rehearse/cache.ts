/**
 * What the cost model needs to know about buffer caching (predict.ts, `cacheMs`):
 * production's shared_buffers (pg_settings, readable by any role), the scratch
 * server's, and the cost of one buffer miss on the scratch server, measured.
 *
 * The miss cost: one session sets a small temp_buffers (128 local buffers) and
 * updates one tuple on random pages of a temp table first of 64 pages (all
 * cached), then of 4,096 pages (almost every access a miss: the page is read
 * back from the operating system and a dirty victim written out), the same
 * number of times each; the difference per access, divided by the large
 * table's miss ratio, is the cost of a miss that reads a page and writes one
 * back. Local buffers take the same read and write path through the kernel as
 * shared ones, without the shared buffer mapping's locks: a slight
 * underestimate. It takes about a second and leaves nothing behind (temp table
 * of its own session).
 */
import { closeQuietly, connect } from '../db/connection.js';

export interface CacheFacts {
  /** Production's shared_buffers in bytes (null when unreadable). */
  prodSharedBuffers: number | null;
  /** The scratch server's shared_buffers in bytes. */
  scratchSharedBuffers: number | null;
  /** ms per buffer miss (read a page, write a dirty one back) on the scratch server; null when it could not be measured. */
  msPerMiss: number | null;
  /** How the miss cost was measured (the raw timings), for the report's inputs. */
  basis: string;
}

const LOCAL_BUFFERS = 128;
const SMALL_PAGES = 64;
const LARGE_PAGES = 4096;
const ACCESSES = 10000;

/** The cost of one buffer miss on the server of `url` (a scratch database), measured as described above. */
export async function measureMissCost(url: string): Promise<{ msPerMiss: number | null; basis: string }> {
  const c = await connect(url, { applicationName: 'ddlguard-rehearse-cache-probe' });
  try {
    await c.query(`SET temp_buffers = ${LOCAL_BUFFERS * 8}`); // kB; before the session's first temp table
    // A probe that takes this long measures something else (a busy server): no cache term then.
    await c.query(`SET statement_timeout = '20s'`);
    const run = async (pages: number): Promise<number> => {
      await c.query(`DROP TABLE IF EXISTS pg_temp.ddlguard_cache_probe`);
      // fillfactor 10 and a 600-byte row: one tuple per page.
      await c.query(`CREATE TEMP TABLE ddlguard_cache_probe (v int, pad text) WITH (fillfactor = 10)`);
      await c.query(`INSERT INTO pg_temp.ddlguard_cache_probe SELECT g, repeat('x', 600) FROM generate_series(1, ${pages}) g`);
      const r = await c.query(`SELECT pg_temp.ddlguard_cache_probe_run(${pages}, ${ACCESSES}) AS ms`);
      return Number(r.rows[0].ms);
    };
    await c.query(`CREATE FUNCTION pg_temp.ddlguard_cache_probe_run(pages int, n int) RETURNS float8 LANGUAGE plpgsql AS $$
      DECLARE t0 timestamptz := clock_timestamp(); t tid;
      BEGIN
        FOR i IN 1..n LOOP
          -- A parameter, not an expression of random(): a TID scan, one page per update.
          t := format('(%s,1)', floor(random() * pages)::int)::tid;
          UPDATE pg_temp.ddlguard_cache_probe SET v = v + 1 WHERE ctid = t;
        END LOOP;
        RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
      END $$`);
    // Interleaved, three times; the fastest of each (a shared machine only ever adds time).
    const small: number[] = [];
    const large: number[] = [];
    for (let i = 0; i < 3; i++) {
      small.push(await run(SMALL_PAGES));
      large.push(await run(LARGE_PAGES));
    }
    const s = Math.min(...small);
    const l = Math.min(...large);
    const missRatio = 1 - LOCAL_BUFFERS / LARGE_PAGES;
    const ms = Math.max(0, (l - s) / ACCESSES / missRatio);
    return {
      msPerMiss: ms,
      basis: `${ACCESSES} single-tuple updates on random pages of a temp table with ${LOCAL_BUFFERS} local buffers: ${s.toFixed(0)} ms on ${SMALL_PAGES} pages (cached), ${l.toFixed(0)} ms on ${LARGE_PAGES} pages (miss ratio ${missRatio.toFixed(2)}): ${(ms * 1000).toFixed(1)} µs per miss`,
    };
  } catch (e) {
    return { msPerMiss: null, basis: `the miss cost could not be measured (${(e as Error).message}); no cache term` };
  } finally {
    await c.query(`DROP TABLE IF EXISTS pg_temp.ddlguard_cache_probe`).catch(() => {});
    await closeQuietly(c);
  }
}
