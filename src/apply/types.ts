/**
 * The part of the planner's plan model (src/plan/model.ts) the applier reads.
 * Derived from the model so the two stay in step; every model Plan is an
 * applier Plan, and hand-written / JSON plans need only these fields.
 */
import type * as M from '../plan/model.js';

export type Phase = M.Phase;
export type StepGuard = M.StepGuard;
export type StepCleanup = M.StepCleanup;

/**
 * `updateSql`: for k key columns, `$1..$k` are the low key and `$k+1..$2k` the high key of
 * the batch, both inclusive (one key column: `$1` and `$2`). Key columns must be NOT NULL
 * and together unique; the applier finds each batch's range itself (the key queries of a
 * planner's BatchSpec are optional here).
 */
export type StepBatch = Pick<M.BatchSpec, 'table' | 'keyColumns' | 'updateSql' | 'predicate' | 'batchSize'> & Partial<M.BatchSpec>;

export interface PlanStep
  extends Pick<M.PlanStep, 'id' | 'phase' | 'sql' | 'transaction' | 'guard' | 'doneCheck' | 'rollback' | 'irreversible'> {
  lock: { mode: string; relation: string } | null;
  batch?: StepBatch;
  cleanup?: StepCleanup;
  source?: M.StepSource;
  risk?: M.PlanStep['risk'];
  /** The lock fact the step's work comes from (for its estimate). */
  fact?: string | null;
  table?: M.PlanStep['table'];
  blocking?: M.StepBlocking;
}

export interface Plan extends Pick<M.Plan, 'version' | 'id' | 'sourceHash' | 'pgVersion'> {
  smallTable?: M.SmallTable;
  steps: PlanStep[];
}
