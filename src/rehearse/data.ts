/**
 * The rehearsal's data dependency, behind one function: read production's
 * catalogs and statistics (never its rows), copy its schema onto a scratch
 * database and fill it with synthetic rows shaped by those statistics.
 * The work is the data half's (stats.ts readProductionStats, schema-copy.ts,
 * synth.ts generateData / loadRehearsalData; docs/rehearse-data.md); the runner
 * depends only on this signature and on contract.ts.
 */
import type { ProductionStats, SynthResult } from './contract.js';
import { closeQuietly, connect } from '../db/connection.js';
import { quoteIdentAlways as qi } from '../sql/quote.js';
import { readProductionStats } from './stats.js';
import { loadRehearsalData } from './synth.js';

/** A column at least this correlated with production's physical order is reproduced as the scratch's order. */
export const ORDER_CORRELATION = 0.8;

export interface PrepareOptions {
  /** Rows per table on the scratch (from the scale or --rows). */
  rows: (table: string, productionRows: number | null) => number;
  seed?: number;
  /** The tables the rehearsal touches (`schema.table`), for activity and top queries. */
  tables: string[];
  /** Gap between the two pg_stat_user_tables samples (default 5000 ms). */
  sampleMs?: number;
  /** Statistics already read (a second scratch copy): production is not read again. */
  stats?: ProductionStats;
}

export interface PreparedScratch {
  stats: ProductionStats;
  synth: SynthResult;
  notes: string[];
}

/** Reads production's catalogs and statistics (readProductionStats). */
export function readStats(prodUrl: string, tables: string[], sampleMs = 5000): Promise<ProductionStats> {
  return readProductionStats(prodUrl, { tables, sampleSeconds: sampleMs / 1000 });
}

/**
 * Reads production (unless `opts.stats` is given), copies its schema onto the (empty)
 * scratch database and fills it. Notes say what could not be read or reproduced.
 */
export async function prepareScratch(prodUrl: string, scratchUrl: string, opts: PrepareOptions): Promise<PreparedScratch> {
  const r = await loadRehearsalData(opts.stats ?? prodUrl, scratchUrl, {
    rows: opts.rows,
    seed: opts.seed ?? 1,
    tables: opts.tables,
    ...(opts.sampleMs !== undefined ? { sampleSeconds: opts.sampleMs / 1000 } : {}),
  });
  // readProductionStats's `missing` is reported once, under the inputs; the notes keep the rest.
  const notes = r.notes.filter((n) => !r.stats.missing.includes(n));
  notes.push(...(await reproduceOrder(scratchUrl, r.stats, [...r.rows.keys()])));
  return { stats: r.stats, synth: { rows: r.rows, ms: Math.round(r.ms), rowsPerSec: Math.round(r.rowsPerSec) }, notes };
}

/**
 * The generator writes rows in no particular physical order; production's tables are often
 * in the order of a key (rows inserted in id order: pg_stats.correlation near 1). That order
 * decides how a backfill in key order meets the heap: in order, each page once and no page
 * revisited (its updates are not HOT: the table doubles and every index gets a new entry per
 * row), or a random page per row (pages revisited, pruned and updated HOT). So each plain
 * table with a B-tree index whose leading column is at least ORDER_CORRELATION correlated
 * with production's physical order is CLUSTERed on the most correlated such index (then
 * analyzed again). Returns notes of what was done.
 */
async function reproduceOrder(scratchUrl: string, stats: ProductionStats, tables: string[]): Promise<string[]> {
  const notes: string[] = [];
  const c = await connect(scratchUrl);
  try {
    for (const t of tables) {
      const cols = stats.columns.get(t);
      if (!cols) continue;
      const dot = t.indexOf('.');
      const r = await c.query<{ index: string; leading: string }>(
        `SELECT i.relname AS index, a.attname AS leading FROM pg_catalog.pg_index x
           JOIN pg_catalog.pg_class c ON c.oid = x.indrelid AND c.relkind = 'r'
           JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
           JOIN pg_catalog.pg_am am ON am.oid = i.relam AND am.amname = 'btree'
           JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0]
          WHERE n.nspname = $1 AND c.relname = $2 AND x.indpred IS NULL AND x.indisvalid
          ORDER BY x.indisprimary DESC, i.relname`,
        [t.slice(0, dot), t.slice(dot + 1)],
      );
      let best: { index: string; leading: string; corr: number } | null = null;
      for (const row of r.rows) {
        const corr = cols.get(row.leading)?.correlation ?? null;
        if (corr !== null && corr >= ORDER_CORRELATION && (!best || corr > best.corr)) best = { ...row, corr };
      }
      if (!best) continue;
      const table = `${qi(t.slice(0, dot))}.${qi(t.slice(dot + 1))}`;
      await c.query(`CLUSTER ${table} USING ${qi(best.index)}`);
      await c.query(`ANALYZE ${table}`);
      notes.push(`${t}: rows in ${best.leading} order, as in production (correlation ${best.corr.toFixed(2)}): clustered on ${best.index}`);
    }
  } finally {
    await closeQuietly(c);
  }
  return notes;
}
