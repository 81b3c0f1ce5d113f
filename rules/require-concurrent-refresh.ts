import { cloneTree, findInsertion, sameTree, type Fix, type FixFile } from '../src/lint/fix.js';
import { effectsOf, insertAfter, lockPhrase, mainLock, onPreExisting } from '../src/lint/rule-kit.js';
import type { Rule, RuleContext } from '../src/lint/types.js';
import { qnameFromRangeVar } from '../src/sql/ast.js';

/**
 * `REFRESH MATERIALIZED VIEW v` -> `REFRESH MATERIALIZED VIEW CONCURRENTLY v`, only when the
 * schema model knows a unique index on plain columns of the view: without one the concurrent
 * refresh fails. Unlike the other CONCURRENTLY forms it may run in a transaction block, so the
 * transaction does not matter. Not with WITH NO DATA (not combinable) nor inside a DO block.
 */
function fix(ctx: RuleContext, file: FixFile): Fix | null {
  const n = ctx.stmt.node;
  if (ctx.stmt.kind !== 'RefreshMatViewStmt' || n.concurrent || n.skipData || ctx.stmt.inDoBlock !== null) return null;
  const view = ctx.model.relation(qnameFromRangeVar(n.relation));
  if (view?.kind !== 'materialized-view') return null;
  const unique = [...view.indexes].some((k) => {
    const ix = ctx.model.indexes.get(k);
    return ix !== undefined && ix.unique && ix.columns.length > 0;
  });
  if (!unique) return null;
  const want = cloneTree(n);
  want.concurrent = true;
  const ins = findInsertion(file, ctx.stmt, ' CONCURRENTLY', (node) => sameTree(node, want), (t) => t.upper === 'VIEW');
  return ins ? { edits: [{ start: ins.at, end: ins.at, text: ins.text }] } : null;
}

const rule: Rule = {
  meta: {
    id: 'require-concurrent-refresh',
    category: 'blocking',
    defaultSeverity: 'warning',
    summary: 'REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks reads of the view for the whole refresh.',
    lock: 'ACCESS EXCLUSIVE',
    fixable: true,
    docs: {
      description:
        'A plain REFRESH MATERIALIZED VIEW holds ACCESS EXCLUSIVE on the view while it recomputes it, so every query reading the view waits. REFRESH ... CONCURRENTLY takes an EXCLUSIVE lock that still allows reads; it requires a unique index on the view and cannot be used on a view that has never been populated.',
      bad: 'REFRESH MATERIALIZED VIEW daily_totals;',
      good: '-- requires a UNIQUE index on the view\nREFRESH MATERIALIZED VIEW CONCURRENTLY daily_totals;',
      links: ['https://www.postgresql.org/docs/current/sql-refreshmaterializedview.html'],
    },
  },
  check(ctx) {
    return onPreExisting(effectsOf(ctx, 'refresh-materialized-view')).map((effect) => ({
      effect,
      message: `REFRESH MATERIALIZED VIEW without CONCURRENTLY takes ${lockPhrase(mainLock(effect))} for the whole refresh.`,
      help: 'Use REFRESH MATERIALIZED VIEW CONCURRENTLY (the view needs a unique index); reads continue during the refresh.',
      suggestion: insertAfter(ctx.stmt.text, /^\s*REFRESH\s+MATERIALIZED\s+VIEW\b/i, ' CONCURRENTLY') + ';',
      fix: (file: FixFile) => fix(ctx, file),
    }));
  },
};

export default rule;
