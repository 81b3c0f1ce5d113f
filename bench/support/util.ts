/** Small helpers shared by the benches: one clock, formatting, connections, percentiles. */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { withDatabaseName } from '../../src/db/connection.js';

const epoch = performance.now();
/** Milliseconds since this module was loaded (monotonic): the clock every bench figure uses. */
export const now = (): number => performance.now() - epoch;
/** A wall-clock time (ms since 1970, e.g. `Date.parse` of a log's ISO timestamp) on the `now()` clock. */
export const fromWallClock = (ms: number): number => ms - (Date.now() - now());
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const fmtMs = (ms: number) => (!Number.isFinite(ms) ? '-' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`);
export const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
/** Seconds on the bench clock, for time lines (`+12.3s`). */
export const fmtAt = (ms: number) => `+${(ms / 1000).toFixed(1)}s`;

/** The same server and credentials, another database. */
export const withDb = withDatabaseName;

export async function connect(url: string, applicationName = 'ddlguard-bench'): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: applicationName });
  c.on('error', () => {});
  await c.connect();
  return c;
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = await connect(url);
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** An error's SQLSTATE and message with the numbers masked, to count alike errors together. */
export function errorKey(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const msg = String(e?.message ?? err).replace(/\d+/g, 'N');
  return `${e?.code ?? 'no SQLSTATE'}: ${msg}`;
}

/**
 * SQL for an order-independent checksum term of one row: the first 64 bits of
 * md5((e1)::text || '|' || (e2)::text ...) as a numeric, to be summed over the rows.
 */
export function rowHash(...exprs: string[]): string {
  return `('x' || left(md5(${exprs.map((e) => `(${e})::text`).join(` || '|' || `)}), 16))::bit(64)::bigint::numeric`;
}

export interface Checksum {
  rows: number;
  sum: string;
}

/** Row count and the order-independent sum of `rowHashSql` (see rowHash) over a table. */
export async function tableChecksum(c: pg.Client, table: string, rowHashSql: string): Promise<Checksum> {
  const r = await c.query(`SELECT count(*)::bigint AS n, coalesce(sum(${rowHashSql}), 0)::text AS s FROM ${table}`);
  return { rows: Number(r.rows[0].n), sum: String(r.rows[0].s) };
}
