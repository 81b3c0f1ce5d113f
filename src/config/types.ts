import type { EvidenceSeverity } from '../lint/compat.js';
import type { Severity, SeveritySetting } from '../lint/types.js';
import type { RateName } from '../locks/estimate.js';
import type { BaselineConfig } from '../migrations/baseline.js';

export interface ReadersConfig {
  /** Globs of application source to search for readers of a column/table. */
  paths: string[];
  exclude?: string[];
}

export interface PlannerConfig {
  /**
   * Below both limits a table is small: a blocking statement keeps its simple form under a
   * lock guard, and apply runs it without --allow-blocking. Default 10,000 rows and 64MB.
   */
  smallTable?: { rows?: number; bytes?: number };
  /** Same as smallTable.rows (older key). */
  smallTableRows?: number;
  /** Rows per batch for generated backfills. */
  batchSize?: number;
}

export interface ApplyConfig {
  /** PostgreSQL duration, e.g. "2s", "500ms". */
  lockTimeout?: string;
  /** Upper bound the retry back-off may raise lock_timeout to. */
  maxLockTimeout?: string;
  retries?: number;
  statementTimeout?: string;
  batchTargetMs?: number;
}

/** The contents of ddlguard.config.{json,yaml,yml} or package.json's "ddlguard" key. Every key is optional. */
export interface DdlguardConfig {
  /** Target PostgreSQL major version, 10-19. */
  pgVersion?: number;
  /** Globs of the migration files to lint (relative to LoadedConfig.dir). */
  migrations?: string[];
  /** Globs of already-applied migrations, replayed to build the schema model but not linted. */
  history?: string[];
  /** Whether the migration runner wraps each file in a transaction; "auto" = the framework's default. */
  assumeInTransaction?: boolean | 'auto';
  /** Rule id -> severity override. */
  rules?: Record<string, SeveritySetting>;
  /** Globs of paths never linted. */
  ignore?: string[];
  /** Findings below this severity do not fail the run. */
  severityThreshold?: Severity;
  readers?: ReadersConfig;
  planner?: PlannerConfig;
  apply?: ApplyConfig;
  /**
   * The live database lint, plan and apply read the schema and sizes from (a URL; `${VAR}`
   * and `$VAR` are replaced from the environment, so the password can stay out of the file).
   * `--db` and DATABASE_URL take precedence.
   */
  db?: string;
  /** A schema file (a snapshot from `ddlguard schema export`, or `pg_dump --schema-only` output), relative to the config. */
  schema?: string;
  /** Blocking findings on tables a schema source sizes below these limits are reported as info. */
  severityBySize?: { infoBelowRows?: number; infoBelowBytes?: number };
  /**
   * Rates of the duration model (docs/estimates.md), e.g. what `node dist/bench/estimates.js`
   * printed for your server; `source` says where they come from in every estimate.
   */
  estimates?: Partial<Record<RateName, number>> & { source?: string };
  /**
   * How the evidence of readers and writers sets the compatibility rules' severity: a strong
   * one found, weak matches only, nothing found after a search, no search; per rule under `rules`.
   */
  evidenceSeverity?: EvidenceSeverity;
  /** The migrations released when the project adopted ddlguard: history for every command (`--all` lints them). */
  baseline?: BaselineConfig;
}

export type ConfigFormat = 'json' | 'yaml' | 'package.json';

export interface LoadedConfig {
  /** The validated configuration ({} when no file was found). */
  config: DdlguardConfig;
  /** Absolute path of the file read, or null when none was found. */
  path: string | null;
  format: ConfigFormat | null;
  /** Directory relative globs resolve against: the config file's directory, else cwd. */
  dir: string;
}
