import { effectsOf } from '../src/lint/rule-kit.js';
import type { Rule, RuleContext } from '../src/lint/types.js';
import { rangeVars } from '../src/sql/ast.js';

/** Unique keys of a table (PK, UNIQUE constraints, unique indexes); null when the table's keys are unknown (not in the model, or a placeholder). */
export function uniqueKeys(ctx: RuleContext, table: string): string[][] | null {
  const rel = ctx.model.relations.get(table);
  // A placeholder knows only the keys the linted files created: others may exist.
  if (!rel || rel.placeholder) return null;
  const keys: string[][] = [];
  for (const c of rel.constraints.values()) if ((c.kind === 'primary-key' || c.kind === 'unique') && c.columns.length) keys.push(c.columns);
  for (const ix of ctx.model.indexes.values()) if (ix.table === table && ix.unique && ix.columns.length) keys.push(ix.columns);
  return keys;
}

const isConst = (n: any): boolean => Boolean(n?.A_Const || n?.ParamRef || n?.TypeCast?.arg?.A_Const || n?.TypeCast?.arg?.ParamRef);
const opName = (e: any): string => (e.name ?? []).map((n: any) => n?.String?.sval ?? '').join('');
const colName = (n: any): string | null => {
  const fields = (n?.ColumnRef?.fields ?? []).map((f: any) => f?.String?.sval).filter(Boolean);
  return fields.length ? String(fields[fields.length - 1]) : null;
};

/**
 * Whether a WHERE clause bounds the statement to one row or one batch: the rows
 * matching `col = const` / `col IN (consts)` on a unique key (at most one row per
 * value), a bounded range on a unique key (`id >= a AND id < b`, `BETWEEN`), or
 * `key IN (SELECT ... LIMIT n)`. With `keys` null (table not in the history) any
 * column is accepted, as the table's keys are unknown.
 */
export function isBoundedPredicate(where: any, keys: string[][] | null): boolean {
  return predicateBound(where, keys) !== null;
}

/** 'point': at most one row per listed value of a unique key; 'batch': a bounded key range or LIMITed key list; null: unbounded. */
export function predicateBound(where: any, keys: string[][] | null): 'point' | 'batch' | null {
  if (!where) return null;
  const conjuncts: any[] = [];
  const flatten = (n: any) => {
    if (n?.BoolExpr?.boolop === 'AND_EXPR') for (const a of n.BoolExpr.args ?? []) flatten(a);
    else conjuncts.push(n);
  };
  flatten(where);
  const isKeyCol = (c: string | null) => c !== null && (keys === null || keys.some((k) => k.length === 1 && k[0] === c));
  const equal = new Set<string>();
  const lower = new Set<string>();
  const upper = new Set<string>();
  for (const n of conjuncts) {
    const sub = n?.SubLink;
    if (sub?.subLinkType === 'ANY_SUBLINK' && sub.subselect?.SelectStmt?.limitCount && isKeyCol(colName(sub.testexpr))) return 'batch';
    const e = n?.A_Expr;
    if (!e) continue;
    const op = opName(e);
    if (e.kind === 'AEXPR_OP') {
      const [col, val, flipped] = colName(e.lexpr) ? [colName(e.lexpr), e.rexpr, false] : [colName(e.rexpr), e.lexpr, true];
      if (!col || !isConst(val)) continue;
      if (op === '=') equal.add(col);
      else if (op === '>' || op === '>=') (flipped ? upper : lower).add(col);
      else if (op === '<' || op === '<=') (flipped ? lower : upper).add(col);
    } else if (e.kind === 'AEXPR_IN' && op === '=') {
      const items = e.rexpr?.List?.items ?? e.rexpr;
      const col = colName(e.lexpr);
      if (col && Array.isArray(items) && items.every(isConst)) equal.add(col);
    } else if (e.kind === 'AEXPR_OP_ANY' && op === '=') {
      const col = colName(e.lexpr);
      const arr = e.rexpr?.A_ArrayExpr?.elements;
      if (col && ((Array.isArray(arr) && arr.every(isConst)) || isConst(e.rexpr))) equal.add(col);
    } else if (e.kind === 'AEXPR_BETWEEN') {
      const col = colName(e.lexpr);
      const items = e.rexpr?.List?.items ?? e.rexpr;
      if (col && Array.isArray(items) && items.every(isConst)) {
        lower.add(col);
        upper.add(col);
      }
    }
  }
  if (keys === null ? equal.size > 0 : keys.some((k) => k.every((c) => equal.has(c)))) return 'point';
  return [...lower].some((c) => upper.has(c) && isKeyCol(c)) ? 'batch' : null;
}

function sourcesPreExisting(ctx: RuleContext, select: unknown): string[] {
  const out: string[] = [];
  for (const q of rangeVars(select)) {
    const key = ctx.model.resolveKey(q);
    const rel = ctx.model.relations.get(key);
    // Created by this file: holds no production rows. (A placeholder existed before the file.)
    if (rel && !rel.placeholder && rel.origin && rel.origin.source === undefined && rel.origin.file === ctx.file) continue;
    if (!rel && ctx.stmt.node.withClause) continue;
    out.push(rel ? key : q.name);
  }
  return out;
}

const rule: Rule = {
  meta: {
    id: 'unbatched-backfill',
    category: 'blocking',
    defaultSeverity: 'warning',
    summary: 'UPDATE / DELETE / INSERT ... SELECT over an existing table in one statement.',
    lock: 'ROW EXCLUSIVE + row locks on every touched row',
    docs: {
      description:
        'One UPDATE or DELETE over a large table locks every row it touches until the transaction commits (concurrent writes to those rows wait), bloats the table, floods WAL and replicas, and cannot be resumed if it fails. INSERT ... SELECT copies everything in one long transaction. Backfill in batches over the primary key, each batch its own short transaction, with a predicate that makes re-runs idempotent.',
      bad: "UPDATE users SET status = 'active' WHERE status IS NULL;",
      good: "-- repeat for each key range, committing after each batch (ddlguard plan/apply do this):\nUPDATE users SET status = 'active' WHERE id >= 1 AND id < 10001 AND status IS NULL;",
      links: ['https://www.postgresql.org/docs/current/sql-update.html', 'https://www.postgresql.org/docs/current/routine-vacuuming.html'],
    },
  },
  check(ctx) {
    const out = [];
    // A loop in a DO block that COMMITs after each pass is a hand-written batched backfill.
    if (ctx.stmt.doLoop?.commits) return [];
    for (const effect of effectsOf(ctx, 'update', 'delete')) {
      if (!effect.table?.preExisting) continue;
      if (isBoundedPredicate(ctx.stmt.node.whereClause, uniqueKeys(ctx, effect.table.key))) continue;
      const verb = effect.fact.id === 'update' ? 'UPDATE' : 'DELETE';
      out.push({
        effect,
        message: `${verb} of ${ctx.stmt.node.whereClause ? 'possibly many' : 'every'} row${ctx.stmt.node.whereClause ? 's' : ''} of ${effect.table.display} in one statement: every touched row stays locked until commit.`,
        help: 'Backfill in batches by primary key, each batch its own transaction, with a predicate that skips rows already done (`ddlguard plan` generates the loop).',
      });
    }
    for (const effect of effectsOf(ctx, 'insert-select')) {
      const sources = sourcesPreExisting(ctx, ctx.stmt.node.selectStmt);
      if (!effect.table?.preExisting && sources.length === 0) continue;
      out.push({
        effect,
        message: `INSERT ... SELECT copies ${sources.length ? 'from ' + sources.join(', ') : 'rows'} into ${effect.table?.display} in one transaction.`,
        help: 'Copy in batches by key range, each batch its own transaction.',
      });
    }
    return out;
  },
};

export default rule;
