/**
 * Small helpers rules share to read effects and word their reports. Rules stay
 * pure: everything here is a function of the context.
 */
import type { Effect, EffectLock } from '../locks/classify.js';
import { describeBlocks, lockStrength } from '../locks/modes.js';
import { quoteIdent } from '../sql/quote.js';
import type { LockInfo, RuleContext } from './types.js';

/** Effects of the statement with one of the given lock-fact ids. */
export function effectsOf(ctx: RuleContext, ...ids: string[]): Effect[] {
  // Every rule asks for every statement: plain loops, and most statements have few effects or none.
  const all = ctx.effects.effects;
  const out: Effect[] = [];
  for (let i = 0; i < all.length; i++) if (ids.includes(all[i]!.fact.id)) out.push(all[i]!);
  return out;
}

/** Effects whose main table existed before this file (or is unknown, hence assumed to). */
export function onPreExisting(effects: Effect[]): Effect[] {
  const out: Effect[] = [];
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.table === null || e.table.preExisting) out.push(e);
  }
  return out;
}

/** The strongest lock of an effect on a pre-existing relation. */
export function mainLock(effect: Effect): EffectLock | null {
  let best: EffectLock | null = null;
  for (const l of effect.locks) {
    if (!l.relation.preExisting) continue;
    if (!best || lockStrength(l.mode) > lockStrength(best.mode)) best = l;
  }
  return best;
}

export function lockInfo(l: EffectLock): LockInfo {
  return { mode: l.mode, relation: l.relation.display, blocks: describeBlocks(l.mode) };
}

/** "an ACCESS EXCLUSIVE lock on public.users (blocks reads and writes)", with its article. */
export function lockPhrase(l: EffectLock | null): string {
  if (!l) return 'a lock';
  const article = /^[AEIOU]/.test(l.mode) ? 'an' : 'a';
  return `${article} ${l.mode} lock on ${l.relation.display} (${describeBlocks(l.mode)})`;
}

/**
 * Whose queries queue behind a wait for this lock. For a lock on an index it is the index's
 * table: every query on a table locks each of its indexes while it is planned (and every write
 * while it updates them), so all of them wait, not only the ones that use the index.
 */
export function queuedRelation(l: EffectLock, effects: readonly Effect[]): QueuedOn {
  if (l.target !== 'index') return { relation: l.relation.display, tableOf: false };
  const table = effects.find((e) => e.locks.includes(l))?.table;
  return table && table.key !== l.relation.key ? { relation: table.display, tableOf: false } : { relation: l.relation.display, tableOf: true };
}

/** Whose queries queue: a relation, or (tableOf) the table of an index the model does not place. */
export interface QueuedOn {
  relation: string;
  tableOf: boolean;
}

/** `orders`, or `the table of orders_idx`; `name` formats the relation (e.g. as code). */
export function queuedPhrase(q: QueuedOn, name: (relation: string) => string = (r) => r): string {
  return q.tableOf ? `the table of ${name(q.relation)}` : name(q.relation);
}

/** `users` or `app.users` as SQL, from a model key `schema.name`. */
export function tableSql(key: string): string {
  const dot = key.indexOf('.');
  if (dot < 0) return quoteIdent(key);
  const schema = key.slice(0, dot);
  const name = key.slice(dot + 1);
  return schema === 'public' ? quoteIdent(name) : `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** Name of a relation reference as SQL (falls back to its display text). */
export function relSql(effect: Effect): string {
  if (!effect.table) return '<table>';
  if (effect.table.key.includes(':')) return effect.table.display;
  return tableSql(effect.table.key);
}

/** The statement text with one keyword inserted after a leading match, for suggestions. */
export function insertAfter(text: string, pattern: RegExp, insertion: string): string {
  const m = pattern.exec(text);
  if (!m) return text;
  const at = m.index + m[0].length;
  return text.slice(0, at) + insertion + text.slice(at);
}

export function ident(name: string | null | undefined): string {
  return quoteIdent(name ?? '<name>');
}
