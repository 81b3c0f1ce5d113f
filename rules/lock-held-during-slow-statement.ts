import type { Effect } from '../src/locks/classify.js';
import type { Rule } from '../src/lint/types.js';
import { blocksApplication, describeBlocks, lockStrength } from '../src/locks/modes.js';
import { predicateBound, uniqueKeys } from './unbatched-backfill.js';

/**
 * Slow work, from the lock facts: a statement that reads (scan) or copies (rewrite) existing
 * data while its lock is held — validations, rewrites, index builds, data changes, refreshes,
 * default-partition scans, domain checks. Not slow: a fact whose scan fails at the first row
 * (failsOnRows) or whose new storage is empty (emptyRewrite).
 */
function slowWork(e: Effect): boolean {
  const f = e.fact;
  if (f.unsupported || f.failsOnRows) return false;
  if (!(f.scan || (f.rewrite && !f.emptyRewrite))) return false;
  // The data it works on existed before this file (an empty table created here is not slow to scan).
  return e.table ? e.table.preExisting : e.locks.some((l) => l.relation.preExisting);
}

const rule: Rule = {
  meta: {
    id: 'lock-held-during-slow-statement',
    category: 'blocking',
    defaultSeverity: 'error',
    summary: 'A statement that scans or rewrites existing data (validation, rewrite, index build, data change, refresh) runs while the transaction already holds a blocking lock from an earlier statement.',
    lock: 'the earlier ACCESS EXCLUSIVE / SHARE lock',
    once: 'transaction',
    docs: {
      description:
        'Locks are held until the transaction ends. After an ALTER TABLE (ACCESS EXCLUSIVE) or a CREATE INDEX (SHARE), every later statement in the same transaction runs with that lock still held: a backfill, an index build, a rewrite, a constraint or domain validation, a materialized view refresh or a default partition scan that takes minutes keeps the table blocked for minutes. Which statements are slow comes from the lock table (their scan and rewrite facts). Commit after the DDL and run the slow part in its own transaction, or reorder so the slow statement comes first.',
      bad: "BEGIN;\nALTER TABLE users ADD COLUMN status text;\nUPDATE users SET status = 'active';\nCOMMIT;",
      good: "ALTER TABLE users ADD COLUMN status text;\n-- separate transaction(s), in batches:\nUPDATE users SET status = 'active' WHERE id BETWEEN 1 AND 10000 AND status IS NULL;",
      links: ['https://www.postgresql.org/docs/current/explicit-locking.html'],
    },
  },
  check(ctx) {
    if (!ctx.tx.inTransaction || ctx.fileState.heldLocks.size === 0) return [];
    // VALIDATE of a constraint added NOT VALID in this transaction is validate-in-same-transaction's finding.
    const validateOwn = (e: (typeof ctx.effects.effects)[number]) => e.fact.id.startsWith('validate-') && e.table !== null && ctx.fileState.notValidInTx.has(`${e.table.key}/${e.constraint}`);
    const slow = ctx.effects.effects.find(
      (e) =>
        !validateOwn(e) &&
        slowWork(e) &&
        // An UPDATE / DELETE of single rows by a unique key is not slow.
        !((e.fact.id === 'update' || e.fact.id === 'delete') && e.table && predicateBound(ctx.stmt.node.whereClause, uniqueKeys(ctx, e.table.key)) === 'point'),
    );
    if (!slow) return [];
    for (const [key, held] of ctx.fileState.heldLocks) {
      if (!held.preExisting || !blocksApplication(held.mode)) continue;
      const own = ctx.effects.locks.find((l) => l.relation.key === key);
      if (own && lockStrength(own.mode) >= lockStrength(held.mode)) continue;
      return [
        {
          effect: slow,
          message: `${slow.fact.statement} runs while this transaction still holds ${held.mode} on ${held.display} from an earlier statement (${describeBlocks(held.mode)}), for as long as this statement takes.`,
          help: 'COMMIT after the DDL and run the slow statement in its own transaction (batched, for data changes), or move it before the DDL.',
        },
      ];
    }
    return [];
  },
};

export default rule;
