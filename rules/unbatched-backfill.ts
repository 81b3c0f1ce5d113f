import { effectsOf } from '../src/lint/rule-kit.js';
import type { Rule, RuleContext } from '../src/lint/types.js';
import { rangeVars } from '../src/sql/ast.js';

/** `col = const`, `col IN (consts)` and ANDs of them: a targeted change, not a backfill. */
function isPointPredicate(where: any): boolean {
  if (!where) return false;
  const b = where.BoolExpr;
  if (b) return b.boolop === 'AND_EXPR' && (b.args ?? []).some(isPointPredicate);
  const e = where.A_Expr;
  if (!e) return false;
  const isConst = (n: any) => Boolean(n?.A_Const || n?.ParamRef || n?.TypeCast?.arg?.A_Const);
  if (e.kind === 'AEXPR_OP' && (e.name ?? []).some((n: any) => n?.String?.sval === '=')) {
    return (Boolean(e.lexpr?.ColumnRef) && isConst(e.rexpr)) || (Boolean(e.rexpr?.ColumnRef) && isConst(e.lexpr));
  }
  if (e.kind === 'AEXPR_IN') return Boolean(e.lexpr?.ColumnRef) && Array.isArray(e.rexpr?.List?.items ?? e.rexpr) ;
  return false;
}

function sourcesPreExisting(ctx: RuleContext, select: unknown): string[] {
  const out: string[] = [];
  for (const q of rangeVars(select)) {
    const key = ctx.model.resolveKey(q);
    const rel = ctx.model.relations.get(key);
    if (rel && rel.origin?.fileIndex !== undefined && rel.origin.file === ctx.file) continue;
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
    for (const effect of effectsOf(ctx, 'update', 'delete')) {
      if (!effect.table?.preExisting) continue;
      if (isPointPredicate(ctx.stmt.node.whereClause)) continue;
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
