/**
 * Batched backfill: keyset pagination over the key column, each batch in its
 * own short transaction that also records the last key (so an interrupted
 * backfill resumes after the last committed batch). The batch size adapts
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
  if (b.keyColumns.length !== 1) {
    throw new ApplyError(`${step.id}: backfill over a ${b.keyColumns.length}-column key is not supported (one key column needed)`);
  }
  const key = quoteKey(b.keyColumns[0]!);
  const firstSql = `SELECT min(k)::text AS lo, max(k)::text AS hi, count(*)::int AS n FROM (SELECT ${key} AS k FROM ${b.table} ORDER BY ${key} LIMIT $1) s`;
  const nextSql = `SELECT min(k)::text AS lo, max(k)::text AS hi, count(*)::int AS n FROM (SELECT ${key} AS k FROM ${b.table} WHERE ${key} > $2 ORDER BY ${key} LIMIT $1) s`;
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
        const r = cursor === null ? await c.query(firstSql, [batchSize]) : await c.query(nextSql, [batchSize, cursor]);
        const row = r.rows[0] as { lo: string | null; hi: string | null; n: number };
        if (!row || row.n === 0 || row.hi === null) return null;
        const u = await c.query(b.updateSql, [row.lo, row.hi]);
        await recordBatch(c, ctx.planId, step.id, row.hi, row.n, u.rowCount ?? 0);
        return { hi: row.hi, n: row.n, updated: u.rowCount ?? 0 };
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
    ctx.log.progress(progressOf());
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
