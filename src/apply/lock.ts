/**
 * One applier per database: a session-level advisory lock. A second apply
 * either waits for it or exits naming the holder.
 */
import type pg from 'pg';
import { ApplyError } from '../db/connection.js';
import { sleep } from './guard.js';

/** 'ddlg' and 1: the two-key advisory lock every ddlguard applier takes. */
export const LOCK_KEY1 = 0x64646c67;
export const LOCK_KEY2 = 1;

export interface LockHolder {
  pid: number;
  applicationName: string | null;
  client: string | null;
  user: string | null;
  backendStart: string | null;
  state: string | null;
}

export async function lockHolder(client: pg.Client): Promise<LockHolder | null> {
  const r = await client.query(
    `SELECT a.pid, a.application_name, host(a.client_addr) AS client, a.client_port, a.usename, a.backend_start, a.state
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.classid = $1::int::oid AND l.objid = $2::int::oid AND l.objsubid = 2
        AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [LOCK_KEY1, LOCK_KEY2],
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

async function tryLock(client: pg.Client): Promise<boolean> {
  const r = await client.query('SELECT pg_try_advisory_lock($1::int, $2::int) AS ok', [LOCK_KEY1, LOCK_KEY2]);
  return Boolean(r.rows[0]?.ok);
}

/**
 * Takes the applier lock on `client`'s session. Without `wait`, throws
 * ApplierBusyError naming the holder; with `wait`, polls until it is free
 * (calling onWait once with the holder), `stopping()` or `timeoutMs`.
 */
export async function acquireApplierLock(
  client: pg.Client,
  monitor: pg.Client,
  opts: { wait?: boolean; timeoutMs?: number; pollMs?: number; onWait?: (h: LockHolder | null) => void; stopping?: () => boolean },
): Promise<void> {
  if (await tryLock(client)) return;
  if (!opts.wait) throw new ApplierBusyError(await lockHolder(monitor));
  opts.onWait?.(await lockHolder(monitor));
  const started = Date.now();
  for (;;) {
    await sleep(opts.pollMs ?? 250);
    if (await tryLock(client)) return;
    if (opts.stopping?.() || (opts.timeoutMs !== undefined && Date.now() - started > opts.timeoutMs)) {
      throw new ApplierBusyError(await lockHolder(monitor));
    }
  }
}

export async function releaseApplierLock(client: pg.Client): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1::int, $2::int)', [LOCK_KEY1, LOCK_KEY2]).catch(() => {});
}
