/**
 * What undoing a step takes, read from the plan alone: run its rollback SQL, nothing (the
 * step changes nothing a rollback must restore, or an earlier step's rollback removes what
 * it did), or it cannot be undone, and why. `ddlguard rollback`, `ddlguard status` and the
 * Markdown review all read it here.
 *
 * The plan's two fields decide: `rollback` SQL is run; no rollback and not `irreversible`
 * means nothing to undo; `irreversible` means it cannot be undone. The reason comes from
 * the lock fact the step's work comes from, or from a `no rollback: ...` note the rewrite
 * left on the step.
 */

/** The fields of a plan step (planner or applier form) that say how it is undone. */
export interface UndoableStep {
  id: string;
  rollback: string | null;
  irreversible: boolean;
  fact?: string | null;
  notes?: string[];
}

export type UndoKind = 'sql' | 'none' | 'impossible';

export interface StepUndo {
  kind: UndoKind;
  /** For `impossible`: what is lost once the step has run ("the old column's data is gone"). */
  why: string;
}

/** Prefix of the step note in which a rewrite says why a step has no rollback. */
export const NO_ROLLBACK_NOTE = 'no rollback: ';

/** Why a step that does this cannot be undone, by the lock fact of its work. */
const LOST_BY_FACT: Record<string, string> = {
  'drop-column': "the old column's data is gone",
  'drop-table': 'the dropped table and its data are gone',
  'drop-table-with-foreign-keys': 'the dropped table and its data are gone',
  truncate: 'the truncated rows are gone',
  update: 'its changes to existing rows cannot be undone',
  delete: 'the deleted rows are gone',
  insert: 'the rows it inserted cannot be told from others',
  'insert-select': 'the rows it inserted cannot be told from others',
  'drop-index': 'the dropped index is gone: recreate it by hand (CREATE INDEX CONCURRENTLY with its definition)',
  'drop-index-concurrently': 'the dropped index is gone: recreate it by hand (CREATE INDEX CONCURRENTLY with its definition)',
  'drop-view': "the dropped view's definition is gone",
  'drop-constraint': "the dropped constraint's definition is gone",
  'drop-foreign-key': "the dropped foreign key's definition is gone",
  'drop-trigger': "the dropped trigger's definition is gone",
  'enum-add-value': 'PostgreSQL cannot remove a value from an enum',
};

/** What is lost once a step whose work is this lock fact has run, when the fact loses something. */
export function lostByFact(fact: string): string | null {
  return LOST_BY_FACT[fact] ?? null;
}

export function stepUndo(step: UndoableStep): StepUndo {
  if (step.irreversible) {
    const note = (step.notes ?? []).find((n) => n.startsWith(NO_ROLLBACK_NOTE));
    if (note) return { kind: 'impossible', why: note.slice(NO_ROLLBACK_NOTE.length) };
    const byFact = step.fact ? LOST_BY_FACT[step.fact] : undefined;
    return { kind: 'impossible', why: byFact ?? 'the plan gives no rollback for it' };
  }
  if (step.rollback !== null && step.rollback.trim() !== '') return { kind: 'sql', why: '' };
  return { kind: 'none', why: '' };
}

/** The first step, in plan order, that cannot be undone once it has run (the rollback horizon), or null. */
export function rollbackHorizon<S extends UndoableStep>(steps: readonly S[]): { step: S; why: string } | null {
  for (const s of steps) {
    const u = stepUndo(s);
    if (u.kind === 'impossible') return { step: s, why: u.why };
  }
  return null;
}

/**
 * Rewrites whose new columns a trigger keeps in step with the original one (a shadow column
 * of ALTER COLUMN TYPE, the new name of RENAME COLUMN): dropping them in a rollback loses
 * nothing written since, the original column has it all.
 */
const SYNCED_COPY_REWRITES = new Set(['alter-column-type', 'rename-column']);

/** True when the step's rollback drops only what a trigger kept as a copy of data that stays. */
export function keepsDataOnRollback(step: { rewrite?: string }): boolean {
  return step.rewrite !== undefined && SYNCED_COPY_REWRITES.has(step.rewrite);
}
