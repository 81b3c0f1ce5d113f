/** REINDEX INDEX | TABLE -> REINDEX ... CONCURRENTLY (PostgreSQL 12+). */
import { qnameFromRangeVar } from '../../sql/ast.js';
import { qrel, type Rewrite } from '../context.js';
import { CONCURRENT_GUARD } from './common.js';

export const reindex: Rewrite = (stmt, effects, ctx) => {
  const n = stmt.node;
  if (stmt.kind !== 'ReindexStmt') return null;
  const concurrent = (n.params ?? []).some((p: any) => p?.DefElem?.defname === 'concurrently') || Boolean(n.concurrent);
  if (concurrent) return null;
  if (ctx.pgVersion < 12) {
    ctx.reason('REINDEX CONCURRENTLY needs PostgreSQL 12');
    return null;
  }
  const kind = n.kind === 'REINDEX_OBJECT_INDEX' ? 'INDEX' : n.kind === 'REINDEX_OBJECT_TABLE' ? 'TABLE' : null;
  if (!kind || !n.relation) {
    ctx.reason('only REINDEX INDEX and REINDEX TABLE are rewritten (SCHEMA / DATABASE / SYSTEM are kept)');
    return null;
  }
  const q = qnameFromRangeVar(n.relation);
  return [
    ctx.step({
      label: `reindex-${q.name}`,
      phase: 'expand',
      sql: `REINDEX ${kind} CONCURRENTLY ${qrel(q)}`,
      fact: 'reindex-concurrently',
      relation: effects.effects[0]?.table?.display ?? q.name,
      transaction: 'none',
      guard: CONCURRENT_GUARD,
      notes: ['a failed REINDEX CONCURRENTLY leaves an invalid *_ccnew index: drop it and retry'],
    }),
  ];
};
