import { findInsertion, outsideTransactionFix, sameTree, type Fix, type FixFile } from '../src/lint/fix.js';
import { effectsOf, lockPhrase, mainLock, onPreExisting } from '../src/lint/rule-kit.js';
import type { Rule, RuleContext } from '../src/lint/types.js';
import { qnameFromRangeVar } from '../src/sql/ast.js';

/**
 * `REINDEX INDEX|TABLE x` -> `REINDEX INDEX|TABLE CONCURRENTLY x`, in place outside a
 * transaction block or moved after the COMMIT of its explicit block when nothing later in
 * the block can depend on it. Not for SCHEMA/DATABASE/SYSTEM, and not where the concurrent
 * form does something else: it refuses an exclusion constraint's index and silently skips
 * those of a table, so the fix is withheld when the model knows of an exclusion constraint.
 */
function fix(ctx: RuleContext, file: FixFile): Fix | null {
  const n = ctx.stmt.node;
  if (ctx.stmt.kind !== 'ReindexStmt' || !n.relation) return null;
  if (n.kind !== 'REINDEX_OBJECT_INDEX' && n.kind !== 'REINDEX_OBJECT_TABLE') return null;
  const q = qnameFromRangeVar(n.relation);
  const ix = n.kind === 'REINDEX_OBJECT_INDEX' ? ctx.model.index(q) : undefined;
  const table = n.kind === 'REINDEX_OBJECT_TABLE' ? ctx.model.relation(q) : ix ? ctx.model.relations.get(ix.table) : undefined;
  const exclusion = [...(table?.constraints.values() ?? [])].filter((c) => c.kind === 'exclude');
  if (n.kind === 'REINDEX_OBJECT_TABLE' ? exclusion.length > 0 : exclusion.some((c) => c.name === q.name || c.index === q.name)) return null;
  // REINDEX TABLE CONCURRENTLY on a partitioned table exists from PostgreSQL 14 on.
  if (table?.kind === 'partitioned-table' && ctx.pgVersion < 14) return null;
  const params = (n.params ?? []).filter((p: any) => p?.DefElem?.defname !== 'concurrently');
  const accept = (node: any) => {
    const extra = (node.params ?? []).filter((p: any) => p?.DefElem?.defname === 'concurrently');
    const rest = (node.params ?? []).filter((p: any) => p?.DefElem?.defname !== 'concurrently');
    return extra.length === 1 && sameTree({ ...node, params: rest.length ? rest : undefined }, { ...n, params: params.length ? params : undefined });
  };
  const ins = findInsertion(file, ctx.stmt, ' CONCURRENTLY', accept, (t) => t.upper === 'INDEX' || t.upper === 'TABLE');
  if (!ins) return null;
  return outsideTransactionFix(ctx, file, [ins], accept, { names: [q.name, table?.name ?? ''] });
}

const rule: Rule = {
  meta: {
    id: 'require-concurrent-reindex',
    category: 'blocking',
    defaultSeverity: 'error',
    summary: 'REINDEX without CONCURRENTLY blocks writes (and reads that use the index) while it rebuilds.',
    lock: 'SHARE / ACCESS EXCLUSIVE on the index',
    fixable: true,
    docs: {
      description:
        'REINDEX takes a SHARE lock on the table, blocking writes, and an ACCESS EXCLUSIVE lock on each index it rebuilds, blocking every query that would use it. PostgreSQL 12 added REINDEX ... CONCURRENTLY, which rebuilds without blocking reads or writes (outside a transaction block).',
      bad: 'REINDEX INDEX users_email_idx;',
      good: 'REINDEX INDEX CONCURRENTLY users_email_idx;',
      links: ['https://www.postgresql.org/docs/current/sql-reindex.html'],
    },
  },
  check(ctx) {
    if (ctx.pgVersion < 12) return [];
    return onPreExisting(effectsOf(ctx, 'reindex')).map((effect) => ({
      effect,
      message: `REINDEX without CONCURRENTLY takes ${lockPhrase(mainLock(effect))} and locks the index exclusively.`,
      help: 'Use REINDEX ... CONCURRENTLY (PostgreSQL 12+) outside a transaction block.',
      suggestion: ctx.stmt.text.replace(/^(\s*REINDEX\s*(?:\([^)]*\)\s*)?(?:INDEX|TABLE|SCHEMA|DATABASE|SYSTEM))\b/i, '$1 CONCURRENTLY') + ';',
      fix: (file: FixFile) => fix(ctx, file),
    }));
  },
};

export default rule;
