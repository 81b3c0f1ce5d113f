/**
 * The plan model: plain, serialisable JSON. A plan is an ordered list of steps;
 * each step says what to run, in which phase (expand / migrate / contract),
 * whether it needs its own transaction or must run outside one, the strongest
 * lock it takes (from src/locks/table.ts), how it is guarded, how to tell it is
 * already done, and how to undo it.
 */
import type { LockMode } from '../locks/modes.js';

export const PLAN_VERSION = 1 as const;

export type Phase = 'expand' | 'migrate' | 'contract';
export const PHASES: readonly Phase[] = ['expand', 'migrate', 'contract'];

export type StepGuard =
  | { kind: 'lock-timeout'; lockTimeoutMs: number; retries: number }
  | { kind: 'none'; reason: string };

/**
 * A keyset-batched statement over k key columns (the primary key, or a NOT NULL unique
 * key), in the key's column order. Key values travel as text, one value per key column.
 *
 * k = 1 is the form plans have always had: `$1` / `$2` are the low / high key, and the key
 * queries return one text column. For k > 1 the key is compared as a row,
 * `(a, b) >= ($1, $2)`, and each "key" below is k values.
 */
export interface BatchSpec {
  /** Quoted, qualified table name. */
  table: string;
  /** Key column names (unquoted), in key order; every one NOT NULL, together unique. */
  keyColumns: string[];
  /**
   * The statement for one batch: `$1..$k` are the low key and `$k+1..$2k` the high key,
   * both inclusive (k = 1: `$1` low, `$2` high).
   */
  updateSql: string;
  /** Rows still to process (SQL boolean expression over the table), or null when unknown. */
  predicate: string | null;
  batchSize: number;
  /** No parameters; one row of k text columns: the first low key (NULLs when the table is empty). */
  firstKeySql: string;
  /** `$1..$k` = a low key; one row of k text columns: the high key of the batch starting there. */
  batchEndSql: string;
  /** `$1..$k` = the previous batch's high key; one row of k text columns: the next low key (NULLs when done). */
  nextKeySql: string;
}

export interface StepSource {
  file: string;
  line: number;
  column: number;
  /** The original statement text. */
  statement: string;
}

export interface StepCleanup {
  /** One boolean row: true when the cleanup must run (e.g. an invalid index is left over). */
  when: string;
  sql: string;
  transaction: 'own' | 'none';
}

/**
 * A step that stays blocking: its rewrite or scan holds a lock that blocks the application
 * for as long as the table is big, and the planner could not make it online. apply refuses
 * to run it unless the operator allows it (`--allow-blocking <id>`).
 */
export interface StepBlocking {
  /** The table, as schema and name (apply re-reads its size before it runs anything). */
  schema: string;
  name: string;
  lock: LockMode;
  work: 'rewrite' | 'scan';
  /** From a schema source; null when no source knows it (then it is not known to be small). */
  size: { rows: number | null; bytes: number } | null;
  /** From the throughput model (src/locks/estimate.ts), with its range and what it is based on. */
  estimate: { ms: number; lowMs: number; highMs: number; work?: string; basis: string } | null;
  /** What would let the planner make it online, or why it cannot. */
  missing: string[];
}

/** Tables below both limits are small: a blocking form is kept (under a guard) rather than an online one. */
export interface SmallTable {
  rows: number;
  bytes: number;
}

export const DEFAULT_SMALL_TABLE: SmallTable = { rows: 10_000, bytes: 64 * 1024 * 1024 };

export interface PlanStep {
  id: string;
  phase: Phase;
  sql: string;
  transaction: 'own' | 'none';
  lock: { mode: LockMode; relation: string } | null;
  guard: StepGuard;
  batch?: BatchSpec;
  /** One boolean row: is this step already done? */
  doneCheck: string | null;
  rollback: string | null;
  irreversible: boolean;
  /** Runs before the step when `when` is true (left-over invalid index after a failed CONCURRENTLY build). */
  cleanup?: StepCleanup;
  /** The lock fact the step's lock comes from. */
  fact: string | null;
  /** Duration risk: 'instant' (catalog only), 'scan' (reads the table, not blocking), 'long' (long and blocking). */
  risk: 'instant' | 'scan' | 'batched' | 'blocking-scan' | 'blocking-rewrite';
  /** Name of the rewrite that produced this step. */
  rewrite: string;
  /** The pre-existing table whose lock or work dominates the step, when it has one. */
  table?: { schema: string; name: string };
  /** Present when the step blocks reads or writes for a time proportional to a table that is not known to be small. */
  blocking?: StepBlocking;
  source: StepSource;
  notes: string[];
}

/** A note on the plan: from a statement (file and line), or about the inputs (file '' and line 0: e.g. schema sources that disagree). */
export interface PlanNote {
  file: string;
  line: number;
  message: string;
}

export interface Plan {
  version: typeof PLAN_VERSION;
  id: string;
  sourceHash: string;
  pgVersion: number;
  /** The small-table limits the plan was made with; apply re-checks the tables of blocking steps against them. */
  smallTable?: SmallTable;
  /** The schema sources the plan was made from, besides the planned files (`the live database`, `schema.json`, `2 history files`). */
  schemaSources?: string[];
  steps: PlanStep[];
  notes: PlanNote[];
}

export function phaseRank(p: Phase): number {
  return PHASES.indexOf(p);
}

export function filterPhase(plan: Plan, phase: string | undefined): Plan {
  if (!phase || phase === 'all') return plan;
  const wanted = phase.split(',').map((s) => s.trim());
  for (const w of wanted) if (!PHASES.includes(w as Phase)) throw new Error(`unknown phase "${w}" (expected expand, migrate or contract)`);
  return { ...plan, steps: plan.steps.filter((s) => wanted.includes(s.phase)) };
}
