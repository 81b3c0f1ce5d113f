/** UPDATE / DELETE over a pre-existing table -> keyset batches by its key (see batchKey), one COMMIT per batch. */
import { qnameFromRangeVar, rangeVars } from '../../sql/ast.js';
import { relName, type Rewrite } from '../context.js';
import { batchGuard, batchKey, batchSpec, remainingCheck } from './common.js';

export const batchDml: Rewrite = (stmt, _effects, ctx) => {
  const n = stmt.node;
  const update = stmt.kind === 'UpdateStmt';
  if (!update && stmt.kind !== 'DeleteStmt') return null;
  if (n.withClause || (n.returningList ?? []).length || (n.fromClause ?? []).length || (n.usingClause ?? []).length) {
    ctx.reason('WITH, FROM / USING and RETURNING are not batched automatically');
    return null;
  }
  if (n.whereClause?.CurrentOfExpr) return null;
  const table = relName(ctx, qnameFromRangeVar(n.relation));
  const key = batchKey(ctx, table);
  if (!key) return null;
  const changed = update ? key.filter((k) => (n.targetList ?? []).some((t: any) => t?.ResTarget?.name === k)) : [];
  if (changed.length) {
    ctx.reason(`the UPDATE changes the key column${changed.length > 1 ? 's' : ''} ${changed.join(', ')}: batching by ${key.length > 1 ? `the key (${key.join(', ')})` : 'it'} would skip or repeat rows`);
    return null;
  }
  const reads = rangeVars([n.targetList, n.whereClause]).map((q) => ctx.model.resolveKey(q));
  if (reads.includes(table.key)) {
    ctx.reason('the statement reads its own table in a subquery: batches would see rows changed by earlier batches');
    return null;
  }
  const where = ctx.text.findKeyword('WHERE');
  const head = (where ? ctx.text.text.slice(0, where.start) : ctx.text.text).trim();
  const cond = where ? ctx.text.text.slice(where.end).trim() : null;
  const predicate = update ? null : (cond ?? 'true');
  const batched = batchGuard(ctx, table, key);
  const notes = ['each batch commits on its own: after a failure, earlier batches stay applied'];
  if (update) notes.push('rerunning after a partial failure repeats the UPDATE on batches already done: make the SET idempotent or add a WHERE that skips finished rows');
  return [
    ctx.step({
      label: `${update ? 'update' : 'delete'}-${table.name}-batched`,
      phase: 'migrate',
      sql: ctx.stmt.text,
      fact: update ? 'update' : 'delete',
      relation: table.key,
      guard: batched.guard,
      batch: batchSpec(ctx, table, key, head, cond, predicate),
      doneCheck: predicate ? remainingCheck(table, predicate) : null,
      irreversible: true,
      notes: [...notes, ...batched.notes],
    }),
  ];
};

