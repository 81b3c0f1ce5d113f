/** REFRESH MATERIALIZED VIEW -> CONCURRENTLY when a unique index on the view is known. */
import { qnameFromRangeVar } from '../../sql/ast.js';
import { qrel, relName, relationModel, type Rewrite } from '../context.js';

export const refreshMatview: Rewrite = (stmt, _effects, ctx) => {
  const n = stmt.node;
  if (stmt.kind !== 'RefreshMatViewStmt' || n.concurrent || n.skipData) return null;
  const view = relName(ctx, qnameFromRangeVar(n.relation));
  const rel = relationModel(ctx, view);
  const unique = [...(rel?.indexes ?? [])].map((k) => ctx.model.indexes.get(k)).find((ix) => ix?.unique && ix.columns.length > 0);
  if (!unique) {
    ctx.reason('REFRESH ... CONCURRENTLY needs a unique index on the materialized view, and none is known from the history');
    return null;
  }
  return [
    ctx.step({
      label: `refresh-${view.name}`,
      phase: 'expand',
      sql: `REFRESH MATERIALIZED VIEW CONCURRENTLY ${qrel(view)}`,
      fact: 'refresh-materialized-view-concurrently',
      relation: view.key,
      guard: { kind: 'none', reason: 'REFRESH CONCURRENTLY takes EXCLUSIVE: reads of the view continue (statement_timeout 0)' },
      notes: [`uses unique index ${unique.name}; the view must already be populated`],
    }),
  ];
};
