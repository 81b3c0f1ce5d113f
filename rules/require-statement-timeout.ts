import type { Rule } from '../src/lint/types.js';
import { blocksApplication } from '../src/locks/modes.js';
import { isBoundedPredicate, uniqueKeys } from './unbatched-backfill.js';

const rule: Rule = {
  meta: {
    id: 'require-statement-timeout',
    category: 'hygiene',
    defaultSeverity: 'off',
    summary: 'A statement that scans or rewrites an existing table runs with no statement_timeout.',
    lock: 'any',
    docs: {
      description:
        'A statement that scans or rewrites a large table under a lock can run far longer than expected. statement_timeout bounds the damage: the statement is cancelled and its locks released. (CONCURRENTLY builds and VALIDATE CONSTRAINT should run without one; they do not block the application.)',
      bad: 'ALTER TABLE users ALTER COLUMN email SET NOT NULL;',
      good: "SET statement_timeout = '5min';\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
      links: ['https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-STATEMENT-TIMEOUT'],
    },
  },
  check(ctx) {
    if (ctx.tx.statementTimeoutMs > 0) return [];
    const slow = ctx.effects.effects.find(
      (e) =>
        (e.scan || (e.rewrite && !e.fact.emptyRewrite)) &&
        !e.fact.failsOnRows &&
        e.table?.preExisting &&
        // A long scan matters when its lock blocks reads or writes, or when it is a data change holding row locks
        // (SHARE UPDATE EXCLUSIVE and ROW SHARE, e.g. VALIDATE of a foreign key, block neither).
        e.locks.some((l) => l.relation.preExisting && (blocksApplication(l.mode) || l.mode === 'ROW EXCLUSIVE')) &&
        // UPDATE / DELETE of one row or one batch by key is not a long scan.
        !((e.fact.id === 'update' || e.fact.id === 'delete') && isBoundedPredicate(ctx.stmt.node.whereClause, uniqueKeys(ctx, e.table.key))),
    );
    if (!slow) return [];
    return [{ effect: slow, message: `${slow.fact.statement} may run long on ${slow.table!.display} and no statement_timeout is set.`, help: 'Set statement_timeout before it, so a runaway statement is cancelled and releases its locks.' }];
  },
};

export default rule;
