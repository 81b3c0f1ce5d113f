/**
 * Evidence about who reads or writes a schema object, gathered outside the
 * rules (application code, the live database) and handed to them through the
 * rule context. Plain data: no I/O handles, no functions.
 */

/** How a reader was recognised. */
export type Certainty = 'parsed-sql' | 'identifier-match' | 'catalog' | 'query-stats';
/** parsed-sql, catalog dependencies and recorded queries are strong; identifier matches are weak. */
export type Strength = 'strong' | 'weak';

export type TargetKind = 'column' | 'table' | 'writer';

/** One object a pending migration contracts (or a table whose writers matter), to search for. */
export interface ReaderTarget {
  /** Evidence key, see targetKey(). */
  key: string;
  kind: TargetKind;
  /** Model key of the table, `schema.name`. */
  table: string;
  schema: string;
  name: string;
  /** The column (for 'column' and 'writer' targets). */
  column: string | null;
  /** The migration change that made it a target, e.g. 'drop-column', 'set-not-null'. */
  change: string;
}

export function targetKey(kind: TargetKind, table: string, column: string | null): string {
  return kind === 'table' ? table : `${kind === 'writer' ? 'writer:' : ''}${table}.${column ?? ''}`;
}

export interface CodeHit {
  /** Path relative to the readers' base directory, forward slashes. */
  file: string;
  line: number;
  column: number;
  certainty: Certainty;
  strength: Strength;
  access: 'read' | 'write' | 'reference';
  /** What matched, e.g. `u.email`, `INSERT INTO users (id, name)`. */
  detail: string;
}

export type DbObjectKind = 'query' | 'view' | 'materialized-view' | 'function' | 'trigger' | 'policy' | 'foreign-key' | 'rule' | 'other';

export interface DbHit {
  kind: DbObjectKind;
  certainty: Certainty;
  strength: Strength;
  /** Object name (`public.active_users`) or the recorded statement (shortened). */
  name: string;
  /** pg_stat_statements calls, for recorded statements. */
  calls?: number;
  detail: string;
}

export interface ObjectEvidence {
  code: CodeHit[];
  db: DbHit[];
}

export interface CodeSearchSummary {
  /** The globs searched (relative to baseDir). */
  globs: string[];
  /** The configured excludes (readers.exclude). */
  exclude: string[];
  /** What left the migrations out: one glob per migration root (a folder per sequence, not per migration). */
  migrations: string[];
  /** Files the globs matched. */
  files: number;
  /** Files that passed the substring prefilter and were analysed. */
  candidates: number;
  ms: number;
  /**
   * The full lists, for `--verbose` and the JSON summary (`summary.readers.code.full`);
   * findings' evidence carries the summary without them.
   */
  full?: {
    /** Every file searched, relative to baseDir. */
    files: string[];
    /** Every exclude pattern the search applied (the defaults, readers.exclude, the migrations). */
    exclude: string[];
  };
}

export interface DbSearchSummary {
  /** The URL with any password removed. */
  url: string;
  /** pg_stat_statements: whether its recorded statements could be read. */
  statements: 'read' | 'not-installed' | 'not-readable';
  /** Human note, e.g. why statements were not read. */
  note: string | null;
  /** Connection or query failure (the lint still runs). */
  error: string | null;
}

export interface SearchSummary {
  code: CodeSearchSummary | null;
  db: DbSearchSummary | null;
}

/** Everything the readers stage found, by target key. */
export interface ReaderIndex {
  evidence: ReadonlyMap<string, ObjectEvidence>;
  searched: SearchSummary;
}

/** tableKey -> columns, for resolving unqualified column references in SQL. */
export type Catalog = ReadonlyMap<string, ReadonlySet<string>>;
