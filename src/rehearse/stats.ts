/**
 * What `ddlguard rehearse` reads from production: catalogs and statistics, never a row.
 *
 * - the schema model (live introspection, with sizes and row estimates) and the
 *   definitions the scratch copy is made from (definitions.ts);
 * - per-column pg_stats (arrays read as text, so any type works);
 * - two pg_stat_user_tables samples `sampleSeconds` apart: rates per second;
 * - the top pg_stat_statements queries (two samples too), when the extension is there.
 *
 * pg_stats shows a column's row only to a role that may SELECT that column. A role with
 * only pg_read_all_stats gets none: the data is then generated from the schema and the
 * table sizes, and `missing` says so with the fix (GRANT SELECT, or the SECURITY DEFINER
 * function below that a superuser creates once: STATS_FUNCTION_SQL).
 */
import { connect, redactError, ApplyError, type Client } from '../db/connection.js';
import { introspectLive } from '../schema/sources/live.js';
import { loadParser, parseRaw } from '../sql/parser.js';
import { relKey } from '../schema/model.js';
import type { ColumnStats, ProductionStats, TableActivity, TopQuery } from './contract.js';
import { readDefinitions } from './definitions.js';
import { readSettings } from './settings.js';

export interface ReadStatsOptions {
  /** `schema.table` keys the rehearsal touches (activity and top queries are narrowed to them); default every table. */
  tables?: string[];
  /** Seconds between the two activity samples (default 5). */
  sampleSeconds?: number;
  /** Called right after the first activity sample (tests and benches make traffic there). */
  betweenSamples?: () => Promise<void>;
}

/** The function name readProductionStats looks for (see STATS_FUNCTION_SQL). */
export const STATS_FUNCTION = 'ddlguard.rehearse_column_stats()';

/**
 * Run once as a superuser (or the tables' owner) to let a role without SELECT read the
 * statistics (not the rows) of every column; then `GRANT EXECUTE ... TO that_role`.
 */
export const STATS_FUNCTION_SQL = `CREATE SCHEMA IF NOT EXISTS ddlguard;
CREATE OR REPLACE FUNCTION ddlguard.rehearse_column_stats()
  RETURNS TABLE (schemaname name, tablename name, attname name, inherited boolean, null_frac real, avg_width integer,
                 n_distinct real, most_common_vals text, most_common_freqs real[], histogram_bounds text, correlation real)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS
$$ SELECT schemaname, tablename, attname, inherited, null_frac, avg_width, n_distinct, most_common_vals::text,
          most_common_freqs, histogram_bounds::text, correlation
     FROM pg_catalog.pg_stats WHERE schemaname NOT IN ('pg_catalog', 'information_schema') $$;
REVOKE ALL ON FUNCTION ddlguard.rehearse_column_stats() FROM PUBLIC;`;

/** Settings under which values print (and are later read back on the scratch) the same way. */
export const TEXT_SETTINGS = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3; SET bytea_output = 'hex'";

export async function readProductionStats(dbUrl: string, opts: ReadStatsOptions = {}): Promise<ProductionStats> {
  let client: Client;
  try {
    client = await connect(dbUrl, { applicationName: 'ddlguard rehearse' });
  } catch (e) {
    const err = redactError(e, dbUrl);
    throw new ApplyError(`cannot connect to the production database: ${err.message}`, err.code);
  }
  const missing: string[] = [];
  try {
    await loadParser();
    const { model, pgVersion, database } = await introspectLive(client);
    await client.query(TEXT_SETTINGS);
    const definitions = await readDefinitions(client, pgVersion);
    const tableKeys = [...definitions.tables.keys()];
    const touched = opts.tables?.length ? opts.tables : tableKeys;

    const columns = await readColumnStats(client, definitions, missing);
    const first = await sampleActivity(client);
    const statements = await readStatements(client, pgVersion, missing);
    await opts.betweenSamples?.();
    await sleep(Math.max(0, (opts.sampleSeconds ?? 5) * 1000 - (performance.now() - first.at)));
    const second = await sampleActivity(client);
    const statements2 = statements ? await readStatements(client, pgVersion, []) : null;
    const seconds = Math.max(0.001, (second.at - first.at) / 1000);

    const activity = new Map<string, TableActivity>();
    for (const key of touched) {
      const a = first.rows.get(key);
      const b = second.rows.get(key);
      if (!a || !b) continue;
      const rate = (f: keyof typeof a) => Math.max(0, (b[f] - a[f]) / seconds);
      activity.set(key, {
        seqScansPerSec: rate('seq_scan'),
        idxScansPerSec: rate('idx_scan'),
        insertsPerSec: rate('n_tup_ins'),
        updatesPerSec: rate('n_tup_upd'),
        deletesPerSec: rate('n_tup_del'),
        idxTupFetchPerSec: rate('idx_tup_fetch'),
      });
    }

    const topQueries: TopQuery[] = [];
    if (statements && statements2) {
      const touchedSet = new Set(touched);
      for (const [id, s2] of statements2) {
        const s1 = statements.get(id);
        const calls = s2.calls - (s1?.calls ?? 0);
        const tables = queryTables(s2.query, model.searchPath).filter((t) => definitions.tables.has(t));
        if (!tables.some((t) => touchedSet.has(t))) continue;
        topQueries.push({ query: s2.query, callsPerSec: Math.max(0, calls / seconds), meanMs: s2.meanMs, tables });
      }
      topQueries.sort((x, y) => y.callsPerSec - x.callsPerSec || y.meanMs - x.meanMs);
      topQueries.splice(50);
    }
    const settings = await readSettings(client);
    return { pgVersion, database, model, columns, activity, topQueries, missing, definitions, settings };
  } catch (e) {
    if (e instanceof ApplyError && e.message.startsWith('cannot ')) throw e;
    const err = redactError(e, dbUrl);
    if (err.code === '42501') throw new ApplyError(`missing permission reading production's catalogs: ${err.message} (grant the role pg_read_all_stats and CONNECT on the database)`, err.code);
    throw new ApplyError(`reading production's statistics failed: ${err.message}`, err.code);
  } finally {
    await client.end().catch(() => {});
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function readColumnStats(client: Client, defs: NonNullable<ProductionStats['definitions']>, missing: string[]): Promise<ProductionStats['columns']> {
  const fn = await client.query<{ ok: boolean }>(
    `SELECT pg_catalog.to_regprocedure('${STATS_FUNCTION}') IS NOT NULL AND pg_catalog.has_function_privilege(pg_catalog.to_regprocedure('${STATS_FUNCTION}'), 'EXECUTE') AS ok`,
  );
  const viaFunction = fn.rows[0]?.ok === true;
  const source = viaFunction
    ? `SELECT * FROM ${STATS_FUNCTION.replace('()', '')}()`
    : `SELECT schemaname, tablename, attname, inherited, null_frac, avg_width, n_distinct, most_common_vals::text AS most_common_vals,
              most_common_freqs, histogram_bounds::text AS histogram_bounds, correlation
         FROM pg_catalog.pg_stats WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`;
  const rows = (await client.query(source)).rows;
  const out: ProductionStats['columns'] = new Map();
  for (const t of defs.tables.values()) out.set(t.key, new Map(t.columns.map((c) => [c.name, null])));
  for (const r of rows) {
    const key = relKey(r.schemaname, r.tablename);
    const t = defs.tables.get(key);
    // A partitioned parent's statistics are the inherited ones; a plain table's are not.
    if (!t || (r.inherited === true) !== t.partitioned) continue;
    const m = out.get(key)!;
    if (!m.has(r.attname)) continue;
    const vals = parseArrayLiteral(r.most_common_vals);
    const freqs = (r.most_common_freqs ?? []) as Array<number | string>;
    m.set(r.attname, {
      nullFrac: Number(r.null_frac ?? 0),
      avgWidth: Number(r.avg_width ?? 0),
      nDistinct: Number(r.n_distinct ?? 0),
      mostCommon: vals.map((value, i) => ({ value: value ?? '', freq: Number(freqs[i] ?? 0) })).filter((v, i) => vals[i] !== null),
      histogram: parseArrayLiteral(r.histogram_bounds).filter((v): v is string => v !== null),
      correlation: r.correlation === null || r.correlation === undefined ? null : Number(r.correlation),
    } satisfies ColumnStats);
  }

  // Why some columns have none: no SELECT (pg_stats hides them) or never analyzed.
  const priv = await client.query<{ key: string; can: boolean; analyzed: boolean }>(
    `SELECT n.nspname || '.' || c.relname AS key, pg_catalog.has_table_privilege(c.oid, 'SELECT') AS can,
            (pg_catalog.pg_stat_get_last_analyze_time(c.oid) IS NOT NULL OR pg_catalog.pg_stat_get_last_autoanalyze_time(c.oid) IS NOT NULL OR c.reltuples >= 0) AS analyzed
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p')`,
  );
  const info = new Map(priv.rows.map((r) => [r.key, r]));
  const hidden: string[] = [];
  const unanalyzed: string[] = [];
  for (const [key, m] of out) {
    const t = defs.tables.get(key)!;
    if (t.partitioned || ![...m.values()].some((v) => v === null)) continue;
    if (!viaFunction && info.get(key)?.can === false) hidden.push(key);
    else unanalyzed.push(key);
  }
  if (hidden.length) {
    missing.push(
      `column statistics of ${list(hidden)}: pg_stats shows a column's statistics only to a role that may SELECT it, so the data is generated from the schema and the table sizes alone (no NULL fractions, distinct counts or value distributions). ` +
        `Fix: GRANT SELECT on those tables to this role, or have a superuser create ${STATS_FUNCTION} once (SECURITY DEFINER, statistics only, no rows; see docs/rehearse-data.md) and GRANT EXECUTE on it to this role.`,
    );
  }
  if (unanalyzed.length) missing.push(`column statistics of ${list(unanalyzed)}: never analyzed (run ANALYZE on production); generated from the schema and the table sizes.`);
  return out;
}

function list(keys: string[]): string {
  return keys.length <= 5 ? keys.join(', ') : `${keys.slice(0, 5).join(', ')} and ${keys.length - 5} more`;
}

interface ActivityRow {
  seq_scan: number;
  idx_scan: number;
  n_tup_ins: number;
  n_tup_upd: number;
  n_tup_del: number;
  idx_tup_fetch: number;
}

async function sampleActivity(client: Client): Promise<{ at: number; rows: Map<string, ActivityRow> }> {
  // Outside a transaction the counters are re-read each time; clear any cached snapshot anyway.
  await client.query('SELECT pg_catalog.pg_stat_clear_snapshot()');
  const r = await client.query(
    `SELECT schemaname || '.' || relname AS key, COALESCE(seq_scan, 0)::float8 AS seq_scan, COALESCE(idx_scan, 0)::float8 AS idx_scan,
            n_tup_ins::float8 AS n_tup_ins, n_tup_upd::float8 AS n_tup_upd, n_tup_del::float8 AS n_tup_del, COALESCE(idx_tup_fetch, 0)::float8 AS idx_tup_fetch
       FROM pg_catalog.pg_stat_user_tables`,
  );
  const at = performance.now();
  return { at, rows: new Map(r.rows.map((x: any) => [x.key, x])) };
}

async function readStatements(client: Client, major: number, missing: string[]): Promise<Map<string, { query: string; calls: number; meanMs: number }> | null> {
  const ext = await client.query<{ schema: string }>(`SELECT n.nspname AS schema FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'`);
  const schema = ext.rows[0]?.schema;
  if (!schema) {
    missing.push('top queries: the pg_stat_statements extension is not installed (CREATE EXTENSION pg_stat_statements, with it in shared_preload_libraries); the workload replays point reads and writes only.');
    return null;
  }
  const mean = major >= 13 ? 'mean_exec_time' : 'mean_time';
  try {
    const r = await client.query(
      `SELECT queryid::text AS id, query, calls::float8 AS calls, ${mean}::float8 AS mean FROM "${schema.replace(/"/g, '""')}".pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()) AND queryid IS NOT NULL
        ORDER BY calls DESC LIMIT 500`,
    );
    const out = new Map<string, { query: string; calls: number; meanMs: number }>();
    let hidden = 0;
    for (const x of r.rows as any[]) {
      if (typeof x.query !== 'string' || x.query.startsWith('<insufficient privilege>')) {
        hidden++;
        continue;
      }
      out.set(x.id, { query: x.query, calls: Number(x.calls), meanMs: Number(x.mean) });
    }
    if (hidden) missing.push(`top queries: ${hidden} pg_stat_statements entries hide their text from this role (grant it pg_read_all_stats).`);
    return out;
  } catch (e) {
    const err = redactError(e);
    missing.push(`top queries: pg_stat_statements could not be read (${err.message}).`);
    return null;
  }
}

/** Keys of the tables a (normalised) query names, resolved on the search path's first schema when unqualified. */
export function queryTables(query: string, searchPath: string[]): string[] {
  let tree: unknown;
  try {
    tree = parseRaw(query);
  } catch {
    return [];
  }
  const out = new Set<string>();
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    for (const [k, v] of Object.entries(n as Record<string, unknown>)) {
      if (k === 'RangeVar' && v && typeof v === 'object') {
        const rv = v as { schemaname?: string; relname?: string };
        if (rv.relname) out.add(relKey(rv.schemaname ?? searchPath.find((s) => s !== '$user') ?? 'public', rv.relname));
      } else walk(v);
    }
  };
  walk(tree);
  return [...out];
}

/**
 * A one-dimensional array literal's elements as text (null for an unquoted NULL), the way
 * `anyarray::text` prints them: `{a,"b c","d\"e"}`. Elements that are arrays themselves
 * (statistics of an array column) come out as their own literal text.
 */
export function parseArrayLiteral(text: string | null | undefined): Array<string | null> {
  if (!text) return [];
  let s = text;
  if (s.startsWith('[')) s = s.slice(s.indexOf('=') + 1);
  if (!s.startsWith('{') || !s.endsWith('}')) return [];
  const out: Array<string | null> = [];
  let i = 1;
  const end = s.length - 1;
  while (i < end) {
    if (s[i] === '"') {
      let v = '';
      i++;
      while (i < end && s[i] !== '"') {
        if (s[i] === '\\') i++;
        v += s[i];
        i++;
      }
      i++;
      out.push(v);
    } else {
      let depth = 0;
      const start = i;
      while (i < end && (depth > 0 || s[i] !== ',')) {
        if (s[i] === '{') depth++;
        else if (s[i] === '}') depth--;
        i++;
      }
      const v = s.slice(start, i).trim();
      out.push(v === 'NULL' ? null : v);
    }
    if (s[i] === ',') i++;
  }
  return out;
}
