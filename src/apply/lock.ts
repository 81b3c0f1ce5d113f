/**
 * One applier per database: a session-level advisory lock. A second apply
 * either waits for it or exits naming the holder.
 *
 * A target inside a database (a tenant schema, `ApplyOptions.stateKey`) takes the
 * database's lock in share mode plus an exclusive lock of its own key: appliers of
 * different keys run side by side, two of the same key exclude each other, and a
 * plain apply (exclusive) excludes them all.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { ApplyError } from '../db/connection.js';
import { sleep } from './guard.js';

/** 'ddlg' and 1: the two-key advisory lock every ddlguard applier takes. */
export const LOCK_KEY1 = 0x64646c67;
export const LOCK_KEY2 = 1;
/** Second key of the transaction lock taken while the state schema is created. */
export const STATE_DDL_KEY2 = 0;

/** The second lock key of a state key: a 32-bit hash, never LOCK_KEY2 or STATE_DDL_KEY2. */
export function stateLockKey(stateKey: string): number {
  const h = createHash('sha256').update(stateKey).digest().readInt32BE(0);
  return h === LOCK_KEY2 || h === STATE_DDL_KEY2 ? h + 2 : h;
}

export interface LockHolder {
  pid: number;
  applicationName: string | null;
  client: string | null;
  user: string | null;
  backendStart: string | null;
  state: string | null;
}

/** Who holds the applier lock (with `stateKey`: the key's lock, or the database's in exclusive mode). */
export async function lockHolder(client: pg.Client, stateKey?: string): Promise<LockHolder | null> {
  const keyed = stateKey === undefined ? '' : ` AND (l.mode = 'ExclusiveLock' OR l.objid = $3::int::oid)`;
  const r = await client.query(
    `SELECT a.pid, a.application_name, host(a.client_addr) AS client, a.client_port, a.usename, a.backend_start, a.state
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.classid = $1::int::oid AND l.objid ${stateKey === undefined ? '= $2::int::oid' : 'IN ($2::int::oid, $3::int::oid)'} AND l.objsubid = 2
        AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())${keyed}`,
    stateKey === undefined ? [LOCK_KEY1, LOCK_KEY2] : [LOCK_KEY1, LOCK_KEY2, stateLockKey(stateKey)],
  );
  const row = r.rows[0] as Record<string, unknown> | undefined;
  if (!row) return null;
  return {
    pid: Number(row.pid),
    applicationName: (row.application_name as string | null) ?? null,
    client: row.client ? `${String(row.client)}:${String(row.client_port)}` : 'local socket',
    user: (row.usename as string | null) ?? null,
    backendStart: row.backend_start ? new Date(row.backend_start as string).toISOString() : null,
    state: (row.state as string | null) ?? null,
  };
}

export function describeHolder(h: LockHolder | null): string {
  if (!h) return 'another session (it may just have finished)';
  return `pid ${h.pid} (application_name ${h.applicationName || '(none)'}, client ${h.client ?? '?'}, user ${h.user ?? '?'}, connected since ${h.backendStart ?? '?'})`;
}

export class ApplierBusyError extends ApplyError {
  constructor(readonly holder: LockHolder | null) {
    super(`another ddlguard apply is running on this database: ${describeHolder(holder)}; use --wait to wait for it`, 'DDLGUARD_BUSY');
  }
}

async function tryLock(client: pg.Client, stateKey?: string): Promise<boolean> {
  if (stateKey === undefined) {
    const r = await client.query('SELECT pg_try_advisory_lock($1::int, $2::int) AS ok', [LOCK_KEY1, LOCK_KEY2]);
    return Boolean(r.rows[0]?.ok);
  }
  const db = await client.query('SELECT pg_try_advisory_lock_shared($1::int, $2::int) AS ok', [LOCK_KEY1, LOCK_KEY2]);
  if (!db.rows[0]?.ok) return false;
  const own = await client.query('SELECT pg_try_advisory_lock($1::int, $2::int) AS ok', [LOCK_KEY1, stateLockKey(stateKey)]);
  if (own.rows[0]?.ok) return true;
  await client.query('SELECT pg_advisory_unlock_shared($1::int, $2::int)', [LOCK_KEY1, LOCK_KEY2]);
  return false;
}

/**
 * Takes the applier lock on `client`'s session. Without `wait`, throws
 * ApplierBusyError naming the holder; with `wait`, polls until it is free
 * (calling onWait once with the holder), `stopping()` or `timeoutMs`.
 */
export async function acquireApplierLock(
  client: pg.Client,
  monitor: pg.Client,
  opts: { wait?: boolean; timeoutMs?: number; pollMs?: number; onWait?: (h: LockHolder | null) => void; stopping?: () => boolean; stateKey?: string | undefined },
): Promise<void> {
  const key = opts.stateKey;
  if (await tryLock(client, key)) return;
  if (!opts.wait) throw new ApplierBusyError(await lockHolder(monitor, key));
  opts.onWait?.(await lockHolder(monitor, key));
  const started = Date.now();
  for (;;) {
    await sleep(opts.pollMs ?? 250);
    if (await tryLock(client, key)) return;
    if (opts.stopping?.() || (opts.timeoutMs !== undefined && Date.now() - started > opts.timeoutMs)) {
      throw new ApplierBusyError(await lockHolder(monitor, key));
    }
  }
}

export async function releaseApplierLock(client: pg.Client, stateKey?: string): Promise<void> {
  if (stateKey === undefined) {
    await client.query('SELECT pg_advisory_unlock($1::int, $2::int)', [LOCK_KEY1, LOCK_KEY2]).catch(() => {});
    return;
  }
  await client.query('SELECT pg_advisory_unlock($1::int, $2::int)', [LOCK_KEY1, stateLockKey(stateKey)]).catch(() => {});
  await client.query('SELECT pg_advisory_unlock_shared($1::int, $2::int)', [LOCK_KEY1, LOCK_KEY2]).catch(() => {});
}
