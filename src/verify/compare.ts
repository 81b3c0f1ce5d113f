/**
 * `ddlguard verify compare`: check that two tables (or column sets) hold the
 * same rows, e.g. after a backfill into a new column or a copy into a new
 * table, optionally across two databases. The integer key range is cut into
 * chunks; each side returns a row count and an md5 checksum per chunk, and the
 * chunks that differ are reported.
 */
import { quoteIdentAlways } from '../sql/quote.js';
import { engineHost, type Engine } from '../trace/engine.js';

export interface CompareSide {
  /** A postgres:// URL or an open Engine (the caller closes it). */
  engine: string | Engine;
  /** Table name, optionally schema-qualified (`public.orders`). */
  table: string;
  /** Columns to compare, in order (default: every column except the key of the source side). */
  columns?: string[];
  /** Key column (integer), default `id`. */
  key?: string;
}

export interface CompareOptions {
  source: CompareSide;
  target: CompareSide;
  /** Keys per chunk (default 10000). */
  chunkSize?: number;
  statementTimeoutMs?: number;
}

export interface ChunkDiff {
  from: string;
  /** Exclusive. */
  to: string;
  sourceRows: number;
  targetRows: number;
}

export interface CompareResult {
  chunks: number;
  sourceRows: number;
  targetRows: number;
  mismatches: ChunkDiff[];
  equal: boolean;
}

const q = quoteIdentAlways;
const qualified = (name: string) => name.split('.').map(q).join('.');

/** The table's single-column primary key, the default chunking key. */
async function primaryKeyOf(engine: Engine, table: string): Promise<string> {
  const rows = await engine.query<{ a: string }>(
    `SELECT a.attname AS a FROM pg_catalog.pg_index i
       JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indrelid = $1::regclass AND i.indisprimary`,
    [qualified(table)],
  );
  if (rows.length === 1) return String(rows[0]!.a);
  // No single-column primary key (e.g. a copy made with CREATE TABLE AS): an `id` column is the usual key.
  if ((await columnsOf(engine, table)).includes('id')) return 'id';
  throw new Error(`compare: ${table} has no single-column primary key and no id column; give --key`);
}

async function open(e: string | Engine): Promise<{ engine: Engine; close: () => Promise<void> }> {
  if (typeof e !== 'string') return { engine: e, close: async () => {} };
  const engine = await engineHost(e).open();
  return { engine, close: () => engine.close() };
}

async function columnsOf(engine: Engine, table: string): Promise<string[]> {
  const rows = await engine.query<{ a: string }>(
    `SELECT attname AS a FROM pg_catalog.pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [qualified(table)],
  );
  return rows.map((r) => String(r.a));
}

function chunkSql(side: Required<Pick<CompareSide, 'table' | 'key'>> & { columns: string[] }): string {
  const key = q(side.key);
  // ROW(...)::text is the canonical text of the compared values; md5 of the ordered concatenation per chunk.
  const rowText = `ROW(${[side.key, ...side.columns].map(q).join(', ')})::text`;
  return `SELECT count(*)::text AS n, coalesce(md5(string_agg(md5(${rowText}), '' ORDER BY ${key})), '') AS h
          FROM ${qualified(side.table)} WHERE ${key} >= $1::numeric AND ${key} < $2::numeric`;
}

export async function compareTables(opts: CompareOptions): Promise<CompareResult> {
  const src = await open(opts.source.engine);
  const dst = await open(opts.target.engine);
  try {
    const sKey = opts.source.key ?? (await primaryKeyOf(src.engine, opts.source.table));
    const tKey = opts.target.key ?? opts.source.key ?? (await primaryKeyOf(dst.engine, opts.target.table));
    const sCols = opts.source.columns ?? (await columnsOf(src.engine, opts.source.table)).filter((c) => c !== sKey);
    const tCols = opts.target.columns ?? sCols;
    if (sCols.length !== tCols.length) throw new Error(`compare: ${sCols.length} source columns but ${tCols.length} target columns`);
    for (const e of [src.engine, dst.engine]) {
      await e.exec('BEGIN READ ONLY');
      if (opts.statementTimeoutMs) await e.exec(`SET LOCAL statement_timeout = ${Math.floor(opts.statementTimeoutMs)}`);
    }
    const bounds = async (e: Engine, table: string, key: string) =>
      (await e.query<{ lo: string | null; hi: string | null }>(`SELECT min(${q(key)})::text AS lo, max(${q(key)})::text AS hi FROM ${qualified(table)}`))[0];
    const a = await bounds(src.engine, opts.source.table, sKey);
    const b = await bounds(dst.engine, opts.target.table, tKey);
    const los = [a?.lo, b?.lo].filter((x): x is string => x !== null && x !== undefined).map(BigInt);
    const his = [a?.hi, b?.hi].filter((x): x is string => x !== null && x !== undefined).map(BigInt);
    const result: CompareResult = { chunks: 0, sourceRows: 0, targetRows: 0, mismatches: [], equal: true };
    if (!los.length) return result;
    const lo = los.reduce((x, y) => (x < y ? x : y));
    const hi = his.reduce((x, y) => (x > y ? x : y));
    const size = BigInt(Math.max(1, Math.floor(opts.chunkSize ?? 10_000)));
    const sSql = chunkSql({ table: opts.source.table, key: sKey, columns: sCols });
    const tSql = chunkSql({ table: opts.target.table, key: tKey, columns: tCols });
    for (let from = lo; from <= hi; from += size) {
      const to = from + size;
      const [x, y] = await Promise.all([src.engine.query<{ n: string; h: string }>(sSql, [from.toString(), to.toString()]), dst.engine.query<{ n: string; h: string }>(tSql, [from.toString(), to.toString()])]);
      const sn = Number(x[0]?.n ?? 0);
      const tn = Number(y[0]?.n ?? 0);
      result.chunks++;
      result.sourceRows += sn;
      result.targetRows += tn;
      if (sn !== tn || x[0]?.h !== y[0]?.h) result.mismatches.push({ from: from.toString(), to: to.toString(), sourceRows: sn, targetRows: tn });
    }
    result.equal = result.mismatches.length === 0;
    return result;
  } finally {
    for (const e of [src.engine, dst.engine]) await e.exec('ROLLBACK').catch(() => {});
    await src.close();
    if (dst.engine !== src.engine) await dst.close();
  }
}
