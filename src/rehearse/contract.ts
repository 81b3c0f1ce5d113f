/**
 * The seam between the two halves of `ddlguard rehearse`: what is read from
 * production (catalogs and statistics, never rows) and the synthetic data made
 * from it on a scratch database. src/rehearse/stats.ts and synth.ts implement
 * the first two functions; the runner (run.ts, workload.ts, measure.ts,
 * predict.ts, report/) uses them.
 */
import type { SchemaModel } from '../schema/model.js';
import type { SchemaDefinitions } from './definitions.js';
import type { ServerSettings } from './settings.js';

/** Per-column statistics from pg_stats (null when the column was never analyzed). */
export interface ColumnStats {
  nullFrac: number;
  avgWidth: number;
  /** pg_stats.n_distinct: > 0 a count, < 0 a fraction of the rows (-1: unique). */
  nDistinct: number;
  /** Most common values (as text) and their frequencies. */
  mostCommon: Array<{ value: string; freq: number }>;
  /** Histogram bounds as text, ascending. */
  histogram: string[];
  correlation: number | null;
}

export interface TableActivity {
  /** Per second, from two pg_stat_user_tables samples a few seconds apart. */
  seqScansPerSec: number;
  idxScansPerSec: number;
  insertsPerSec: number;
  updatesPerSec: number;
  deletesPerSec: number;
  /** Rows fetched by index scans per second. */
  idxTupFetchPerSec: number;
}

export interface TopQuery {
  /** pg_stat_statements text, normalised ($1 ...). */
  query: string;
  callsPerSec: number;
  meanMs: number;
  /** Keys of the tables it touches (when the parser could tell). */
  tables: string[];
}

export interface ProductionStats {
  /** Server major and the database's name (never its URL with a password). */
  pgVersion: number;
  database: string;
  /** The schema model, with sizes and row estimates (live introspection). */
  model: SchemaModel;
  /** `schema.table` -> column -> statistics. */
  columns: Map<string, Map<string, ColumnStats | null>>;
  /** `schema.table` -> activity, for the tables the rehearsal touches. */
  activity: Map<string, TableActivity>;
  /** Empty when pg_stat_statements is not installed (see `missing`). */
  topQueries: TopQuery[];
  /** What could not be read and why (a missing permission, an extension not installed), for the report. */
  missing: string[];
  /**
   * Added by the data half (optional, additive): the definitions as the server prints them
   * (pg_get_constraintdef, pg_get_indexdef, ...), from which schema-copy.ts makes the scratch schema.
   */
  definitions?: SchemaDefinitions;
  /** Production's settings the predictions use (settings.ts), read on the same connection. */
  settings?: ServerSettings;
}

export interface SynthOptions {
  /** Rows to generate per table: scale x production's row estimate, or an explicit count. */
  rows: (table: string, productionRows: number | null) => number;
  /** Deterministic generation. */
  seed: number;
  /**
   * Added by the data half (optional): COPY streams per table, each on its own connection
   * (default 1: one stream, with COPY FREEZE, so the rows are frozen as old production rows are).
   */
  streams?: number;
}

export interface SynthResult {
  /** Rows generated per table. */
  rows: Map<string, number>;
  ms: number;
  rowsPerSec: number;
}
