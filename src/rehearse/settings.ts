/**
 * The server settings the predictions read (pg_settings, readable by any role): production's
 * shared_buffers for the cache term (cache.ts) and its autovacuum settings for the waits behind
 * autovacuum (predict.ts). Production's are read once, on the connection that reads its
 * statistics (stats.ts), so a rehearsal opens one connection to production, not three.
 */
import type { Client } from '../db/connection.js';
import { closeQuietly, connect } from '../db/connection.js';
import type { AutovacuumSettings } from './predict.js';

const NAMES = [
  'shared_buffers',
  'block_size',
  'autovacuum',
  'autovacuum_vacuum_threshold',
  'autovacuum_vacuum_scale_factor',
  'autovacuum_naptime',
  'deadlock_timeout',
  'autovacuum_vacuum_cost_limit',
  'vacuum_cost_limit',
  'autovacuum_vacuum_cost_delay',
];

/** name -> setting, in pg_settings' units (shared_buffers in blocks, naptime in seconds). */
export type ServerSettings = ReadonlyMap<string, string>;

export async function readSettings(client: Client): Promise<ServerSettings> {
  const r = await client.query<{ name: string; setting: string }>('SELECT name, setting FROM pg_catalog.pg_settings WHERE name = ANY($1)', [NAMES]);
  return new Map(r.rows.map((x) => [String(x.name), String(x.setting)]));
}

/** The settings of the server at `url`, on a connection of their own (the scratch server's). */
export async function readSettingsAt(url: string): Promise<ServerSettings> {
  const c = await connect(url);
  try {
    return await readSettings(c);
  } finally {
    await closeQuietly(c);
  }
}

/** shared_buffers in bytes (blocks x block_size); null when either is missing. */
export function sharedBuffersOf(s: ServerSettings): number | null {
  const blocks = Number(s.get('shared_buffers'));
  const blockSize = Number(s.get('block_size'));
  return s.has('shared_buffers') && s.has('block_size') && Number.isFinite(blocks * blockSize) ? blocks * blockSize : null;
}

/** The autovacuum settings predict.ts uses, PostgreSQL's defaults for what is missing. */
export function autovacuumOf(s: ServerSettings): AutovacuumSettings {
  const num = (k: string, d: number) => (s.has(k) ? Number(s.get(k)) : d);
  const limit = num('autovacuum_vacuum_cost_limit', -1);
  return {
    enabled: s.get('autovacuum') !== 'off',
    threshold: num('autovacuum_vacuum_threshold', 50),
    scaleFactor: num('autovacuum_vacuum_scale_factor', 0.2),
    naptimeMs: num('autovacuum_naptime', 60) * 1000,
    deadlockTimeoutMs: num('deadlock_timeout', 1000),
    costLimit: limit > 0 ? limit : num('vacuum_cost_limit', 200),
    costDelayMs: Math.max(0, num('autovacuum_vacuum_cost_delay', 2)),
  };
}
