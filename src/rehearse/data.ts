/**
 * The rehearsal's data dependency, behind one function: read production's
 * catalogs and statistics (never its rows), copy its schema onto a scratch
 * database and fill it with synthetic rows shaped by those statistics.
 * The work is the data half's (stats.ts readProductionStats, schema-copy.ts,
 * synth.ts generateData / loadRehearsalData; docs/rehearse-data.md); the runner
 * depends only on this signature and on contract.ts.
 */
import type { ProductionStats, SynthResult } from './contract.js';
import { readProductionStats } from './stats.js';
import { loadRehearsalData } from './synth.js';

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
  return { stats: r.stats, synth: { rows: r.rows, ms: Math.round(r.ms), rowsPerSec: Math.round(r.rowsPerSec) }, notes };
}
