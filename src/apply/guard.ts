/**
 * Lock guard: runs a statement with a short lock_timeout and retries it on
 * lock_not_available (55P03) with a growing, jittered schedule and a bounded
 * total time. While an attempt waits, a second connection samples the
 * sessions blocking it (`pg_blocking_pids` is only meaningful while we wait),
 * so each retry can say who was in the way; optionally, blockers that sit
 * `idle in transaction` are terminated after a configurable time.
 */
import type pg from 'pg';
import { ApplyError, redactError } from '../db/connection.js';
import type { ApplyLogger } from './log.js';

export interface GuardOptions {
  /** First lock_timeout (default 100 ms). */
  startLockTimeoutMs: number;
  /** lock_timeout ceiling (default 5 s, or the step's guard.lockTimeoutMs when larger is not forced). */
  maxLockTimeoutMs: number;
  /** Growth factor of the lock_timeout and of the waits between attempts (default 2). */
  growth: number;
  /** Base wait between attempts (default 100 ms), grows by `growth` up to maxRetryWaitMs (default 2 s). */
  retryWaitMs: number;
  maxRetryWaitMs: number;
  /** Jitter: each wait is multiplied by a random factor in [1-jitter, 1+jitter] (default 0.5). */
  jitter: number;
  /** Give up after this many retries (default: the step's guard.retries, else 30). */
  maxRetries: number | null;
  /** Give up when the next attempt would end after this much time since the first (default 120 s). */
  maxTotalMs: number;
  /** statement_timeout of guarded steps and backfill batches (default 60 s; 0 = none). */
  statementTimeoutMs: number;
  /** lock_timeout of unguarded steps (CONCURRENTLY, VALIDATE) for their initial lock (default 5 s). */
  concurrentLockTimeoutMs: number;
  /** Terminate blockers that are `idle in transaction` once they have blocked us this long (default off). */
  killBlockersAfterMs: number | null;
  /** How often the monitor samples blockers while an attempt waits (default 50 ms). */
  blockerPollMs: number;
}

export const DEFAULT_GUARD: GuardOptions = {
  startLockTimeoutMs: 100,
  maxLockTimeoutMs: 5000,
  growth: 2,
  retryWaitMs: 100,
  maxRetryWaitMs: 2000,
  jitter: 0.5,
  maxRetries: null,
  maxTotalMs: 120_000,
  statementTimeoutMs: 60_000,
  concurrentLockTimeoutMs: 5000,
  killBlockersAfterMs: null,
  blockerPollMs: 50,
};

/** lock_timeout of attempt `i` (0-based). */
export function lockTimeoutFor(i: number, g: Pick<GuardOptions, 'startLockTimeoutMs' | 'maxLockTimeoutMs' | 'growth'>): number {
  return Math.round(Math.min(g.maxLockTimeoutMs, g.startLockTimeoutMs * g.growth ** i));
}

/** Wait before attempt `i + 1`, jittered. */
export function retryWaitFor(
  i: number,
  g: Pick<GuardOptions, 'retryWaitMs' | 'maxRetryWaitMs' | 'growth' | 'jitter'>,
  random: () => number = Math.random,
): number {
  const base = Math.min(g.maxRetryWaitMs, g.retryWaitMs * g.growth ** i);
  const factor = 1 - g.jitter + 2 * g.jitter * random();
  return Math.max(0, Math.round(base * factor));
}

export interface Blocker {
  pid: number;
  applicationName: string | null;
  client: string | null;
  user: string | null;
  state: string | null;
  query: string | null;
  xactStart: string | null;
  stateChange: string | null;
  waitEventType: string | null;
}

const BLOCKERS_SQL = `
SELECT a.pid, a.application_name, host(a.client_addr) AS client, a.client_port, a.usename,
       a.state, a.query, a.xact_start, a.state_change, a.wait_event_type
  FROM pg_stat_activity a
 WHERE a.pid = ANY (pg_blocking_pids($1::int))`;

/** The sessions blocking backend `pid` right now (empty unless it waits on a lock). */
export async function blockersOf(monitor: pg.Client, pid: number): Promise<Blocker[]> {
  const r = await monitor.query(BLOCKERS_SQL, [pid]);
  return r.rows.map((row: Record<string, unknown>) => ({
    pid: Number(row.pid),
    applicationName: (row.application_name as string | null) ?? null,
    client: row.client ? `${String(row.client)}${row.client_port ? `:${String(row.client_port)}` : ''}` : 'local',
    user: (row.usename as string | null) ?? null,
    state: (row.state as string | null) ?? null,
    query: (row.query as string | null) ?? null,
    xactStart: row.xact_start ? new Date(row.xact_start as string).toISOString() : null,
    stateChange: row.state_change ? new Date(row.state_change as string).toISOString() : null,
    waitEventType: (row.wait_event_type as string | null) ?? null,
  }));
}

export interface GuardContext {
  work: pg.Client;
  workPid: number;
  monitor: pg.Client;
  log: ApplyLogger;
  guard: GuardOptions;
  url: string;
  /** True once a graceful stop was requested. */
  stopping: () => boolean;
  sleep?: (ms: number) => Promise<void>;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Samples blockers of `pid` from the monitor connection until stopped; may terminate idle-in-transaction blockers. */
function watchBlockers(ctx: GuardContext, stepId: string, blockedSince: Map<number, number>) {
  let stopped = false;
  let latest: Blocker[] = [];
  let timer: NodeJS.Timeout | undefined;
  let inflight: Promise<void> = Promise.resolve();
  const killAfter = ctx.guard.killBlockersAfterMs;
  const tick = () => {
    inflight = (async () => {
      try {
        const b = await blockersOf(ctx.monitor, ctx.workPid);
        if (b.length > 0) latest = b;
        const now = Date.now();
        for (const x of b) if (!blockedSince.has(x.pid)) blockedSince.set(x.pid, now);
        if (killAfter !== null) {
          for (const x of b) {
            const since = blockedSince.get(x.pid) ?? now;
            if (x.state === 'idle in transaction' && now - since >= killAfter) {
              await ctx.monitor.query('SELECT pg_terminate_backend($1::int)', [x.pid]);
              ctx.log.emit({
                event: 'blocker.terminated',
                step: stepId,
                blocker: x,
                message: `${stepId}: terminated blocker pid ${x.pid} (idle in transaction, blocked us for ${now - since} ms): ${oneLine(x.query)}`,
              });
              blockedSince.delete(x.pid);
            }
          }
        }
      } catch {
        // the monitor is best effort
      }
    })();
    void inflight.then(() => {
      if (!stopped) timer = setTimeout(tick, ctx.guard.blockerPollMs);
    });
  };
  timer = setTimeout(tick, Math.min(ctx.guard.blockerPollMs, 20));
  return {
    async stop(): Promise<Blocker[]> {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inflight;
      return latest;
    },
  };
}

export function oneLine(q: string | null | undefined, max = 120): string {
  const s = (q ?? '').replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export function isLockTimeout(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === '55P03' || code === '40P01';
}

export interface RetryResult<T> {
  value: T;
  attempts: number;
}

export class GiveUpError extends ApplyError {
  constructor(message: string, readonly blockers: Blocker[]) {
    super(message, '55P03');
  }
}

export class StopRequested extends ApplyError {
  constructor() {
    super('stop requested');
  }
}

/**
 * Runs `attempt(lockTimeoutMs, attemptNo)` until it succeeds, retrying lock
 * timeouts on the schedule. `fixedLockTimeoutMs` pins the timeout (unguarded
 * steps). `beforeRetry` runs between attempts (e.g. dropping an INVALID index).
 */
export async function withLockRetries<T>(
  ctx: GuardContext,
  stepId: string,
  opts: { maxRetries?: number; fixedLockTimeoutMs?: number; beforeRetry?: () => Promise<void> },
  attempt: (lockTimeoutMs: number, attemptNo: number) => Promise<T>,
): Promise<RetryResult<T>> {
  const g = ctx.guard;
  const sleepFn = ctx.sleep ?? sleep;
  const started = Date.now();
  const maxRetries = opts.maxRetries ?? g.maxRetries ?? 30;
  const blockedSince = new Map<number, number>();
  let lastBlockers: Blocker[] = [];
  for (let i = 0; ; i++) {
    const lt = opts.fixedLockTimeoutMs ?? lockTimeoutFor(i, g);
    const watcher = watchBlockers(ctx, stepId, blockedSince);
    try {
      const value = await attempt(lt, i + 1);
      await watcher.stop();
      return { value, attempts: i + 1 };
    } catch (err) {
      const blockers = await watcher.stop();
      if (!isLockTimeout(err)) throw err;
      if (blockers.length > 0) lastBlockers = blockers;
      const elapsed = Date.now() - started;
      const wait = retryWaitFor(i, g);
      const nextLt = opts.fixedLockTimeoutMs ?? lockTimeoutFor(i + 1, g);
      const e = redactError(err, ctx.url);
      ctx.log.emit({
        event: 'lock.timeout',
        step: stepId,
        attempt: i + 1,
        lockTimeoutMs: lt,
        sqlstate: e.code,
        blockers,
        message: `${stepId}: attempt ${i + 1} could not get its lock within ${lt} ms (${e.message})${
          blockers.length > 0
            ? `; blocked by ${blockers.map(describeBlocker).join('; ')}`
            : ''
        }`,
      });
      if (i >= maxRetries || elapsed + wait + nextLt > g.maxTotalMs) {
        throw new GiveUpError(
          `${stepId}: gave up after ${i + 1} attempts in ${Math.round((Date.now() - started) / 100) / 10} s (lock timeout retries exhausted)${
            lastBlockers.length > 0 ? `; last blockers: ${lastBlockers.map(describeBlocker).join('; ')}` : ''
          }`,
          lastBlockers,
        );
      }
      if (ctx.stopping()) throw new StopRequested();
      ctx.log.emit({ event: 'lock.retry', step: stepId, waitMs: wait, nextLockTimeoutMs: nextLt, message: `${stepId}: retrying in ${wait} ms with lock_timeout ${nextLt} ms` });
      await sleepFn(wait);
      if (opts.beforeRetry) await opts.beforeRetry();
    }
  }
}

export function describeBlocker(b: Blocker): string {
  return `pid ${b.pid} (${b.applicationName || 'no application_name'}, ${b.user ?? '?'}@${b.client ?? '?'}, ${b.state ?? '?'}${
    b.xactStart ? `, transaction since ${b.xactStart}` : ''
  }): ${oneLine(b.query)}`;
}

/** Runs `sql` in its own transaction with SET LOCAL timeouts; `after` runs in the same transaction (state bookkeeping). */
export async function runInTransaction<T>(
  client: pg.Client,
  timeouts: { lockTimeoutMs: number; statementTimeoutMs: number },
  body: (client: pg.Client) => Promise<T>,
): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL lock_timeout = ${Math.max(0, Math.round(timeouts.lockTimeoutMs))}`);
    await client.query(`SET LOCAL statement_timeout = ${Math.max(0, Math.round(timeouts.statementTimeoutMs))}`);
    const out = await body(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** Runs `sql` outside any transaction block with session-level timeouts, then resets them. */
export async function runOutsideTransaction(
  client: pg.Client,
  sql: string,
  timeouts: { lockTimeoutMs: number; statementTimeoutMs: number },
): Promise<void> {
  await client.query(`SET lock_timeout = ${Math.max(0, Math.round(timeouts.lockTimeoutMs))}`);
  await client.query(`SET statement_timeout = ${Math.max(0, Math.round(timeouts.statementTimeoutMs))}`);
  try {
    await client.query(sql);
  } finally {
    await client.query('RESET lock_timeout').catch(() => {});
    await client.query('RESET statement_timeout').catch(() => {});
  }
}
