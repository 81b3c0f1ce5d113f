/**
 * The fallback: keep the statement as written. Under a lock guard when it locks
 * a pre-existing relation in a mode that blocks reads or writes; the reasons
 * other rewrites gave for not applying are attached as notes.
 */
import type { EffectLock, Effect, StatementEffects } from '../../locks/classify.js';
import { blocksApplication, lockStrength } from '../../locks/modes.js';
import type { PlanStep, StepBlocking } from '../model.js';
import { lockGuard, type RewriteContext } from '../context.js';
import { estimateEffect, estimateRecord } from '../../locks/estimate-effect.js';
import { inverseOf } from './inverse.js';

export function keepStatement(effects: StatementEffects, ctx: RewriteContext, mode: 'guard' | 'simple', why: string[] = []): PlanStep[] {
  const pre = effects.locks.filter((l) => !ctx.isNew(l.relation.key));
  const strongestLock = [...(mode === 'simple' ? effects.locks : pre)].sort((a, b) => lockStrength(b.mode) - lockStrength(a.mode))[0];
  const effect = strongestLock ? effects.effects.find((e) => e.locks.some((l) => l.relation.key === strongestLock.relation.key && l.mode === strongestLock.mode)) : effects.effects[0];
  // Large DML holds row locks until commit: guarded too, though ROW EXCLUSIVE blocks no reader.
  const dml = effects.effects.some((e) => ['update', 'delete', 'insert-select'].includes(e.fact.id));
  const blocking = pre.some((l) => blocksApplication(l.mode)) || (dml && pre.length > 0);
  const notes = [...why, ...ctx.reasons];
  if (effect && blocking && (effect.scan || effect.rewrite) && mode === 'guard') {
    notes.push(`kept as written: ${effect.fact.statement} holds ${strongestLock?.mode} on ${strongestLock?.relation.display} for the whole ${effect.rewrite ? 'rewrite' : 'scan'}`);
  }
  const destructive = ctx.stmt.kind === 'DropStmt' || effects.effects.some((e) => e.fact.id === 'drop-column');
  // How to undo it; a drop is irreversible (what it lost is said by its lock fact).
  const inverse = destructive ? null : inverseOf(ctx, mode === 'simple' || ctx.rewrite === 'small-table');
  const step = ctx.step({
    label: labelFor(ctx),
    phase: destructive ? 'contract' : 'expand',
    sql: ctx.stmt.text,
    fact: effect?.fact.id ?? null,
    relation: strongestLock?.relation.display ?? effect?.table?.display ?? '',
    transaction: effects.transactional ? 'own' : 'none',
    guard:
      mode === 'guard' && blocking
        ? lockGuard(ctx)
        : { kind: 'none', reason: mode === 'simple' ? 'only touches relations created in this migration' : pre.length ? `its locks do not block reads or writes` : 'takes no lock on a pre-existing relation' },
    irreversible: destructive || Boolean(inverse?.irreversible),
    rollback: inverse?.rollback ?? null,
    notes: [...notes, ...(inverse?.notes ?? [])],
  });
  if (effect === undefined || !step.lock) step.lock = strongestLock ? { mode: strongestLock.mode, relation: strongestLock.relation.display } : null;
  else if (strongestLock) step.lock = { mode: strongestLock.mode, relation: strongestLock.relation.display };
  if (mode === 'guard' && strongestLock && !ctx.isNew(strongestLock.relation.key)) {
    const target = tableOf(ctx, strongestLock);
    if (target) step.table = target;
    const b = effect && blocking ? blockingInfo(ctx, effect, strongestLock, target) : null;
    if (b) step.blocking = b;
  }
  return [step];
}

/** Schema and name of a lock's relation, from the model or its key. */
function tableOf(ctx: RewriteContext, lock: EffectLock): { schema: string; name: string } | null {
  const rel = ctx.model.relations.get(lock.relation.key);
  if (rel) return { schema: rel.schema, name: rel.name };
  if (lock.relation.key.includes(':')) return null; // `index:x`, `vacuum:database`: no single table
  const dot = lock.relation.key.indexOf('.');
  return dot > 0 ? { schema: lock.relation.key.slice(0, dot), name: lock.relation.key.slice(dot + 1) } : null;
}

/**
 * A rewrite or scan kept as written under a lock that blocks the application, on a table
 * not known to be small: the step is marked, with what would make it online.
 */
function blockingInfo(ctx: RewriteContext, effect: Effect, lock: EffectLock, target: { schema: string; name: string } | null): StepBlocking | null {
  if (!(effect.rewrite || effect.scan) || !blocksApplication(lock.mode)) return null;
  const table = target ?? { schema: '', name: lock.relation.display };
  const size = ctx.sizeOf(lock.relation.key);
  const small = size !== null && size.rows < ctx.smallTable.rows && size.bytes < ctx.smallTable.bytes;
  if (small) return null;
  const missing = ctx.reasons.length ? [...ctx.reasons] : [`ddlguard has no online form of ${effect.fact.statement}: run it in a maintenance window or with an online tool (pg_repack, a new table filled in batches)`];
  if (!size) missing.push(`the size of ${lock.relation.display} is unknown (plan with --db or --schema): it is not known to be small`);
  const est = estimateEffect(effect, ctx.model, ctx.pgVersion, ctx.throughput);
  return {
    schema: table.schema,
    name: table.name,
    lock: lock.mode,
    work: effect.rewrite ? 'rewrite' : 'scan',
    size: size ? { rows: Number.isFinite(size.rows) ? size.rows : null, bytes: size.bytes } : null,
    estimate: est ? estimateRecord(est) : null,
    missing,
  };
}

function labelFor(ctx: RewriteContext): string {
  const words = ctx.stmt.text.replace(/\s+/g, ' ').trim().split(' ').slice(0, 4).join('-').toLowerCase();
  return words || ctx.stmt.kind;
}
