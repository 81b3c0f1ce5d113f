import type { Severity, SeveritySetting } from '../lint/types.js';

export interface ReadersConfig {
  /** Globs of application source to search for readers of a column/table. */
  paths: string[];
  exclude?: string[];
}

export interface PlannerConfig {
  /** Tables with at most this many rows are treated as small (rewrites are cheap). */
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
