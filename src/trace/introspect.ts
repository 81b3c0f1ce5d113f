/**
 * Catalog snapshots trace takes before and after each statement: user
 * relations (with relfilenode, to see rewrites), columns, constraints, the
 * relation locks held by the current backend, and the scan counters of every
 * user relation (pg_stat_get_xact_numscans and friends).
 */
import { LOCK_MODES, lockStrength, type LockMode } from '../locks/modes.js';
import type { Engine } from './engine.js';

export interface RelationSnap {
  oid: string;
  schema: string;
  name: string;
  /** pg_class.relkind: r table, p partitioned table, i/I index, m matview, v view, S sequence, f foreign table. */
  relkind: string;
  relfilenode: string;
  /** For indexes: the table's oid. */
  tableOid: string | null;
  /** For partitions (tables and indexes): the parent's oid. */
  parentOid: string | null;
}

export interface ColumnSnap {
  relOid: string;
  attnum: number;
  name: string;
  type: string;
  notNull: boolean;
  default: string | null;
  identity: string;
  generated: string;
}

export interface ConstraintSnap {
  oid: string;
  relOid: string;
  name: string;
  /** c check, f foreign key, p primary key, u unique, x exclusion, n not null (18+), t trigger. */
  type: string;
  validated: boolean;
  definition: string;
}

export interface LockSnap {
  oid: string;
  mode: LockMode;
  granted: boolean;
}

export interface CatalogSnap {
  relations: Map<string, RelationSnap>;
  columns: Map<string, ColumnSnap>;
  constraints: Map<string, ConstraintSnap>;
}

const USER_NS = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'`;

export const RELATIONS_SQL = `
SELECT c.oid::text AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind,
       c.relfilenode::text AS relfilenode, i.indrelid::text AS table_oid,
       CASE WHEN c.relispartition THEN (SELECT h.inhparent::text FROM pg_catalog.pg_inherits h WHERE h.inhrelid = c.oid LIMIT 1) END AS parent_oid
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
WHERE ${USER_NS} AND c.relkind IN ('r', 'p', 'i', 'I', 'm', 'v', 'S', 'f')`;

const COLUMNS_SQL = `
SELECT a.attrelid::text AS rel, a.attnum::int AS attnum, a.attname AS name,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS def, a.attidentity::text AS identity, a.attgenerated::text AS generated
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE ${USER_NS} AND c.relkind IN ('r', 'p', 'm', 'v', 'f') AND a.attnum > 0 AND NOT a.attisdropped`;

const CONSTRAINTS_SQL = `
SELECT co.oid::text AS oid, co.conrelid::text AS rel, co.conname AS name, co.contype::text AS type,
       co.convalidated AS validated, pg_catalog.pg_get_constraintdef(co.oid) AS def
FROM pg_catalog.pg_constraint co
JOIN pg_catalog.pg_class c ON c.oid = co.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE ${USER_NS}`;

const LOCKS_SQL = `
SELECT l.relation::text AS oid, l.mode AS mode, l.granted AS granted
FROM pg_catalog.pg_locks l
WHERE l.pid = pg_catalog.pg_backend_pid() AND l.locktype = 'relation'
  AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())`;

export const LOCKS_OF_PID_SQL = `
SELECT l.locktype AS locktype, l.relation::text AS oid, l.mode AS mode, l.granted AS granted
FROM pg_catalog.pg_locks l
WHERE l.pid = $1`;

const bool = (v: unknown): boolean => v === true || v === 't' || v === 'true';
const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

export async function snapshotRelations(engine: Engine): Promise<Map<string, RelationSnap>> {
  const rows = await engine.query(RELATIONS_SQL);
  const out = new Map<string, RelationSnap>();
  for (const r of rows) {
    out.set(str(r.oid), {
      oid: str(r.oid),
      schema: str(r.schema),
      name: str(r.name),
      relkind: str(r.relkind),
      relfilenode: str(r.relfilenode),
      tableOid: r.table_oid === null || r.table_oid === undefined ? null : str(r.table_oid),
      parentOid: r.parent_oid === null || r.parent_oid === undefined ? null : str(r.parent_oid),
    });
  }
  return out;
}

export async function snapshotCatalog(engine: Engine): Promise<CatalogSnap> {
  const relations = await snapshotRelations(engine);
  const columns = new Map<string, ColumnSnap>();
  for (const r of await engine.query(COLUMNS_SQL)) {
    const c: ColumnSnap = {
      relOid: str(r.rel),
      attnum: Number(r.attnum),
      name: str(r.name),
      type: str(r.type),
      notNull: bool(r.notnull),
      default: r.def === null || r.def === undefined ? null : str(r.def),
      identity: str(r.identity),
      generated: str(r.generated),
    };
    columns.set(`${c.relOid}:${c.attnum}`, c);
  }
  const constraints = new Map<string, ConstraintSnap>();
  for (const r of await engine.query(CONSTRAINTS_SQL)) {
    constraints.set(str(r.oid), {
      oid: str(r.oid),
      relOid: str(r.rel),
      name: str(r.name),
      type: str(r.type),
      validated: bool(r.validated),
      definition: str(r.def),
    });
  }
  return { relations, columns, constraints };
}

/** pg_locks mode name (`AccessExclusiveLock`) to the table's spelling (`ACCESS EXCLUSIVE`). */
export function lockModeFromPg(mode: string): LockMode | null {
  const words = mode.replace(/Lock$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
  return (LOCK_MODES as readonly string[]).includes(words) ? (words as LockMode) : null;
}

export async function snapshotLocks(engine: Engine): Promise<LockSnap[]> {
  const out: LockSnap[] = [];
  for (const r of await engine.query(LOCKS_SQL)) {
    const mode = lockModeFromPg(str(r.mode));
    if (mode) out.push({ oid: str(r.oid), mode, granted: bool(r.granted) });
  }
  return out;
}

/** Strongest mode per relation oid. */
export function strongestByOid(locks: readonly LockSnap[]): Map<string, LockSnap> {
  const m = new Map<string, LockSnap>();
  for (const l of locks) {
    const prev = m.get(l.oid);
    if (!prev || lockStrength(l.mode) > lockStrength(prev.mode)) m.set(l.oid, l);
  }
  return m;
}

export function qualifiedName(r: { schema: string; name: string }): string {
  return `${r.schema}.${r.name}`;
}

// ---- scan counters -------------------------------------------------------------------

/** One relation's scan counters at a point in time. */
export interface ScanCounters {
  /** pg_stat_get_*numscans: sequential scans of a table, index scans of an index. */
  scans: number;
  /** pg_stat_get_*tuples_returned: rows read by a table's sequential scans; entries an index's scans returned. */
  rows: number;
  /** pg_stat_get_*tuples_fetched: rows fetched by bitmap heap scans (table) or through the index (index scans). */
  fetched: number;
  /** pg_stat_get_*blocks_fetched: blocks requested from shared buffers (hits and reads). */
  blocks: number;
}

/**
 * `xact`: this backend's counters not yet flushed to the shared statistics (pg_stat_get_xact_*):
 * inside a transaction they only grow, so a statement's scans are the difference (exact).
 * `cumulative`: the shared counters plus this backend's unflushed ones: for statements run
 * outside a transaction (the backend flushes its counters when idle, at most once a second).
 * Shared statistics are synchronous only since PostgreSQL 15 (PGlite included); other
 * sessions of the same database add to them.
 */
export type ScanCounterKind = 'xact' | 'cumulative';

const SCAN_RELKINDS = `('r', 'p', 'm', 'i', 'I')`;

function scansSql(kind: ScanCounterKind): string {
  const col = (fn: string) =>
    kind === 'xact'
      ? `pg_catalog.pg_stat_get_xact_${fn}(c.oid)::float8`
      : `(pg_catalog.pg_stat_get_${fn}(c.oid) + pg_catalog.pg_stat_get_xact_${fn}(c.oid))::float8`;
  return `
SELECT c.oid::text AS oid, ${col('numscans')} AS scans, ${col('tuples_returned')} AS rows_read,
       ${col('tuples_fetched')} AS fetched, ${col('blocks_fetched')} AS blocks
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE ${USER_NS} AND c.relkind IN ${SCAN_RELKINDS}`;
}

/** The scan counters of every user table, partitioned table, materialized view and index. */
export async function snapshotScans(engine: Engine, kind: ScanCounterKind): Promise<Map<string, ScanCounters>> {
  // A fresh read of the shared statistics (stats_fetch_consistency may cache them per transaction).
  if (kind === 'cumulative') await engine.query('SELECT pg_catalog.pg_stat_clear_snapshot()');
  const out = new Map<string, ScanCounters>();
  for (const r of await engine.query(scansSql(kind))) {
    out.set(str(r.oid), { scans: Number(r.scans ?? 0), rows: Number(r.rows_read ?? 0), fetched: Number(r.fetched ?? 0), blocks: Number(r.blocks ?? 0) });
  }
  return out;
}

/** Whether the engine counts scans at all (track_counts) and can report them outside a transaction. */
export async function scanSupport(engine: Engine, major: number): Promise<{ counts: boolean; cumulative: boolean }> {
  const rows = await engine.query<{ v: string }>(`SELECT current_setting('track_counts') AS v`);
  const counts = String(rows[0]?.v ?? 'off') === 'on';
  return { counts, cumulative: counts && major >= 15 };
}
