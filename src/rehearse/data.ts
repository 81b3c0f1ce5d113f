/**
 * The rehearsal's data dependency, behind one function: read production's
 * catalogs and statistics (never its rows), copy its schema onto a scratch
 * database and fill it with synthetic rows.
 *
 * STAND-IN. This file is a temporary stand-in for the real data half
 * (src/rehearse/stats.ts readProductionStats, schema-copy.ts, synth.ts
 * generateData, built on branch `rehearse-data`). It is deliberately simple:
 *  - statistics: the live introspection's model and sizes, pg_stats rows the role
 *    can see, two pg_stat_user_tables samples, pg_stat_statements when present;
 *  - schema: rebuilt from catalog functions (format_type, pg_get_expr,
 *    pg_get_constraintdef, pg_get_indexdef), enums and sequences included, domains not;
 *  - data: INSERT ... SELECT over generate_series with the trace seeder's value
 *    expressions (src/trace/seed.ts), not the statistics-shaped COPY generator.
 * At merge, replace the body of prepareScratch with the real modules; the runner
 * only depends on the signature and on contract.ts.
 */
import { closeQuietly, connect, redactError } from '../db/connection.js';
import { introspectLive } from '../schema/sources/live.js';
import { quoteIdentAlways as qi, quoteLiteral } from '../sql/quote.js';
import { valueExpression } from '../trace/seed.js';
import type { ColumnStats, ProductionStats, SynthResult, TableActivity, TopQuery } from './contract.js';

export interface PrepareOptions {
  /** Rows per table on the scratch (from the scale or --rows). */
  rows: (table: string, productionRows: number | null) => number;
  seed?: number;
  /** The tables the rehearsal touches (`schema.table`), for activity and top queries. */
  tables: string[];
  /** Gap between the two pg_stat_user_tables samples (default 2000 ms). */
  sampleMs?: number;
  /** Statistics already read (a second scratch copy): skip reading production again. */
  stats?: ProductionStats;
}

export interface PreparedScratch {
  stats: ProductionStats;
  synth: SynthResult;
  notes: string[];
}

const USER_NS = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'ddlguard'`;

/** Reads production's catalogs and statistics. STAND-IN for readProductionStats (stats.ts). */
export async function readStatsStandIn(prodUrl: string, tables: string[], sampleMs = 2000): Promise<ProductionStats> {
  const { model, pgVersion, database } = await introspectLive(prodUrl);
  const client = await connect(prodUrl);
  const missing: string[] = [];
  try {
    const columns = new Map<string, Map<string, ColumnStats | null>>();
    const st = await client.query(`SELECT schemaname, tablename, attname, null_frac, avg_width, n_distinct, correlation FROM pg_catalog.pg_stats WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`);
    for (const r of st.rows) {
      const key = `${r.schemaname}.${r.tablename}`;
      if (!columns.has(key)) columns.set(key, new Map());
      columns.get(key)!.set(r.attname, { nullFrac: Number(r.null_frac), avgWidth: Number(r.avg_width), nDistinct: Number(r.n_distinct), mostCommon: [], histogram: [], correlation: r.correlation === null ? null : Number(r.correlation) });
    }
    for (const t of tables) if (!columns.has(t)) missing.push(`column statistics of ${t}: pg_stats shows none to this role (never analyzed, or no SELECT on its columns)`);
    const sample = async () => {
      const r = await client.query(`SELECT schemaname || '.' || relname AS key, seq_scan, COALESCE(idx_scan, 0) AS idx_scan, n_tup_ins, n_tup_upd, n_tup_del, COALESCE(idx_tup_fetch, 0) AS idx_tup_fetch, clock_timestamp() AS at FROM pg_catalog.pg_stat_user_tables`);
      return new Map(r.rows.map((x) => [String(x.key), x]));
    };
    const a = await sample();
    await new Promise((r) => setTimeout(r, sampleMs));
    const b = await sample();
    const activity = new Map<string, TableActivity>();
    for (const t of tables) {
      const x = a.get(t);
      const y = b.get(t);
      if (!x || !y) continue;
      const sec = Math.max(0.001, (new Date(y.at).getTime() - new Date(x.at).getTime()) / 1000);
      const d = (k: string) => Math.max(0, Number(y[k]) - Number(x[k])) / sec;
      activity.set(t, { seqScansPerSec: d('seq_scan'), idxScansPerSec: d('idx_scan'), insertsPerSec: d('n_tup_ins'), updatesPerSec: d('n_tup_upd'), deletesPerSec: d('n_tup_del'), idxTupFetchPerSec: d('idx_tup_fetch') });
    }
    const topQueries: TopQuery[] = [];
    const ext = await client.query(`SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_stat_statements'`);
    if (ext.rowCount === 0) missing.push('top queries: pg_stat_statements is not installed');
    else {
      try {
        const q = await client.query(`SELECT query, calls, mean_exec_time FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) ORDER BY calls DESC LIMIT 50`);
        for (const r of q.rows) {
          const text = String(r.query);
          const touched = tables.filter((t) => new RegExp(`\\b${t.split('.').pop()!.replace(/[^\w]/g, '')}\\b`, 'i').test(text));
          if (touched.length === 0 || !/^\s*(select|update|insert|delete)\b/i.test(text)) continue;
          topQueries.push({ query: text, callsPerSec: 0, meanMs: Number(r.mean_exec_time), tables: touched });
        }
      } catch (e) {
        missing.push(`top queries: ${redactError(e, prodUrl).message}`);
      }
    }
    return { pgVersion, database, model, columns, activity, topQueries, missing };
  } catch (e) {
    throw redactError(e, prodUrl);
  } finally {
    await closeQuietly(client);
  }
}

/** Schema DDL from production's catalogs, in three parts: before the data, constraints, indexes. STAND-IN for schema-copy.ts. */
async function schemaDdl(prodUrl: string): Promise<{ pre: string[]; constraints: string[]; indexes: string[]; order: string[] }> {
  const c = await connect(prodUrl);
  try {
    const pre: string[] = [];
    const schemas = await c.query(`SELECT nspname FROM pg_catalog.pg_namespace n WHERE ${USER_NS} AND nspname <> 'public' ORDER BY 1`);
    for (const r of schemas.rows) pre.push(`CREATE SCHEMA IF NOT EXISTS ${qi(r.nspname)}`);
    const enums = await c.query(`SELECT n.nspname, t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace JOIN pg_catalog.pg_enum e ON e.enumtypid = t.oid WHERE ${USER_NS} GROUP BY 1, 2`);
    for (const r of enums.rows) pre.push(`CREATE TYPE ${qi(r.nspname)}.${qi(r.typname)} AS ENUM (${(r.labels as string[]).map(quoteLiteral).join(', ')})`);
    const seqs = await c.query(`SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND ${USER_NS} AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.objid = c.oid AND d.deptype = 'i')`);
    for (const r of seqs.rows) pre.push(`CREATE SEQUENCE ${qi(r.nspname)}.${qi(r.relname)}`);
    const tables = await c.query(`SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND NOT c.relispartition AND ${USER_NS} ORDER BY 2, 3`);
    const order: string[] = [];
    for (const t of tables.rows) {
      const cols = await c.query(
        `SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull, a.attidentity, a.attgenerated, pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS def
         FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
        [t.oid],
      );
      const parts = cols.rows.map((r) => {
        let s = `${qi(r.attname)} ${r.type}`;
        if (r.attgenerated === 's') s += ` GENERATED ALWAYS AS (${r.def}) STORED`;
        else if (r.attidentity === 'a' || r.attidentity === 'd') s += ` GENERATED ${r.attidentity === 'a' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY`;
        else if (r.def !== null) s += ` DEFAULT ${r.def}`;
        if (r.attnotnull) s += ' NOT NULL';
        return s;
      });
      pre.push(`CREATE TABLE ${qi(t.nspname)}.${qi(t.relname)} (${parts.join(', ')})`);
      order.push(`${t.nspname}.${t.relname}`);
    }
    const cons = await c.query(
      `SELECT n.nspname, c.relname, k.conname, k.contype, pg_catalog.pg_get_constraintdef(k.oid) AS def
       FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       WHERE k.contype IN ('p', 'u', 'c', 'f', 'x') AND ${USER_NS} AND k.conparentid = 0 ORDER BY CASE k.contype WHEN 'f' THEN 1 ELSE 0 END, 1, 2, 3`,
    );
    const constraints = cons.rows.map((r) => `ALTER TABLE ${qi(r.nspname)}.${qi(r.relname)} ADD CONSTRAINT ${qi(r.conname)} ${r.def}`);
    const idx = await c.query(
      `SELECT pg_catalog.pg_get_indexdef(i.indexrelid) AS def FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       WHERE ${USER_NS} AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid) AND NOT c.relispartition`,
    );
    return { pre, constraints, indexes: idx.rows.map((r) => String(r.def)), order };
  } finally {
    await closeQuietly(c);
  }
}

/** Fills one table with `rows` rows (row g gets values derived from g). STAND-IN for generateData (synth.ts). */
async function fillTable(c: import('pg').Client, key: string, rows: number): Promise<void> {
  const [schema, name] = [key.slice(0, key.indexOf('.')), key.slice(key.indexOf('.') + 1)];
  const cols = await c.query(
    `SELECT a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
            pg_catalog.format_type(COALESCE(NULLIF(ty.typbasetype, 0), a.atttypid), NULL) AS base,
            ty.typtype::text AS typtype, bt.typcategory::text AS category, a.attnotnull AS notnull,
            a.atthasdef AS hasdef, a.attidentity::text AS identity, a.attgenerated::text AS generated,
            (SELECT e.enumlabel FROM pg_catalog.pg_enum e WHERE e.enumtypid = a.atttypid ORDER BY e.enumsortorder LIMIT 1) AS enum_label
     FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
     JOIN pg_catalog.pg_type bt ON bt.oid = COALESCE(NULLIF(ty.typbasetype, 0), a.atttypid)
     WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [`${qi(schema)}.${qi(name)}`],
  );
  const names: string[] = [];
  const exprs: string[] = [];
  for (const r of cols.rows) {
    const e = valueExpression({ name: r.name, type: r.type, baseType: r.base, typtype: r.typtype, category: r.category, notNull: r.notnull, hasDefault: r.hasdef, identity: r.identity ?? '', generated: r.generated ?? '', enumLabel: r.enum_label ?? null });
    if (e === null) continue;
    names.push(qi(r.name));
    exprs.push(e);
  }
  const target = `${qi(schema)}.${qi(name)}`;
  await c.query(`INSERT INTO ${target} (${names.join(', ')}) SELECT ${exprs.join(', ')} FROM pg_catalog.generate_series(1, ${Math.max(0, Math.floor(rows))}) AS s(g)`);
}

/**
 * Reads production (unless `opts.stats` is given), copies its schema onto the (empty)
 * scratch database and fills it. Notes say what could not be reproduced.
 */
export async function prepareScratch(prodUrl: string, scratchUrl: string, opts: PrepareOptions): Promise<PreparedScratch> {
  const stats = opts.stats ?? (await readStatsStandIn(prodUrl, opts.tables, opts.sampleMs));
  const notes: string[] = ['synthetic data: stand-in generator (values derived from the row number, not from pg_stats)'];
  const ddl = await schemaDdl(prodUrl).catch((e) => {
    throw redactError(e, prodUrl);
  });
  const c = await connect(scratchUrl);
  const rows = new Map<string, number>();
  const t0 = Date.now();
  try {
    for (const s of ddl.pre) await c.query(s);
    for (const key of ddl.order) {
      const prodRows = stats.model.relations.get(key)?.size?.rows ?? null;
      const n = opts.rows(key, prodRows);
      try {
        await fillTable(c, key, n);
        rows.set(key, n);
      } catch (e) {
        notes.push(`could not fill ${key}: ${redactError(e, scratchUrl).message}`);
        rows.set(key, 0);
      }
    }
    for (const s of [...ddl.constraints, ...ddl.indexes]) {
      try {
        await c.query(s);
      } catch (e) {
        notes.push(`schema copy: ${s.slice(0, 120)}: ${redactError(e, scratchUrl).message}`);
      }
    }
    await c.query('ANALYZE');
  } catch (e) {
    throw redactError(e, scratchUrl);
  } finally {
    await closeQuietly(c);
  }
  const ms = Date.now() - t0;
  const total = [...rows.values()].reduce((a, b) => a + b, 0);
  return { stats, synth: { rows, ms, rowsPerSec: ms > 0 ? Math.round((total * 1000) / ms) : total }, notes };
}
