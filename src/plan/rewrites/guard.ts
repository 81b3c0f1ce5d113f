/**
 * The fallback: keep the statement as written. Under a lock guard when it locks
 * a pre-existing relation in a mode that blocks reads or writes; the reasons
 * other rewrites gave for not applying are attached as notes.
 */
import type { StatementEffects } from '../../locks/classify.js';
import { blocksApplication, lockStrength } from '../../locks/modes.js';
import type { PlanStep } from '../model.js';
import { lockGuard, type RewriteContext } from '../context.js';

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
    irreversible: destructive,
    notes,
  });
  if (effect === undefined || !step.lock) step.lock = strongestLock ? { mode: strongestLock.mode, relation: strongestLock.relation.display } : null;
  else if (strongestLock) step.lock = { mode: strongestLock.mode, relation: strongestLock.relation.display };
  return [step];
}

function labelFor(ctx: RewriteContext): string {
  const words = ctx.stmt.text.replace(/\s+/g, ' ').trim().split(' ').slice(0, 4).join('-').toLowerCase();
  return words || ctx.stmt.kind;
}
