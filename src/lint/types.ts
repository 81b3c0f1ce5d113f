import type { Effect, StatementEffects } from '../locks/classify.js';
import type { LockMode } from '../locks/modes.js';
import type { TxSnapshot } from '../migrations/transaction.js';
import type { SchemaModel } from '../schema/model.js';
import type { Span } from '../sql/source.js';
import type { ParsedStatement } from '../sql/statement.js';
import type { Fix, FixBuilder } from './fix.js';
import type { SearchSummary } from '../readers/types.js';
import type { CompatContext, FindingEvidence } from './compat.js';

export type Severity = 'error' | 'warning' | 'info';
export type SeveritySetting = Severity | 'off';
export type RuleCategory = 'blocking' | 'compatibility' | 'hygiene';

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

export interface RuleDocs {
  /** What goes wrong in production, in a few sentences. */
  description: string;
  /** A migration that triggers the rule. */
  bad: string;
  /** The safe way to write it. */
  good: string;
  /** PostgreSQL documentation pages backing the claim. */
  links: string[];
}

export interface RuleMeta {
  id: string;
  category: RuleCategory;
  defaultSeverity: SeveritySetting;
  /** One line: what the rule catches. */
  summary: string;
  /** The lock involved, for the rule table in the docs (e.g. "ACCESS EXCLUSIVE"). */
  lock: string;
  docs: RuleDocs;
  fixable?: boolean;
  /**
   * 'transaction': report only the first occurrence in each transaction block (the
   * fix is the same for the rest, e.g. commit after the DDL); later ones add noise.
   */
  once?: 'transaction';
}

export interface LockInfo {
  mode: LockMode;
  relation: string;
  blocks: string;
}

export interface RuleReport {
  /** Short problem statement. */
  message: string;
  /** Why it hurts and what to do, in one or two sentences. */
  help: string;
  /** Concrete SQL to write instead. */
  suggestion?: string;
  /** The effect the report is about; its lock is reported. */
  effect?: Effect;
  /** Override the statement span (e.g. a sub-expression). */
  span?: Span;
  /** Override the rule's severity (e.g. lower when no reader is found). */
  severity?: Severity;
  /** Mechanical fix for `--fix` (see src/lint/fix.ts); evaluated only in fix mode. */
  fix?: FixBuilder;
  /** Expand/contract evidence behind the report (readers found, release status), for JSON output. */
  evidence?: FindingEvidence;
}

/** State the engine accumulates over one linted file, for rules that look back. */
export interface FileState {
  /** table key -> columns added in this file. */
  readonly columnsAdded: ReadonlyMap<string, ReadonlySet<string>>;
  /** table key -> columns assigned by UPDATE in this file (backfills), with the columns read. */
  readonly backfills: ReadonlyArray<{ table: string; set: string[]; read: string[] }>;
  /** Constraints added NOT VALID in the current transaction: `${tableKey}/${name}`. */
  readonly notValidInTx: ReadonlySet<string>;
  /** Locks the current transaction already holds (table key -> strongest mode), from earlier statements. */
  readonly heldLocks: ReadonlyMap<string, { mode: LockMode; display: string; preExisting: boolean }>;
}

export interface RuleContext {
  file: string;
  stmt: ParsedStatement;
  effects: StatementEffects;
  /** The schema as it was before this statement. */
  model: SchemaModel;
  tx: TxSnapshot;
  pgVersion: number;
  fileState: FileState;
  /**
   * Expand/contract evidence gathered outside the rules: the released state
   * (`lint --base`) and readers of contracted objects in code and in the live
   * database. Absent on plain lint runs; see src/lint/compat.ts.
   */
  compat?: CompatContext;
}

export interface Rule {
  meta: RuleMeta;
  check(ctx: RuleContext): RuleReport[];
}

export interface Finding {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  rule: string;
  severity: Severity;
  message: string;
  help: string;
  lock?: LockInfo;
  suggestion?: string;
  /** Text edits into the linted file's text; present only when linting in fix mode. */
  fix?: Fix;
  /** Readers/writers found and release status, for compatibility findings judged with evidence. */
  evidence?: FindingEvidence;
  /** The locked table's size, when a schema source knows it (rows null: never analyzed). */
  size?: { rows: number | null; bytes: number };
  /** How long the rewrite, scan or index build takes on that table, from the throughput model (src/locks/estimate.ts), with its range. */
  estimate?: { ms: number; lowMs: number; highMs: number; work: string; basis: string };
}

/** Something about the run's inputs worth knowing, e.g. two schema sources that disagree. */
export interface LintNote {
  message: string;
}

export interface LintError {
  file: string;
  line: number;
  column: number;
  message: string;
}

export interface LintSummary {
  files: number;
  historyFiles: number;
  statements: number;
  findings: number;
  errors: number;
  bySeverity: Record<Severity, number>;
  pgVersion: number;
  /** Present when readers were searched (readers.paths, --db): what was searched. */
  readers?: SearchSummary;
  /** Present with --base: the ref the released state was taken from. */
  base?: string;
  /** Present when schema sources besides the migration files were read (`the live database`, `schema.json`). */
  schema?: string[];
}

export interface LintResult {
  version: 1;
  findings: Finding[];
  errors: LintError[];
  /** Present when there is something to say about the inputs (schema sources that disagree). */
  notes?: LintNote[];
  summary: LintSummary;
}
