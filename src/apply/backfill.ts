/**
 * Batched backfill: keyset pagination over the key columns (one, or several
 * compared as a row: `(a, b) > ($2, $3)`), each batch in its own short
 * transaction that also records the last key (so an interrupted backfill
 * resumes after the last committed batch). A one-column key is recorded as
 * its text; a key of several columns as a JSON array of their texts. The batch size adapts
 * toward a target duration; the loop sleeps between batches and throttles
 * while replication lag or the number of active sessions is above a threshold.
 */
import { quoteIdentAlways } from '../sql/quote.js';
import type pg from 'pg';
import { ApplyError } from '../db/connection.js';
import { runInTransaction, sleep, withLockRetries, type GuardContext } from './guard.js';
import { recordBatch } from './state.js';
import type { PlanStep, StepBatch } from './types.js';

export interface BackfillOptions {
  /** Target duration of one batch (default 200 ms). */
  targetBatchMs: number;
  minBatchSize: number;
  maxBatchSize: number;
  /** Pause between batches (default 20 ms). */
  sleepBetweenMs: number;
  /** Throttle while max(pg_stat_replication.replay_lag) exceeds this (default 10 s; null = off). */
  maxReplicationLagMs: number | null;
  /** Throttle while more client sessions than this are active (default null = off). */
  maxActiveSessions: number | null;
  /** Sleep while throttled (default 1 s). */
  throttleSleepMs: number;
}

export const DEFAULT_BACKFILL: BackfillOptions = {
  targetBatchMs: 200,
  minBatchSize: 100,
  maxBatchSize: 50_000,
  sleepBetweenMs: 20,
  maxReplicationLagMs: 10_000,
  maxActiveSessions: null,
  throttleSleepMs: 1000,
};

/** Next batch size: scale by target/elapsed, at most x2 / ÷2 per step, within bounds. */
export function nextBatchSize(size: number, elapsedMs: number, o: Pick<BackfillOptions, 'targetBatchMs' | 'minBatchSize' | 'maxBatchSize'>): number {
  const factor = Math.min(2, Math.max(0.5, o.targetBatchMs / Math.max(1, elapsedMs)));
  return Math.max(o.minBatchSize, Math.min(o.maxBatchSize, Math.round(size * factor)));
}

export interface LoadSample {
  replicationLagMs: number;
  activeSessions: number;
}

export async function sampleLoad(monitor: pg.Client): Promise<LoadSample> {
  const r = await monitor.query(`
    SELECT coalesce((SELECT max(extract(epoch FROM replay_lag)) * 1000 FROM pg_stat_replication), 0)::float8 AS lag_ms,
           (SELECT count(*) FROM pg_stat_activity
             WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid())::int AS active`);
  const row = r.rows[0] as { lag_ms: number; active: number };
  return { replicationLagMs: Number(row.lag_ms), activeSessions: Number(row.active) };
}

/** A plan's key column as SQL (a hand-written plan may give it quoted already). Always quoted: a key named like a keyword (order, user) must be too. */
function quoteKey(col: string): string {
  return col.startsWith('"') ? col : quoteIdentAlways(col);
}

/** One batch's key range: the low and high key (k text values each) and its row count. */
interface KeyRange {
  lo: string[];
  hi: string[];
  n: number;
}

/**
 * The query that finds the next batch's key range: `$1` is the batch size, `$2..$k+1` the
 * previous batch's high key (absent for the first batch). One key column: min / max / count
 * over the LIMITed keys. Several: the first and last row of the ordered, LIMITed key set
 * (row_number() over the batch), compared as a row so a btree index on the key serves it.
 */
export function keyRangeQuery(table: string, keyColumns: string[], after: boolean): { sql: string; read: (rows: Record<string, unknown>[]) => KeyRange | null } {
  const cols = keyColumns.map(quoteKey);
  const k = cols.length;
  if (k === 1) {
    const key = cols[0]!;
    const sql = after
      ? `SELECT min(k)::text AS lo, max(k)::text AS hi, count(*)::int AS n FROM (SELECT ${key} AS k FROM ${table} WHERE ${key} > $2 ORDER BY ${key} LIMIT $1) s`
      : `SELECT min(k)::text AS lo, max(k)::text AS hi, count(*)::int AS n FROM (SELECT ${key} AS k FROM ${table} ORDER BY ${key} LIMIT $1) s`;
    return {
      sql,
      read: (rows) => {
        const row = rows[0] as { lo: string | null; hi: string | null; n: number } | undefined;
        if (!row || row.n === 0 || row.hi === null || row.lo === null) return null;
        return { lo: [row.lo], hi: [row.hi], n: row.n };
      },
    };
  }
  const aliases = cols.map((_, i) => `k${i + 1}`);
  const order = cols.join(', ');
  const where = after ? ` WHERE (${order}) > (${cols.map((_, i) => `$${i + 2}`).join(', ')})` : '';
  const sql =
    `SELECT b.rn, b.n, ${aliases.map((a) => `b.${a}`).join(', ')} FROM (` +
    `SELECT row_number() OVER (ORDER BY ${cols.map((c) => `s.${c}`).join(', ')}) AS rn, count(*) OVER () AS n, ${cols.map((c, i) => `s.${c}::text AS ${aliases[i]}`).join(', ')} ` +
    `FROM (SELECT ${order} FROM ${table}${where} ORDER BY ${order} LIMIT $1) s) b WHERE b.rn = 1 OR b.rn = b.n ORDER BY b.rn`;
  return {
    sql,
    read: (rows) => {
      if (rows.length === 0) return null;
      const first = rows[0]!;
      const last = rows[rows.length - 1]!;
      const values = (r: Record<string, unknown>) => aliases.map((a) => r[a] as string | null);
      const lo = values(first);
      const hi = values(last);
      const nul = [...lo, ...hi].findIndex((v) => v === null);
      if (nul >= 0) {
        throw new ApplyError(
          `backfill of ${table}: key column ${keyColumns[nul % k]} is NULL in a row; a key of several columns must be NOT NULL (rows with a NULL key would be skipped)`,
        );
      }
      return { lo: lo as string[], hi: hi as string[], n: Number(first.n) };
    },
  };
}

/** The recorded cursor for a key (text for one column, a JSON array of texts for several). */
export function encodeCursor(key: string[]): string {
  return key.length === 1 ? key[0]! : JSON.stringify(key);
}

/** The key of a recorded cursor; throws when it does not fit a key of `k` columns. */
export function decodeCursor(cursor: string, k: number, stepId: string): string[] {
  if (k === 1) return [cursor];
  let v: unknown;
  try {
    v = JSON.parse(cursor);
  } catch {
    v = null;
  }
  if (!Array.isArray(v) || v.length !== k || !v.every((x) => typeof x === 'string')) {
    throw new ApplyError(
      `${stepId}: the recorded backfill cursor ${JSON.stringify(cursor)} is not a key of ${k} columns (a JSON array of ${k} strings); ` +
        'run `ddlguard abort --reset` for this plan to start the backfill over',
    );
  }
  return v as string[];
}

export interface BackfillResult {
  status: 'done' | 'stopped';
  rowsScanned: number;
  rowsUpdated: number;
  batches: number;
}

export async function runBackfill(
  ctx: GuardContext & { planId: string; backfill: BackfillOptions; stopCheck: () => Promise<boolean> },
  step: PlanStep & { batch: StepBatch },
  resume: { lastKey: string | null; rowsDone: number },
  maxRetries: number | undefined,
): Promise<BackfillResult> {
  const b = step.batch;
  const k = b.keyColumns.length;
  if (k === 0) throw new ApplyError(`${step.id}: the batch has no key columns`);
  const first = keyRangeQuery(b.table, b.keyColumns, false);
  const next = keyRangeQuery(b.table, b.keyColumns, true);
  // Validate a recorded cursor before doing anything.
  if (resume.lastKey !== null) decodeCursor(resume.lastKey, k, step.id);
  const est = await ctx.monitor.query(`SELECT greatest(reltuples, 0)::bigint AS n FROM pg_class WHERE oid = to_regclass($1)`, [b.table]);
  let estimated = Number(est.rows[0]?.n ?? 0);

  const o = ctx.backfill;
  let size = Math.max(o.minBatchSize, Math.min(o.maxBatchSize, b.batchSize || 1000));
  let lastKey = resume.lastKey;
  let scanned = resume.rowsDone;
  let updated = 0;
  let batches = 0;
  const started = Date.now();
  const startScanned = scanned;
  let throttled = false;

  ctx.log.emit({
    event: 'backfill.start',
    step: step.id,
    table: b.table,
    resumeAfter: lastKey,
    estimatedRows: estimated,
    message: `${step.id}: backfilling ${b.table} in batches of ~${size} rows (target ${o.targetBatchMs} ms/batch)${lastKey !== null ? `, resuming after key ${lastKey} (${scanned} rows already done)` : ''}`,
  });

  for (;;) {
    if (await ctx.stopCheck()) {
      ctx.log.progress(progressOf(), true);
      return { status: 'stopped', rowsScanned: scanned, rowsUpdated: updated, batches };
    }
    // Throttle on replication lag / active sessions.
    if (o.maxReplicationLagMs !== null || o.maxActiveSessions !== null) {
      const load = await sampleLoad(ctx.monitor);
      const over =
        (o.maxReplicationLagMs !== null && load.replicationLagMs > o.maxReplicationLagMs) ||
        (o.maxActiveSessions !== null && load.activeSessions > o.maxActiveSessions);
      if (over) {
        if (!throttled) {
          ctx.log.emit({
            event: 'backfill.throttle',
            step: step.id,
            ...load,
            message: `${step.id}: throttling (replication lag ${Math.round(load.replicationLagMs)} ms, ${load.activeSessions} active sessions)`,
          });
        }
        throttled = true;
        await sleep(o.throttleSleepMs);
        continue;
      }
      if (throttled) ctx.log.emit({ event: 'backfill.resume', step: step.id, ...load, message: `${step.id}: load back under thresholds, resuming` });
      throttled = false;
    }

    const t0 = Date.now();
    const cursor = lastKey;
    const batchSize = size;
    const { value } = await withLockRetries(ctx, step.id, { maxRetries }, (lt) =>
      runInTransaction(ctx.work, { lockTimeoutMs: lt, statementTimeoutMs: ctx.guard.statementTimeoutMs }, async (c) => {
        const r = cursor === null ? await c.query(first.sql, [batchSize]) : await c.query(next.sql, [batchSize, ...decodeCursor(cursor, k, step.id)]);
        const range = (cursor === null ? first : next).read(r.rows as Record<string, unknown>[]);
        if (range === null) return null;
        const u = await c.query(b.updateSql, [...range.lo, ...range.hi]);
        const hi = encodeCursor(range.hi);
        await recordBatch(c, ctx.planId, step.id, hi, range.n, u.rowCount ?? 0);
        return { hi, n: range.n, updated: u.rowCount ?? 0 };
      }),
    );
    if (value === null) break;
    const elapsed = Date.now() - t0;
    lastKey = value.hi;
    scanned += value.n;
    updated += value.updated;
    batches++;
    if (scanned > estimated) estimated = scanned;
    size = nextBatchSize(size, elapsed, o);
    ctx.log.progress({ ...progressOf(), batch: { size: batchSize, rows: value.n, ms: elapsed } });
    if (value.n < batchSize) break;
    if (o.sleepBetweenMs > 0) await sleep(o.sleepBetweenMs);
  }
  ctx.log.progress(progressOf(), true);
  return { status: 'done', rowsScanned: scanned, rowsUpdated: updated, batches };

  function progressOf() {
    const secs = (Date.now() - started) / 1000;
    const rate = secs > 0 ? (scanned - startScanned) / secs : 0;
    const remaining = Math.max(0, estimated - scanned);
    return {
      step: step.id,
      rowsDone: scanned,
      rowsEstimated: Math.max(estimated, scanned),
      rowsPerSec: rate,
      etaSec: rate > 0 ? remaining / rate : null,
      batchSize: size,
    };
  }
}
