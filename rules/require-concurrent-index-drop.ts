import { cloneTree, findInsertion, outsideTransactionFix, sameTree, type Fix, type FixFile } from '../src/lint/fix.js';
import { effectsOf, insertAfter, lockPhrase, mainLock, onPreExisting } from '../src/lint/rule-kit.js';
import type { Rule, RuleContext } from '../src/lint/types.js';
import { qnameFromList } from '../src/sql/ast.js';

/**
 * `DROP INDEX` -> `DROP INDEX CONCURRENTLY`, in place outside a transaction block or moved
 * after the COMMIT of its explicit block when nothing later in the block can depend on it.
 * Only for one index without CASCADE (CONCURRENTLY supports nothing else), and not for an
 * index known to be on a partitioned table (not supported either).
 */
function fix(ctx: RuleContext, file: FixFile): Fix | null {
  const n = ctx.stmt.node;
  if (ctx.stmt.kind !== 'DropStmt' || n.removeType !== 'OBJECT_INDEX' || n.concurrent) return null;
  if ((n.objects ?? []).length !== 1 || n.behavior === 'DROP_CASCADE') return null;
  const q = qnameFromList(n.objects[0]?.List?.items ?? []);
  const ix = ctx.model.index(q);
  const table = ix ? ctx.model.relations.get(ix.table) : undefined;
  if (table?.kind === 'partitioned-table') return null;
  const want = cloneTree(n);
  want.concurrent = true;
  const accept = (node: any) => sameTree(node, want);
  const ins = findInsertion(file, ctx.stmt, ' CONCURRENTLY', accept, (t) => t.upper === 'INDEX');
  if (!ins) return null;
  return outsideTransactionFix(ctx, file, [ins], accept, { names: [q.name, table?.name ?? ''] });
}

const rule: Rule = {
  meta: {
    id: 'require-concurrent-index-drop',
    category: 'blocking',
    defaultSeverity: 'warning',
    summary: 'DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the table.',
    lock: 'ACCESS EXCLUSIVE',
    fixable: true,
    docs: {
      description:
        'DROP INDEX takes an ACCESS EXCLUSIVE lock on the index\'s table. The drop itself is quick, but while it waits for running queries to finish every new query on the table queues behind it. DROP INDEX CONCURRENTLY waits for conflicting transactions without blocking reads or writes.',
      bad: 'DROP INDEX users_email_idx;',
      good: '-- outside a transaction block\nDROP INDEX CONCURRENTLY IF EXISTS users_email_idx;',
      links: ['https://www.postgresql.org/docs/current/sql-dropindex.html'],
    },
  },
  check(ctx) {
    return onPreExisting(effectsOf(ctx, 'drop-index')).map((effect) => ({
      effect,
      message: `DROP INDEX without CONCURRENTLY takes ${lockPhrase(mainLock(effect))}.`,
      help: 'Use DROP INDEX CONCURRENTLY outside a transaction block (one index per statement).',
      suggestion: insertAfter(ctx.stmt.text, /^\s*DROP\s+INDEX\b/i, ' CONCURRENTLY') + ';',
      fix: (file: FixFile) => fix(ctx, file),
    }));
  },
};

export default rule;
