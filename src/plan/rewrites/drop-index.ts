/** DROP INDEX -> DROP INDEX CONCURRENTLY IF EXISTS, one index per step. */
import { qnameFromList } from '../../sql/ast.js';
import { indexAbsentCheck, qrel, type Rewrite } from '../context.js';
import { CONCURRENT_GUARD } from './common.js';

export const dropIndex: Rewrite = (stmt, _effects, ctx) => {
  const n = stmt.node;
  if (stmt.kind !== 'DropStmt' || n.removeType !== 'OBJECT_INDEX' || n.concurrent) return null;
  if (n.behavior === 'DROP_CASCADE') {
    ctx.reason('DROP INDEX ... CASCADE cannot run CONCURRENTLY');
    return null;
  }
  const steps = [];
  for (const obj of n.objects ?? []) {
    const q = qnameFromList(obj?.List?.items ?? []);
    const ix = ctx.model.index(q);
    const table = ix ? ctx.model.relations.get(ix.table) : undefined;
    if (table?.kind === 'partitioned-table') {
      ctx.reason(`index ${q.name} is on a partitioned table: DROP INDEX CONCURRENTLY is not supported there`);
      return null;
    }
    const index = { schema: q.schema, name: q.name };
    steps.push(
      ctx.step({
        label: `drop-index-${q.name}`,
        phase: 'contract',
        sql: `DROP INDEX CONCURRENTLY IF EXISTS ${qrel(index)}`,
        fact: 'drop-index-concurrently',
        relation: ix?.table ?? `(table of index ${q.name})`,
        transaction: 'none',
        guard: CONCURRENT_GUARD,
        doneCheck: indexAbsentCheck(index),
        irreversible: true,
        notes: ['to undo, recreate the index (CREATE INDEX CONCURRENTLY with its original definition)'],
      }),
    );
  }
  return steps;
};
